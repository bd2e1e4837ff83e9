// The Python and JavaScript clients (clients/) against a real cluster on
// loopback: gale-nimbus and supervisors from TestCluster (free ports, stopped
// by pid also when a check fails), the clients run as processes with bounded
// waits: scripts/gale_py.py and test/clients/python_client_test.py under
// Debian's /usr/bin/python3, clients/js/gale_info.js under node.
#include "test/support/cluster.h"
#include "test/support/gale_output.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

namespace gale::testing {
namespace {

using std::chrono::seconds;

const char* const kPython = "/usr/bin/python3";

// Where the clients find the generated code of this build tree.
std::map<std::string, std::string> ClientEnv() {
  return {{"GALE_PY_GEN", BuildDir() + "/clients/python/gen"},
          {"GALE_JS_GEN", BuildDir() + "/clients/js/gen-nodejs"},
          {"GALE_BUILD_DIR", BuildDir()}};
}

// scripts/gale_py.py --nimbus <cluster> ARGS
ProcessResult GalePy(const TestCluster& cluster, std::vector<std::string> args,
                     seconds timeout = seconds(60)) {
  std::vector<std::string> argv{kPython, SourceDir() + "/scripts/gale_py.py", "--nimbus",
                                cluster.nimbus()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, timeout, ClientEnv());
}

// node clients/js/gale_info.js --nimbus <cluster> ARGS
ProcessResult GaleInfoJs(const TestCluster& cluster, std::vector<std::string> args) {
  std::vector<std::string> argv{GALE_NODE, SourceDir() + "/clients/js/gale_info.js", "--nimbus",
                                cluster.nimbus()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, seconds(60), ClientEnv());
}

// Column `col` of the row of `component` in the component table of
// `gale_py.py info` (component execs tasks emitted ...); -1 when absent.
int64_t Column(const std::string& info, const std::string& component, size_t col) {
  std::istringstream in(info);
  std::string line;
  while (std::getline(in, line)) {
    if (line == "executors:") break;
    auto w = Words(line);
    if (w.size() > col && w[0] == component &&
        std::isdigit(static_cast<unsigned char>(w[col][0]))) {
      return std::stoll(w[col]);
    }
  }
  return -1;
}
constexpr size_t kEmitted = 3, kAcked = 6;

// The host:port of every executor line of `gale_py.py info`.
std::set<std::string> Workers(const std::string& info) {
  std::set<std::string> out;
  for (const auto& e : Executors(info)) out.insert(e.worker);
  return out;
}

bool Contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

// Whether a line of `text` starts with these words.
bool HasLine(const std::string& text, const std::vector<std::string>& words) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto w = Words(line);
    if (w.size() >= words.size() && std::equal(words.begin(), words.end(), w.begin())) return true;
  }
  return false;
}

TEST_CASE(
    "Python client submits word count built in Python, sees it run, the JavaScript client "
    "reads it, and the Python client kills it",
    "[integration][clients]") {
  TestCluster cluster(2, 2);
  INFO(cluster.Logs());
  auto r = GalePy(cluster, {"submit-wordcount", "--plugin", LibDir() + "/libwordcount.so",
                            "--workers", "2", "--rate", "100"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(Contains(r.out, "submitted topology 'wordcount'"));

  // Tuples flow: the spout's emitted count grows from one look to the next.
  std::string info;
  int64_t first = -1;
  REQUIRE(WaitFor(
      [&] {
        info = GalePy(cluster, {"info", "wordcount"}).out;
        first = Column(info, "sentences", kEmitted);
        return first > 0 && Column(info, "count", kEmitted) > 0;
      },
      seconds(60)));
  INFO(info);
  CHECK(WaitFor(
      [&] {
        info = GalePy(cluster, {"info", "wordcount"}).out;
        return Column(info, "sentences", kEmitted) > first + 50 &&
               Column(info, "report", kAcked) > 0;
      },
      seconds(30)));
  CHECK(Contains(info, "topology wordcount ("));
  CHECK(Contains(info, "ACTIVE"));
  CHECK(Column(info, "split", kEmitted) > 0);
  CHECK(Workers(info).size() == 2);  // --workers 2
  // The C++ client sees the same topology.
  const auto gale_info = cluster.Gale({"info", "wordcount"});
  CHECK(gale_info.exit_code == 0);
  CHECK(Contains(gale_info.out, "2 worker(s), 8 executor(s)"));

  // The JavaScript client: the list, then the info of each topology.
  auto js = GaleInfoJs(cluster, {});
  INFO("gale_info.js: " << js.out << js.err);
  CHECK(js.exit_code == 0);
  CHECK(HasLine(js.out, {"wordcount", "ACTIVE", "8", "2"}));  // name status execs workers
  CHECK(Contains(js.out, "topology wordcount (wordcount-"));
  for (const char* component : {"sentences", "split", "count", "report", "__acker"}) {
    CHECK(HasLine(js.out, {component}));
  }
  CHECK(Contains(js.out, "executors:"));
  for (const auto& hostport : Workers(info)) CHECK(Contains(js.out, hostport));
  js = GaleInfoJs(cluster, {"wordcount"});
  CHECK(js.exit_code == 0);
  CHECK(Contains(js.out, "topology wordcount (wordcount-"));
  js = GaleInfoJs(cluster, {"zzz"});
  CHECK(js.exit_code == 1);
  CHECK(Contains(js.err, "gale_info: NotAliveException: no topology named 'zzz'"));

  // Kill: the topology goes away and every slot is free again.
  r = GalePy(cluster, {"kill", "wordcount", "--wait", "0"});
  REQUIRE(r.exit_code == 0);
  CHECK(WaitFor(
      [&] {
        const auto list = GalePy(cluster, {"list"}).out;
        return Contains(list, "(no topologies)") && Contains(list, "4 slot(s): 0 used, 4 free");
      },
      seconds(20)));
  r = GalePy(cluster, {"info", "wordcount"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "gale_py: NotAliveException: no topology named 'wordcount'\n");
  js = GaleInfoJs(cluster, {});
  CHECK(js.exit_code == 0);
  CHECK(Contains(js.out, "(no topologies)"));
}

TEST_CASE("Python client: declared exceptions, uploads, lifecycle calls and timeouts",
          "[integration][clients]") {
  TestCluster cluster(1, 2);
  INFO(cluster.Logs());
  TempDir scratch;
  auto r = RunProcess(
      {kPython, SourceDir() + "/test/clients/python_client_test.py", "--nimbus", cluster.nimbus(),
       "--plugin", LibDir() + "/libwordcount.so", "--tmp", scratch.path()},
      seconds(180), ClientEnv());
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.err, "\nOK"));

  // The command-line example reports them with their type and message.
  r = GalePy(cluster, {"kill", "zzz"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "gale_py: NotAliveException: no topology named 'zzz'\n");
  r = GalePy(cluster, {"submit-wordcount", "--plugin", LibDir() + "/libwordcount.so", "--name",
                       "twice", "--inactive"});
  CHECK(r.exit_code == 0);
  r = GalePy(cluster,
             {"submit-wordcount", "--plugin", LibDir() + "/libwordcount.so", "--name", "twice"});
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.err, "gale_py: AlreadyAliveException: topology 'twice' is already running"));
  CHECK(GalePy(cluster, {"kill", "twice", "--wait", "0"}).exit_code == 0);
}

}  // namespace
}  // namespace gale::testing
