// FileSpout and FileSink in `gale local`, as a user runs them: a directory
// of files read into rotating output files, the process SIGKILLed mid-run
// and started again.
#include "connectors/files/offsets_file.h"
#include "test/connectors/support/servers.h"
#include "test/support/cluster.h"
#include "test/support/process.h"

#include <catch2/catch.hpp>

#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

namespace gale::testing {
namespace {

using std::chrono::seconds;
namespace fs = std::filesystem;

std::string Gale() { return BinDir() + "/gale"; }

// Lines "<prefix>-NNNNNN" numbered from `first`: 9 bytes each with the newline.
std::string Numbered(const std::string& prefix, int first, int count) {
  std::string out;
  char buf[32];
  for (int i = first; i < first + count; ++i) {
    std::snprintf(buf, sizeof buf, "%s-%06d\n", prefix.c_str(), i);
    out += buf;
  }
  return out;
}

void Append(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::app);
  out << text;
}

// Every line of every file in `dir`, with how often it occurs.
std::map<std::string, int> OutputLines(const std::string& dir) {
  std::map<std::string, int> lines;
  if (!fs::exists(dir)) return lines;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::ifstream in(e.path());
    std::string line;
    while (std::getline(in, line)) ++lines[line];
  }
  return lines;
}

size_t CountLines(const std::string& dir) {
  size_t n = 0;
  for (const auto& [line, count] : OutputLines(dir)) n += static_cast<size_t>(count);
  return n;
}

std::string Topology(const TempDir& tmp, const std::string& name, const std::string& in,
                     const std::string& out, const std::string& spout_config) {
  return tmp.Write(name,
                   "name: files-test\n"
                   "config:\n"
                   "  topology.max.spout.pending: 500\n"
                   "  topology.message.timeout.secs: 10\n"
                   "plugins: [ libgale_files.so ]\n"
                   "spouts:\n"
                   "  - id: reader\n"
                   "    className: FileSpout\n"
                   "    config: { filespout.dir: " +
                       in + ", filespout.glob: '*.log', filespout.poll.ms: 100, " + spout_config +
                       " }\n"
                       "bolts:\n"
                       "  - id: writer\n"
                       "    className: FileSink\n"
                       "    parallelism: 2\n"
                       "    config: { filesink.dir: " +
                       out +
                       ", filesink.field: line, filesink.batch.size: 50, "
                       "filesink.rotate.bytes: 16384, topology.tick.tuple.freq.secs: 0.1 }\n"
                       "streams:\n"
                       "  - { from: reader, to: writer, grouping: { type: SHUFFLE } }\n");
}

TEST_CASE(
    "FileSpout after a SIGKILL: every line reaches the sink and no committed line is read "
    "again",
    "[integration][connectors]") {
  TempDir tmp;
  const std::string in = tmp.path() + "/in", out1 = tmp.path() + "/out1",
                    out2 = tmp.path() + "/out2", done = tmp.path() + "/done";
  fs::create_directories(in);
  Append(in + "/a.log", Numbered("a", 0, 8000));
  Append(in + "/b.log", Numbered("b", 0, 8000));
  Append(in + "/ignored.txt", "not matched by the glob\n");

  // Run 1: throttled, so that it is killed with lines in flight.
  {
    Daemon run(
        {Gale(), "local", Topology(tmp, "run1.yaml", in, out1, "filespout.per.second: 4000")},
        tmp.path() + "/run1.log");
    REQUIRE(OrShowLog(WaitFor([&] { return CountLines(out1) >= 3000; }, seconds(60)),
                      tmp.path() + "/run1.log"));
    run.Kill(SIGKILL);
    run.Wait(seconds(10));
  }

  // What run 1 committed: those lines are acked and must not be read again.
  connectors::files::Offsets committed;
  std::string error;
  REQUIRE(connectors::files::ReadOffsets(in + "/.gale-offsets-reader-0", &committed, &error));
  INFO(error);
  std::set<std::string> acked;
  for (const auto& [name, o] : committed) {
    REQUIRE(o.committed % 9 == 0);  // whole lines only
    const std::string prefix = name.substr(0, 1);
    for (uint64_t i = 0; i < o.committed / 9; ++i) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%s-%06d", prefix.c_str(), static_cast<int>(i));
      acked.insert(buf);
    }
  }
  const auto first = OutputLines(out1);
  REQUIRE(acked.size() > 0);
  CHECK(first.size() < 16000);  // killed mid-run
  for (const auto& line : acked) {
    INFO(line);
    REQUIRE(first.count(line) >= 1);  // acked only after the sink's fsync
  }

  // Meanwhile the files grow and a new one arrives, its last line unterminated.
  Append(in + "/a.log", Numbered("a", 8000, 1000));
  Append(in + "/c.log", Numbered("c", 0, 500) + "c-last");

  // Run 2: until everything is read, acked and moved to the done folder.
  auto r = RunProcess({Gale(), "local",
                       Topology(tmp, "run2.yaml", in, out2,
                                "filespout.exhaust: true, filespout.done.dir: " + done)},
                      seconds(60));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto second = OutputLines(out2);
  for (const auto& line : acked) {
    INFO(line);
    REQUIRE(second.count(line) == 0);
  }
  std::set<std::string> expected;
  for (const auto& text : {Numbered("a", 0, 9000), Numbered("b", 0, 8000), Numbered("c", 0, 500)}) {
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) expected.insert(line);
  }
  expected.insert("c-last");
  size_t missing = 0;
  for (const auto& line : expected) {
    if (!first.count(line) && !second.count(line)) ++missing;
  }
  CHECK(missing == 0);
  CHECK(second.count("not matched by the glob") == 0);

  // Every matched file was moved, and the offsets file forgot them.
  CHECK(fs::exists(done + "/a.log"));
  CHECK(fs::exists(done + "/b.log"));
  CHECK(fs::exists(done + "/c.log"));
  CHECK(fs::exists(in + "/ignored.txt"));
  REQUIRE(connectors::files::ReadOffsets(in + "/.gale-offsets-reader-0", &committed, &error));
  CHECK(committed.empty());
  // The sink rotated (16 KiB files): many files, none far beyond the limit.
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(out2)) {
    ++files;
    CHECK(fs::file_size(e.path()) < 16384 + 50 * 16);
  }
  CHECK(files > 4);
}

TEST_CASE("FileSpout reports a missing directory and reads it once it appears",
          "[integration][connectors]") {
  TempDir tmp;
  const std::string in = tmp.path() + "/later", out = tmp.path() + "/out";
  const std::string yaml = Topology(tmp, "t.yaml", in, out, "filespout.exhaust: true");
  Daemon run({Gale(), "local", yaml}, tmp.path() + "/run.log");
  REQUIRE(WaitFor(
      [&] {
        return ReadFile(tmp.path() + "/run.log").find("cannot list filespout.dir") !=
               std::string::npos;
      },
      seconds(30)));
  CHECK(run.Running());
  // Written aside and renamed in, so that the spout never sees it half written.
  const std::string staging = tmp.path() + "/staging";
  fs::create_directories(staging);
  Append(staging + "/x.log", Numbered("x", 0, 100));
  fs::rename(staging, in);
  CHECK(OrShowLog(run.Wait(seconds(30)) == 0, tmp.path() + "/run.log"));
  CHECK(OutputLines(out).size() == 100);
}

TEST_CASE(
    "FileSink reports a directory it cannot write, fails the inputs, and writes them once "
    "it can",
    "[integration][connectors]") {
  TempDir tmp;
  const std::string in = tmp.path() + "/in", out = tmp.path() + "/out";
  fs::create_directories(in);
  Append(in + "/x.log", Numbered("x", 0, 200));
  Append(out, "a file where the sink wants a directory\n");
  Daemon run({Gale(), "local", Topology(tmp, "t.yaml", in, out, "filespout.exhaust: true")},
             tmp.path() + "/run.log");
  REQUIRE(OrShowLog(WaitFor(
                        [&] {
                          return ReadFile(tmp.path() + "/run.log")
                                     .find("FileSink: cannot create " + out + "/writer-") !=
                                 std::string::npos;
                        },
                        seconds(30)),
                    tmp.path() + "/run.log"));
  CHECK(run.Running());
  fs::remove(out);
  CHECK(OrShowLog(run.Wait(seconds(60)) == 0, tmp.path() + "/run.log"));
  const auto lines = OutputLines(out);
  CHECK(lines.size() == 200);  // the failed inputs were replayed and written
  CHECK(ReadFile(tmp.path() + "/run.log").find("Not a directory") != std::string::npos);
}

}  // namespace
}  // namespace gale::testing
