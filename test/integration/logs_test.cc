// Worker logs on a real cluster: plugin code logs through its logger, the
// worker rotates its log by size, and `gale logs` reads every worker's log
// through the supervisors' log servers, by component, by worker, and
// following what is appended. TestCluster's daemons and the followers are
// stopped by pid, also when a check fails.
#include "test/support/cluster.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

namespace gale::testing {
namespace {

using std::chrono::seconds;

bool Contains(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

int CountLines(const std::string& s, const std::string& with) {
  std::istringstream in(s);
  int n = 0;
  for (std::string line; std::getline(in, line);) n += Contains(line, with) ? 1 : 0;
  return n;
}

// A counter spout and a bolt of two executors that logs every tuple. The
// plain shuffle, so that both workers' bolts log (the load-aware default
// keeps a trickle in the spout's worker).
std::string ChattyYaml(const TempDir& dir, int per_second, int line_bytes) {
  return dir.Write("chatty.yaml",
                   "name: chatty\n"
                   "plugins: [ " +
                       LibDir() +
                       "/libchatty.so ]\n"
                       "config: { topology.workers: 2, topology.disable.loadaware.messaging: true "
                       "}\n"
                       "spouts:\n"
                       "  - { id: counter, className: CountSpout, parallelism: 1, config: { "
                       "chatty.per.second: " +
                       std::to_string(per_second) +
                       " } }\n"
                       "bolts:\n"
                       "  - { id: chatty, className: ChattyBolt, parallelism: 2, config: { "
                       "chatty.line.bytes: " +
                       std::to_string(line_bytes) +
                       " } }\n"
                       "streams:\n"
                       "  - { from: counter, to: chatty, grouping: { type: SHUFFLE } }\n");
}

TEST_CASE("gale logs reads every worker's log through the supervisors, by component and worker",
          "[integration][logs]") {
  TestCluster cluster(2, 2);
  INFO(cluster.Logs());
  auto r = cluster.Gale({"submit", ChattyYaml(cluster.dir(), 20, 20)});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);

  // The bolt's logger lines arrive, tagged with component and task.
  ProcessResult logs;
  REQUIRE(WaitFor(
      [&] {
        logs = cluster.Gale({"logs", "chatty", "--component", "chatty", "--lines", "6"});
        return logs.exit_code == 0 && CountLines(logs.out, "] tuple ") >= 6;
      },
      seconds(60)));
  INFO(logs.out << logs.err);
  CHECK(CountLines(logs.out, " INFO ") == CountLines(logs.out, "chatty:"));
  CHECK(!Contains(logs.out, "counter:"));
  CHECK(!Contains(logs.out, "cluster_worker.cc"));  // the engine's lines are left out

  // Without --component: both workers, prefixed with host:port, N lines each.
  auto all = cluster.Gale({"logs", "chatty", "--lines", "3"});
  INFO(all.out << all.err);
  CHECK(all.exit_code == 0);
  std::set<std::string> workers;
  std::istringstream in(all.out);
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    workers.insert(line.substr(0, line.find(" | ")));
  }
  CHECK(workers.size() == 2);
  CHECK(lines <= 6);

  auto spout = cluster.Gale({"logs", "chatty", "--component", "counter", "--lines", "1000"});
  CHECK(spout.exit_code == 0);
  CHECK(Contains(spout.out, "counter:"));
  CHECK(Contains(spout.out, "counting at 20 a second"));
  CHECK(!Contains(spout.out, "chatty:"));

  // One worker by host:port.
  const std::string one = *workers.begin();
  auto only = cluster.Gale({"logs", "chatty", "--worker", one, "--lines", "5"});
  CHECK(only.exit_code == 0);
  CHECK(!Contains(only.out, " | "));  // one worker: no prefixes

  // Mistakes say what is wrong.
  auto bad = cluster.Gale({"logs", "chatty", "--worker", "10.9.9.9:1"});
  CHECK(bad.exit_code == 2);
  CHECK(Contains(bad.err, "'10.9.9.9:1' is not a worker of topology 'chatty'; its workers are"));
  bad = cluster.Gale({"logs", "chatty", "--component", "nosuch"});
  CHECK(bad.exit_code == 2);
  CHECK(Contains(bad.err, "topology 'chatty' has no component 'nosuch'"));
  bad = cluster.Gale({"logs", "nosuch"});
  CHECK(bad.exit_code == 1);
  CHECK(Contains(bad.err, "nosuch"));
  bad = cluster.Gale({"logs", "chatty", "--lines", "0"});
  CHECK(bad.exit_code == 2);

  // --follow prints what is appended, until stopped.
  TempDir out;
  Daemon follow({BinDir() + "/gale", "logs", "chatty", "--component", "chatty", "--follow",
                 "--lines", "1", "--nimbus", cluster.nimbus()},
                out.path() + "/follow.log");
  CHECK(WaitFor([&] { return CountLines(follow.Log(), "] tuple ") >= 30; }, seconds(30)));
  INFO(follow.Log());
  CHECK(follow.Running());
  follow.Stop();
}

TEST_CASE("A worker's log is rotated by size and keeps worker.log.max.files files",
          "[integration][logs]") {
  TempDir conf;
  const std::string config =
      conf.Write("cluster.yaml", "worker.log.max.bytes: 8192\nworker.log.max.files: 3\n");
  TestCluster cluster(1, 2, {"--config", config});
  INFO(cluster.Logs());
  // 200 lines of ~260 bytes a second: a rotation every 0.2 s or so.
  auto r = cluster.Gale({"submit", ChattyYaml(cluster.dir(), 200, 200)});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);

  namespace fs = std::filesystem;
  const fs::path logs = cluster.dir().path() + "/sup1/logs";
  auto files = [&] {
    std::set<std::string> names;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(logs, ec)) names.insert(e.path().filename());
    return names;
  };
  // Both workers reach their third file.
  REQUIRE(WaitFor(
      [&] {
        int rotated = 0;
        for (const auto& n : files()) rotated += n.size() > 6 && n.substr(n.size() - 6) == ".log.2";
        return rotated == 2;
      },
      seconds(60)));
  // Let it rotate many more times; never more than three files per worker,
  // none much over the limit.
  std::this_thread::sleep_for(seconds(3));
  std::string listing;
  for (const auto& n : files()) {
    CHECK(n.substr(n.size() - 6) != ".log.3");
    // A file listed may be renamed by a rotation before it is measured.
    std::error_code gone;
    const auto size = fs::file_size(logs / n, gone);
    if (gone) continue;
    listing += n + " " + std::to_string(size) + "\n";
    CHECK(size < 8192 + 1024);
  }
  INFO(listing);
  // Three per worker; between a rotation's rename and the new file, the
  // current one is briefly missing.
  CHECK(WaitFor([&] { return files().size() == 6; }, seconds(5)));
  CHECK(files().size() <= 6);
  // The newest lines are readable through the log server all along.
  auto tail = cluster.Gale({"logs", "chatty", "--component", "chatty", "--lines", "5"});
  CHECK(tail.exit_code == 0);
  CHECK(CountLines(tail.out, "] tuple ") == 10);  // 5 from each worker
  // A file holds about 32 lines: the last 25 of a worker come from its
  // current file and, whenever that holds fewer, from the end of .log.1.
  tail = cluster.Gale({"logs", "chatty", "--component", "chatty", "--lines", "25"});
  CHECK(tail.exit_code == 0);
  CHECK(CountLines(tail.out, "] tuple ") == 50);
}

}  // namespace
}  // namespace gale::testing
