// Shell components end to end: Python subprocesses speaking Storm's
// multilang protocol in `gale local` and on a real two-worker cluster,
// between the word count's C++ spout and counter.
#include "test/support/cluster.h"
#include "test/support/gale_output.h"
#include "test/support/process.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>

namespace gale::testing {
namespace {

using std::chrono::seconds;

std::string Gale() { return BinDir() + "/gale"; }
std::map<std::string, std::string> Env() { return {{"GALE_PLUGIN_PATH", LibDir()}}; }
std::string Components() { return SourceDir() + "/test/multilang/components"; }
std::string Sentences() { return SourceDir() + "/test/multilang/data/sentences.txt"; }
std::map<std::string, int64_t> Expected() { return CountWords(ReadFile(Sentences())); }

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

struct Shape {
  std::string split =
      "className: gale.ShellBolt\n    command: [/usr/bin/python3, raw_split.py]\n"
      "    outputFields: [word]";
  std::string config;         // more topology config lines, each "  key: value\n"
  bool resources_dir = true;  // multilang.resources.dir: the components folder
  int workers = 1;
  std::string name = "multilang-test";
};

// sentences (C++) -> split (the shell bolt under test) -> count (C++) -> report.
std::string Topology(const TempDir& dir, const Shape& s) {
  std::ostringstream y;
  y << "name: " << s.name << "\n"
    << "config:\n"
    << "  topology.workers: " << s.workers << "\n"
    << "  topology.max.spout.pending: 100\n"
    << (s.resources_dir ? "  multilang.resources.dir: " + Components() + "\n" : "") << s.config
    << "plugins: [libwordcount.so]\n"
    << "spouts:\n"
    << "  - id: sentences\n"
    << "    className: SentenceSpout\n"
    << "    config: { sentences.file: " << Sentences() << " }\n"
    << "bolts:\n"
    << "  - id: split\n"
    << "    " << s.split << "\n"
    << "  - id: count\n"
    << "    className: WordCount\n"
    << "  - id: report\n"
    << "    className: ReportBolt\n"
    << "    config: { report.file: " << dir.path()
    << "/counts.txt, topology.tick.tuple.freq.secs: 1 }\n"
    << "streams:\n"
    << "  - { from: sentences, to: split, grouping: { type: SHUFFLE } }\n"
    << "  - { from: split, to: count, grouping: { type: FIELDS, args: [word] } }\n"
    << "  - { from: count, to: report, grouping: { type: GLOBAL } }\n";
  return dir.Write(s.name + ".yaml", y.str());
}

ProcessResult Local(const std::string& yaml, std::vector<std::string> more = {}) {
  std::vector<std::string> argv = {Gale(), "local", yaml};
  argv.insert(argv.end(), more.begin(), more.end());
  return RunProcess(argv, seconds(90), Env());
}

std::string Field(const std::string& out, const std::string& component, size_t col) {
  auto row = ComponentRow(out, component);
  return row.size() > col ? row[col] : "";
}
constexpr size_t kAcked = 6, kFailed = 7, kErrors = 11;

TEST_CASE("A bolt on the bare protocol splits between C++ components, exactly", "[multilang]") {
  TempDir dir;
  auto r = Local(Topology(dir, Shape{}));
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ReadReport(dir.path() + "/counts.txt") == Expected());
  CHECK(Field(r.out, "sentences", kAcked) == "10");
  CHECK(Field(r.out, "sentences", kFailed) == "0");
  CHECK(Field(r.out, "split", kErrors) == "0");
  // Its log message went to the worker's log, tagged with component and task.
  CHECK(r.err.find("[split:") != std::string::npos);
  CHECK(r.err.find("raw_split ready as task ") != std::string::npos);
}

TEST_CASE("With acking off, gale local waits for the subprocess's last answers", "[multilang]") {
  TempDir dir;
  Shape s;
  s.config = "  topology.acker.executors: 0\n";
  s.split =
      "className: gale.ShellBolt\n    command: [/usr/bin/python3, trouble_split.py]\n"
      "    outputFields: [word]";
  s.config += "  trouble.mode: busy\n  trouble.busy.secs: 0.05\n";
  auto r = Local(Topology(dir, s));
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ReadReport(dir.path() + "/counts.txt") == Expected());
}

TEST_CASE("A shell bolt emits on the streams its outputFields map declares", "[multilang]") {
  TempDir dir;
  const std::string yaml = dir.Write(
      "streams.yaml",
      "name: shell-streams\n"
      "config: { multilang.resources.dir: " +
          Components() +
          " }\n"
          "plugins: [libwordcount.so]\n"
          "spouts:\n"
          "  - { id: sentences, className: SentenceSpout, config: { sentences.file: " +
          Sentences() +
          " } }\n"
          "bolts:\n"
          "  - id: split\n"
          "    className: gale.ShellBolt\n"
          "    command: [/usr/bin/python3, streams_split.py]\n"
          "    outputFields: { default: [word], first: [word] }\n"
          "  - { id: count, className: WordCount }\n"
          "  - { id: firsts, className: WordCount }\n"
          "  - { id: report, className: ReportBolt, config: { report.file: " +
          dir.path() +
          "/counts.txt } }\n"
          "  - { id: report-firsts, className: ReportBolt, config: { report.file: " +
          dir.path() +
          "/firsts.txt } }\n"
          "streams:\n"
          "  - { from: sentences, to: split, grouping: { type: SHUFFLE } }\n"
          "  - { from: split, to: count, grouping: { type: FIELDS, args: [word] } }\n"
          "  - { from: split, to: firsts, grouping: { type: FIELDS, args: [word], streamId: first "
          "} }\n"
          "  - { from: count, to: report, grouping: { type: GLOBAL } }\n"
          "  - { from: firsts, to: report-firsts, grouping: { type: GLOBAL } }\n");
  auto r = Local(yaml);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ReadReport(dir.path() + "/counts.txt") == Expected());
  std::map<std::string, int64_t> firsts;
  std::istringstream lines(ReadFile(Sentences()));
  for (std::string line, word; std::getline(lines, line);) {
    std::istringstream(line) >> word;
    ++firsts[word];
  }
  CHECK(ReadReport(dir.path() + "/firsts.txt") == firsts);
}

TEST_CASE("A shell bolt emits directly to the tasks it picks", "[multilang]") {
  TempDir dir;
  const std::string yaml =
      dir.Write("direct.yaml",
                "name: shell-direct\n"
                "config: { multilang.resources.dir: " +
                    Components() +
                    " }\n"
                    "plugins: [libwordcount.so]\n"
                    "spouts:\n"
                    "  - { id: sentences, className: SentenceSpout, config: { sentences.file: " +
                    Sentences() +
                    " } }\n"
                    "bolts:\n"
                    "  - id: split\n"
                    "    className: gale.ShellBolt\n"
                    "    command: [/usr/bin/python3, direct_split.py]\n"
                    "    outputFields: [word]\n"
                    "    directStreams: [default]\n"
                    "  - { id: count, className: WordCount, parallelism: 2 }\n"
                    "  - { id: report, className: ReportBolt, config: { report.file: " +
                    dir.path() +
                    "/counts.txt } }\n"
                    "streams:\n"
                    "  - { from: sentences, to: split, grouping: { type: SHUFFLE } }\n"
                    "  - { from: split, to: count, grouping: { type: DIRECT } }\n"
                    "  - { from: count, to: report, grouping: { type: GLOBAL } }\n");
  auto r = Local(yaml);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ReadReport(dir.path() + "/counts.txt") == Expected());
  CHECK(Field(r.out, "split", kErrors) == "0");
  CHECK(Field(r.out, "sentences", kAcked) == "10");
}

TEST_CASE("Storm's documented splitsentence.py runs unchanged", "[multilang]") {
  TempDir dir;
  Shape s;
  // Flux's form.
  s.split =
      "className: org.apache.storm.flux.wrappers.bolts.FluxShellBolt\n"
      "    constructorArgs: [[/usr/bin/python3, splitsentence.py], [word]]";
  auto r = Local(Topology(dir, s));
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ReadReport(dir.path() + "/counts.txt") == Expected());
  CHECK(Field(r.out, "sentences", kAcked) == "10");
  CHECK(Field(r.out, "split", kErrors) == "0");
}

TEST_CASE("gale_multilang components speak JSON and msgpack", "[multilang]") {
  const std::string serializer = GENERATE("json", "msgpack");
  TempDir dir;
  Shape s;
  s.split =
      "className: gale.ShellBolt\n    command: [/usr/bin/python3, pkg_split.py]\n"
      "    outputFields: [word]\n    serializer: " +
      serializer + "\n    parallelism: 2";
  auto r = Local(Topology(dir, s));
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ReadReport(dir.path() + "/counts.txt") == Expected());
  CHECK(r.err.find(", " + serializer + ") in " + Components()) != std::string::npos);
}

std::string Trouble(const TempDir& dir, const std::string& mode, const std::string& more = "") {
  Shape s;
  s.split =
      "className: gale.ShellBolt\n    command: [/usr/bin/python3, trouble_split.py]\n"
      "    outputFields: [word]";
  s.config = "  trouble.mode: " + mode + "\n  trouble.marker: " + dir.path() + "/marker\n" + more;
  return Topology(dir, s);
}

TEST_CASE("A subprocess that exits fails its task with its stderr shown, and is restarted",
          "[multilang]") {
  TempDir dir;
  auto r = Local(Trouble(dir, "crash"));
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  // What it had is failed and replayed into the restarted subprocess.
  CHECK(ReadReport(dir.path() + "/counts.txt") == Expected());
  CHECK(Field(r.out, "sentences", kFailed) != "0");
  CHECK(Field(r.out, "split", kErrors) == "1");
  CHECK(r.out.find("last error of split (task ") != std::string::npos);
  CHECK(r.out.find(": shell bolt 'split:") != std::string::npos);
  CHECK(r.out.find("subprocess `/usr/bin/python3 trouble_split.py` (pid ") != std::string::npos);
  CHECK(r.out.find("exited with code 3") != std::string::npos);
  CHECK(r.out.find("its last stderr lines:") != std::string::npos);
  CHECK(r.out.find("trouble_split: about to die on ") != std::string::npos);
  // Its stderr went to the log line by line, tagged.
  CHECK(r.err.find("stderr] trouble_split: about to die on") != std::string::npos);
  CHECK(Count(r.err, "started `/usr/bin/python3 trouble_split.py`") == 2);
}

TEST_CASE("A subprocess that stops answering is killed after the timeout and restarted",
          "[multilang]") {
  TempDir dir;
  auto r = Local(Trouble(dir, "hang", "  topology.subprocess.timeout.secs: 2\n"));
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ReadReport(dir.path() + "/counts.txt") == Expected());
  CHECK(r.out.find("no answer to a heartbeat for 2 s (topology.subprocess.timeout.secs)") !=
        std::string::npos);
  CHECK(r.out.find("trouble_split: hanging on ") != std::string::npos);
  CHECK(Count(r.err, "started `/usr/bin/python3 trouble_split.py`") == 2);
}

TEST_CASE("A subprocess that cannot be started again is reported, and retried", "[multilang]") {
  TempDir dir;
  // Its first run shakes hands, deletes its own script and exits.
  const std::string code = dir.path() + "/code";
  std::filesystem::create_directories(code);
  dir.Write("code/vanish.sh",
            "#!/bin/sh\n"
            "while read -r line; do [ \"$line\" = end ] && break; done\n"
            "printf '{\"pid\": %d}\\nend\\n' $$\n"
            "rm -f \"$0\"\necho vanishing >&2\nexit 1\n");
  std::filesystem::permissions(code + "/vanish.sh", std::filesystem::perms::owner_all);
  Shape s;
  s.resources_dir = false;
  s.config = "  multilang.resources.dir: " + code + "\n";
  s.split = "className: gale.ShellBolt\n    command: [./vanish.sh]\n    outputFields: [word]";
  auto r = Local(Topology(dir, s), {"--duration", "4"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("vanishing") != std::string::npos);
  CHECK(r.out.find("shell bolt 'split:") != std::string::npos);
  CHECK(r.out.find("cannot run './vanish.sh' in " + code +
                   ": No such file or directory; trying "
                   "again in ") != std::string::npos);
}

TEST_CASE("A malformed message is an error naming the component", "[multilang]") {
  TempDir dir;
  auto r = Local(Trouble(dir, "garbage"));
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ReadReport(dir.path() + "/counts.txt") == Expected());
  CHECK(r.out.find("shell bolt 'split:") != std::string::npos);
  CHECK(r.out.find("it wrote a malformed json message: invalid JSON at byte 0: unknown literal "
                   "in message 'this is not json '") != std::string::npos);
}

TEST_CASE("A busy subprocess that answers heartbeats late but within the timeout lives",
          "[multilang]") {
  TempDir dir;
  // 10 sentences at 0.5 s each, all queued at once: a heartbeat waits
  // behind up to 5 s of work, more than twice the 2 s timeout, while the
  // subprocess answers a tuple every 0.5 s.
  auto r = Local(
      Trouble(dir, "busy", "  trouble.busy.secs: 0.5\n  topology.subprocess.timeout.secs: 2\n"));
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ReadReport(dir.path() + "/counts.txt") == Expected());
  CHECK(Field(r.out, "split", kErrors) == "0");
  CHECK(Field(r.out, "sentences", kFailed) == "0");
  CHECK(Count(r.err, "started `/usr/bin/python3 trouble_split.py`") == 1);
}

TEST_CASE("A gale_multilang process() longer than the timeout is not taken for a hang",
          "[multilang]") {
  TempDir dir;
  Shape s;
  s.split =
      "className: gale.ShellBolt\n    command: [/usr/bin/python3, slow_pkg_split.py]\n"
      "    outputFields: [word]";
  // 3 s in one process() against a 1 s timeout: its reader thread answers
  // the heartbeats meanwhile.
  s.config = "  slow.secs: 3\n  topology.subprocess.timeout.secs: 1\n";
  auto r = Local(Topology(dir, s));
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ReadReport(dir.path() + "/counts.txt") == Expected());
  CHECK(Field(r.out, "split", kErrors) == "0");
  CHECK(Field(r.out, "sentences", kFailed) == "0");
  CHECK(Count(r.err, "started `/usr/bin/python3 slow_pkg_split.py`") == 1);
}

TEST_CASE("Tuples a shell bolt fails are replayed by the spout", "[multilang]") {
  TempDir dir;
  auto r = Local(Trouble(dir, "failonce"));
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ReadReport(dir.path() + "/counts.txt") == Expected());
  CHECK(Field(r.out, "sentences", kFailed) == "10");
  CHECK(Field(r.out, "sentences", kAcked) == "10");
}

TEST_CASE("A shell spout emits reliably and hears its acks, also after a crash", "[multilang]") {
  const bool crash = GENERATE(false, true);
  TempDir dir;
  const std::string yaml =
      dir.Write("spout.yaml",
                "name: shell-spout\n"
                "config: { multilang.resources.dir: " +
                    Components() + ", words.text: \"b a c a b a\", words.acked: " + dir.path() +
                    "/acked.txt" +
                    (crash ? ", words.crash.marker: " + dir.path() + "/marker" : std::string()) +
                    " }\n"
                    "plugins: [libwordcount.so]\n"
                    "spouts:\n"
                    "  - id: words\n"
                    "    className: gale.ShellSpout\n"
                    "    command: [/usr/bin/python3, words_spout.py]\n"
                    "    outputFields: [word]\n"
                    "bolts:\n"
                    "  - { id: count, className: WordCount }\n"
                    "  - { id: report, className: ReportBolt, config: { report.file: " +
                    dir.path() +
                    "/counts.txt } }\n"
                    "streams:\n"
                    "  - { from: words, to: count, grouping: { type: FIELDS, args: [word] } }\n"
                    "  - { from: count, to: report, grouping: { type: GLOBAL } }\n");
  auto r = Local(yaml, {"--duration", "4"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ReadReport(dir.path() + "/counts.txt") ==
        std::map<std::string, int64_t>{{"a", 3}, {"b", 2}, {"c", 1}});
  std::istringstream acked(ReadFile(dir.path() + "/acked.txt"));
  std::set<int> ids;
  for (int id; acked >> id;) ids.insert(id);
  CHECK(ids == std::set<int>{0, 1, 2, 3, 4, 5});
  if (crash) {
    CHECK(r.out.find("last error of words (task ") != std::string::npos);
    CHECK(r.out.find("shell spout 'words:") != std::string::npos);
    CHECK(r.out.find("exited with code 3") != std::string::npos);
    CHECK(r.out.find("words_spout: crashing on purpose") != std::string::npos);
  }
}

TEST_CASE("gale_multilang installs with pip into a venv and runs from there", "[multilang]") {
  TempDir dir;
  // A copy: pip builds in the source folder.
  const std::string src = dir.path() + "/src", venv = dir.path() + "/venv";
  REQUIRE(RunProcess({"/bin/cp", "-r", SourceDir() + "/multilang/python", src}).exit_code == 0);
  RunProcess({"/bin/rm", "-rf", src + "/build", src + "/gale_multilang.egg-info"});
  auto r =
      RunProcess({"/usr/bin/python3", "-m", "venv", "--system-site-packages", venv}, seconds(120));
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  // No PyPI here: Debian's setuptools builds it (--no-build-isolation).
  r = RunProcess({venv + "/bin/pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
                  "--no-cache-dir", "--disable-pip-version-check", src},
                 seconds(300));
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  // A resources folder with the script only: the package comes from the venv.
  std::filesystem::create_directories(dir.path() + "/code");
  std::filesystem::copy_file(Components() + "/pkg_split.py", dir.path() + "/code/pkg_split.py");
  Shape s;
  s.resources_dir = false;
  s.config = "  multilang.resources.dir: " + dir.path() + "/code\n";
  s.split = "className: gale.ShellBolt\n    command: [" + venv +
            "/bin/python, pkg_split.py]\n    outputFields: [word]";
  auto run = Local(Topology(dir, s));
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(ReadReport(dir.path() + "/counts.txt") == Expected());
}

TEST_CASE("A missing program or script is a validation error naming it", "[multilang]") {
  TempDir dir;
  Shape s;
  s.split =
      "className: gale.ShellBolt\n    command: [python-nope, nope.py]\n"
      "    outputFields: [word]";
  const std::string yaml = Topology(dir, s);
  auto r = RunProcess({Gale(), "validate", yaml}, seconds(60), Env());
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find(yaml + ":14:14: bolt 'split': program 'python-nope' not found on PATH") !=
        std::string::npos);
  CHECK(r.err.find(yaml + ":14:14: bolt 'split': script 'nope.py' not found in " + Components()) !=
        std::string::npos);

  s.split = "className: gale.ShellBolt\n    outputFields: [word]";
  auto missing = RunProcess({Gale(), "validate", Topology(dir, s)}, seconds(60), Env());
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("missing required key 'command' in bolt 'split'") != std::string::npos);

  // constructorArgs stays refused for other classes.
  s.split = "className: WordCount\n    constructorArgs: [[/usr/bin/python3, x.py], [word]]";
  auto flux = RunProcess({Gale(), "validate", Topology(dir, s)}, seconds(60), Env());
  CHECK(flux.exit_code == 2);
  CHECK(flux.err.find("Flux key 'constructorArgs' in bolt 'split' is not supported by Gale") !=
        std::string::npos);
}

TEST_CASE("On a cluster, resources/ is uploaded and a crashing subprocess shows in gale info",
          "[multilang][cluster]") {
  TestCluster cluster;
  INFO(cluster.Logs());
  TempDir dir;
  // resources/ next to the YAML, as a user's project has it (gale_multilang
  // as a link, which the archive follows).
  namespace fs = std::filesystem;
  fs::create_directories(dir.path() + "/resources");
  for (const char* f : {"proto.py", "trouble_split.py", "pkg_split.py"}) {
    fs::copy_file(Components() + "/" + f, dir.path() + "/resources/" + f);
  }
  fs::create_directory_symlink(SourceDir() + "/multilang/python/gale_multilang",
                               dir.path() + "/resources/gale_multilang");
  Shape s;
  s.resources_dir = false;
  s.workers = 2;
  s.name = "multilang-cluster";
  s.split =
      "className: gale.ShellBolt\n    command: [/usr/bin/python3, trouble_split.py]\n"
      "    outputFields: [word]\n    parallelism: 2";
  // Whichever split task starts first crashes on its first tuple: the plain
  // shuffle sends tuples to both (the load-aware default keeps this trickle
  // in the spout's worker, and the other task might never get one).
  s.config = "  trouble.mode: crash\n  trouble.marker: " + dir.path() +
             "/marker\n  topology.disable.loadaware.messaging: true\n";
  auto r = cluster.Gale({"submit", Topology(dir, s)});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("gale-resources-") != std::string::npos);  // the archive was uploaded

  CHECK(WaitFor([&] { return ReadReport(dir.path() + "/counts.txt") == Expected(); }, seconds(90)));
  std::string info;
  CHECK(WaitFor(
      [&] {
        info = cluster.Gale({"info", "multilang-cluster"}).out;
        return info.find("last errors of split:") != std::string::npos &&
               info.find("exited with code 3") != std::string::npos;
      },
      seconds(60)));
  INFO(info);
  CHECK(info.find("trouble_split: about to die on ") != std::string::npos);
  const std::string logs = cluster.WorkerLogs();
  INFO(logs);
  // Both split tasks ran from the unpacked archive, in the workers' directory.
  CHECK(Count(logs, "started `/usr/bin/python3 trouble_split.py`") >= 3);
  CHECK(logs.find(".resources") != std::string::npos);
  CHECK(logs.find(" in " + dir.path()) == std::string::npos);
  CHECK(cluster.Gale({"kill", "multilang-cluster", "--wait", "0"}).exit_code == 0);
}

}  // namespace
}  // namespace gale::testing
