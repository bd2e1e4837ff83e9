// Windowed bolts on the real executors and acker (LocalTopology): what a
// window's tuples and outputs do to the spout's trees.
#include "test/support/local_topology.h"
#include "test/support/test_components.h"

#include <catch2/catch.hpp>

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

}  // namespace
}  // namespace gale::testing
