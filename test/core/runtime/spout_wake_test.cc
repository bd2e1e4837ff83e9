// SpoutOutputCollector::WakeAt (core/runtime/README.md, "Spout loop"): a
// spout that says when it next has something is not polled before then,
// and every tree it emits still completes (the acks of the first batch come
// while it would otherwise sleep). Whole topologies in local mode on the
// real executors.
#include "test/support/local_topology.h"
#include "test/support/test_components.h"

#include <catch2/catch.hpp>

#include <numeric>
#include <string>
#include <thread>

namespace gale::testing {
namespace {

using Ids = std::vector<uint64_t>;

TestLog& Log() { return TestLog::Get(); }

Ids Feed(uint64_t first, uint64_t n) {
  Ids ids(n);
  std::iota(ids.begin(), ids.end(), first);
  for (uint64_t id : ids) Log().Feed({static_cast<int64_t>(id)}, id);
  return ids;
}

// A FeederSpout whose empty NextTuple says it has nothing for `wake_after_ms`
// (-1: says nothing) feeding an AckBolt.
std::string WakeTopology(const std::string& name, int idle_max_ms, int wake_after_ms) {
  return "name: " + name + "\nconfig: { topology.acker.executors: 1, " +
         "topology.spout.idle.max.wait.ms: " + std::to_string(idle_max_ms) + " }\n" +
         "spouts: [ { id: feeder, className: FeederSpout, config: { feeder.wake.after.ms: " +
         std::to_string(wake_after_ms) + " } } ]\n" +
         "bolts: [ { id: sink, className: AckBolt } ]\n" +
         "streams: [ { from: feeder, to: sink, grouping: { type: SHUFFLE } } ]\n";
}

TEST_CASE(
    "A spout that says when it next has something is polled no sooner, and every tree "
    "it emits still completes",
    "[runtime][spout_wake]") {
  // The same topology with the hint (nothing for 400 ms after an empty
  // NextTuple) and without it (polled every 0.1 to 1 ms while idle).
  const bool hint = GENERATE(true, false);
  INFO("hint " << hint);
  Log().Reset();
  Ids ids = Feed(1, 200);  // before the start, so the first NextTuple finds them
  FakeClock clock;
  LocalTopology t(WakeTopology("wake", 1000, hint ? 400 : -1), clock);
  REQUIRE(t.Settle());
  CHECK(Log().acked() == ids);

  // Idle for 300 ms: polled at most once or twice with the hint, a few
  // hundred times without it (every 0.1 to 1 ms; the bound leaves room for a
  // machine busy enough to stretch each wait many times over).
  const int64_t before = Log().count("next_tuple");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const int64_t polls = Log().count("next_tuple") - before;
  if (hint) {
    CHECK(polls <= 2);
  } else {
    CHECK(polls >= 20);
  }

  // What comes while it sleeps goes out at its next wake: nothing is lost.
  const Ids more = Feed(201, 100);
  ids.insert(ids.end(), more.begin(), more.end());
  REQUIRE(t.Settle());
  CHECK(Log().acked() == ids);
  CHECK(Log().failed() == Ids{});
}

TEST_CASE("A spout sleeping until its WakeAt time sees a deactivation at once",
          "[runtime][spout_wake]") {
  // The hint is 30 s away and the executor may sleep up to 60 s at a time:
  // only the wake-up SetActive gives can bring the Deactivate call sooner.
  Log().Reset();
  // Fed before the start: the spout's first NextTuple finds them, rather
  // than hinting 30 s and sleeping through them.
  const Ids ids = Feed(1, 10);
  FakeClock clock;
  LocalTopology t(WakeTopology("wake-deactivate", 60000, 30000), clock);
  REQUIRE(t.Settle());
  CHECK(Log().acked() == ids);
  const int64_t polls = Log().count("next_tuple");
  t.runtime().SetActive(false);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (Log().count("deactivated") == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(Log().count("deactivated") == 1);
  CHECK(Log().count("next_tuple") == polls);  // not polled on the way
}

}  // namespace
}  // namespace gale::testing
