// Windowed bolts on the real executors and acker (LocalTopology): what a
// window's tuples and outputs do to the spout's trees.
#include "test/support/local_topology.h"
#include "test/support/test_components.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <thread>

namespace gale::testing {
namespace {

using Ids = std::vector<uint64_t>;

TestLog& Log() { return TestLog::Get(); }

struct Fixture {
  Fixture() { Log().Reset(); }
  FakeClock clock;
};

constexpr const char* kSliding = R"(
name: windows
config: { topology.acker.executors: 1 }
spouts: [ { id: feeder, className: FeederSpout } ]
bolts:
  - { id: window, className: WindowRecorderBolt, window: { length: 4, slide: 2 } }
  - { id: sink, className: AckBolt }
streams:
  - { from: feeder, to: window, grouping: { type: SHUFFLE } }
  - { from: window, to: sink, grouping: { type: SHUFFLE } }
)";

TEST_CASE_METHOD(Fixture, "A window's tuples are acked when they leave it, not before",
                 "[window]") {
  LocalTopology t(kSliding, clock);
  for (uint64_t i = 1; i <= 6; ++i) Log().Feed({static_cast<int64_t>(i)}, i);
  REQUIRE(t.Settle());
  CHECK(Log().count("window:1,2") == 1);
  CHECK(Log().count("window:1,2,3,4") == 1);
  CHECK(Log().count("window:3,4,5,6") == 1);
  // 1 and 2 left at the third window; 3..6 are still in one.
  CHECK(Log().acked() == Ids{1, 2});
  for (uint64_t i = 7; i <= 8; ++i) Log().Feed({static_cast<int64_t>(i)}, i);
  REQUIRE(t.Settle());
  CHECK(Log().count("window:5,6,7,8") == 1);
  CHECK(Log().acked() == Ids{1, 2, 3, 4});
  CHECK(Log().failed() == Ids{});
  CHECK(Log().count("ack_bolt_executed") == 4);
}

TEST_CASE_METHOD(Fixture, "A window's output is anchored to every tuple in it", "[window]") {
  LocalTopology t(R"(
name: windows
config: { topology.acker.executors: 1 }
spouts: [ { id: feeder, className: FeederSpout } ]
bolts:
  - { id: window, className: WindowRecorderBolt, window: { tumbling: 3 } }
  - { id: sink, className: FailAllBolt }
streams:
  - { from: feeder, to: window, grouping: { type: SHUFFLE } }
  - { from: window, to: sink, grouping: { type: SHUFFLE } }
)",
                  clock);
  for (uint64_t i = 1; i <= 4; ++i) Log().Feed({static_cast<int64_t>(i)}, i);
  REQUIRE(t.Settle());
  // The sink failed the first window's sum: its three trees fail; 4 waits.
  CHECK(Log().count("window:1,2,3") == 1);
  auto failed = Log().failed();
  std::sort(failed.begin(), failed.end());
  CHECK(failed == Ids{1, 2, 3});
  CHECK(Log().acked() == Ids{});
}

TEST_CASE_METHOD(Fixture, "A keyed window sum emits each key's sum at every slide", "[window]") {
  LocalTopology t(R"(
name: sums
config: { topology.acker.executors: 1 }
spouts: [ { id: feeder, className: FeederSpout, config: { feeder.fields: "word,n" } } ]
bolts:
  - id: sum
    className: gale.WindowSum
    window: { length: 4, slide: 2, key: word, value: n }
  - { id: record, className: RecordBolt }
streams:
  - { from: feeder, to: sum, grouping: { type: FIELDS, args: [word] } }
  - { from: sum, to: record, grouping: { type: SHUFFLE } }
)",
                  clock);
  const std::vector<std::pair<const char*, int64_t>> in = {{"a", 1}, {"b", 10}, {"a", 2},
                                                           {"a", 3}, {"b", 20}, {"a", 4}};
  uint64_t id = 0;
  for (const auto& [word, n] : in) Log().Feed({word, n}, ++id);
  REQUIRE(t.Settle());
  // Inputs are acked as they join their pane.
  CHECK(Log().acked() == Ids{1, 2, 3, 4, 5, 6});
  // Windows close after inputs 2, 4 and 6, over the last 4 inputs.
  CHECK(Log().count("seen:a,1") == 1);
  CHECK(Log().count("seen:b,10") == 2);
  CHECK(Log().count("seen:a,6") == 1);
  CHECK(Log().count("seen:a,9") == 1);
  CHECK(Log().count("seen:b,20") == 1);
}

TEST_CASE_METHOD(Fixture,
                 "Event-time windows close on the watermark, and late tuples go to the late stream",
                 "[window]") {
  LocalTopology t(R"(
name: event-time
config: { topology.acker.executors: 1 }
spouts: [ { id: feeder, className: FeederSpout, config: { feeder.fields: "value,ts" } } ]
bolts:
  - id: window
    className: WindowRecorderBolt
    config: { recorder.late.stream: late }
    window: { tumbling: 1000ms, timestampField: ts, watermarkInterval: 10ms, lateStream: late }
  - { id: sink, className: AckBolt }
  - { id: late, className: RecordBolt }
streams:
  - { from: feeder, to: window, grouping: { type: SHUFFLE } }
  - { from: window, to: sink, grouping: { type: SHUFFLE } }
  - { from: window, to: late, grouping: { type: SHUFFLE, streamId: late } }
)",
                  clock);
  // The window engine computes watermarks at most every 10 ms of wall time;
  // ticks come from the test's clock.
  auto tick = [&] {
    REQUIRE(t.Settle());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    t.Advance(clock, std::chrono::seconds(1));
  };
  Log().Feed({int64_t{1}, int64_t{100}}, 1);
  Log().Feed({int64_t{2}, int64_t{900}}, 2);
  Log().Feed({int64_t{3}, int64_t{1500}}, 3);
  tick();  // watermark 1500: [0, 1000) closes
  CHECK(Log().count("window:1,2") == 1);
  CHECK(Log().acked() == Ids{1, 2});
  Log().Feed({int64_t{4}, int64_t{200}}, 4);  // behind the watermark
  Log().Feed({int64_t{5}, int64_t{2600}}, 5);
  tick();                                 // watermark 2600: [1000, 2000) closes
  CHECK(Log().count("seen:4,200") == 1);  // unchanged, on the late stream
  CHECK(Log().count("window:3") == 1);
  auto acked = Log().acked();
  std::sort(acked.begin(), acked.end());
  CHECK(acked == Ids{1, 2, 3, 4});  // 5 waits for its window
  CHECK(Log().failed().empty());
}

}  // namespace
}  // namespace gale::testing
