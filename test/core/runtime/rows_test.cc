// Batches of rows (gale/rows.h, core/runtime/README.md "Rows"): EmitRow's
// rows reach a bolt that reads batches whole, or each as a tuple; FIELDS
// sends a row where it sends a tuple of the same values; rows and tuples
// from one task to another keep their order; rows in a tuple tree travel as
// tuples and complete their trees. Whole topologies in local mode on the
// real executors, a thread each and chained.
#include "test/support/local_topology.h"
#include "test/support/test_components.h"

#include <catch2/catch.hpp>

#include <string>

namespace gale::testing {
namespace {

TestLog& Log() { return TestLog::Get(); }

struct Fixture {
  Fixture() { Log().Reset(); }
  FakeClock clock;
};

// Feeds [1] .. [n] without message ids.
void FeedUnreliable(int64_t n) {
  for (int64_t v = 1; v <= n; ++v) Log().Feed({v}, std::nullopt);
}

// feeder -> split (a RowEmitBolt) -> sink: the YAML, from what differs.
struct Split {
  std::string config = "{ topology.acker.executors: 0 }";  // the topology's
  std::string split_config = "{}";                         // RowEmitBolt's
  std::string sink = "RowCountBolt";                       // the sink's class
  std::string sink_extra = "";                             // more of its entry
  std::string grouping = "{ type: SHUFFLE }";              // split -> sink
  std::string chain = "false";                             // split -> sink
  std::string Yaml() const {
    return "name: rows\nconfig: " + config +
           "\nspouts: [ { id: feeder, className: FeederSpout } ]\nbolts:\n"
           "  - { id: split, className: RowEmitBolt, config: " +
           split_config + " }\n  - { id: sink, className: " + sink + sink_extra +
           " }\nstreams:\n  - { from: feeder, to: split, grouping: { type: SHUFFLE } }\n"
           "  - { from: split, to: sink, grouping: " +
           grouping + ", chain: " + chain + " }\n";
  }
};

TEST_CASE_METHOD(Fixture,
                 "Rows reach a bolt that reads batches in batches, every row once, and count as "
                 "rows in the stats",
                 "[runtime][rows]") {
  const std::string chain = GENERATE(std::string("false"), std::string("true"));
  INFO("chain: " << chain);
  LocalTopology t(Split{.chain = chain}.Yaml(), clock);
  FeedUnreliable(1000);
  REQUIRE(t.Settle());
  CHECK(Log().count("rows seen") == 3000);
  CHECK(Log().count("tuples seen") == 0);
  CHECK(Log().count("row_mismatch") == 0);
  for (int64_t v : {1, 500, 1000}) {
    for (int k = 0; k < 3; ++k)
      CHECK(Log().count("key " + std::to_string(v * 100 + k) + " rows at 0") == 1);
  }
  // Each input's three rows go into one batch at least (batches close at
  // the end of an input batch or when full, never inside an Execute here).
  CHECK(Log().count("row batches") > 0);
  CHECK(Log().count("row batches") <= 1000);
  CHECK(t.StatsOf("split").emitted == 3000);
  CHECK(t.StatsOf("sink").executed == 3000);
  CHECK(t.StatsOf("sink").acked == 3000);
}

TEST_CASE_METHOD(Fixture,
                 "A spout's rows go in batches, and one with a message id as a tuple whose tree "
                 "completes",
                 "[runtime][rows][acking]") {
  const std::string chain = GENERATE(std::string("false"), std::string("true"));
  INFO("chain: " << chain);
  LocalTopology t(R"(
name: spout-rows
config: { topology.acker.executors: 1 }
spouts: [ { id: feeder, className: FeederSpout, config: { feeder.rows: true } } ]
bolts: [ { id: sink, className: RowCountBolt } ]
streams:
  - { from: feeder, to: sink, grouping: { type: SHUFFLE }, chain: )" +
                      chain + R"( }
)",
                  clock);
  FeedUnreliable(500);
  for (uint64_t id = 1; id <= 20; ++id) Log().Feed({static_cast<int64_t>(id * 100)}, id);
  REQUIRE(t.Settle());
  // Unreliable rows are batched; the reliable ones travel as tuples.
  CHECK(Log().count("rows seen") == 500);
  CHECK(Log().count("tuples seen") == 20);
  CHECK(Log().count("row batches") > 0);
  CHECK(Log().count("row batches") < 500);
  CHECK(Log().acked().size() == 20);
  CHECK(t.StatsOf("feeder").emitted == 520);
  CHECK(t.StatsOf("sink").executed == 520);
}

TEST_CASE_METHOD(Fixture, "A batch of rows holds at most topology.producer.batch.rows rows",
                 "[runtime][rows]") {
  LocalTopology t(
      Split{.config = "{ topology.acker.executors: 0, topology.producer.batch.rows: 4 }",
            .split_config = "{ rows.per.input: 10 }"}
          .Yaml(),
      clock);
  FeedUnreliable(100);
  REQUIRE(t.Settle());
  CHECK(Log().count("rows seen") == 1000);
  // Ten rows an input: batches of at most 4, so at least 250 of them.
  CHECK(Log().count("row batches") >= 250);
}

TEST_CASE_METHOD(Fixture,
                 "A bolt that does not read batches gets each row as a tuple of the rows' stream",
                 "[runtime][rows]") {
  const std::string chain = GENERATE(std::string("false"), std::string("true"));
  INFO("chain: " << chain);
  LocalTopology t(Split{.sink = "RecordBolt", .chain = chain}.Yaml(), clock);
  FeedUnreliable(50);
  REQUIRE(t.Settle());
  for (int64_t v = 1; v <= 50; ++v) {
    for (int k = 0; k < 3; ++k) {
      CHECK(Log().count("seen:" + std::to_string(v * 100 + k) + ",k" + std::to_string(k)) == 1);
    }
  }
  CHECK(t.StatsOf("sink").executed == 150);
  CHECK(t.StatsOf("sink").acked == 150);
}

TEST_CASE_METHOD(Fixture,
                 "FIELDS sends each row to the task it sends a tuple of the same values to",
                 "[runtime][rows]") {
  LocalTopology t(Split{.split_config = "{ rows.mixed: true, rows.anchor: false }",
                        .sink_extra = ", parallelism: 3",
                        .grouping = "{ type: FIELDS, args: [key] }"}
                      .Yaml(),
                  clock);
  FeedUnreliable(200);
  REQUIRE(t.Settle());
  CHECK(Log().count("rows seen") == 600);
  CHECK(Log().count("tuples seen") == 600);
  int used[3] = {0, 0, 0};
  for (int64_t v = 1; v <= 200; ++v) {
    for (int k = 0; k < 3; ++k) {
      const std::string key = "key " + std::to_string(v * 100 + k);
      int tasks = 0;
      for (int task = 0; task < 3; ++task) {
        const int64_t rows = Log().count(key + " rows at " + std::to_string(task));
        const int64_t tuples = Log().count(key + " tuples at " + std::to_string(task));
        INFO(key << " task " << task);
        CHECK(rows == tuples);
        if (rows > 0) {
          ++tasks;
          ++used[task];
        }
      }
      CHECK(tasks == 1);
    }
  }
  // The keys spread over the three tasks.
  for (int n : used) CHECK(n > 0);
}

TEST_CASE_METHOD(Fixture, "Rows and tuples from one task to another arrive in the order emitted",
                 "[runtime][rows]") {
  const std::string chain = GENERATE(std::string("false"), std::string("true"));
  INFO("chain: " << chain);
  LocalTopology t(Split{.split_config = "{ rows.mixed: true, rows.anchor: false }",
                        .sink = "OrderBolt",
                        .chain = chain}
                      .Yaml(),
                  clock);
  FeedUnreliable(300);
  REQUIRE(t.Settle());
  CHECK(Log().count("order_seen") == 1800);
  CHECK(Log().count("order_violations") == 0);
}

TEST_CASE_METHOD(
    Fixture,
    "Rows anchored to a tuple in a tree travel as tuples and every tree completes, and "
    "unanchored rows are batched and their inputs' trees complete too",
    "[runtime][rows][acking]") {
  const bool anchor = GENERATE(true, false);
  INFO("rows.anchor: " << anchor);
  LocalTopology t(
      Split{.config = "{ topology.acker.executors: 1 }",
            .split_config = std::string("{ rows.anchor: ") + (anchor ? "true" : "false") + " }"}
          .Yaml(),
      clock);
  const std::vector<uint64_t> ids = Log().FeedNumbers(400);
  REQUIRE(t.Settle());
  CHECK(Log().acked() == ids);
  CHECK(Log().failed().empty());
  if (anchor) {
    CHECK(Log().count("tuples seen") == 1200);
    CHECK(Log().count("row batches") == 0);
  } else {
    CHECK(Log().count("rows seen") == 1200);
    CHECK(Log().count("row batches") > 0);
  }
  CHECK(t.StatsOf("sink").acked == 1200);
}

}  // namespace
}  // namespace gale::testing
