// Stateful bolts on the real executors and acker (LocalTopology), with the
// memory store: checkpoints commit the state and release the acks, a failed
// checkpoint rolls the state back and fails the inputs it held.
#include "test/support/local_topology.h"
#include "test/support/test_components.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <thread>

namespace gale::testing {
namespace {

using Ids = std::vector<uint64_t>;
using std::chrono::seconds;

TestLog& Log() { return TestLog::Get(); }

// Polls `done` every 5 ms for up to `timeout`.
bool WaitFor(const std::function<bool()>& done, std::chrono::seconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

struct Fixture {
  Fixture() { Log().Reset(); }
  FakeClock clock;
};

// A new namespace per test: the memory store is process-wide.
std::string Topology(const std::string& name, const std::string& between = "") {
  return R"(
name: )" +
         name + R"(
config:
  topology.acker.executors: 1
  topology.state.checkpoint.interval.ms: 20
  topology.state.namespace: )" +
         name + R"(
spouts: [ { id: feeder, className: FeederSpout } ]
bolts:
  - { id: count, className: StatefulCounterBolt, parallelism: 2 }
)" + between +
         R"(
streams:
  - { from: feeder, to: count, grouping: { type: FIELDS, args: [value] } }
)";
}

Ids Sorted(Ids ids) {
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST_CASE_METHOD(Fixture, "A stateful bolt's inputs are acked once a checkpoint commits them",
                 "[state]") {
  LocalTopology t(Topology("stateful-commit"), clock);
  REQUIRE(WaitFor([] { return Log().count("init_state") == 2; }, seconds(10)));
  uint64_t id = 0;
  for (const char* w : {"a", "b", "a", "c", "a"}) Log().Feed({w}, ++id);
  REQUIRE(WaitFor([] { return Log().acked().size() == 5; }, seconds(10)));
  CHECK(Sorted(Log().acked()) == Ids{1, 2, 3, 4, 5});
  CHECK(Log().failed().empty());
  // The committed state had them all before the acks went out.
  CHECK(Log().count("state:a") == 3);
  CHECK(Log().count("state:b") == 1);
  CHECK(Log().count("state:c") == 1);
  CHECK(Log().count("committed_txid") >= 1);
}

TEST_CASE_METHOD(Fixture,
                 "A failed checkpoint rolls the state back and fails the inputs not committed",
                 "[state]") {
  LocalTopology t(Topology("stateful-rollback"), clock);
  REQUIRE(WaitFor([] { return Log().count("init_state") == 2; }, seconds(10)));
  Log().Feed({"a"}, 1);
  REQUIRE(WaitFor([] { return Log().acked() == Ids{1}; }, seconds(10)));
  // From now on every PREPARE fails: what comes next is never committed.
  Log().Count("fail_prepare");
  Log().Feed({"a"}, 2);
  Log().Feed({"b"}, 3);
  REQUIRE(WaitFor([] { return Log().failed().size() == 2; }, seconds(10)));
  CHECK(Sorted(Log().failed()) == Ids{2, 3});
  CHECK(Log().acked() == Ids{1});
  CHECK(Log().count("rolled_back") >= 1);
  // Let checkpoints through again: the state is the committed one (a = 1),
  // and new inputs count from there.
  Log().Set("fail_prepare", 0);
  Log().Feed({"a"}, 4);
  REQUIRE(WaitFor([] { return Log().acked().size() == 2; }, seconds(10)));
  CHECK(Log().count("state:a") == 2);
  CHECK(Log().count("state:b") == 0);
}

TEST_CASE_METHOD(Fixture, "Checkpoints pass through bolts that keep no state", "[state]") {
  LocalTopology t(R"(
name: stateful-chain
config:
  topology.acker.executors: 1
  topology.state.checkpoint.interval.ms: 20
  topology.state.namespace: stateful-chain
spouts: [ { id: feeder, className: FeederSpout } ]
bolts:
  - { id: pass, className: IdentityBolt, parallelism: 2 }
  - { id: count, className: StatefulCounterBolt, parallelism: 3 }
streams:
  - { from: feeder, to: pass, grouping: { type: SHUFFLE } }
  - { from: pass, to: count, grouping: { type: FIELDS, args: [value] } }
)",
                  clock);
  REQUIRE(WaitFor([] { return Log().count("init_state") == 3; }, seconds(10)));
  for (uint64_t i = 1; i <= 20; ++i) Log().Feed({i % 3 == 0 ? "x" : "y"}, i);
  REQUIRE(WaitFor([] { return Log().acked().size() == 20; }, seconds(10)));
  CHECK(Log().failed().empty());
  CHECK(Log().count("state:x") == 6);
  CHECK(Log().count("state:y") == 14);
}

// A persistent window subscribes to $checkpoint too, which carries no event
// time: its watermark must not wait for that stream.
TEST_CASE_METHOD(Fixture,
                 "A persistent event-time window closes on the watermark between checkpoints",
                 "[state][window]") {
  LocalTopology t(R"(
name: event-time-persistent
config:
  topology.acker.executors: 1
  topology.state.checkpoint.interval.ms: 20
  topology.state.namespace: event-time-persistent
spouts: [ { id: feeder, className: FeederSpout, config: { feeder.fields: "value,ts" } } ]
bolts:
  - id: window
    className: WindowRecorderBolt
    window: { tumbling: 1000ms, timestampField: ts, watermarkInterval: 10ms, persistent: true }
  - { id: sink, className: AckBolt }
streams:
  - { from: feeder, to: window, grouping: { type: SHUFFLE } }
  - { from: window, to: sink, grouping: { type: SHUFFLE } }
)",
                  clock);
  Log().Feed({int64_t{1}, int64_t{100}}, 1);
  Log().Feed({int64_t{2}, int64_t{900}}, 2);
  Log().Feed({int64_t{3}, int64_t{1500}}, 3);
  // Watermarks are computed on timer ticks (the test's clock), at most every
  // 10 ms of wall time. The watermark 1500 closes [0, 1000).
  auto ticked_until = [&](const std::function<bool()>& done) {
    return WaitFor(
        [&] {
          clock.Advance(seconds(1));
          t.runtime().PokeTimer();
          std::this_thread::sleep_for(std::chrono::milliseconds(15));
          return done();
        },
        seconds(10));
  };
  REQUIRE(ticked_until([] { return Log().count("window:1,2") == 1; }));
  // A persistent window's inputs are acked when a checkpoint commits them,
  // not when they leave the window.
  REQUIRE(WaitFor([] { return Log().acked().size() == 3; }, seconds(10)));
  CHECK(Sorted(Log().acked()) == Ids{1, 2, 3});
  Log().Feed({int64_t{4}, int64_t{2600}}, 4);
  REQUIRE(ticked_until([] { return Log().count("window:3") == 1; }));
  CHECK(Log().count("windows") == 2);
  CHECK(Log().failed().empty());
}

// The window's user code throws: the next checkpoint fails, every task rolls
// back, the inputs not committed fail, and the window goes on from what was
// committed (not from the tuples of the window that threw).
TEST_CASE_METHOD(Fixture,
                 "A persistent window that throws fails the next checkpoint and rolls back",
                 "[state][window]") {
  LocalTopology t(R"(
name: window-throws
config:
  topology.acker.executors: 1
  topology.state.checkpoint.interval.ms: 20
  topology.state.namespace: window-throws
spouts: [ { id: feeder, className: FeederSpout } ]
bolts:
  - { id: window, className: WindowRecorderBolt, window: { tumbling: 2, persistent: true } }
  - { id: sink, className: AckBolt }
streams:
  - { from: feeder, to: window, grouping: { type: SHUFFLE } }
  - { from: window, to: sink, grouping: { type: SHUFFLE } }
)",
                  clock);
  Log().Feed({int64_t{1}}, 1);
  Log().Feed({int64_t{2}}, 2);
  REQUIRE(WaitFor([] { return Log().acked().size() == 2; }, seconds(10)));
  CHECK(Log().count("window:1,2") == 1);
  Log().Count("window_throws");
  Log().Feed({int64_t{3}}, 3);
  Log().Feed({int64_t{4}}, 4);
  REQUIRE(WaitFor([] { return Log().failed().size() == 2; }, seconds(10)));
  CHECK(Sorted(Log().failed()) == Ids{3, 4});
  CHECK(Log().count("window_threw") >= 1);
  Log().Set("window_throws", 0);
  Log().Feed({int64_t{5}}, 5);
  Log().Feed({int64_t{6}}, 6);
  REQUIRE(WaitFor([] { return Log().acked().size() == 4; }, seconds(10)));
  CHECK(Sorted(Log().acked()) == Ids{1, 2, 5, 6});
  CHECK(Log().count("window:5,6") == 1);
  CHECK(Log().count("windows") == 2);
}

// Exactly once (core/state/README.md): every spout a StatefulSpout. A
// failed PREPARE rolls every task back, the spouts to their saved
// positions, and the committed counts still come out exact.
TEST_CASE_METHOD(Fixture,
                 "Exactly once: a failed checkpoint rewinds the spouts and the counts stay exact",
                 "[state]") {
  LocalTopology t(R"(
name: exactly-once
config:
  topology.acker.executors: 1
  topology.state.checkpoint.interval.ms: 20
  topology.state.namespace: exactly-once
spouts: [ { id: numbers, className: StatefulNumberSpout, parallelism: 2 } ]
bolts:
  - { id: pass, className: IdentityBolt, parallelism: 2 }
  - { id: count, className: StatefulCounterBolt, parallelism: 2 }
streams:
  - { from: numbers, to: pass, grouping: { type: SHUFFLE } }
  - { from: pass, to: count, grouping: { type: FIELDS, args: [value] } }
)",
                  clock);
  // Every task starts from a rollback, which gives it its state.
  REQUIRE(WaitFor([] { return Log().count("init_state") == 2; }, seconds(10)));
  REQUIRE(Log().count("spout_init") == 2);
  auto committed = [](int64_t each) {
    for (int k = 0; k < 5; ++k) {
      if (Log().count("state:k" + std::to_string(k)) != each) return false;
    }
    return true;
  };
  // 100 numbers per spout task: 40 of each key, committed.
  Log().Set("spout_limit", 100);
  REQUIRE(WaitFor([&] { return committed(40); }, seconds(10)));
  // PREPAREs fail while 100 more go out: they are rolled back, the spouts
  // rewind; once checkpoints pass again the counts go on from 40, not from
  // what the rolled-back tasks had.
  Log().Set("fail_prepare", 1);
  Log().Set("spout_limit", 200);
  REQUIRE(WaitFor([] { return Log().count("rolled_back") >= 2; }, seconds(10)));
  CHECK(Log().count("spout_init") >= 4);  // each spout task went back
  Log().Set("fail_prepare", 0);
  REQUIRE(WaitFor([&] { return committed(80); }, seconds(10)));
  Log().Set("spout_limit", 300);
  REQUIRE(WaitFor([&] { return committed(120); }, seconds(10)));
  // Nothing more comes: the counts stay.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(committed(120));
}

}  // namespace
}  // namespace gale::testing
