// Stateful word count on a real cluster (nimbus, two supervisors, two
// workers), its state in a real Redis: without failures the committed counts
// are exact; with the counters' worker SIGKILLed mid-run its tasks come back
// with their committed counts, and no word ends below its exact count (at
// least once: nothing lost).
#include "test/connectors/support/servers.h"
#include "test/state/support/word_counts.h"
#include "test/support/cluster.h"
#include "test/support/process.h"

#include <catch2/catch.hpp>

#include <signal.h>

#include <iostream>
#include <map>
#include <sstream>
#include <thread>

namespace gale::testing {
namespace {

using std::chrono::seconds;

Counts Committed(int port, const std::string& ns, const std::string& component) {
  return CommittedInRedis(port, ns, component);
}

struct StatefulWordCount {
  StatefulWordCount(TestCluster& c, int redis_port)
      : StatefulWordCount(c, "  topology.state.provider: redis\n  topology.state.redis.port: " +
                                 std::to_string(redis_port) + "\n") {}
  // `state_config`: YAML lines of the topology's config.
  StatefulWordCount(TestCluster& c, const std::string& state_config) : cluster(c) {
    const std::string corpus = c.dir().Write("corpus.txt", Corpus(2000, &exact));
    const std::string yaml = c.dir().Write(
        "wc.yaml",
        "name: swc\nconfig:\n  topology.workers: 2\n  topology.max.spout.pending: 2000\n"
        "  topology.message.timeout.secs: 5\n" +
            state_config +
            "  topology.state.checkpoint.interval.ms: 200\n"
            "plugins: [ " +
            LibDir() +
            "/libwordcount.so ]\n"
            "spouts:\n  - { id: sentences, className: SentenceSpout, config: { sentences.file: " +
            corpus +
            ", sentences.per.second: 400 } }\n"
            "bolts:\n  - { id: split, className: SplitSentence, parallelism: 2 }\n"
            "  - { id: count, className: StatefulWordCount, parallelism: 2 }\n"
            "streams:\n"
            "  - { from: sentences, to: split, grouping: { type: SHUFFLE } }\n"
            "  - { from: split, to: count, grouping: { type: FIELDS, args: [word] } }\n");
    auto r = c.Gale({"submit", yaml});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    REQUIRE(WaitFor(
        [&] {
          return Info().find("(no heartbeat yet)") == std::string::npos &&
                 Info().find("executors:") != std::string::npos;
        },
        seconds(60)));
    const std::string info = Info();
    const size_t open = info.find('('), close = info.find(')');
    REQUIRE(open != std::string::npos);
    id = info.substr(open + 1, close - open - 1);
  }
  std::string Info() { return cluster.Gale({"info", "swc"}).out; }
  // The port of the worker running `component`'s first executor.
  int PortOf(const std::string& component) {
    std::istringstream in(Info().substr(Info().find("executors:")));
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string c, tasks, where;
      if (f >> c >> tasks >> where && c == component) {
        return std::stoi(where.substr(where.rfind(':') + 1));
      }
    }
    return -1;
  }

  TestCluster& cluster;
  Counts exact;
  std::string id;
};

TEST_CASE("On a cluster, committed state is exact without failures", "[state]") {
  TestCluster cluster;
  INFO(cluster.Logs());
  RedisServer redis;
  StatefulWordCount wc(cluster, redis.port());
  const int64_t total = Total(wc.exact);
  REQUIRE(WaitFor([&] { return Total(Committed(redis.port(), wc.id, "count")) >= total; },
                  seconds(90)));
  CHECK(Committed(redis.port(), wc.id, "count") == wc.exact);
}

TEST_CASE("On a cluster, a stateful bolt's worker killed with SIGKILL comes back with its state",
          "[state]") {
  TestCluster cluster;
  INFO(cluster.Logs());
  RedisServer redis;
  StatefulWordCount wc(cluster, redis.port());
  const int64_t total = Total(wc.exact);
  // Kill the worker that counts and does not read the corpus (a restarted
  // SentenceSpout starts over, which would hide lost state), once it has
  // committed a good part.
  const int spout_port = wc.PortOf("sentences");
  int victim_port = -1;
  for (const auto& w : cluster.Workers()) {
    if (w.port != spout_port) victim_port = w.port;
  }
  REQUIRE(victim_port > 0);
  REQUIRE(wc.Info().find(":" + std::to_string(victim_port)) != std::string::npos);
  REQUIRE(WaitFor([&] { return Total(Committed(redis.port(), wc.id, "count")) > total / 3; },
                  seconds(60)));
  pid_t victim = -1;
  for (const auto& w : cluster.Workers()) {
    if (w.port == victim_port) victim = w.pid;
  }
  REQUIRE(victim > 0);
  REQUIRE(::kill(victim, SIGKILL) == 0);
  REQUIRE(WaitFor([&] { return Total(Committed(redis.port(), wc.id, "count")) >= total; },
                  seconds(120)));
  // Let replays settle, then every word has at least its exact count: what
  // was committed before the kill was kept (a task that started from zero
  // would end below, its acked inputs never coming back).
  std::this_thread::sleep_for(seconds(3));
  const Counts after = Committed(redis.port(), wc.id, "count");
  std::cerr << "[measure] committed words after the kill: " << Total(after) << " of " << total
            << " (" << Total(after) - total << " counted twice: at least once)\n";
  for (const auto& [word, n] : wc.exact) {
    INFO(word);
    CHECK(after.count(word) == 1);
    CHECK(after.at(word) >= n);
  }
  CHECK(wc.Info().find("died") != std::string::npos);  // the death is on record
}

TEST_CASE("On a cluster, a stateful bolt's state survives a rebalance (Redis)", "[state]") {
  TestCluster cluster;
  INFO(cluster.Logs());
  RedisServer redis;
  StatefulWordCount wc(cluster, redis.port());
  const int64_t total = Total(wc.exact);
  REQUIRE(WaitFor([&] { return Total(Committed(redis.port(), wc.id, "count")) > total / 4; },
                  seconds(60)));
  // A rebalance restarts every worker: SentenceSpout starts the corpus over,
  // so a state that survived ends at least `before` above the exact counts;
  // one that was lost would end near them.
  const int64_t before = Total(Committed(redis.port(), wc.id, "count"));
  auto r = cluster.Gale({"rebalance", "swc", "--workers", "1", "--wait", "0"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(WaitFor([&] { return Total(Committed(redis.port(), wc.id, "count")) >= total + before; },
                  seconds(120)));
  std::cerr << "[measure] committed words after the rebalance: "
            << Total(Committed(redis.port(), wc.id, "count")) << " (" << before
            << " before it, the corpus " << total << " more after)\n";
}

// At least once, a task whose RocksDB state is on a supervisor that is
// lost goes on without it once its worker has waited
// (topology.state.rocksdb.move.wait.secs), as Storm would, but says so:
// the worker's log names where the state is, and the task reports, once
// initialized (it counts on from there), that it is behind the last
// checkpoint.
TEST_CASE("At least once: tasks whose RocksDB state is on a lost supervisor go on and say so",
          "[state]") {
  TestCluster cluster(2, 2);
  INFO(cluster.Logs());
  StatefulWordCount wc(cluster,
                       "  topology.state.provider: rocksdb\n"
                       "  topology.state.rocksdb.move.wait.secs: 2\n");
  REQUIRE(WaitFor([&] { return wc.Info().find("executors:") != std::string::npos; }, seconds(60)));
  const auto workers = cluster.Workers();
  REQUIRE(workers.size() == 2);
  // The supervisor of the counters' first task, so that some count state is lost.
  const int count_port = wc.PortOf("count");
  std::string lost;
  for (const auto& w : workers) {
    if (w.port == count_port) lost = w.supervisor;
  }
  REQUIRE(!lost.empty());
  std::this_thread::sleep_for(seconds(3));  // a few checkpoints
  cluster.LoseSupervisor(lost);
  REQUIRE(WaitFor(
      [&] {
        return cluster.WorkerLogs().find("going on from the state on this supervisor") !=
               std::string::npos;
      },
      seconds(90)));
  const std::string logs = cluster.WorkerLogs();
  CHECK(logs.find("did not come: it is on supervisor " + lost +
                  ", which nimbus does not hear "
                  "from; at least once") != std::string::npos);
  REQUIRE(WaitFor(
      [&] { return wc.Info().find("left on a supervisor that is gone") != std::string::npos; },
      seconds(60)));
}

}  // namespace
}  // namespace gale::testing
