// Acking as users see it: whole topologies run in local mode on the real
// executors and acker, mirroring Storm's TopologyIntegrationTest.
#include "core/runtime/executor.h"
#include "test/support/local_topology.h"
#include "test/support/test_components.h"

#include <catch2/catch.hpp>

#include <thread>

namespace gale::testing {
namespace {

using Ids = std::vector<uint64_t>;
using std::chrono::seconds;

TestLog& Log() { return TestLog::Get(); }

struct Fixture {
  Fixture() { Log().Reset(); }
  FakeClock clock;
};

TEST_CASE_METHOD(Fixture,
                 "A tree completes only when every branch is acked, through an "
                 "aggregating bolt that anchors one output to three inputs",
                 "[acking]") {
  LocalTopology t(R"(
name: acking
config: { topology.acker.executors: 1 }
spouts: [ { id: feeder, className: FeederSpout } ]
bolts:
  - { id: branch, className: BranchingBolt, config: { branch.count: 2 } }
  - { id: agg, className: AggBolt, config: { agg.count: 3 } }
  - { id: ack, className: AckBolt }
streams:
  - { from: feeder, to: branch, grouping: { type: SHUFFLE } }
  - { from: branch, to: agg, grouping: { type: GLOBAL } }
  - { from: agg, to: ack, grouping: { type: SHUFFLE } }
)",
                  clock);
  Log().Feed({"a"}, 1);
  REQUIRE(t.Settle());
  CHECK(Log().acked() == Ids{});  // agg holds both branches of tree 1
  Log().Feed({"b"}, 2);
  REQUIRE(t.Settle());
  CHECK(Log().acked() == Ids{1});  // agg aggregated 1a, 1b, 2a; 2b is held
  Log().Feed({"c"}, 3);
  REQUIRE(t.Settle());
  CHECK(Log().acked() == Ids{1, 2, 3});
  CHECK(Log().failed() == Ids{});
  CHECK(Log().count("ack_bolt_executed") == 2);
}

TEST_CASE_METHOD(Fixture, "A tree that branches into two bolts completes when both branches do",
                 "[acking]") {
  LocalTopology t(R"(
name: branching
spouts: [ { id: feeder, className: FeederSpout } ]
bolts:
  - { id: left, className: IdentityBolt }
  - { id: right, className: IdentityBolt }
  - { id: agg, className: AggBolt, config: { agg.count: 4 } }
  - { id: ack, className: AckBolt }
streams:
  - { from: feeder, to: left, grouping: { type: SHUFFLE } }
  - { from: feeder, to: right, grouping: { type: SHUFFLE } }
  - { from: left, to: agg, grouping: { type: GLOBAL } }
  - { from: right, to: agg, grouping: { type: GLOBAL } }
  - { from: agg, to: ack, grouping: { type: GLOBAL } }
)",
                  clock);
  Log().Feed({"a"}, 1);
  REQUIRE(t.Settle());
  CHECK(Log().acked() == Ids{});
  Log().Feed({"b"}, 2);
  REQUIRE(t.Settle());
  CHECK(Log().acked() == Ids{1, 2});
}

TEST_CASE_METHOD(Fixture, "Anchoring one output to the same input twice still completes the tree",
                 "[acking]") {
  LocalTopology t(R"(
name: dup-anchor
spouts: [ { id: feeder, className: FeederSpout } ]
bolts:
  - { id: dup, className: DupAnchorBolt }
  - { id: ack, className: AckBolt }
streams:
  - { from: feeder, to: dup, grouping: { type: SHUFFLE } }
  - { from: dup, to: ack, grouping: { type: SHUFFLE } }
)",
                  clock);
  Log().Feed({"a"}, 1);
  Log().Feed({"b"}, 2);
  REQUIRE(t.Settle());
  CHECK(Log().acked() == Ids{1, 2});
  CHECK(Log().failed() == Ids{});
}

TEST_CASE_METHOD(Fixture,
                 "A fail or an exception anywhere in the tree reaches the spout's Fail "
                 "with that message id",
                 "[acking]") {
  LocalTopology t(R"(
name: fail
spouts: [ { id: feeder, className: FeederSpout } ]
bolts:
  - { id: forward, className: IdentityBolt, parallelism: 2 }
  - { id: judge, className: FailValueBolt, parallelism: 2 }
streams:
  - { from: feeder, to: forward, grouping: { type: SHUFFLE } }
  - { from: forward, to: judge, grouping: { type: FIELDS, args: [value] } }
)",
                  clock);
  Log().Feed({"ok"}, 11);
  Log().Feed({"fail"}, 12);
  Log().Feed({"ok"}, 13);
  Log().Feed({"throw"}, 14);
  REQUIRE(t.Settle());
  CHECK(Log().acked() == Ids{11, 13});
  CHECK(Log().failed() == Ids{12, 14});
  const auto judge = t.StatsOf("judge");
  CHECK(judge.failed == 2);
  REQUIRE(judge.error_count == 1);
  CHECK(judge.last_errors.at(0).message == "poison value 'throw'");
  CHECK(t.StatsOf("feeder").failed == 2);
  CHECK(t.StatsOf("feeder").acked == 2);
}

TEST_CASE_METHOD(Fixture,
                 "A tree whose tuple is never acked fails after the message timeout, "
                 "not before",
                 "[acking]") {
  LocalTopology t(R"(
name: timeout
config: { topology.message.timeout.secs: 10 }
spouts: [ { id: feeder, className: FeederSpout } ]
bolts: [ { id: every-other, className: AckEveryOtherBolt } ]
streams: [ { from: feeder, to: every-other, grouping: { type: GLOBAL } } ]
)",
                  clock);
  Log().Feed({"a"}, 1);
  Log().Feed({"b"}, 2);
  Log().Feed({"c"}, 3);
  REQUIRE(t.Settle());
  CHECK(Log().acked() == Ids{1, 3});
  t.Advance(clock, seconds(9));
  CHECK(Log().failed() == Ids{});
  // Two spout buckets rotated every 10 s: it fails between 10 and 20 s.
  t.Advance(clock, seconds(12));
  CHECK(Log().failed() == Ids{2});
  CHECK(Log().acked() == Ids{1, 3});
  CHECK(t.StatsOf("feeder").failed == 1);
}

TEST_CASE_METHOD(Fixture, "ResetTimeout keeps a slow tree alive past the message timeout",
                 "[acking]") {
  SECTION("a bolt that resets the timeout on every tick, then acks") {
    LocalTopology t(R"(
name: reset-timeout
config: { topology.message.timeout.secs: 10 }
spouts: [ { id: feeder, className: FeederSpout } ]
bolts:
  - id: slow
    className: HoldBolt
    config: { hold.reset.ticks: 7, topology.tick.tuple.freq.secs: 4 }
streams: [ { from: feeder, to: slow, grouping: { type: GLOBAL } } ]
)",
                    clock);
    Log().Feed({"a"}, 1);
    REQUIRE(t.Settle());
    t.Advance(clock, seconds(26));  // six resets, at 4, 8, ... 24 s
    CHECK(Log().count("resets") == 6);
    CHECK(Log().failed() == Ids{});
    CHECK(Log().acked() == Ids{});
    t.Advance(clock, seconds(4));  // the 7th tick acks it
    CHECK(Log().acked() == Ids{1});
    t.Advance(clock, seconds(30));
    CHECK(Log().failed() == Ids{});
  }
  SECTION("the same bolt without resets lets the tree time out") {
    LocalTopology t(R"(
name: no-reset
config: { topology.message.timeout.secs: 10 }
spouts: [ { id: feeder, className: FeederSpout } ]
bolts: [ { id: slow, className: HoldBolt } ]
streams: [ { from: feeder, to: slow, grouping: { type: GLOBAL } } ]
)",
                    clock);
    Log().Feed({"a"}, 1);
    REQUIRE(t.Settle());
    t.Advance(clock, seconds(21));
    CHECK(Log().failed() == Ids{1});
  }
}

// Waits (at most `limit`) until the spout has seen an ack or a fail.
void WaitForOutcome(std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (Log().acked().empty() && Log().failed().empty() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

TEST_CASE(
    "ResetTimeout and Fail reach the acker while Execute is still running "
    "(Storm's test-reset-timeout)",
    "[acking]") {
  // Real time. The message timeout T is 1.5 s; the spout's two buckets
  // rotate every T, so a tree fails between T and 2T after its emit or its
  // last reset. The bolt works 0.8 T, resets, 0.8 T, resets, 0.8 T, acks:
  // 2.4 T in one Execute. Only resets that arrive as they are made keep the
  // tree (the ack comes 0.8 T after the last one); resets held back until
  // Execute returns arrive with the ack, after the tree failed.
  const bool hosted = GENERATE(true, false);
  CAPTURE(hosted);
  Log().Reset();
  const std::string placement =
      std::string("topology.acker.in.spout.executor: ") + (hosted ? "true" : "false");
  SECTION("two resets during a 2.4 T Execute keep the tree until its ack") {
    LocalTopology t(
        "name: reset-in-execute\nconfig: { topology.message.timeout.secs: 1.5, " + placement + R"( }
spouts: [ { id: feeder, className: FeederSpout } ]
bolts:
  - { id: slow, className: LingerBolt, config: { linger.step.millis: 1200, linger.resets: 2 } }
streams: [ { from: feeder, to: slow, grouping: { type: GLOBAL } } ]
)",
        SystemClock::Get());
    Log().Feed({"a"}, 1);
    WaitForOutcome(seconds(20));
    CHECK(Log().count("linger_resets") == 2);
    CHECK(Log().acked() == Ids{1});
    CHECK(Log().failed() == Ids{});
  }
  SECTION("a fail reaches the spout before Execute returns") {
    // No timeouts: only the bolt's fail can fail the tree.
    LocalTopology t("name: fail-in-execute\nconfig: { topology.enable.message.timeouts: false, " +
                        placement + R"( }
spouts: [ { id: feeder, className: FeederSpout } ]
bolts: [ { id: slow, className: LingerBolt, config: { linger.fail: true } } ]
streams: [ { from: feeder, to: slow, grouping: { type: GLOBAL } } ]
)",
                    SystemClock::Get());
    Log().Feed({"a"}, 1);
    WaitForOutcome(seconds(20));
    CHECK(Log().failed() == Ids{1});
    // The bolt saw it from inside Execute (it waits up to 10 s for it).
    REQUIRE(t.Settle());
    CHECK(Log().count("fail_seen_in_execute") == 1);
  }
}

TEST_CASE_METHOD(Fixture,
                 "Resets reach the acker while Execute runs even when the acker's "
                 "queue is full",
                 "[acking]") {
  // Every queue holds one tuple and every batch is one tuple. The spout is
  // held in NextTuple, so it reads no input: the acker's first forwarded
  // reset fills the spout's queue, the next one blocks the acker, its queue
  // fills, and the bolt's later resets are refused by it. They must still
  // reach the acker (it drains once the spout reads again) while the bolt
  // is still in Execute.
  constexpr int kResets = 10;
  LocalTopology t(R"(
name: reset-into-full-acker
config:
  topology.acker.executors: 1
  topology.acker.in.spout.executor: false
  topology.enable.message.timeouts: false
  topology.executor.receive.buffer.size: 1
  topology.producer.batch.size: 1
spouts: [ { id: feeder, className: FeederSpout, config: { feeder.hold.after: 1 } } ]
bolts: [ { id: burst, className: ResetBurstBolt, config: { burst.resets: 10 } } ]
streams: [ { from: feeder, to: burst, grouping: { type: GLOBAL } } ]
)",
                  clock);
  Log().Feed({"a"}, 1);
  auto wait_for = [](auto done) {
    const auto deadline = std::chrono::steady_clock::now() + seconds(10);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return done();
  };
  CHECK(wait_for([] { return Log().count("burst_done") == 1; }));
  Log().Count("release_spout");
  // The init and every reset, executed by the acker while the bolt waits.
  CHECK(wait_for([&] { return t.StatsOf("__acker").executed == 1 + kResets; }));
  CHECK(Log().acked() == Ids{});
  Log().Count("release_bolt");
  CHECK(wait_for([] { return Log().acked() == Ids{1}; }));
  // The acker counts an input batch after its emits went out: wait for it.
  CHECK(wait_for([&] { return t.StatsOf("__acker").executed == 2 + kResets; }));
}

TEST_CASE_METHOD(Fixture,
                 "A bolt refused mid-batch executes the rest of its input later in "
                 "order and once each",
                 "[acking]") {
  // Queues of one tuple (one batch), batches of 8: `branch` pops 8 inputs
  // at a time, is refused by `sink` after one or two of them, over and
  // over, and goes on where it stopped.
  LocalTopology t(R"(
name: resume-in-order
config: { topology.executor.receive.buffer.size: 1, topology.producer.batch.size: 8 }
spouts: [ { id: feeder, className: FeederSpout } ]
bolts:
  - { id: branch, className: BranchingBolt, config: { branch.count: 5 } }
  - { id: sink, className: OrderBolt }
streams:
  - { from: feeder, to: branch, grouping: { type: GLOBAL } }
  - { from: branch, to: sink, grouping: { type: GLOBAL } }
)",
                  clock);
  const Ids all = Log().FeedNumbers(300);
  REQUIRE(t.Settle());
  CHECK(Log().count("order_seen") == 1500);
  CHECK(Log().count("order_violations") == 0);
  CHECK(Log().acked() == all);
  CHECK(t.StatsOf("branch").executed == 300);
}

TEST_CASE_METHOD(Fixture,
                 "Unanchored emits are not tracked: a failure after them never reaches "
                 "the spout",
                 "[acking]") {
  LocalTopology t(R"(
name: unanchored
spouts: [ { id: feeder, className: FeederSpout } ]
bolts:
  - { id: forward, className: UnanchoredForwardBolt }
  - { id: sink, className: FailAllBolt }
streams:
  - { from: feeder, to: forward, grouping: { type: SHUFFLE } }
  - { from: forward, to: sink, grouping: { type: SHUFFLE } }
)",
                  clock);
  Log().Feed({"a"}, 1);
  Log().Feed({"b"}, 2);
  REQUIRE(t.Settle());
  CHECK(Log().count("fail_all_executed") == 2);
  CHECK(Log().acked() == Ids{1, 2});
  CHECK(Log().failed() == Ids{});
}

TEST_CASE_METHOD(Fixture, "With zero acker executors every reliable emit is acked at once",
                 "[acking]") {
  LocalTopology t(R"(
name: no-ackers
config: { topology.acker.executors: 0 }
spouts: [ { id: feeder, className: FeederSpout } ]
bolts: [ { id: sink, className: FailAllBolt } ]
streams: [ { from: feeder, to: sink, grouping: { type: SHUFFLE } } ]
)",
                  clock);
  Log().Feed({"a"}, 1);
  Log().Feed({"b"}, 2);
  REQUIRE(t.Settle());
  CHECK(Log().acked() == Ids{1, 2});
  CHECK(Log().failed() == Ids{});
  for (const auto& c : t.runtime().Stats()) CHECK(c.component != "__acker");
}

TEST_CASE_METHOD(Fixture,
                 "An acker on the spout executor's thread (the default) and one on an "
                 "executor of its own track trees alike and report the same stats",
                 "[acking]") {
  const bool hosted = GENERATE(true, false);
  CAPTURE(hosted);
  LocalTopology t(std::string(R"(
name: acker-placement
config: { topology.acker.executors: 1, topology.acker.in.spout.executor: )") +
                      (hosted ? "true" : "false") + R"( }
spouts: [ { id: feeder, className: FeederSpout } ]
bolts:
  - { id: forward, className: IdentityBolt }
  - { id: judge, className: FailValueBolt }
streams:
  - { from: feeder, to: forward, grouping: { type: SHUFFLE } }
  - { from: forward, to: judge, grouping: { type: SHUFFLE } }
)",
                  clock);
  Log().Feed({"ok"}, 1);
  Log().Feed({"fail"}, 2);
  Log().Feed({"ok"}, 3);
  REQUIRE(t.Settle());
  CHECK(Log().acked() == Ids{1, 3});
  CHECK(Log().failed() == Ids{2});
  // Per tree: the init, forward's ack, then judge's ack or fail.
  CHECK(t.StatsOf("__acker").executed == 9);
  CHECK(t.StatsOf("feeder").acked == 2);
  CHECK(t.StatsOf("feeder").failed == 1);
  int acker_executors = 0, reports = 0;
  for (const auto& c : t.runtime().Stats()) {
    if (c.component == "__acker") acker_executors = c.executors;
  }
  for (const auto& r : t.runtime().ExecutorReports()) reports += r.component == "__acker";
  CHECK(acker_executors == 1);
  CHECK(reports == 1);
}

TEST_CASE_METHOD(Fixture,
                 "A bolt's acks reach the acker in packs, its acks of one tree in a row as "
                 "one, and the acker counts the acks it applied",
                 "[acking]") {
  const bool hosted = GENERATE(true, false);
  CAPTURE(hosted);
  // Each tree: `branch` acks the root and emits three children anchored to
  // it, which `ack` gets in a row and acks in a row.
  LocalTopology t(std::string(R"(
name: acker-packs
config: { topology.acker.executors: 1, topology.producer.batch.size: 256,
          topology.acker.in.spout.executor: )") +
                      (hosted ? "true" : "false") + R"( }
spouts: [ { id: feeder, className: FeederSpout } ]
bolts:
  - { id: branch, className: BranchingBolt, config: { branch.count: 3 } }
  - { id: ack, className: AckBolt }
streams:
  - { from: feeder, to: branch, grouping: { type: SHUFFLE } }
  - { from: branch, to: ack, grouping: { type: SHUFFLE } }
)",
                  clock);
  const Ids all = Log().FeedNumbers(20);
  REQUIRE(t.Settle());
  CHECK(Log().acked() == all);
  CHECK(Log().count("ack_bolt_executed") == 60);
  // Per tree: the init, branch's ack, and ack's three acks XORed into one.
  CHECK(t.StatsOf("__acker").executed == 60);
}

TEST_CASE_METHOD(Fixture,
                 "Trees of a spout executor that does not host the acker complete "
                 "through the one that does",
                 "[acking]") {
  // Two spout executors, one acker: the first spout executor runs it, and
  // only the second one emits.
  LocalTopology t(R"(
name: shared-acker
config: { topology.acker.executors: 1, topology.message.timeout.secs: 10 }
spouts: [ { id: feeder, className: FeederSpout, parallelism: 2, config: { feeder.task.index: 1 } } ]
bolts: [ { id: judge, className: FailValueBolt } ]
streams: [ { from: feeder, to: judge, grouping: { type: SHUFFLE } } ]
)",
                  clock);
  for (uint64_t i = 1; i <= 20; ++i) Log().Feed({i % 5 == 0 ? "fail" : "ok"}, i);
  REQUIRE(t.Settle());
  CHECK(Log().acked().size() == 16);
  CHECK(Log().failed() == Ids{5, 10, 15, 20});
  CHECK(t.StatsOf("__acker").executed == 40);
  t.Advance(clock, seconds(30));  // nothing pending: no timeouts either
  CHECK(Log().failed() == Ids{5, 10, 15, 20});
}

TEST_CASE_METHOD(Fixture, "topology.max.spout.pending bounds the trees in flight per spout task",
                 "[acking]") {
  LocalTopology t(R"(
name: max-pending
config: { topology.max.spout.pending: 3 }
spouts: [ { id: feeder, className: FeederSpout } ]
bolts: [ { id: hold, className: HoldBolt } ]
streams: [ { from: feeder, to: hold, grouping: { type: SHUFFLE } } ]
)",
                  clock);
  for (uint64_t i = 1; i <= 10; ++i) Log().Feed({"x"}, i);
  const auto deadline = std::chrono::steady_clock::now() + seconds(10);
  while (Log().count("consumed") < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  // The spout keeps being offered NextTuple calls only while below the cap.
  const int64_t calls = Log().count("next_tuple");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(Log().count("consumed") == 3);
  CHECK(Log().count("max_pending") == 3);
  CHECK(Log().count("next_tuple") == calls);
}

TEST_CASE_METHOD(Fixture, "Tick tuples reach every task of a component at its frequency",
                 "[acking]") {
  LocalTopology t(R"(
name: ticks
spouts: [ { id: feeder, className: FeederSpout } ]
bolts:
  - { id: ticked, className: TickCountBolt, parallelism: 2, config: { topology.tick.tuple.freq.secs: 2 } }
streams: [ { from: feeder, to: ticked, grouping: { type: SHUFFLE } } ]
)",
                  clock);
  REQUIRE(t.Settle());
  t.Advance(clock, seconds(10));
  CHECK(Log().count("ticks") == 10);  // 5 ticks x 2 tasks
  CHECK(Log().count("tick_value") == 2);
}

TEST_CASE_METHOD(Fixture,
                 "On the system clock the tick timer sleeps until a tick is due, not every 10 ms",
                 "[acking]") {
  // It polled every 10 ms (100 wake-ups a second per worker, a third of an
  // idle cluster's CPU). Ticks every 0.2 s, and no load samples (the
  // load-aware shuffle off), so only the ticks wake it: a round each.
  LocalTopology t(R"(
name: ticks
config: { topology.disable.loadaware.messaging: true }
spouts: [ { id: feeder, className: FeederSpout } ]
bolts:
  - { id: ticked, className: TickCountBolt, config: { topology.tick.tuple.freq.secs: 0.2 } }
streams: [ { from: feeder, to: ticked, grouping: { type: SHUFFLE } } ]
)",
                  SystemClock::Get());
  const uint64_t rounds0 = t.runtime().timer_rounds();
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + seconds(10);
  while (Log().count("ticks") < 5 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const uint64_t rounds = t.runtime().timer_rounds() - rounds0;
  INFO(rounds << " timer rounds and " << Log().count("ticks") << " ticks in " << secs << " s");
  REQUIRE(Log().count("ticks") >= 5);
  // The fifth tick is due 1 s after the start: a timer that woke only for
  // its 1 s cap would need 5.
  CHECK(secs < 3);
  // About a round per tick: far from the 100 a second of a 10 ms poll.
  CHECK(static_cast<double>(rounds) < 20 * secs);
}

TEST_CASE_METHOD(Fixture,
                 "A bolt's ComponentConfiguration asks for its ticks, and the file's key wins",
                 "[acking]") {
  LocalTopology t(R"(
name: ticks
spouts: [ { id: feeder, className: FeederSpout } ]
bolts:
  - { id: own, className: SelfTickingBolt }
  - { id: file, className: SelfTickingBolt, config: { topology.tick.tuple.freq.secs: 2 } }
streams:
  - { from: feeder, to: own, grouping: { type: SHUFFLE } }
  - { from: feeder, to: file, grouping: { type: SHUFFLE } }
)",
                  clock);
  REQUIRE(t.Settle());
  t.Advance(clock, seconds(10));
  // Every 5 s for `own` (its code's), every 2 s for `file` (the file's).
  CHECK(Log().count("ticks") == 2 + 5);
  CHECK(Log().count("tick_value") == 5);
}

TEST_CASE("WithResidue picks the acker index and keeps the id in range", "[runtime]") {
  CHECK(runtime::WithResidue(100, 7, 3) == 101);  // 100 = 14 * 7 + 2 -> 14 * 7 + 3
  for (uint64_t n : {1u, 2u, 3u, 7u, 10u}) {
    for (uint64_t r :
         {uint64_t{0}, uint64_t{12345}, ~uint64_t{0}, ~uint64_t{0} - 1, ~uint64_t{0} - 5}) {
      for (uint64_t want = 0; want < n; ++want) {
        const uint64_t root = runtime::WithResidue(r, n, want);
        CHECK(root % n == want);
        // Only the residue changed: within one stride of r.
        CHECK((root > r ? root - r : r - root) < n);
      }
    }
  }
}

}  // namespace
}  // namespace gale::testing
