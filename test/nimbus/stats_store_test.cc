// Nimbus's statistics windows (nimbus/stats_store.h): differences between
// heartbeats, worker restarts, windows, rebalanced executors, persistence.
#include "nimbus/stats_store.h"

#include <catch2/catch.hpp>

namespace gale::nimbus {
namespace {

thrift::ExecutorStats Cumulative(int64_t emitted, int64_t executed = 0, int64_t execute_nanos = 0) {
  thrift::ExecutorStats s;
  s.emitted = emitted;
  s.executed = executed;
  s.__set_execute_nanos(execute_nanos);
  return s;
}

constexpr int64_t kT0 = 1'800'000'000;  // a minute boundary (divisible by 60 and 900)

TEST_CASE("StatsStore adds the difference between heartbeats of one worker process",
          "[nimbus][stats]") {
  StatsStore store;
  store.Record("t", "split", 2, 3, 111, Cumulative(100), kT0);
  store.Record("t", "split", 2, 3, 111, Cumulative(250), kT0 + 1);
  store.Record("t", "split", 2, 3, 111, Cumulative(250), kT0 + 2);  // nothing new
  const auto all = store.ForExecutor("t", 2, 3, ":all-time", kT0 + 2);
  CHECK(all.sum[StatsStore::kEmitted] == 250);
  CHECK(store.ForComponent("t", "split", ":all-time", kT0 + 2).sum[StatsStore::kEmitted] == 250);
  CHECK(store.ForExecutor("t", 2, 4, ":all-time", kT0).sum[StatsStore::kEmitted] == 0);
}

TEST_CASE("StatsStore counts a restarted worker's counters whole, so nothing is lost",
          "[nimbus][stats]") {
  StatsStore store;
  store.Record("t", "split", 2, 3, 111, Cumulative(100), kT0);
  // A new process (new incarnation) that already emitted more than the old.
  store.Record("t", "split", 2, 3, 222, Cumulative(150), kT0 + 1);
  CHECK(store.ForExecutor("t", 2, 3, ":all-time", kT0 + 1).sum[StatsStore::kEmitted] == 250);
  // Counters going backwards with the same incarnation: a restart too.
  store.Record("t", "split", 2, 3, 222, Cumulative(20), kT0 + 2);
  CHECK(store.ForExecutor("t", 2, 3, ":all-time", kT0 + 2).sum[StatsStore::kEmitted] == 270);
}

TEST_CASE("StatsStore windows hold only their buckets", "[nimbus][stats]") {
  StatsStore store;
  store.Record("t", "c", 1, 1, 1, Cumulative(10), kT0);
  store.Record("t", "c", 1, 1, 1, Cumulative(30), kT0 + 20 * 60);         // +20 in minute 20
  store.Record("t", "c", 1, 1, 1, Cumulative(70), kT0 + 4 * 3600);        // +40 at 4 h
  store.Record("t", "c", 1, 1, 1, Cumulative(170), kT0 + 4 * 3600 + 61);  // +100 a minute later
  const int64_t now = kT0 + 4 * 3600 + 61;
  CHECK(store.ForExecutor("t", 1, 1, "600", now).sum[StatsStore::kEmitted] == 140);
  CHECK(store.ForExecutor("t", 1, 1, "10800", now).sum[StatsStore::kEmitted] == 140);
  CHECK(store.ForExecutor("t", 1, 1, "86400", now).sum[StatsStore::kEmitted] == 170);
  CHECK(store.ForExecutor("t", 1, 1, ":all-time", now).sum[StatsStore::kEmitted] == 170);
  // Ten minutes later the 10-minute window is empty, the others are not.
  CHECK(store.ForExecutor("t", 1, 1, "600", now + 660).sum[StatsStore::kEmitted] == 0);
  CHECK(store.ForExecutor("t", 1, 1, "10800", now + 660).sum[StatsStore::kEmitted] == 140);
  CHECK(StatsStore::IsWindow(":all-time"));
  CHECK(!StatsStore::IsWindow("601"));
}

TEST_CASE("StatsStore capacity is the time spent executing over the time covered",
          "[nimbus][stats]") {
  StatsStore store;
  store.Record("t", "c", 1, 1, 1, Cumulative(0, 0, 0), kT0);
  // 30 s of executing within the first 60 s.
  store.Record("t", "c", 1, 1, 1, Cumulative(0, 1000, 30'000'000'000), kT0 + 59);
  const auto w = store.ForExecutor("t", 1, 1, "600", kT0 + 59);
  CHECK(w.covered_secs == 60);
  CHECK(w.capacity == Approx(0.5));
  store.Record("t", "c", 2, 2, 1, Cumulative(0, 0, 0), kT0);
  store.Record("t", "c", 2, 2, 1, Cumulative(0, 10, 6'000'000'000), kT0 + 59);
  // A component's capacity is its busiest executor's.
  CHECK(store.ForComponent("t", "c", "600", kT0 + 59).capacity == Approx(0.5));
}

TEST_CASE("StatsStore keeps a rebalanced component's history and forgets a killed topology",
          "[nimbus][stats]") {
  StatsStore store;
  store.Record("t", "split", 2, 2, 1, Cumulative(100), kT0);
  store.Record("t", "split", 3, 3, 1, Cumulative(50), kT0);
  // After a rebalance: one executor of both tasks, on a new worker.
  store.Record("t", "split", 2, 3, 2, Cumulative(10), kT0 + 30);
  CHECK(store.ForComponent("t", "split", ":all-time", kT0 + 30).sum[StatsStore::kEmitted] == 160);
  store.Record("u", "split", 2, 3, 1, Cumulative(7), kT0);
  store.RemoveTopology("t");
  CHECK(store.ForComponent("t", "split", ":all-time", kT0 + 30).sum[StatsStore::kEmitted] == 0);
  CHECK(store.ForComponent("u", "split", ":all-time", kT0 + 30).sum[StatsStore::kEmitted] == 7);
}

TEST_CASE("StatsStore survives a save and load, and a restarted nimbus counts no heartbeat twice",
          "[nimbus][stats]") {
  StatsStore store;
  store.Record("t", "c", 1, 1, 5, Cumulative(100), kT0);
  store.Record("t", "c", 1, 1, 5, Cumulative(160), kT0 + 61);
  CHECK(store.dirty());
  StatsStore loaded;
  REQUIRE(loaded.FromStored(store.ToStored()).ok());
  CHECK(!loaded.dirty());
  CHECK(loaded.ForExecutor("t", 1, 1, ":all-time", kT0 + 61).sum[StatsStore::kEmitted] == 160);
  CHECK(loaded.ForExecutor("t", 1, 1, "600", kT0 + 61).sum[StatsStore::kEmitted] == 160);
  // The same worker process goes on: only what is new is added.
  loaded.Record("t", "c", 1, 1, 5, Cumulative(200), kT0 + 70);
  CHECK(loaded.ForExecutor("t", 1, 1, ":all-time", kT0 + 70).sum[StatsStore::kEmitted] == 200);
  // Bad stored data is refused, naming what.
  thrift::StoredStats bad = store.ToStored();
  bad.executors[0].total.pop_back();
  StatsStore other;
  const Status s = other.FromStored(bad);
  CHECK(!s.ok());
  CHECK(s.message() == "1 executor(s) with a different number of counters skipped");
}

}  // namespace
}  // namespace gale::nimbus
