// Chaining (core/runtime/README.md, "Chaining"): bolts run on the thread of
// the executor they read from, with acking, fails, ticks, input from other
// components and backpressure working as they do through queues. Whole
// topologies in local mode on the real executors; ThreadBolt and
// FeederSpout record the thread each task runs on.
#include "test/support/local_topology.h"
#include "test/support/test_components.h"

#include <catch2/catch.hpp>

#include <numeric>

namespace gale::testing {
namespace {

using Ids = std::vector<uint64_t>;
using std::chrono::seconds;

TestLog& Log() { return TestLog::Get(); }

int64_t Thread(const std::string& component, int task_index) {
  return Log().count("thread " + component + " " + std::to_string(task_index));
}

Ids Feed(uint64_t n) {
  Ids ids(n);
  std::iota(ids.begin(), ids.end(), uint64_t{1});
  for (uint64_t id : ids) Log().Feed({static_cast<int64_t>(id)}, id);
  return ids;
}

struct Fixture {
  Fixture() { Log().Reset(); }
  FakeClock clock;
};

TEST_CASE_METHOD(Fixture,
                 "LOCAL_OR_SHUFFLE and chain: true run a bolt on the thread of the executor it "
                 "reads from and every tree still completes",
                 "[chaining]") {
  LocalTopology t(R"(
name: chained
config: { topology.acker.executors: 1 }
spouts: [ { id: feeder, className: FeederSpout, parallelism: 2 } ]
bolts:
  - { id: a, className: ThreadBolt, parallelism: 2 }
  - { id: b, className: ThreadBolt, parallelism: 2 }
  - { id: sink, className: AckBolt }
streams:
  - { from: feeder, to: a, grouping: { type: LOCAL_OR_SHUFFLE } }
  - { from: a, to: b, grouping: { type: FIELDS, args: [value] }, chain: true }
  - { from: b, to: sink, grouping: { type: SHUFFLE } }
)",
                  clock);
  const Ids ids = Feed(500);
  REQUIRE(t.Settle());
  CHECK(Log().acked() == ids);
  CHECK(Log().failed() == Ids{});
  CHECK(Log().count("executed a") == 500);
  CHECK(Log().count("executed b") == 500);
  CHECK(Log().count("ack_bolt_executed") == 500);
  CHECK(Log().count("thread_changed") == 0);
  for (int i = 0; i < 2; ++i) {
    INFO("executor " << i);
    CHECK(Thread("feeder", i) != 0);
    CHECK(Thread("a", i) == Thread("feeder", i));
    CHECK(Thread("b", i) == Thread("feeder", i));
  }
  CHECK(Thread("feeder", 0) != Thread("feeder", 1));
  CHECK(t.StatsOf("a").executed == 500);
  CHECK(t.StatsOf("a").acked == 500);
}

TEST_CASE_METHOD(Fixture,
                 "SHUFFLE, chain: false and topology.chaining.enabled false keep a thread per "
                 "executor, and an explicit chain: true still chains",
                 "[chaining]") {
  const std::string config =
      GENERATE(std::string("{ topology.acker.executors: 1 }"),
               std::string("{ topology.acker.executors: 1, topology.chaining.enabled: false }"));
  LocalTopology t(R"(
name: unchained
config: )" + config + R"(
spouts: [ { id: feeder, className: FeederSpout } ]
bolts:
  - { id: a, className: ThreadBolt }
  - { id: b, className: ThreadBolt }
  - { id: c, className: ThreadBolt }
  - { id: sink, className: AckBolt }
streams:
  - { from: feeder, to: a, grouping: { type: SHUFFLE } }
  - { from: a, to: b, grouping: { type: NONE }, chain: false }
  - { from: b, to: c, grouping: { type: GLOBAL }, chain: true }
  - { from: c, to: sink, grouping: { type: LOCAL_OR_SHUFFLE } }
)",
                  clock);
  INFO(config);
  const Ids ids = Feed(200);
  REQUIRE(t.Settle());
  CHECK(Log().acked() == ids);
  CHECK(Log().count("thread_changed") == 0);
  CHECK(Thread("a", 0) != Thread("feeder", 0));
  CHECK(Thread("b", 0) != Thread("a", 0));
  CHECK(Thread("c", 0) == Thread("b", 0));
}

TEST_CASE_METHOD(Fixture,
                 "A chained bolt also takes input from other components and its ticks, on its "
                 "host's thread",
                 "[chaining]") {
  // Both spouts take from the one feed, so j gets some of it from a (a call
  // on the feeder's thread) and the rest from `other` (through its queue);
  // or the feeder takes none (no task index 7) and all of it comes through
  // j's queue, whose pushes wake the feeder's idle thread.
  const std::string feeder_config =
      GENERATE(std::string("{}"), std::string("{ feeder.task.index: 7 }"));
  INFO(feeder_config);
  LocalTopology t(R"(
name: joined
config: { topology.acker.executors: 1 }
spouts:
  - { id: feeder, className: FeederSpout, config: )" +
                      feeder_config + R"( }
  - { id: other, className: FeederSpout }
bolts:
  - { id: a, className: ThreadBolt }
  - { id: j, className: ThreadBolt, config: { topology.tick.tuple.freq.secs: 1 } }
  - { id: sink, className: AckBolt }
streams:
  - { from: feeder, to: a, grouping: { type: LOCAL_OR_SHUFFLE } }
  - { from: a, to: j, grouping: { type: SHUFFLE }, chain: true }
  - { from: other, to: j, grouping: { type: SHUFFLE } }
  - { from: j, to: sink, grouping: { type: SHUFFLE } }
)",
                  clock);
  const Ids ids = Feed(1000);
  REQUIRE(t.Settle());
  CHECK(Log().acked() == ids);
  CHECK(Log().count("executed j") == 1000);
  if (feeder_config != "{}") CHECK(Log().count("executed a") == 0);
  CHECK(Log().count("thread_changed") == 0);
  CHECK(Thread("a", 0) == Thread("feeder", 0));
  CHECK(Thread("j", 0) == Thread("feeder", 0));
  CHECK(Thread("other", 0) != Thread("feeder", 0));
  t.Advance(clock, seconds(5));
  CHECK(Log().count("ticks j") == 5);
}

TEST_CASE_METHOD(Fixture,
                 "Backpressure through a chained bolt loses nothing, and fails through it reach "
                 "the spout",
                 "[chaining]") {
  SECTION("a slow sink behind a tiny queue") {
    LocalTopology t(R"(
name: pressed
config:
  topology.acker.executors: 1
  topology.executor.receive.buffer.size: 4
  topology.producer.batch.size: 2
  topology.max.spout.pending: 0
spouts: [ { id: feeder, className: FeederSpout } ]
bolts:
  - { id: a, className: ThreadBolt }
  - { id: b, className: ThreadBolt }
  - { id: slow, className: LingerBolt, config: { linger.step.millis: 1 } }
streams:
  - { from: feeder, to: a, grouping: { type: NONE } }
  - { from: a, to: b, grouping: { type: LOCAL_OR_SHUFFLE } }
  - { from: b, to: slow, grouping: { type: SHUFFLE } }
)",
                    clock);
    const Ids ids = Feed(1500);
    REQUIRE(t.Settle());
    CHECK(Log().acked() == ids);
    CHECK(Log().failed() == Ids{});
    CHECK(Log().count("executed b") == 1500);
    CHECK(Thread("b", 0) == Thread("feeder", 0));
    CHECK(Log().count("thread_changed") == 0);
  }
  SECTION("a chained bolt that fails everything") {
    LocalTopology t(R"(
name: failing
config: { topology.acker.executors: 1 }
spouts: [ { id: feeder, className: FeederSpout } ]
bolts:
  - { id: a, className: ThreadBolt }
  - { id: f, className: FailAllBolt }
streams:
  - { from: feeder, to: a, grouping: { type: LOCAL_OR_SHUFFLE } }
  - { from: a, to: f, grouping: { type: SHUFFLE }, chain: true }
)",
                    clock);
    const Ids ids = Feed(100);
    REQUIRE(t.Settle());
    CHECK(Log().failed() == ids);
    CHECK(Log().acked() == Ids{});
  }
}

}  // namespace
}  // namespace gale::testing
