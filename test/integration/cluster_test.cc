// The cluster as users drive it: real gale-nimbus, gale-supervisor and
// gale-worker processes on loopback, driven by the `gale` command.
#include "test/support/cluster.h"
#include "core/common/sha256.h"
#include "test/support/gale_output.h"
#include "thrift/client.h"

#include <catch2/catch.hpp>

#include <cctype>
#include <csignal>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

namespace gale::testing {
namespace {

using std::chrono::seconds;

int64_t Column(const std::string& info, const std::string& component, size_t col) {
  auto row = ComponentRow(info, component);
  if (row.size() <= col || !std::isdigit(static_cast<unsigned char>(row[col][0]))) return -1;
  return std::stoll(row[col]);
}
constexpr size_t kExecs = 1, kEmitted = 3, kRemote = 5, kAcked = 6, kFailed = 7, kExecuted = 8;

// host:port -> supervisor of every executor line of `gale info`.
std::map<std::string, std::string> ExecutorWorkers(const std::string& info) {
  std::map<std::string, std::string> out;
  for (const auto& e : Executors(info)) out[e.worker] = e.supervisor;
  return out;
}

// Word count on `workers` workers; `spout_config` goes into the spout's
// config, `topology_config` (", key: value" pairs) into the topology's.
std::string WordCount(const TempDir& dir, int workers, const std::string& spout_config,
                      const std::string& name = "wordcount",
                      const std::string& topology_config = "") {
  return dir.Write(name + ".yaml", "name: " + name +
                                       "\n"
                                       "includes: [ { file: " +
                                       SourceDir() +
                                       "/topologies/wordcount/wordcount.yaml } ]\n"
                                       "config: { topology.workers: " +
                                       std::to_string(workers) + topology_config +
                                       " }\n"
                                       "spouts:\n"
                                       "  - { id: sentences, className: SentenceSpout, config: { " +
                                       spout_config +
                                       " } }\n"
                                       "bolts:\n"
                                       "  - id: report\n"
                                       "    className: ReportBolt\n"
                                       "    config: { report.file: " +
                                       dir.path() +
                                       "/counts.txt, topology.tick.tuple.freq.secs: 1 }\n");
}

// Frames of 3 tuples (topology.transfer.batch.size), far below the default:
// the setting reaches both workers' transports and the counts stay exact.
TEST_CASE("Word count on two workers of two supervisors counts the text exactly",
          "[integration][cluster]") {
  TestCluster cluster;
  INFO(cluster.Logs());
  auto r = cluster.Gale({"submit", WordCount(cluster.dir(), 2, "sentences.loop: false", "wordcount",
                                             ", topology.transfer.batch.size: 3")});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);

  const auto expected =
      CountWords(ReadFile(SourceDir() + "/topologies/wordcount/data/sentences.txt"));
  const std::string report = cluster.dir().path() + "/counts.txt";
  CHECK(WaitFor([&] { return ReadReport(report) == expected; }, seconds(60)));

  std::string info;
  REQUIRE(WaitFor(
      [&] {
        info = cluster.Gale({"info", "wordcount"}).out;
        return Column(info, "sentences", kAcked) == 76 && Column(info, "split", kRemote) > 0;
      },
      seconds(30)));
  INFO(info);
  // Executors on two workers, on two different supervisors.
  const auto workers = ExecutorWorkers(info);
  CHECK(workers.size() == 2);
  std::set<std::string> supervisors;
  for (const auto& [hostport, sup] : workers) supervisors.insert(sup);
  CHECK(supervisors == std::set<std::string>{"sup1", "sup2"});
  // Tuples crossed between the workers over ZeroMQ.
  int64_t remote = 0;
  for (const char* c : {"sentences", "split", "count"}) remote += Column(info, c, kRemote);
  CHECK(remote > 0);
  const std::string logs = cluster.WorkerLogs();
  INFO(logs);
  auto count = [&](const std::string& text) {
    size_t n = 0;
    for (size_t at = logs.find(text); at != std::string::npos; at = logs.find(text, at + 1)) ++n;
    return n;
  };
  // Each worker says it once as it starts (again if it were restarted).
  CHECK(count("frames of up to 3 tuples ") >= 2);
  CHECK(count("frames of up to ") == count("frames of up to 3 tuples "));

  // Kill: the workers exit and every slot is free again.
  r = cluster.Gale({"kill", "wordcount", "--wait", "0"});
  REQUIRE(r.exit_code == 0);
  CHECK(WaitFor(
      [&] {
        const auto list = cluster.Gale({"list"}).out;
        return list.find("(no topologies)") != std::string::npos &&
               list.find("4 slot(s): 0 used, 4 free") != std::string::npos;
      },
      seconds(20)));
  CHECK(WaitFor([&] { return cluster.Gale({"info", "wordcount"}).exit_code == 1; }, seconds(5)));
}

// component -> host:port of each of its executors, from `gale info`.
std::map<std::string, std::vector<std::string>> ExecutorPlaces(const std::string& info) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& e : Executors(info)) out[e.component].push_back(e.worker);
  return out;
}

// Submits `yaml` (topology `name`, the word count's components), waits
// until its report file holds the exact counts of the text and the spout
// has acked all 76 sentences; returns `gale info` then.
std::string SubmitAndCount(TestCluster& cluster, const std::string& yaml, const std::string& name) {
  auto r = cluster.Gale({"submit", yaml});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto expected =
      CountWords(ReadFile(SourceDir() + "/topologies/wordcount/data/sentences.txt"));
  CHECK(WaitFor([&] { return ReadReport(cluster.dir().path() + "/counts.txt") == expected; },
                seconds(60)));
  std::string info;
  REQUIRE(WaitFor(
      [&] {
        info = cluster.Gale({"info", name}).out;
        return Column(info, "sentences", kAcked) == 76;
      },
      seconds(30)));
  return info;
}

// Chaining in a cluster: split (LOCAL_OR_SHUFFLE, chained without asking)
// and count (FIELDS, chain: true) run on the spout's thread, so nimbus puts
// them in the spout's worker; the report bolt is elsewhere.
TEST_CASE("Chained bolts run in the worker of their chain head and word count counts exactly",
          "[integration][cluster]") {
  TestCluster cluster;
  INFO(cluster.Logs());
  const std::string yaml =
      cluster.dir().Write("chained.yaml", R"(name: chained
config: { topology.workers: 2, topology.max.spout.pending: 1000 }
plugins: [ libwordcount.so ]
spouts:
  - { id: sentences, className: SentenceSpout, config: { sentences.loop: false } }
bolts:
  - { id: split, className: SplitSentence }
  - { id: count, className: WordCount }
  - id: report
    className: ReportBolt
    config: { report.file: )" + cluster.dir().path() +
                                              R"(/counts.txt, topology.tick.tuple.freq.secs: 1 }
streams:
  - { from: sentences, to: split, grouping: { type: LOCAL_OR_SHUFFLE } }
  - { from: split, to: count, grouping: { type: FIELDS, args: [word] }, chain: true }
  - { from: count, to: report, grouping: { type: GLOBAL } }
)");
  const std::string info = SubmitAndCount(cluster, yaml, "chained");
  INFO(info);
  const auto places = ExecutorPlaces(info);
  REQUIRE(places.count("sentences"));
  CHECK(places.at("split") == places.at("sentences"));
  CHECK(places.at("count") == places.at("sentences"));
  CHECK(places.at("report") != places.at("sentences"));
  CHECK(Column(info, "count", kRemote) > 0);  // to the report bolt, in the other worker
  // gale info says which executor runs on which thread, in text and JSON.
  std::istringstream lines(info);
  std::map<std::string, bool> chained;
  for (std::string line; std::getline(lines, line);) {
    for (const char* c : {"split ", "count ", "report ", "sentences "}) {
      if (line.rfind(std::string("  ") + c, 0) == 0) {
        chained[c] = line.find(", on the thread of sentences [5-5]") != std::string::npos;
      }
    }
  }
  CHECK(chained ==
        std::map<std::string, bool>{
            {"split ", true}, {"count ", true}, {"report ", false}, {"sentences ", false}});
  const std::string json = cluster.Gale({"info", "chained", "--json"}).out;
  CHECK(json.find(R"("chainedTo":"sentences [5-5]")") != std::string::npos);
  const std::string logs = cluster.WorkerLogs();
  INFO(logs);
  CHECK(logs.find("split (task 6) runs on the thread of sentences (task 5) (chained)") !=
        std::string::npos);
  CHECK(logs.find("count (task 3) runs on the thread of sentences (task 5) (chained)") !=
        std::string::npos);
}

// SHUFFLE is load-aware by default (core/grouping/README.md): 76 sentences
// at pending 1000 never fill the spout's worker's split queue, so none
// leaves that worker; the plain shuffle sends about half to the other.
TEST_CASE(
    "A lightly loaded SHUFFLE stays in the spout's worker, and "
    "topology.disable.loadaware.messaging spreads it over both",
    "[integration][cluster]") {
  TestCluster cluster;
  INFO(cluster.Logs());
  const std::string report = cluster.dir().path() + "/counts.txt";
  for (const bool plain : {false, true}) {
    const std::string name = plain ? "plain" : "aware";
    INFO(name);
    std::filesystem::remove(report);
    const std::string info =
        SubmitAndCount(cluster,
                       WordCount(cluster.dir(), 2, "sentences.loop: false", name,
                                 plain ? ", topology.disable.loadaware.messaging: true" : ""),
                       name);
    INFO(info);
    // A split executor in each worker, the spout in one of them.
    const auto places = ExecutorPlaces(info);
    REQUIRE(places.at("split").size() == 2);
    REQUIRE(places.at("split")[0] != places.at("split")[1]);
    if (plain) {
      CHECK(Column(info, "sentences", kRemote) > 0);
    } else {
      CHECK(Column(info, "sentences", kRemote) == 0);
    }
    CHECK(Column(info, "split", kRemote) > 0);  // FIELDS to count still crosses
    REQUIRE(cluster.Gale({"kill", name, "--wait", "0"}).exit_code == 0);
    REQUIRE(WaitFor(
        [&] { return cluster.Gale({"list"}).out.find("(no topologies)") != std::string::npos; },
        seconds(20)));
  }
}

// A bolt that sleeps 2 ms per tuple is always busy, yet at pending 50 its
// queue never holds more than 50 tuples: a load read from the queue alone
// (Storm's) would keep every tuple on the spout's worker while the other
// executor idles. The busy share widens the scope.
TEST_CASE("A SHUFFLE target that is always busy makes the load-aware shuffle use the other worker",
          "[integration][cluster]") {
  TestCluster cluster;
  INFO(cluster.Logs());
  const std::string yaml = cluster.dir().Write(
      "busy.yaml",
      "name: busy\n"
      "config: { topology.workers: 2, topology.max.spout.pending: 50 }\n"
      "plugins: [ " +
          LibDir() + "/libwordcount.so, " + LibDir() +
          "/libfanout.so ]\n"
          "spouts: [ { id: sentences, className: SentenceSpout, config: { "
          "sentences.loop: true } } ]\n"
          "bolts: [ { id: sleepy, className: SleepBolt, parallelism: 2, config: { "
          "sleep.micros: 2000 } } ]\n"
          "streams: [ { from: sentences, to: sleepy, grouping: { type: SHUFFLE } } ]\n");
  auto r = cluster.Gale({"submit", yaml});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  std::string info;
  REQUIRE(WaitFor(
      [&] {
        info = cluster.Gale({"info", "busy"}).out;
        return Column(info, "sentences", kAcked) > 100;
      },
      seconds(30)));
  const auto places = ExecutorPlaces(info);
  REQUIRE(places.at("sleepy").size() == 2);
  REQUIRE(places.at("sleepy")[0] != places.at("sleepy")[1]);
  CHECK(WaitFor(
      [&] {
        info = cluster.Gale({"info", "busy"}).out;
        return Column(info, "sentences", kRemote) > 100;
      },
      seconds(30)));
  INFO(info);
  CHECK(Column(info, "sentences", kFailed) == 0);
}

TEST_CASE(
    "With one acker for spouts on two workers, the acker runs on a spout executor's "
    "thread and trees from the other worker complete through it",
    "[integration][cluster]") {
  TestCluster cluster;
  INFO(cluster.Logs());
  const std::string yaml = cluster.dir().Write(
      "shared-acker.yaml",
      "name: shared-acker\n"
      "includes: [ { file: " +
          SourceDir() +
          "/topologies/wordcount/wordcount.yaml } ]\n"
          "config: { topology.workers: 2, topology.acker.executors: 1 }\n"
          "spouts:\n"
          "  - { id: sentences, className: SentenceSpout, parallelism: 2, config: { "
          "sentences.loop: false } }\n"
          "bolts:\n"
          "  - id: report\n"
          "    className: ReportBolt\n"
          "    config: { report.file: " +
          cluster.dir().path() + "/counts.txt, topology.tick.tuple.freq.secs: 1 }\n");
  const std::string info = SubmitAndCount(cluster, yaml, "shared-acker");
  INFO(info);
  // The placement this test is about: a spout executor in each worker, and
  // the acker in one of them (so on that spout executor's thread).
  const auto places = ExecutorPlaces(info);
  REQUIRE(places.count("sentences") == 1);
  REQUIRE(places.count("__acker") == 1);
  const auto& spouts = places.at("sentences");
  REQUIRE(spouts.size() == 2);
  CHECK(spouts[0] != spouts[1]);
  REQUIRE(places.at("__acker").size() == 1);
  CHECK((places.at("__acker")[0] == spouts[0] || places.at("__acker")[0] == spouts[1]));
  CHECK(Column(info, "sentences", kFailed) == 0);
  CHECK(Column(info, "__acker", kExecs) == 1);
  CHECK(Column(info, "__acker", kExecuted) > 0);  // its stats are reported as its own
}

TEST_CASE("Too few slots: gale info says why, and a rebalance beyond the cluster is refused",
          "[integration][cluster]") {
  TestCluster cluster(1, 2);  // one supervisor, two slots
  INFO(cluster.Logs());
  auto r = cluster.Gale(
      {"submit", WordCount(cluster.dir(), 3, "sentences.loop: true, sentences.per.second: 100")});
  REQUIRE(r.exit_code == 0);
  std::string info;
  REQUIRE(WaitFor(
      [&] {
        info = cluster.Gale({"info", "wordcount"}).out;
        return ExecutorWorkers(info).size() == 2;
      },
      seconds(20)));
  CHECK(info.find("scheduling: wants 3 worker(s), but only 2 slot(s) are free for it: runs on 2 "
                  "until more slots free up (add supervisors, or rebalance to fewer workers)") !=
        std::string::npos);
  r = cluster.Gale({"rebalance", "wordcount", "--workers", "4", "--wait", "0"});
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("rebalance: topology 'wordcount' asks for 4 workers, but the cluster has 2 "
                   "slot(s) for it (2 it uses, 0 free): add supervisors or ask for fewer "
                   "workers") != std::string::npos);
  // Asking for what fits clears the note.
  r = cluster.Gale({"rebalance", "wordcount", "--workers", "2", "--wait", "0"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(WaitFor(
      [&] {
        info = cluster.Gale({"info", "wordcount"}).out;
        return info.find("scheduling:") == std::string::npos && ExecutorWorkers(info).size() == 2;
      },
      seconds(30)));
}

TEST_CASE("Deactivate stops the spout, activate resumes it", "[integration][cluster]") {
  TestCluster cluster;
  INFO(cluster.Logs());
  auto r = cluster.Gale(
      {"submit", WordCount(cluster.dir(), 2, "sentences.loop: true, sentences.per.second: 200")});
  REQUIRE(r.exit_code == 0);
  auto emitted = [&] {
    return Column(cluster.Gale({"info", "wordcount"}).out, "sentences", kEmitted);
  };
  REQUIRE(WaitFor([&] { return emitted() > 50; }, seconds(30)));

  REQUIRE(cluster.Gale({"deactivate", "wordcount"}).exit_code == 0);
  // The workers learn it within a heartbeat; then the count stops growing.
  int64_t before = -2, after = -1;
  CHECK(WaitFor(
      [&] {
        before = emitted();
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        after = emitted();
        return before == after;
      },
      seconds(20)));
  CHECK(cluster.Gale({"list"}).out.find("INACTIVE") != std::string::npos);

  REQUIRE(cluster.Gale({"activate", "wordcount"}).exit_code == 0);
  CHECK(WaitFor([&] { return emitted() > after + 50; }, seconds(20)));
}

TEST_CASE("Rebalance to three workers moves executors and processing goes on",
          "[integration][cluster]") {
  TestCluster cluster;
  INFO(cluster.Logs());
  auto r = cluster.Gale(
      {"submit", WordCount(cluster.dir(), 2, "sentences.loop: true, sentences.per.second: 200")});
  REQUIRE(r.exit_code == 0);
  REQUIRE(WaitFor(
      [&] {
        return ExecutorWorkers(cluster.Gale({"info", "wordcount"}).out).size() == 2;
      },
      seconds(20)));

  r = cluster.Gale({"rebalance", "wordcount", "--workers", "3", "--wait", "0"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::string info;
  CHECK(WaitFor(
      [&] {
        info = cluster.Gale({"info", "wordcount"}).out;
        return ExecutorWorkers(info).size() == 3 && info.find("ACTIVE") != std::string::npos;
      },
      seconds(30)));
  // Every executor of the new assignment reports, and the spout goes on.
  int64_t start = -1;
  CHECK(WaitFor(
      [&] {
        info = cluster.Gale({"info", "wordcount"}).out;
        start = Column(info, "sentences", kEmitted);
        return start > 0 && info.find("no heartbeat yet") == std::string::npos;
      },
      seconds(30)));
  CHECK(WaitFor(
      [&] {
        return Column(cluster.Gale({"info", "wordcount"}).out, "sentences", kEmitted) > start + 50;
      },
      seconds(20)));
  INFO(info);
  CHECK(cluster.Gale({"list"}).out.find("4 slot(s): 3 used, 1 free") != std::string::npos);
}

// getTopologyPageInfo over Thrift, as the UI reads it.
thrift::TopologyPageInfo PageInfo(const TestCluster& cluster, const std::string& window) {
  thrift::TopologyPageInfo page;
  auto hp = rpc::ParseHostPort(cluster.nimbus());
  if (!hp.ok()) return page;
  auto conn = rpc::NimbusConnection::Connect(*hp);
  if (!conn.ok()) return page;
  (void)(*conn)->Call(
      [&](thrift::NimbusClient& c) { c.getTopologyPageInfo(page, "wordcount", window); });
  return page;
}

const thrift::ComponentPageInfo* ComponentOf(const thrift::TopologyPageInfo& page,
                                             const std::string& id) {
  for (const auto& c : page.components) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

int64_t HistogramCount(const thrift::LatencyHistogram& h) {
  int64_t n = 0;
  for (int64_t c : h.counts) n += c;
  return n;
}

// All-time counts of a bolt and of its input from split, and the spout's
// output stream: they must never go down.
struct AllTime {
  int64_t count_executed = -1, count_input = -1, spout_stream = -1;
  bool operator>=(const AllTime& o) const {
    return count_executed >= o.count_executed && count_input >= o.count_input &&
           spout_stream >= o.spout_stream;
  }
};
AllTime AllTimeOf(const TestCluster& cluster) {
  AllTime a;
  const auto page = PageInfo(cluster, ":all-time");
  const auto* count = ComponentOf(page, "count");
  const auto* spout = ComponentOf(page, "sentences");
  if (!count || !spout) return a;
  a.count_executed = count->stats.executed;
  for (const auto& in : count->stats.inputs) {
    if (in.component == "split" && in.stream == "default") a.count_input = in.executed;
  }
  for (const auto& out : spout->stats.outputs) {
    if (out.stream == "default") a.spout_stream = out.emitted;
  }
  return a;
}

TEST_CASE(
    "getTopologyPageInfo: bolts' capacity, latencies, queue, streams and histograms, and "
    "all-time counts never go down across a rebalance and a killed worker",
    "[integration][cluster][stats]") {
  TestCluster cluster(2, 3);
  INFO(cluster.Logs());
  auto r = cluster.Gale(
      {"submit", WordCount(cluster.dir(), 2, "sentences.loop: true, sentences.per.second: 200")});
  REQUIRE(r.exit_code == 0);
  std::string why;
  CHECK(WaitFor(
      [&] {
        const auto page = PageInfo(cluster, "600");
        const auto* count = ComponentOf(page, "count");
        const auto* spout = ComponentOf(page, "sentences");
        if (!count || !spout) return (why = "no page"), false;
        const auto& s = count->stats;
        if (s.executed == 0 || s.capacity <= 0 || s.execute_latency_ms <= 0) {
          return (why = "count: no executed/capacity/execute latency"), false;
        }
        if (s.process_latency_ms <= 0) return (why = "count: no process latency"), false;
        if (!s.__isset.queue_depth) return (why = "count: no queue depth"), false;
        if (s.inputs.empty() || s.inputs[0].component != "split" || s.inputs[0].executed == 0 ||
            s.inputs[0].acked == 0) {
          return (why = "count: no input from split"), false;
        }
        if (s.outputs.empty() || s.outputs[0].emitted == 0) {
          return (why = "count: no output stream"), false;
        }
        if (!s.__isset.execute_histogram || HistogramCount(s.execute_histogram) == 0) {
          return (why = "count: no execute histogram"), false;
        }
        if (s.execute_histogram.counts.size() != s.execute_histogram.bounds_ms.size() + 1) {
          return (why = "count: histogram shape"), false;
        }
        if (spout->stats.outputs.empty() || spout->stats.outputs[0].emitted == 0) {
          return (why = "spout: no output stream"), false;
        }
        if (count->executors.empty() || count->executors[0].stats.capacity <= 0) {
          return (why = "count: no executor capacity"), false;
        }
        return true;
      },
      seconds(60)));
  INFO(why);

  // Never lower while `until` is not yet true.
  auto watch = [&](const std::function<bool(const AllTime&)>& until) {
    AllTime last = AllTimeOf(cluster);
    bool never_lower = true;
    const bool done = WaitFor(
        [&] {
          const AllTime now = AllTimeOf(cluster);
          if (now.count_executed < 0) return false;  // nimbus busy: ask again
          if (!(now >= last)) {
            never_lower = false;
            UNSCOPED_INFO("went down: executed "
                          << last.count_executed << " -> " << now.count_executed << ", input "
                          << last.count_input << " -> " << now.count_input << ", spout stream "
                          << last.spout_stream << " -> " << now.spout_stream);
          }
          last = now;
          return until(now);
        },
        seconds(60));
    CHECK(done);
    CHECK(never_lower);
  };

  // A rebalance to three workers and one split executor: every worker restarts.
  const AllTime before = AllTimeOf(cluster);
  REQUIRE(before.count_executed > 0);
  r = cluster.Gale(
      {"rebalance", "wordcount", "--workers", "3", "--executors", "split=1", "--wait", "0"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  watch([&](const AllTime& now) {
    return cluster.Workers().size() == 3 && now.count_executed > before.count_executed + 200 &&
           now.spout_stream > before.spout_stream + 50;
  });

  // SIGKILL a worker: its supervisor starts it again, counting from zero.
  const auto workers = cluster.Workers();
  REQUIRE(!workers.empty());
  const AllTime at_kill = AllTimeOf(cluster);
  ::kill(workers[0].pid, SIGKILL);
  watch([&](const AllTime& now) {
    return cluster.Workers().size() == 3 && now.count_executed > at_kill.count_executed + 200;
  });
}

// A spout stuck in NextTuple (test/plugins/blocking.cc: 20 sentences, then
// an hour's sleep) does not keep its worker after a kill: the worker gives
// up on it after topology.worker.shutdown.secs (3 s), says so in its log and
// exits, before its supervisor's SIGKILL (5 s after its SIGTERM).
TEST_CASE("A worker with a spout stuck in NextTuple exits after the stop deadline and logs why",
          "[integration][cluster]") {
  TestCluster cluster(1, 1);
  const std::string file = cluster.dir().Write(
      "blocking.yaml",
      "name: blocking\n"
      "plugins:\n"
      "  - " +
          LibDir() +
          "/libblocking.so\n"
          "  - " +
          LibDir() +
          "/libwordcount.so\n"
          "spouts: [ { id: lines, className: BlockingSpout } ]\n"
          "bolts: [ { id: split, className: SplitSentence } ]\n"
          "streams: [ { from: lines, to: split, grouping: { type: SHUFFLE } } ]\n");
  auto r = cluster.Gale({"submit", file});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(WaitFor(
      [&] {
        return cluster.WorkerLogs().find("BlockingSpout task 2 blocks in NextTuple") !=
               std::string::npos;
      },
      seconds(60)));
  r = cluster.Gale({"kill", "blocking", "--wait", "0"});
  REQUIRE(r.exit_code == 0);
  CHECK(WaitFor([&] { return cluster.Workers().empty(); }, seconds(30)));
  INFO(cluster.Logs() << cluster.WorkerLogs());
  CHECK(cluster.WorkerLogs().find(
            "2 executor(s) did not stop within 3.0 s (topology.worker.shutdown.secs), exiting "
            "without them: lines (task 2), __acker (task 1, on the thread of lines (task 2))") !=
        std::string::npos);
  CHECK(cluster.Logs().find("SIGKILL") == std::string::npos);
}

TEST_CASE("Bad submits and requests get clear errors and change nothing",
          "[integration][cluster]") {
  TestCluster cluster;
  INFO(cluster.Logs());
  const std::string file =
      WordCount(cluster.dir(), 1, "sentences.loop: true, sentences.per.second: 10");
  REQUIRE(cluster.Gale({"submit", file}).exit_code == 0);
  const std::string list_before = cluster.Gale({"list"}).out;

  SECTION("a duplicate name") {
    auto r = cluster.Gale({"submit", file});
    CHECK(r.exit_code == 1);
    CHECK(r.err ==
          "gale: topology 'wordcount' is already running; kill it first or choose "
          "another name\n");
  }
  SECTION("an unknown plugin hash, sent by a client that skipped the upload") {
    auto hp = rpc::ParseHostPort(cluster.nimbus());
    REQUIRE(hp.ok());
    auto conn = rpc::NimbusConnection::Connect(*hp);
    REQUIRE(conn.ok());
    thrift::Topology t;
    t.name = "ghost";
    thrift::PluginRef p;
    p.name = "libghost.so";
    p.sha256 = std::string(64, 'a');
    t.plugins.push_back(p);
    Status s = (*conn)->Call([&](thrift::NimbusClient& c) { c.submitTopology(t, {}); });
    CHECK(s.code() == StatusCode::kNotFound);
    CHECK(s.message() == "topology 'ghost' needs plugin 'libghost.so' (sha256 " +
                             std::string(64, 'a') +
                             "), which nimbus does not have: upload it first");
  }
  SECTION("requests for a topology that does not exist") {
    for (const char* verb : {"kill", "activate", "deactivate", "rebalance", "info"}) {
      auto r = cluster.Gale({verb, "nosuch"});
      CHECK(r.exit_code == 1);
      CHECK(r.err == "gale: no topology named 'nosuch'\n");
    }
  }
  SECTION("a rebalance asking for more executors than tasks") {
    auto r = cluster.Gale({"rebalance", "wordcount", "--executors", "split=5"});
    CHECK(r.exit_code == 2);
    CHECK(r.err ==
          "gale: rebalance: component 'split' has 2 task(s), so it can run 1 to 2 "
          "executors, not 5\n");
  }
  // Nothing changed.
  auto same = [](std::string s) {  // uptimes move; compare the rest
    std::string out;
    std::istringstream in(s);
    std::string line;
    while (std::getline(in, line)) {
      auto w = Words(line);
      if (w.size() >= 6 && w[0] == "wordcount") out += w[0] + w[1] + w[2] + w[3] + w[4];
      if (line.find("slot(s)") != std::string::npos) out += line;
    }
    return out;
  };
  CHECK(same(cluster.Gale({"list"}).out) == same(list_before));
}

TEST_CASE("A nimbus that is down gives a clear error", "[integration][cluster]") {
  TempDir dir;
  const int port = FreePort();
  auto r = RunProcess({BinDir() + "/gale", "list", "--nimbus", "127.0.0.1:" + std::to_string(port)},
                      seconds(30));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("gale: cannot reach nimbus at 127.0.0.1:" + std::to_string(port)) == 0);
  CHECK(r.err.find("(address from --nimbus); is gale-nimbus running?") != std::string::npos);
  r = RunProcess(
      {BinDir() + "/gale", "submit", SourceDir() + "/topologies/wordcount/wordcount.yaml",
       "--nimbus", "127.0.0.1:" + std::to_string(port)},
      seconds(30), {{"GALE_PLUGIN_PATH", LibDir()}});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("cannot reach nimbus") != std::string::npos);
  // The environment variable is the next place the address comes from.
  r = RunProcess({BinDir() + "/gale", "list"}, seconds(30),
                 {{"GALE_NIMBUS", "127.0.0.1:" + std::to_string(port)}});
  CHECK(r.err.find("(address from $GALE_NIMBUS)") != std::string::npos);
}

}  // namespace
}  // namespace gale::testing
