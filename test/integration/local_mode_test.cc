// `gale local` and `gale validate` as a user runs them: real processes, real
// files, the example topologies and plugins from the build.
#include "test/support/cluster.h"
#include "test/support/gale_output.h"
#include "test/support/process.h"

#include <gale/plugin.h>
#include <catch2/catch.hpp>

#include <signal.h>

#include <cctype>
#include <map>
#include <sstream>

namespace gale::testing {
namespace {

using std::chrono::seconds;

std::string Gale() { return BinDir() + "/gale"; }
std::map<std::string, std::string> PluginEnv() { return {{"GALE_PLUGIN_PATH", LibDir()}}; }

// A topology file that includes the example word count and overrides its
// report bolt (and, optionally, the split bolt's config).
std::string WordCountVariant(const TempDir& dir, const std::string& split_config) {
  return dir.Write("wc.yaml",
                   "name: wordcount-test\n"
                   "includes:\n"
                   "  - file: " +
                       SourceDir() +
                       "/topologies/wordcount/wordcount.yaml\n"
                       "bolts:\n"
                       "  - id: report\n"
                       "    className: ReportBolt\n"
                       "    config: { report.file: " +
                       dir.path() +
                       "/counts.txt }\n"
                       "  - id: split\n"
                       "    className: SplitSentence\n"
                       "    parallelism: 2\n"
                       "    config: { " +
                       split_config + " }\n");
}

TEST_CASE("gale local runs word count and its counts equal the text's exact word counts",
          "[integration]") {
  TempDir dir;
  auto r = RunProcess({Gale(), "local", WordCountVariant(dir, "")}, seconds(60), PluginEnv());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto expected =
      CountWords(ReadFile(SourceDir() + "/topologies/wordcount/data/sentences.txt"));
  REQUIRE(expected.size() > 400);
  CHECK(ReadReport(dir.path() + "/counts.txt") == expected);
  CHECK(r.out.find("top 10 words (of " + std::to_string(expected.size()) + " distinct):") !=
        std::string::npos);
  const auto spout = ComponentRow(r.out, "sentences");
  REQUIRE(spout.size() >= 9);
  CHECK(spout[6] == "76");  // acked: every line of the text
  CHECK(spout[7] == "0");   // failed
}

TEST_CASE("The example word count writes counts equal to a shell pipeline's count of the text",
          "[integration]") {
  // Exactly what scripts/wordcount.sh runs: the example file, from a
  // working directory where its report lands.
  TempDir dir;
  auto r = RunProcess({Gale(), "local", SourceDir() + "/topologies/wordcount/wordcount.yaml"},
                      seconds(60), PluginEnv(), dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto expected =
      RunProcess({"sh", "-c",
                  "tr -cs 'A-Za-z' '\\n' < '" + SourceDir() +
                      "/topologies/wordcount/data/sentences.txt' | tr 'A-Z' 'a-z' | grep -v '^$' | "
                      "LC_ALL=C sort | uniq -c | awk '{print $2 \"\\t\" $1}'"},
                 seconds(30));
  REQUIRE(expected.exit_code == 0);
  auto actual = RunProcess({"sh", "-c", "LC_ALL=C sort '" + dir.path() + "/wordcount-counts.txt'"},
                           seconds(30));
  REQUIRE(actual.exit_code == 0);
  REQUIRE(expected.out.size() > 1000);
  CHECK(actual.out == expected.out);
}

TEST_CASE("Replay: a bolt that fails every 7th tuple once still yields exact counts",
          "[integration]") {
  TempDir dir;
  auto r = RunProcess({Gale(), "local", WordCountVariant(dir, "split.fail.every: 7")}, seconds(60),
                      PluginEnv());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto expected =
      CountWords(ReadFile(SourceDir() + "/topologies/wordcount/data/sentences.txt"));
  CHECK(ReadReport(dir.path() + "/counts.txt") == expected);
  const auto spout = ComponentRow(r.out, "sentences");
  REQUIRE(spout.size() >= 9);
  CHECK(spout[6] == "76");           // every line completed in the end
  CHECK(std::stoi(spout[7]) >= 10);  // after at least 76/7 failures and replays
}

TEST_CASE("gale local stops after --duration with a looping spout", "[integration]") {
  TempDir dir;
  const std::string file = dir.Write(
      "loop.yaml",
      "name: loop\n"
      "includes: [ { file: " +
          SourceDir() +
          "/topologies/wordcount/wordcount.yaml } ]\n"
          "spouts:\n"
          "  - { id: sentences, className: SentenceSpout, config: { sentences.loop: true } }\n"
          "bolts:\n"
          "  - { id: report, className: ReportBolt, config: { report.file: " +
          dir.path() + "/c.txt } }\n");
  auto r = RunProcess({Gale(), "local", file, "--duration", "1.5"}, seconds(30), PluginEnv());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto spout = ComponentRow(r.out, "sentences");
  REQUIRE(spout.size() >= 9);
  CHECK(std::stoll(spout[6]) > 76);  // it went round the text more than once
  CHECK(r.out.find("ran 1.") != std::string::npos);
}

// BlockingSpout (test/plugins/blocking.cc) emits 20 sentences to
// SplitSentence, then blocks in NextTuple for an hour. Tasks: __acker 1,
// lines 2, split 3; the acker runs on the spout's thread.
std::string BlockingTopology(const TempDir& dir, const std::string& config = "") {
  return dir.Write("blocking.yaml",
                   "name: blocking\n"
                   "plugins:\n"
                   "  - " +
                       LibDir() +
                       "/libblocking.so\n"
                       "  - " +
                       LibDir() + "/libwordcount.so\n" + config +
                       "spouts: [ { id: lines, className: BlockingSpout } ]\n"
                       "bolts: [ { id: split, className: SplitSentence } ]\n"
                       "streams: [ { from: lines, to: split, grouping: { type: "
                       "SHUFFLE } } ]\n");
}

const char* const kBlocked = "BlockingSpout task 2 blocks in NextTuple";
const char* const kStuckList =
    "exiting without them: lines (task 2), __acker (task 1, on the thread of lines (task 2))\n";

TEST_CASE("gale local with a spout stuck in NextTuple exits after the stop deadline and names it",
          "[integration]") {
  TempDir dir;
  // --duration 2, then the default deadline of 3 s: a process still running
  // after 30 s hangs (it did, before the deadline) and is killed.
  auto r = RunProcess({Gale(), "local", BlockingTopology(dir), "--duration", "2"}, seconds(30));
  INFO(r.out << r.err);
  REQUIRE_FALSE(r.timed_out);
  CHECK(r.exit_code == 3);
  CHECK(r.err.find(kBlocked) != std::string::npos);
  CHECK(r.err.find("topology 'blocking': 2 executor(s) did not stop within 3.0 s "
                   "(topology.worker.shutdown.secs), " +
                   std::string(kStuckList)) != std::string::npos);
  // The table, for what ran.
  const auto lines = ComponentRow(r.out, "lines");
  REQUIRE(lines.size() >= 9);
  CHECK(lines[4] == "20");  // emitted
  CHECK(ComponentRow(r.out, "split").size() >= 9);
  CHECK(r.out.find("ran ") != std::string::npos);
}

TEST_CASE("gale local with a spout stuck in NextTuple exits at a second Ctrl-C during the stop",
          "[integration]") {
  TempDir dir;
  // A deadline far beyond this test's waits: only the second SIGINT can end it.
  Daemon gale(
      {Gale(), "local", BlockingTopology(dir, "config: { topology.worker.shutdown.secs: 600 }\n")},
      dir.path() + "/gale.log");
  const auto logged = [&](const std::string& what) {
    return gale.Log().find(what) != std::string::npos;
  };
  REQUIRE(WaitFor([&] { return logged(kBlocked); }, seconds(30)));
  gale.Kill(SIGINT);
  CHECK(
      WaitFor([&] { return logged("interrupted: stopping (waiting up to 600.0 s"); }, seconds(10)));
  gale.Kill(SIGINT);
  const int status = gale.Wait(seconds(20));  // -1: still running (then killed by ~Daemon)
  INFO(gale.Log());
  REQUIRE(status == 3);
  CHECK(logged("topology 'blocking': 2 executor(s) still running when interrupted again, " +
               std::string(kStuckList)));
  const auto lines = ComponentRow(gale.Log(), "lines");
  REQUIRE(lines.size() >= 9);
  CHECK(lines[4] == "20");  // emitted
}

TEST_CASE("gale validate checks a good topology and prints what it found", "[integration]") {
  auto r = RunProcess({Gale(), "validate", SourceDir() + "/topologies/wordcount/wordcount.yaml"},
                      seconds(30), PluginEnv());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("topology 'wordcount' is valid") != std::string::npos);
  CHECK(r.out.find("emits default [word, count]") != std::string::npos);
  CHECK(r.out.find("stream split:default -> count (FIELDS on word)") != std::string::npos);
}

// A topology using `class_name` from `plugin`, written next to nothing else.
std::string OneBoltTopology(const TempDir& dir, const std::string& plugin,
                            const std::string& bolt_class = "SplitSentence") {
  return dir.Write("t.yaml",
                   "name: t\n"
                   "plugins:\n"
                   "  - " +
                       LibDir() +
                       "/libwordcount.so\n"
                       "  - " +
                       plugin +
                       "\n"
                       "spouts: [ { id: s, className: SentenceSpout } ]\n"
                       "bolts: [ { id: b, className: " +
                       bolt_class +
                       " } ]\n"
                       "streams: [ { from: s, to: b, grouping: { type: SHUFFLE } } ]\n");
}

TEST_CASE("gale validate rejects bad plugins with a clear message and survives a crashing one",
          "[integration]") {
  TempDir dir;
  SECTION("a plugin built for another ABI version") {
    const auto file = OneBoltTopology(dir, LibDir() + "/libwrong_abi.so");
    auto r = RunProcess({Gale(), "validate", file}, seconds(30));
    CHECK(r.exit_code == 2);
    CHECK(r.err == file + ":4:5: plugin '" + LibDir() +
                       "/libwrong_abi.so' was built for Gale plugin ABI version 999, but this "
                       "Gale uses ABI version " +
                       std::to_string(GALE_ABI_VERSION) +
                       ": rebuild the plugin against this Gale's SDK\n");
  }
  SECTION("a shared library that is not a plugin") {
    const auto file = OneBoltTopology(dir, LibDir() + "/libnot_a_plugin.so");
    auto r = RunProcess({Gale(), "validate", file}, seconds(30));
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(file + ":4:5: '" + LibDir() +
                     "/libnot_a_plugin.so' is not a Gale plugin: it does not export "
                     "gale_plugin_abi_version") == 0);
  }
  SECTION("a file that is not a shared library at all") {
    const auto fake = dir.Write("libfake.so", std::string(200, 'x') + "\n");  // text, not ELF
    const auto file = OneBoltTopology(dir, fake);
    auto r = RunProcess({Gale(), "validate", file}, seconds(30));
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(file + ":4:5: cannot load plugin '" + fake + "': ") == 0);
    CHECK(r.err.find("invalid ELF header") != std::string::npos);
  }
  SECTION("a plugin whose code crashes while declaring its streams") {
    const auto file = OneBoltTopology(dir, LibDir() + "/libcrashing.so", "CrashingBolt");
    auto r = RunProcess({Gale(), "validate", file}, seconds(30));
    CHECK(r.exit_code == 2);
    CHECK(r.signal == 0);
    CHECK(r.err == file +
                       ":6:10: plugin code crashed (signal 11, Segmentation fault) while "
                       "describing component 'b' (class CrashingBolt)\n");
  }
  SECTION("an unknown className lists what the plugins register") {
    const auto file = OneBoltTopology(dir, LibDir() + "/libexclamation.so", "SplitSentense");
    auto r = RunProcess({Gale(), "validate", file}, seconds(30));
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(file + ":6:") == 0);
    CHECK(r.err.find("unknown className 'SplitSentense'") != std::string::npos);
    CHECK(r.err.find("did you mean 'SplitSentence'?") != std::string::npos);
    CHECK(r.err.find("ExclamationBolt") != std::string::npos);
  }
}

TEST_CASE("A plugin built out of tree with find_package(gale) loads and runs", "[integration]") {
  TempDir dir;
  const std::string build = dir.path() + "/build";
  auto configure = RunProcess({"cmake", "-S", SourceDir() + "/test/plugin_out_of_tree", "-B", build,
                               "-G", "Ninja", "-Dgale_DIR=" + BuildDir()},
                              seconds(120));
  INFO(configure.out << configure.err);
  REQUIRE(configure.exit_code == 0);
  auto compile = RunProcess({"cmake", "--build", build}, seconds(300));
  INFO(compile.out << compile.err);
  REQUIRE(compile.exit_code == 0);
  auto r = RunProcess({Gale(), "local", SourceDir() + "/test/plugin_out_of_tree/shout.yaml"},
                      seconds(60), {{"GALE_PLUGIN_PATH", build}});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto shout = ComponentRow(r.out, "shout");
  REQUIRE(shout.size() >= 9);
  CHECK(shout[4] == "300");  // emitted
  CHECK(shout[6] == "300");  // acked
}

}  // namespace
}  // namespace gale::testing
