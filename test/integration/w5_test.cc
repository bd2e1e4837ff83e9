// W5 (scripts/bench.sh) counts right: Gale's word count and the plain C++
// reference pipeline, over the bundled text, both equal to
// `tr -s ' ' '\n' | sort | uniq -c` of it.
#include "test/support/process.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>

namespace gale::testing {
namespace {

using Counts = std::map<std::string, int64_t>;

// "<count> <word>" lines (uniq -c's, or the benchmarks'), times `scale`.
Counts Parse(const std::string& text, int64_t scale = 1) {
  Counts out;
  std::istringstream in(text);
  int64_t n;
  std::string word;
  while (in >> n >> word) out[word] += n * scale;
  return out;
}

TEST_CASE(
    "W5's word count (a thread each or chained) and its reference count what tr sort and uniq "
    "count",
    "[integration]") {
  TempDir dir;
  const std::string text = SourceDir() + "/topologies/wordcount/data/sentences.txt";
  auto expected = RunProcess({"sh", "-c", "tr -s ' ' '\\n' < '" + text + "' | sort | uniq -c"});
  REQUIRE(expected.exit_code == 0);
  const Counts want = Parse(expected.out, 2);  // two passes
  REQUIRE(want.size() > 100);

  // A thread per component, or all three on the spout's (chaining).
  const std::string chain = GENERATE(std::string("false"), std::string("true"));
  INFO("chain=" << chain);
  std::filesystem::create_directories(dir.path() + "/out");
  const std::string props =
      dir.Write("w5.properties", "lines.file=" + text + "\nlines.passes=2\nout.dir=" + dir.path() +
                                     "/out\ncounts.file=" + dir.path() +
                                     "/counts.txt\nstats=true\nchain=" + chain + "\n");
  auto gale = RunProcess({BinDir() + "/gale", "local",
                          SourceDir() + "/topologies/bench/wordcount-w5.yaml", "--filter", props},
                         std::chrono::seconds(60), {{"GALE_PLUGIN_PATH", LibDir()}});
  INFO(gale.out << gale.err);
  REQUIRE(gale.exit_code == 0);
  CHECK(Parse(ReadFile(dir.path() + "/counts.txt")) == want);

  auto ref = RunProcess({BinDir() + "/gale-bench-wordcount-ref", text, "--passes", "2"});
  REQUIRE(ref.exit_code == 0);
  CHECK(Parse(ref.out) == want);
}

}  // namespace
}  // namespace gale::testing

namespace gale::testing {
namespace {

TEST_CASE("The windowed word count's time windows close on their own in gale local",
          "[integration]") {
  TempDir dir;
  auto run = [&](const std::string& yaml, std::vector<std::string> extra) {
    std::vector<std::string> argv = {BinDir() + "/gale", "local",
                                     SourceDir() + "/topologies/wordcount/" + yaml, "--quiet"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto r =
        RunProcess(argv, std::chrono::seconds(60), {{"GALE_PLUGIN_PATH", LibDir()}}, dir.path());
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
  };
  auto words = [&](const std::string& file) {
    std::set<std::string> out;
    std::istringstream in(ReadFile(dir.path() + "/" + file));
    std::string word;
    int64_t n;
    while (in >> word >> n) {
      CHECK(n > 0);
      out.insert(word);
    }
    return out;
  };
  // gale.WindowCount emits [word, count, windowEnd] at its 2 s slides, and
  // only ticks close a time window: after 5 s the report has every word the
  // plain word count finds in the same text.
  run("wordcount-windowed.yaml", {"--duration", "5"});
  run("wordcount.yaml", {});
  const auto windowed = words("wordcount-windowed-counts.txt");
  CHECK(windowed.size() > 100);
  CHECK(windowed == words("wordcount-counts.txt"));
}

}  // namespace
}  // namespace gale::testing
