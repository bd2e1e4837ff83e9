// The Python and JavaScript clients (clients/) against a real cluster on
// loopback: gale-nimbus and supervisors from TestCluster (free ports, stopped
// by pid also when a check fails), the clients run as processes with bounded
// waits: scripts/gale_py.py under Debian's /usr/bin/python3 and
// clients/js/gale_info.js under node from the checkout; the packages as users
// install them: gale-client into a venv (pip install --no-deps) for
// test/clients/python_client_test.py, and npm's packed gale-client into a
// fresh project for test/clients/js_client_test.mjs.
#include "test/support/cluster.h"
#include "test/support/gale_output.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

namespace gale::testing {
namespace {

using std::chrono::seconds;

const char* const kPython = "/usr/bin/python3";

// A copy of a folder of the checkout in `to` (so that builds of a package
// never write into the source tree, nor share a folder between tests).
void CopyTree(const std::string& from, const std::string& to) {
  auto r = RunProcess({"/bin/cp", "-r", from, to}, seconds(60));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
}

// The Python package gale-client installed as the README says for a machine
// without PyPI: a venv over Debian's python3-thrift, pip install --no-deps
// (--no-build-isolation: the build uses Debian's setuptools, not PyPI's).
// Returns the venv's python.
std::string InstallPythonPackage(const TempDir& dir) {
  const std::string src = dir.path() + "/gale-client-src", venv = dir.path() + "/venv";
  CopyTree(SourceDir() + "/clients/python", src);
  // What an earlier in-tree `pip install clients/python` left there.
  RunProcess({"/bin/rm", "-rf", src + "/build", src + "/gale_client.egg-info"});
  auto r = RunProcess({kPython, "-m", "venv", "--system-site-packages", venv}, seconds(120));
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  r = RunProcess({venv + "/bin/pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
                  "--no-cache-dir", "--disable-pip-version-check", src},
                 seconds(300), {{"GALE_THRIFT_IDL", SourceDir() + "/thrift/gale.thrift"}});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  return venv + "/bin/python";
}

// The npm package gale-client packed (its prepare script generates the Thrift
// code into it) and installed into a new project `app`; returns that folder.
std::string InstallJsPackage(const TempDir& dir) {
  const std::string src = dir.path() + "/gale-client-js", app = dir.path() + "/app";
  CopyTree(SourceDir() + "/clients/js", src);
  RunProcess({"/bin/rm", "-rf", src + "/node_modules", src + "/gen-nodejs"});
  const std::map<std::string, std::string> env{
      {"GALE_THRIFT_IDL", SourceDir() + "/thrift/gale.thrift"},
      {"npm_config_update_notifier", "false"}};
  auto r = RunProcess({GALE_NPM, "pack", "--pack-destination", dir.path()}, seconds(120), env, src);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(RunProcess({"/bin/mkdir", "-p", app}).exit_code == 0);
  {
    std::ofstream(app + "/package.json")
        << R"({"name": "app", "version": "1.0.0", "private": true})"
        << "\n";
  }
  r = RunProcess({GALE_NPM, "install", "--prefer-offline", "--no-audit", "--no-fund",
                  dir.path() + "/gale-client-0.1.0.tgz"},
                 seconds(300), env, app);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  return app;
}

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

TEST_CASE(
    "Python package installed into a venv: declared exceptions, uploads, lifecycle calls, "
    "timeouts and YAML submits",
    "[integration][clients]") {
  TestCluster cluster(1, 2);
  INFO(cluster.Logs());
  TempDir scratch;
  const std::string python = InstallPythonPackage(scratch);
  // Run from the scratch folder with nothing pointing at the checkout: the
  // package must bring its own generated code.
  auto r = RunProcess(
      {python, SourceDir() + "/test/clients/python_client_test.py", "--nimbus", cluster.nimbus(),
       "--plugin", LibDir() + "/libwordcount.so", "--tmp", scratch.path(), "--repo", SourceDir()},
      seconds(300), {}, scratch.path());
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.err, "\nOK"));
  CHECK(Contains(r.err, "test_repository_word_count_with_include_filter_and_plugin_path"));

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

  // gale_py.py submit: a YAML file through nimbus's loader, as `gale submit`.
  const std::string yaml = SourceDir() + "/topologies/wordcount/wordcount-cluster.yaml";
  r = GalePy(cluster, {"submit", yaml, "--plugin-path", LibDir()});
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.err, "gale_py: InvalidTopologyException: " + yaml +
                            ":16:29: undefined property '${sentences.per.second}'"));
  {
    std::ofstream(scratch.path() + "/wc.properties")
        << "report.file=" << scratch.path() << "/report.txt\nsentences.per.second=10\n";
  }
  r = GalePy(cluster, {"submit", yaml, "--filter", scratch.path() + "/wc.properties",
                       "--plugin-path", LibDir(), "--inactive"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "submitted topology 'wordcount' (inactive)\n");
  CHECK(HasLine(GalePy(cluster, {"list"}).out, {"wordcount", "INACTIVE", "8"}));
  CHECK(GalePy(cluster, {"kill", "wordcount", "--wait", "0"}).exit_code == 0);
}

TEST_CASE(
    "JavaScript package packed and installed: submit with plugin upload, counters as numbers, "
    "rebalance, errors with nimbus's message, YAML submit, both entry points",
    "[integration][clients]") {
  TestCluster cluster(1, 2);
  INFO(cluster.Logs());
  TempDir scratch;
  const std::string app = InstallJsPackage(scratch);
  // The test runs inside the project, so that 'gale-client' is the installed
  // package; nothing points at the build tree.
  CopyTree(SourceDir() + "/test/clients/js_client_test.mjs", app + "/js_client_test.mjs");
  REQUIRE(RunProcess({"/bin/mkdir", "-p", scratch.path() + "/tmp"}).exit_code == 0);
  auto r = RunProcess(
      {GALE_NODE, app + "/js_client_test.mjs", "--nimbus", cluster.nimbus(), "--plugin",
       LibDir() + "/libwordcount.so", "--tmp", scratch.path() + "/tmp", "--repo", SourceDir()},
      seconds(300), {}, app);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.out, "# pass 7\n"));
  CHECK(Contains(r.out, "# fail 0\n"));

  // The TypeScript declarations, as a user's code sees them through the
  // exports map: the ES module and the CommonJS entry (typescript and
  // @types/node are devDependencies of clients/js).
  const std::string js_modules = SourceDir() + "/clients/js/node_modules";
  CopyTree(SourceDir() + "/test/clients/types", app + "/types");
  r = RunProcess(
      {GALE_NODE, js_modules + "/typescript/bin/tsc", "--noEmit", "--strict", "--module", "node16",
       "--moduleResolution", "node16", "--target", "es2020", "--typeRoots", js_modules + "/@types",
       "--types", "node", app + "/types/esm_check.mts", app + "/types/cjs_check.cts"},
      seconds(120), {}, app);
  INFO("tsc: " << r.out << r.err);
  CHECK(r.exit_code == 0);
}

// A project as a user has it: a topology file with a Python bolt (the
// repository's word count, its report redirected into the project) and
// resources/ next to it; returns the file.
std::string PythonWordCount(const TempDir& dir, const std::string& name) {
  const std::string app = dir.path() + "/" + name;
  REQUIRE(RunProcess({"/bin/mkdir", "-p", app}).exit_code == 0);
  // -L: gale_multilang is a link into multilang/python in the repository.
  REQUIRE(RunProcess({"/bin/cp", "-rL", SourceDir() + "/topologies/wordcount/resources",
                      app + "/resources"})
              .exit_code == 0);
  return dir.Write(name + "/top.yaml", "name: " + name + "\nincludes: [ { file: " + SourceDir() +
                                           "/topologies/wordcount/wordcount-python.yaml } ]\n"
                                           "bolts:\n"
                                           "  - id: report\n"
                                           "    className: ReportBolt\n"
                                           "    config: { report.file: " +
                                           app +
                                           "/report.txt, topology.tick.tuple.freq.secs: 1 }\n");
}

// The value after `prefix` on the line of `text` that starts with it.
std::string LineValue(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
  }
  return "";
}

TEST_CASE(
    "Clients authenticate with tokens and with certificates, refusals are Unauthorized, and "
    "YAML submits send shell components' resources/",
    "[integration][clients][auth]") {
  const std::string mode = GENERATE(as<std::string>{}, "token", "tls");
  CAPTURE(mode);
  TempDir dir;
  const std::string keys = dir.path() + "/keys";
  auto r = RunProcess({BinDir() + "/gale", "auth", "init", keys, "--mode", mode, "--user",
                       "alice:submitter", "--user", "bob:reader", "--user", "root:admin"},
                      seconds(30));
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  TestCluster cluster(1, 2, {"--config", keys + "/cluster.yaml"},
                      {"--config", keys + "/cluster.yaml"}, {"--auth", keys + "/root.yaml"});
  INFO(cluster.Logs());
  const auto expected =
      CountWords(ReadFile(SourceDir() + "/topologies/wordcount/data/sentences.txt"));
  const std::vector<std::string> common{"--nimbus", cluster.nimbus(), "--keys", keys, "--mode",
                                        mode,       "--plugin-path",  LibDir()};
  std::map<std::string, std::string> env = ClientEnv();
  env["PYTHONPATH"] = SourceDir() + "/clients/python";
  std::vector<std::string> shas;
  for (const std::string client : {"py", "js"}) {
    CAPTURE(client);
    const std::string name = client + "-wordcount-python", yaml = PythonWordCount(dir, name);
    std::vector<std::string> argv =
        client == "py"
            ? std::vector<std::string>{kPython, SourceDir() + "/test/clients/auth_client_test.py"}
            : std::vector<std::string>{GALE_NODE,
                                       SourceDir() + "/test/clients/auth_client_test.mjs",
                                       "--client", SourceDir() + "/clients/js"};
    argv.insert(argv.end(), common.begin(), common.end());
    argv.insert(argv.end(), {"--yaml", yaml});
    r = RunProcess(argv, seconds(180), env, dir.path());
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(LineValue(r.out, "submitted ") == name);
    CHECK(Contains(r.out, "\nOK\n"));
    shas.push_back(LineValue(r.out, "resources "));
    CHECK(shas.back().size() == 64);
    // The Python bolt ran in the unpacked resources/ on the worker: every word counted.
    CHECK(WaitFor([&] { return ReadReport(dir.path() + "/" + name + "/report.txt") == expected; },
                  seconds(60)));
    CHECK(cluster.Gale({"kill", name, "--wait", "0"}).exit_code == 0);
  }
  // Both clients pack a folder into the same bytes (so nimbus stores it once).
  CHECK(shas[0] == shas[1]);
}

}  // namespace
}  // namespace gale::testing
