// Exactly once (core/state/README.md): the word count whose spout is a
// StatefulSentenceSpout. On a real cluster (nimbus, two supervisors with
// one slot each, two workers), while a worker is SIGKILLed every few
// seconds, the committed counts end equal to the corpus's exact counts, in
// a real Redis and in RocksDB on the supervisors' disks; in Redis they are
// never above them on the way. Under `gale local`, a splitter that fails
// tuples makes every task roll back and replay, and the counts are exact.
#include "connectors/postgres/pg_client.h"
#include "test/connectors/support/servers.h"
#include "test/state/support/word_counts.h"
#include "test/support/cluster.h"
#include "test/support/process.h"

#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace gale::testing {
namespace {

using std::chrono::seconds;

constexpr const char* kNamespace = "eo";

// Column `col` (0: the component) of `component`'s row in the summary
// table `gale local` prints at the end; -1 when there is none.
int64_t SummaryColumn(const std::string& out, const std::string& component, int col) {
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream row(line);
    std::vector<std::string> f;
    for (std::string x; row >> x;) f.push_back(x);
    if (f.size() > static_cast<size_t>(col) && f[0] == component && f[1] == "bolt") {
      return std::stoll(f[static_cast<size_t>(col)]);
    }
  }
  return -1;
}

// The topology, submitted to `cluster` with `state_config` (YAML lines).
struct ExactlyOnceWordCount {
  // `sink`: more bolts (YAML list items) and `sink_streams` their streams.
  // `running`: the workers to wait for after the submit.
  ExactlyOnceWordCount(TestCluster& c, const std::string& state_config,
                       const std::string& sink = "", const std::string& sink_streams = "",
                       size_t running = 2)
      : cluster(c) {
    const std::string corpus = c.dir().Write("corpus.txt", Corpus(6000, &exact));
    report = c.dir().path() + "/report.txt";
    const std::string yaml = c.dir().Write(
        "eo.yaml",
        "name: eo\nconfig:\n  topology.workers: 2\n  topology.message.timeout.secs: 4\n"
        "  topology.state.checkpoint.interval.ms: 200\n  topology.state.namespace: " +
            std::string(kNamespace) + "\n" + state_config + "plugins: [ " + LibDir() +
            "/libwordcount.so, " + LibDir() +
            "/libgale_postgres.so ]\n"
            "spouts:\n  - { id: sentences, className: StatefulSentenceSpout, parallelism: 2, "
            "config: { sentences.file: " +
            corpus +
            ", sentences.per.second: 150 } }\n"
            "bolts:\n  - { id: split, className: SplitSentence, parallelism: 2 }\n"
            "  - { id: count, className: StatefulWordCount, parallelism: 2 }\n"
            "  - { id: report, className: ReportBolt, config: { report.file: " +
            report + ", topology.tick.tuple.freq.secs: 1 } }\n" + sink +
            "streams:\n"
            "  - { from: sentences, to: split, grouping: { type: SHUFFLE } }\n"
            "  - { from: split, to: count, grouping: { type: FIELDS, args: [word] } }\n"
            "  - { from: count, to: report, grouping: { type: GLOBAL } }\n" +
            sink_streams);
    auto r = c.Gale({"submit", yaml});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    REQUIRE(WaitFor([&] { return c.Workers().size() == running; }, seconds(60)));
  }

  // SIGKILLs one of the two workers every `every`, taking turns, `kills`
  // times (waiting, bounded, for both to run before each kill).
  void KillWorkers(int kills, seconds every) {
    for (int k = 0; k < kills; ++k) {
      std::this_thread::sleep_for(every);
      // On failure the cluster prints itself as it is then (TestCluster).
      INFO("kill " << k);
      REQUIRE(WaitFor([&] { return cluster.Workers().size() == 2; }, seconds(30)));
      auto workers = cluster.Workers();
      std::sort(workers.begin(), workers.end(),
                [](const WorkerProcess& a, const WorkerProcess& b) { return a.port < b.port; });
      const WorkerProcess& victim = workers[static_cast<size_t>(k % 2)];
      REQUIRE(::kill(victim.pid, SIGKILL) == 0);
      std::cerr << "[measure] SIGKILLed worker " << victim.pid << " (port " << victim.port << ")\n";
    }
  }

  bool ReportExact() const { return CountsFile(report) == exact; }

  // Kills the topology and waits until its workers are gone (and with them
  // their hold on the RocksDB databases).
  void Kill() {
    auto r = cluster.Gale({"kill", "eo", "--wait", "0"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    REQUIRE(WaitFor([&] { return cluster.Workers().empty(); }, seconds(60)));
  }

  // Moves every task to one worker: the workers restart, and each task
  // finds its state where it left it.
  void RebalanceToOneWorker() {
    auto r = cluster.Gale({"rebalance", "eo", "--workers", "1", "--wait", "0"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    REQUIRE(WaitFor([&] { return cluster.Workers().size() == 1; }, seconds(60)));
    std::cerr << "[measure] rebalanced to one worker\n";
  }

  TestCluster& cluster;
  Counts exact;
  std::string report;
};

TEST_CASE("Exactly once: Redis state ends exact while workers are SIGKILLed every few seconds",
          "[state]") {
  TestCluster cluster(2, 1);
  INFO(cluster.Logs());
  RedisServer redis;
  const int port = redis.port();
  ExactlyOnceWordCount wc(cluster,
                          "  topology.state.provider: redis\n"
                          "  topology.state.redis.port: " +
                              std::to_string(port) + "\n");
  // Never above the exact counts, at any time (sampled while it runs).
  int64_t above = 0;
  auto sample = [&] {
    const Counts now = CommittedInRedis(port, kNamespace, "count");
    for (const auto& [word, n] : now) above = std::max(above, n - wc.exact[word]);
    return now;
  };
  wc.KillWorkers(4, seconds(3));
  wc.RebalanceToOneWorker();
  REQUIRE(WaitFor([&] { return sample() == wc.exact; }, seconds(180)));
  INFO(cluster.WorkerLogs());
  CHECK(above == 0);
  // It stays exact: nothing is replayed into it afterwards.
  std::this_thread::sleep_for(seconds(2));
  CHECK(sample() == wc.exact);
  CHECK(above == 0);
  const std::string info = cluster.Gale({"info", "eo"}).out;
  CHECK(info.find("died") != std::string::npos);  // the kills are on record
}

TEST_CASE("Exactly once: RocksDB state ends exact while workers are SIGKILLed every few seconds",
          "[state]") {
  TestCluster cluster(2, 1);
  INFO(cluster.Logs());
  ExactlyOnceWordCount wc(cluster, "  topology.state.provider: rocksdb\n");
  wc.KillWorkers(4, seconds(3));
  // The report bolt sees the counts the counters emit; once they are exact
  // the last checkpoint (every 200 ms) commits them.
  REQUIRE(WaitFor([&] { return wc.ReportExact(); }, seconds(180)));
  std::this_thread::sleep_for(seconds(5));
  wc.Kill();
  // Each worker's tasks committed to its supervisor's disk.
  const Counts committed = CommittedInRocksDb(
      {cluster.dir().path() + "/sup1/state", cluster.dir().path() + "/sup2/state"}, kNamespace,
      "count");
  INFO(cluster.WorkerLogs());
  CHECK(committed == wc.exact);
}

// Two workers on one supervisor: each task has a RocksDB database of its
// own on that disk, so the two processes do not fight over one; after a
// rebalance to one worker the tasks open their databases there.
TEST_CASE("Exactly once: two workers of one supervisor keep RocksDB state through a rebalance",
          "[state]") {
  TestCluster cluster(1, 2);
  INFO(cluster.Logs());
  ExactlyOnceWordCount wc(cluster, "  topology.state.provider: rocksdb\n");
  // Both workers make progress (with one database for the two processes,
  // the second could not open it, and its tasks would hold everything up).
  REQUIRE(WaitFor([&] { return Total(CountsFile(wc.report)) > Total(wc.exact) / 3; }, seconds(60)));
  wc.RebalanceToOneWorker();
  REQUIRE(WaitFor([&] { return wc.ReportExact(); }, seconds(180)));
  std::this_thread::sleep_for(seconds(5));
  wc.Kill();
  INFO(cluster.WorkerLogs());
  CHECK(CommittedInRocksDb({cluster.dir().path() + "/sup1/state"}, kNamespace, "count") ==
        wc.exact);
}

// Each supervisor keeps its tasks' RocksDB state on its own disk: a
// rebalance from two workers (one per supervisor) to one moves half the
// tasks, and their databases with them (nimbus/state_mover.h), and back to
// two moves some again, while workers are SIGKILLed. Without the move, a
// task would find no state on its new supervisor, and exactly once would
// refuse to go on. At the end each task's state is on one disk only (a
// supervisor empties what it sent), and the counts are exact.
TEST_CASE("Exactly once: RocksDB state moves with its tasks to another supervisor", "[state]") {
  TestCluster cluster(2, 1);
  INFO(cluster.Logs());
  ExactlyOnceWordCount wc(cluster, "  topology.state.provider: rocksdb\n");
  wc.KillWorkers(2, seconds(3));
  wc.RebalanceToOneWorker();
  const int64_t total = Total(wc.exact);
  REQUIRE(WaitFor([&] { return Total(CountsFile(wc.report)) > total / 2; }, seconds(120)));
  auto r = cluster.Gale({"rebalance", "eo", "--workers", "2", "--wait", "0"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(WaitFor([&] { return cluster.Workers().size() == 2; }, seconds(60)));
  std::cerr << "[measure] rebalanced to two workers\n";
  REQUIRE(WaitFor([&] { return wc.ReportExact(); }, seconds(180)));
  std::this_thread::sleep_for(seconds(5));
  const std::string info = cluster.Gale({"info", "eo"}).out;
  INFO(info);
  CHECK(info.find("left on another machine") == std::string::npos);
  wc.Kill();
  INFO(cluster.WorkerLogs());
  auto moves = [&] {
    const std::string logs = cluster.WorkerLogs();
    size_t n = 0;
    for (size_t at = logs.find("moved here ("); at != std::string::npos;
         at = logs.find("moved here (", at + 1)) {
      ++n;
    }
    return n;
  };
  const size_t moved = moves();
  std::cerr << "[measure] task states moved between supervisors: " << moved << "\n";
  CHECK(moved > 0);
  const std::string sup1 = cluster.dir().path() + "/sup1/state",
                    sup2 = cluster.dir().path() + "/sup2/state";
  CHECK(CommittedInRocksDb({sup1, sup2}, kNamespace, "count") == wc.exact);

  // Killed and submitted again under the same namespace, on one worker: the
  // state of the tasks that ran on the other supervisor follows them (every
  // line was read: nothing new is counted), and ends on that one disk.
  std::ifstream in(cluster.dir().path() + "/eo.yaml");
  std::string yaml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // One acker fewer (one per worker by default) shifts every task id after
  // it: state is kept by a task's index in its component, which stays.
  yaml.replace(yaml.find("topology.workers: 2"), 19, "topology.workers: 1");
  r = cluster.Gale({"submit", cluster.dir().Write("eo-one.yaml", yaml)});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(WaitFor([&] { return cluster.Workers().size() == 1; }, seconds(60)));
  REQUIRE(WaitFor([&] { return moves() > moved; }, seconds(60)));
  std::this_thread::sleep_for(seconds(3));  // checkpoints commit after the move
  const std::string again = cluster.Gale({"info", "eo"}).out;
  INFO(again);
  CHECK(again.find("left on another machine") == std::string::npos);
  wc.Kill();
  const Counts one = CommittedInRocksDb({sup1}, kNamespace, "count"),
               two = CommittedInRocksDb({sup2}, kNamespace, "count");
  CHECK(((one == wc.exact && two.empty()) || (two == wc.exact && one.empty())));
}

// A supervisor lost with the RocksDB state of its tasks (SIGKILLed, and its
// workers too): nimbus moves its tasks to the other supervisor, whose
// worker waits for their state (topology.state.rocksdb.move.wait.secs: 2),
// then exits saying where the state is: exactly once does not go on
// without it. The lost supervisor comes back with its disk, sends the
// state, the worker started again takes it, and the counts end exact.
TEST_CASE("Exactly once: tasks whose RocksDB state is on a lost supervisor wait for it to return",
          "[state]") {
  TestCluster cluster(2, 2);
  INFO(cluster.Logs());
  ExactlyOnceWordCount wc(cluster,
                          "  topology.state.provider: rocksdb\n"
                          "  topology.state.rocksdb.move.wait.secs: 2\n");
  const int64_t total = Total(wc.exact);
  REQUIRE(WaitFor([&] { return Total(CountsFile(wc.report)) > total / 4; }, seconds(60)));
  const auto workers = cluster.Workers();
  REQUIRE(workers.size() == 2);
  const std::string lost = workers[0].supervisor;
  cluster.LoseSupervisor(lost);
  std::cerr << "[measure] SIGKILLed supervisor " << lost << " and its workers\n";
  const std::string waiting = "did not come: it is on supervisor " + lost;
  REQUIRE(WaitFor(
      [&] {
        return cluster.Gale({"info", "eo"}).out.find(waiting) != std::string::npos;
      },
      seconds(90)));
  const std::string info = cluster.Gale({"info", "eo"}).out;
  INFO(info);
  CHECK(info.find("which nimbus does not hear from; exactly once does not go on without it") !=
        std::string::npos);
  cluster.RestartSupervisor(lost);
  REQUIRE(WaitFor([&] { return cluster.Logs().find("sent state eo/") != std::string::npos; },
                  seconds(60)));
  std::cerr << "[measure] supervisor " << lost << " is back\n";
  REQUIRE(WaitFor([&] { return wc.ReportExact(); }, seconds(180)));
  std::this_thread::sleep_for(seconds(5));
  wc.Kill();
  INFO(cluster.WorkerLogs());
  CHECK(CommittedInRocksDb(
            {cluster.dir().path() + "/sup1/state", cluster.dir().path() + "/sup2/state"},
            kNamespace, "count") == wc.exact);
}

// A supervisor assigned tasks that dies before its worker runs them has no
// state of theirs: the tasks go on elsewhere from nothing, without waiting
// for it (a holder that never ran the task is no holder). sup1 is stopped
// (SIGSTOP) when the topology is submitted, so nimbus, still counting it
// alive (supervisor timeout 10 s), gives it a worker that never starts;
// then it is lost, and its tasks move to sup2.
TEST_CASE("Exactly once: tasks assigned to a supervisor lost before it ran them do not wait for it",
          "[state]") {
  TestCluster cluster(2, 1, {}, {"--supervisor-timeout-secs", "10"}, {});
  INFO(cluster.Logs());
  cluster.supervisor(0).Kill(SIGSTOP);
  ExactlyOnceWordCount wc(cluster,
                          "  topology.state.provider: rocksdb\n"
                          "  topology.state.rocksdb.move.wait.secs: 2\n",
                          "", "", 1);
  // Nimbus gave sup1 a worker (had sup1 counted as dead already, this
  // would test nothing).
  REQUIRE(ReadFile(cluster.dir().path() + "/nimbus.log").find("on 2 worker(s)") !=
          std::string::npos);
  const auto running = cluster.Workers();
  REQUIRE(running.size() == 1);
  CHECK(running[0].supervisor == "sup2");
  cluster.LoseSupervisor("sup1");
  std::cerr << "[measure] SIGKILLed supervisor sup1 before it started its worker\n";
  bool waited = false;
  REQUIRE(WaitFor(
      [&] {
        waited =
            waited || cluster.Gale({"info", "eo"}).out.find("did not come") != std::string::npos;
        return wc.ReportExact();
      },
      seconds(180)));
  INFO(cluster.WorkerLogs());
  CHECK_FALSE(waited);
  std::this_thread::sleep_for(seconds(5));
  wc.Kill();
  CHECK(CommittedInRocksDb({cluster.dir().path() + "/sup2/state"}, kNamespace, "count") ==
        wc.exact);
}

// Windows are persistent in an exactly-once topology: a window open when
// its worker is SIGKILLed comes back from the last checkpoint with the
// counters' state. A StatefulWindowedBolt's totals (tumbling 500 ms) and a
// stateful sum of a sliding keyed window count (1 s sliding by 500 ms:
// every word in two windows) end exact in Redis.
TEST_CASE("Exactly once through windows: Redis totals end exact while workers are SIGKILLed",
          "[state]") {
  TestCluster cluster(2, 1);
  INFO(cluster.Logs());
  RedisServer redis;
  const int port = redis.port();
  ExactlyOnceWordCount wc(
      cluster,
      "  topology.state.provider: redis\n"
      "  topology.state.redis.port: " +
          std::to_string(port) + "\n",
      "  - { id: wcount, className: WindowedWordCount, parallelism: 2, "
      "window: { tumbling: 500ms } }\n"
      "  - { id: wred, className: gale.WindowCount, parallelism: 2, "
      "window: { length: 1s, slide: 500ms, key: word } }\n"
      "  - { id: wsum, className: StatefulWordSum, parallelism: 2 }\n",
      "  - { from: split, to: wcount, grouping: { type: FIELDS, args: [word] } }\n"
      "  - { from: split, to: wred, grouping: { type: FIELDS, args: [word] } }\n"
      "  - { from: wred, to: wsum, grouping: { type: FIELDS, args: [word] } }\n");
  Counts twice = wc.exact;
  for (auto& [word, n] : twice) n *= 2;
  // Never above the exact totals, at any time (sampled while it runs).
  int64_t above = 0;
  auto sample = [&](const char* component, const Counts& want) {
    const Counts now = CommittedInRedis(port, kNamespace, component);
    for (const auto& [word, n] : now) above = std::max(above, n - want.at(word));
    return now;
  };
  wc.KillWorkers(4, seconds(3));
  REQUIRE(WaitFor([&] { return sample("wcount", wc.exact) == wc.exact; }, seconds(180)));
  REQUIRE(WaitFor([&] { return sample("wsum", twice) == twice; }, seconds(60)));
  INFO(cluster.WorkerLogs());
  CHECK(above == 0);
  std::this_thread::sleep_for(seconds(2));
  CHECK(sample("wcount", wc.exact) == wc.exact);
  CHECK(sample("wsum", twice) == twice);
  CHECK(above == 0);
}

// The counts' emits are at least once (a rollback emits again what came
// after the checkpoint), so the sink writes each word's count, not an
// increment: PostgresSink's upsert on the word. Whatever the kills, the
// table ends with the exact counts: the pipeline is exactly once.
TEST_CASE("Exactly once into PostgreSQL: an upserting sink ends with the exact counts", "[state]") {
  using connectors::postgres::PgClient;
  PostgresServer pg;
  PgClient db(pg.conninfo());
  std::string error;
  REQUIRE(db.Connect(&error));
  REQUIRE(db.Exec("CREATE TABLE counts (word text PRIMARY KEY, count bigint NOT NULL)").ok);
  auto table = [&] {
    Counts out;
    auto r = db.Exec("SELECT word, count FROM counts");
    for (const auto& row : r.rows) out[*row[0]] = std::stoll(*row[1]);
    return out;
  };
  TestCluster cluster(2, 1);
  INFO(cluster.Logs());
  ExactlyOnceWordCount wc(
      cluster, "  topology.state.provider: rocksdb\n",
      "  - { id: db, className: PostgresSink, config: { postgres.conninfo: '" + pg.conninfo() +
          "', postgres.table: counts, postgres.columns: 'word, count', "
          "postgres.conflict.columns: word, postgres.batch.size: 100, "
          "topology.tick.tuple.freq.secs: 0.1 } }\n",
      "  - { from: count, to: db, grouping: { type: FIELDS, args: [word] } }\n");
  wc.KillWorkers(4, seconds(3));
  REQUIRE(WaitFor([&] { return table() == wc.exact; }, seconds(180)));
  std::this_thread::sleep_for(seconds(2));
  INFO(cluster.WorkerLogs());
  CHECK(table() == wc.exact);
}

// Under `gale local` with RocksDB and a named namespace: a second run goes
// on from the first one's checkpoint (the spouts are at the end: nothing is
// counted twice); a run whose counters' databases are gone refuses to go on
// from empty state and says why, instead of counting from zero.
TEST_CASE("Exactly once goes on from the last checkpoint and refuses state that is not its",
          "[state]") {
  TempDir dir;
  Counts exact;
  dir.Write("corpus.txt", Corpus(300, &exact));
  const std::string yaml =
      dir.Write("eo.yaml",
                "name: eo\nconfig:\n  topology.state.provider: rocksdb\n"
                "  topology.state.checkpoint.interval.ms: 50\n  topology.state.namespace: again\n"
                "plugins: [ " +
                    LibDir() +
                    "/libwordcount.so ]\n"
                    "spouts:\n  - { id: sentences, className: StatefulSentenceSpout, config: { "
                    "sentences.file: " +
                    dir.path() +
                    "/corpus.txt } }\n"
                    "bolts:\n  - { id: split, className: SplitSentence }\n"
                    "  - { id: count, className: StatefulWordCount, parallelism: 2 }\n"
                    "streams:\n"
                    "  - { from: sentences, to: split, grouping: { type: SHUFFLE } }\n"
                    "  - { from: split, to: count, grouping: { type: FIELDS, args: [word] } }\n");
  const std::string state = dir.path() + "/gale-state";
  for (int run = 0; run < 2; ++run) {
    auto r = RunProcess({BinDir() + "/gale", "local", yaml}, seconds(60), {}, dir.path());
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(CommittedInRocksDb({state}, "again", "count") == exact);
  }
  // The counters' databases gone, then the spout's too: each refuses, naming
  // its own (a stateful bolt's check, then a stateful spout's, which fails
  // the rollback before it reaches the bolts).
  for (const char* gone : {"count", "sentences"}) {
    std::filesystem::remove_all(state + "/again/" + gone);
    auto r = RunProcess({BinDir() + "/gale", "local", yaml, "--duration", "3"}, seconds(60), {},
                        dir.path());
    INFO(r.out << r.err);
    CHECK(r.err.find("/again/" + std::string(gone) + "/") != std::string::npos);
    CHECK(r.err.find("holds the state committed at checkpoint 0, but the topology's last "
                     "checkpoint is") != std::string::npos);
    CHECK(r.err.find("left on another machine") != std::string::npos);
  }
  CHECK(Total(CommittedInRocksDb({state}, "again", "count")) == 0);
}

// Runs, under `gale local` in `dir` (RocksDB there, checkpoints every 50 ms,
// namespace `ns`), two StatefulSentenceSpout tasks over `dir`/corpus.txt
// (with `spout_config` added), a SplitSentence x2 that fails every
// `fail_every`-th tuple, then `bolts` fed from `split` by `streams` (YAML
// list items). The run must end by itself.
ProcessResult RunWithFailingSplitter(const TempDir& dir, const std::string& ns,
                                     const std::string& spout_config, int fail_every,
                                     const std::string& bolts, const std::string& streams) {
  const std::string yaml = dir.Write(
      "eo.yaml",
      "name: " + ns +
          "\nconfig:\n  topology.state.provider: rocksdb\n"
          "  topology.state.checkpoint.interval.ms: 50\n  topology.state.namespace: " +
          ns + "\nplugins: [ " + LibDir() +
          "/libwordcount.so ]\n"
          "spouts:\n  - { id: sentences, className: StatefulSentenceSpout, parallelism: 2, "
          "config: { sentences.file: " +
          dir.path() + "/corpus.txt" + spout_config +
          " } }\n"
          "bolts:\n  - { id: split, className: SplitSentence, parallelism: 2, "
          "config: { split.fail.every: " +
          std::to_string(fail_every) + " } }\n" + bolts +
          "streams:\n"
          "  - { from: sentences, to: split, grouping: { type: SHUFFLE } }\n" +
          streams);
  auto r = RunProcess({BinDir() + "/gale", "local", yaml}, seconds(120), {}, dir.path());
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  // The failures happened (split's "failed" column in the summary).
  CHECK(SummaryColumn(r.out, "split", 7) > 0);
  return r;
}

// A stateless splitter that fails tuples (split.fail.every) under
// `gale local`: each failure fails the next checkpoint, every task goes
// back to the last committed one and the spout replays from its saved
// position; the committed counts are exact.
TEST_CASE("Exactly once: failed tuples roll everything back and the counts stay exact", "[state]") {
  TempDir dir;
  Counts exact;
  dir.Write("corpus.txt", Corpus(3000, &exact));
  auto r = RunWithFailingSplitter(
      dir, "eo", "", 500, "  - { id: count, className: StatefulWordCount, parallelism: 2 }\n",
      "  - { from: split, to: count, grouping: { type: FIELDS, args: [word] } }\n");
  INFO(r.out << r.err);
  CHECK(CommittedInRocksDb({dir.path() + "/gale-state"}, "eo", "count") == exact);
}

// Windows in an exactly-once topology are persistent: their contents are
// in the checkpoints. Under `gale local`, with a splitter that fails tuples
// (every failure rolls every task back, windows included): a
// StatefulWindowedBolt adding each tumbling window's word counts to its
// totals, and a sliding keyed window count whose tumbling-equivalent sums
// (600 ms windows sliding by 200 ms: every word is in three) feed a
// stateful sum, both end exact (the sum at three times the counts).
TEST_CASE(
    "Exactly once through windows: a failing splitter rolls windows back and totals stay "
    "exact",
    "[state]") {
  TempDir dir;
  Counts exact;
  dir.Write("corpus.txt", Corpus(3000, &exact));
  auto r = RunWithFailingSplitter(
      dir, "eow", ", sentences.per.second: 3000", 700,
      "  - { id: wcount, className: WindowedWordCount, parallelism: 2, "
      "window: { tumbling: 300ms } }\n"
      "  - { id: wred, className: gale.WindowCount, parallelism: 2, "
      "window: { length: 600ms, slide: 200ms, key: word } }\n"
      "  - { id: wsum, className: StatefulWordSum, parallelism: 2 }\n",
      "  - { from: split, to: wcount, grouping: { type: FIELDS, args: [word] } }\n"
      "  - { from: split, to: wred, grouping: { type: FIELDS, args: [word] } }\n"
      "  - { from: wred, to: wsum, grouping: { type: FIELDS, args: [word] } }\n");
  INFO(r.out << r.err);
  const std::string state = dir.path() + "/gale-state";
  CHECK(CommittedInRocksDb({state}, "eow", "wcount") == exact);
  Counts thrice = exact;
  for (auto& [word, n] : thrice) n *= 3;
  CHECK(CommittedInRocksDb({state}, "eow", "wsum") == thrice);
}

}  // namespace
}  // namespace gale::testing
