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
  // A file saved before counters were added (fewer of them) loads, the new
  // ones at 0.
  thrift::StoredStats older = store.ToStored();
  older.executors[0].total.resize(StatsStore::kExecuteHistogram);
  older.executors[0].last.resize(StatsStore::kExecuteHistogram);
  for (auto& b : older.executors[0].minutes) b.values.resize(StatsStore::kExecuteHistogram);
  for (auto& b : older.executors[0].quarters) b.values.resize(StatsStore::kExecuteHistogram);
  StatsStore from_older;
  REQUIRE(from_older.FromStored(older).ok());
  CHECK(from_older.ForExecutor("t", 1, 1, ":all-time", kT0 + 61).sum[StatsStore::kEmitted] == 160);
  // Bad stored data (more counters than known) is refused, naming what.
  thrift::StoredStats bad = store.ToStored();
  bad.executors[0].total.push_back(1);
  StatsStore other;
  const Status s = other.FromStored(bad);
  CHECK(!s.ok());
  CHECK(s.message() == "1 executor(s) with a different number of counters skipped");
}

thrift::ExecutorStreamStats Stream(const std::string& component, const std::string& stream,
                                   int64_t emitted, int64_t executed = 0, int64_t execute_nanos = 0,
                                   int64_t acked = 0) {
  thrift::ExecutorStreamStats s;
  s.component = component;
  s.stream = stream;
  s.__set_emitted(emitted);
  s.__set_transferred(emitted * 2);
  s.__set_executed(executed);
  s.__set_execute_nanos(execute_nanos);
  s.__set_acked(acked);
  return s;
}

int64_t Get(const StatsStore::Window& w, bool input, const std::string& component,
            const std::string& stream, StatsStore::StreamCounter c) {
  auto it = w.streams.find({input, component, stream});
  return it == w.streams.end() ? 0 : it->second[c];
}

TEST_CASE("StatsStore keeps output streams and inputs across a worker restart", "[nimbus][stats]") {
  StatsStore store;
  auto beat = [&](int64_t incarnation, int64_t out, int64_t in, int64_t now) {
    thrift::ExecutorStats s = Cumulative(out, in, in * 1000);
    s.__set_outputs({Stream("split", "default", out)});
    s.__set_inputs({Stream("spout", "default", 0, in, in * 1000, in)});
    store.Record("t", "split", 2, 3, incarnation, s, now);
  };
  beat(1, 100, 10, kT0);
  beat(1, 300, 30, kT0 + 10);
  // The worker restarts: its streams count from 0 again, and all of it is new.
  beat(2, 50, 5, kT0 + 20);
  const auto all = store.ForComponent("t", "split", ":all-time", kT0 + 20);
  CHECK(Get(all, false, "split", "default", StatsStore::kStreamEmitted) == 350);
  CHECK(Get(all, false, "split", "default", StatsStore::kStreamTransferred) == 700);
  CHECK(Get(all, true, "spout", "default", StatsStore::kStreamExecuted) == 35);
  CHECK(Get(all, true, "spout", "default", StatsStore::kStreamAcked) == 35);
  CHECK(Get(all, true, "spout", "default", StatsStore::kStreamExecuteNanos) == 35000);
  // Outputs and inputs of the same name are kept apart.
  CHECK(Get(all, true, "split", "default", StatsStore::kStreamEmitted) == 0);
  // Ten minutes on, the 10-minute window holds none of it.
  CHECK(store.ForComponent("t", "split", "600", kT0 + 20 + 700).streams.empty());
  // Saved and loaded with the rest; the same process then adds only what is new.
  StatsStore loaded;
  REQUIRE(loaded.FromStored(store.ToStored()).ok());
  thrift::ExecutorStats s = Cumulative(60, 6, 6000);
  s.__set_outputs({Stream("split", "default", 60)});
  loaded.Record("t", "split", 2, 3, 2, s, kT0 + 30);
  CHECK(Get(loaded.ForExecutor("t", 2, 3, ":all-time", kT0 + 30), false, "split", "default",
            StatsStore::kStreamEmitted) == 360);
}

TEST_CASE("StatsStore adds latency histograms bucket by bucket", "[nimbus][stats]") {
  StatsStore store;
  thrift::ExecutorStats s = Cumulative(0);
  std::vector<int64_t> h(StatsStore::kHistogramBuckets, 0);
  h[3] = 10;
  h[15] = 1;
  s.__set_execute_histogram(h);
  store.Record("t", "c", 1, 1, 1, s, kT0);
  h[3] = 25;
  s.__set_execute_histogram(h);
  s.__set_complete_histogram({0, 4});  // a shorter list: the rest 0
  store.Record("t", "c", 1, 1, 1, s, kT0 + 5);
  const auto w = store.ForExecutor("t", 1, 1, "600", kT0 + 5);
  CHECK(w.sum[StatsStore::kExecuteHistogram + 3] == 25);
  CHECK(w.sum[StatsStore::kExecuteHistogram + 15] == 1);
  CHECK(w.sum[StatsStore::kCompleteHistogram + 1] == 4);
}

}  // namespace
}  // namespace gale::nimbus
