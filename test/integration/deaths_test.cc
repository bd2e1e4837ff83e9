// What a user sees when components fail, on a real cluster: why a worker
// died (an exception from Open, a segfault with its component, task and
// stack) in `gale info`, and a bolt that fails every tuple shown as one
// error with a count while its log stays throttled. TestCluster's daemons
// are stopped by pid, also when a check fails.
#include "test/support/cluster.h"

#include <catch2/catch.hpp>

#include <signal.h>

#include <filesystem>
#include <regex>
#include <sstream>

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

// A spout and a bolt of the faulty plugin, on one worker.
std::string Faulty(const TempDir& dir, const std::string& spout, const std::string& bolt,
                   const std::string& config = "") {
  return dir.Write("faulty.yaml",
                   "name: faulty\n"
                   "plugins: [ " +
                       LibDir() +
                       "/libfaulty.so ]\n"
                       "config: { topology.workers: 1" +
                       config +
                       " }\n"
                       "spouts: [ { id: source, className: " +
                       spout +
                       ", config: { faulty.per.second: 500 } } ]\n"
                       "bolts: [ { id: sink, className: " +
                       bolt +
                       ", parallelism: 2 } ]\n"
                       "streams: [ { from: source, to: sink, grouping: { type: SHUFFLE } } ]\n");
}

TEST_CASE("gale info says why a worker died: the exception its spout's Open threw",
          "[integration][deaths]") {
  TestCluster cluster(1, 2);
  INFO(cluster.Logs());
  auto r = cluster.Gale({"submit", Faulty(cluster.dir(), "NoFileSpout", "MissingFieldBolt")});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  std::string info;
  REQUIRE(WaitFor(
      [&] {
        info = cluster.Gale({"info", "faulty"}).out;
        return Contains(info, "cause: ");
      },
      seconds(60)));
  INFO(info);
  CHECK(Contains(info, "exited with status 1"));
  CHECK(Contains(info, "cause: cannot go on: spout 'source' task "));
  CHECK(Contains(info,
                 "'s Open threw: cannot open lines.file '/nonexistent/lines.txt': No such file or "
                 "directory"));
  CHECK(Contains(info, "in: component source, task "));
}

TEST_CASE("gale info names the signal, component, task and stack of a worker that crashed",
          "[integration][deaths]") {
  TestCluster cluster(1, 2);
  INFO(cluster.Logs());
  auto r = cluster.Gale({"submit", Faulty(cluster.dir(), "SteadySpout", "SegfaultBolt")});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  std::string info;
  REQUIRE(WaitFor(
      [&] {
        info = cluster.Gale({"info", "faulty"}).out;
        return Contains(info, "killed by signal 11") && Contains(info, "stack:");
      },
      seconds(60)));
  INFO(info);
  CHECK(Contains(info, "cause: SIGSEGV (signal 11) in component 'sink' task "));
  CHECK(Contains(info, "in: component sink, task "));
  // The frames name the plugin that crashed, the bolt's method and its line.
  CHECK(
      Contains(info, "SegfaultBolt::Execute(gale::Tuple const&, gale::BasicOutputCollector&) at "));
  CHECK(Contains(info, "faulty.cc:"));
  CHECK(Contains(info, "(libfaulty.so+0x"));
}

TEST_CASE("A bolt that fails every tuple: one error with a count, and a throttled log",
          "[integration][deaths]") {
  TestCluster cluster(1, 2);
  INFO(cluster.Logs());
  // 500 failing tuples a second; at most 3 error reports per 2 s logged.
  auto r = cluster.Gale({"submit", Faulty(cluster.dir(), "SteadySpout", "MissingFieldBolt",
                                          ", topology.max.error.report.per.interval: 3, "
                                          "topology.error.throttle.interval.secs: 2")});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto start = std::chrono::steady_clock::now();
  std::string info;
  // The error's count, from its "(xN)" in gale info.
  auto count = [&] {
    const size_t at = info.find("has no field 'user'  (x");
    return at == std::string::npos ? 0 : std::atol(info.c_str() + at + 23);
  };
  REQUIRE(WaitFor(
      [&] {
        info = cluster.Gale({"info", "faulty"}).out;
        return count() >= 1000;
      },
      seconds(60)));
  const double ran =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO(info);
  // One line for the message, whatever the number of failures.
  CHECK(CountLines(info, "has no field 'user'") == 1);
  const std::string logs = cluster.WorkerLogs();
  const int logged = CountLines(logs, "has no field 'user'");
  INFO("logged " << logged << " times in " << ran << " s");
  // Two executors, each at most 3 a 2-second interval (plus the partial
  // intervals at both ends).
  CHECK(logged <= 2 * 3 * (static_cast<int>(ran / 2) + 2));
  CHECK(Contains(logs, "more error report(s) in the 2 s before were not logged"));
}

TEST_CASE("A component's errors stay in gale info after the worker that reported them dies",
          "[integration][deaths]") {
  TestCluster cluster(1, 2);
  INFO(cluster.Logs());
  auto r = cluster.Gale({"submit", Faulty(cluster.dir(), "SteadySpout", "MissingFieldBolt")});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  std::string info;
  REQUIRE(WaitFor(
      [&] {
        info = cluster.Gale({"info", "faulty"}).out;
        return Contains(info, "has no field 'user'");
      },
      seconds(60)));
  // No more tuples, so no more errors: the next worker reports none.
  REQUIRE(cluster.Gale({"deactivate", "faulty"}).exit_code == 0);
  const auto workers = cluster.Workers();
  REQUIRE(workers.size() == 1);
  REQUIRE(::kill(workers[0].pid, SIGKILL) == 0);
  // The supervisor starts another worker, inactive; once it has reported
  // (the spout's count starts again from 0), the dead one's report is gone.
  const std::regex source_emitted("\"component\":\"source\"[^}]*\"emitted\":([0-9]+)");
  REQUIRE(WaitFor(
      [&] {
        const auto now = cluster.Workers();
        if (now.size() != 1 || now[0].pid == workers[0].pid) return false;
        const std::string json = cluster.Gale({"info", "faulty", "--json"}).out;
        std::smatch m;
        return std::regex_search(json, m, source_emitted) && m[1] == "0";
      },
      seconds(60)));
  info = cluster.Gale({"info", "faulty"}).out;
  INFO(info);
  CHECK(Contains(info, "has no field 'user'"));
}

}  // namespace
}  // namespace gale::testing
