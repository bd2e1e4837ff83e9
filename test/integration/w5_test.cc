// W5 (scripts/bench.sh) counts right: Gale's word count (a tuple a word, or
// rows in batches; also with a line's words packed into one tuple) and the plain C++ reference
// pipeline, over the bundled text, all equal to `tr -s ' ' '\n' | sort | uniq -c` of it.
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

  // A thread per component, or all three on the spout's (chaining); W5 with
  // a tuple a word, with rows read a batch at once (ExecuteRows) or each as
  // a tuple, or the same counts with a line's words packed into one tuple;
  // a line a tuple from the spout, or 15 joined (76 lines: the last tuple of
  // a pass has 1).
  // chain: lines -> split; chain.count: split -> count (the packed topology
  // takes `chain` for both). true, false is WindFlow's layout.
  const auto [chain, chain_count] = GENERATE(std::pair<std::string, std::string>("false", "false"),
                                             std::pair<std::string, std::string>("true", "false"),
                                             std::pair<std::string, std::string>("true", "true"));
  struct Mode {
    std::string yaml, rows, count_rows;
  };
  const Mode mode = GENERATE(Mode{"wordcount-w5.yaml", "false", "true"},
                             Mode{"wordcount-w5.yaml", "true", "true"},
                             Mode{"wordcount-w5.yaml", "true", "false"},
                             Mode{"wordcount-w5-packed.yaml", "false", "true"});
  const std::string per_tuple = GENERATE(std::string("1"), std::string("15"));
  INFO("chain=" << chain << " chain.count=" << chain_count << " " << mode.yaml
                << " rows=" << mode.rows << " count.rows=" << mode.count_rows
                << " lines.per.tuple=" << per_tuple);
  const std::string& yaml = mode.yaml;
  std::filesystem::create_directories(dir.path() + "/out");
  const std::string props =
      dir.Write("w5.properties",
                "lines.file=" + text + "\nlines.passes=2\nlines.per.tuple=" + per_tuple +
                    "\nout.dir=" + dir.path() + "/out\ncounts.file=" + dir.path() +
                    "/counts.txt\nstats=true\nchain=" + chain + "\nchain.count=" + chain_count +
                    "\nrows=" + mode.rows + "\ncount.rows=" + mode.count_rows + "\n");
  auto gale = RunProcess(
      {BinDir() + "/gale", "local", SourceDir() + "/topologies/bench/" + yaml, "--filter", props},
      std::chrono::seconds(60), {{"GALE_PLUGIN_PATH", LibDir()}});
  INFO(gale.out << gale.err);
  REQUIRE(gale.exit_code == 0);
  CHECK(Parse(ReadFile(dir.path() + "/counts.txt")) == want);

  auto ref = RunProcess({BinDir() + "/gale-bench-wordcount-ref", text, "--passes", "2"});
  REQUIRE(ref.exit_code == 0);
  CHECK(Parse(ref.out) == want);
}

TEST_CASE("The bench's line spout refuses lines.per.tuple under 1", "[integration]") {
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/out");
  const std::string props =
      dir.Write("w5.properties", "lines.file=" + SourceDir() +
                                     "/topologies/wordcount/data/sentences.txt\nlines.passes=1\n"
                                     "lines.per.tuple=0\nout.dir=" +
                                     dir.path() + "/out\ncounts.file=\nstats=true\nchain=false\n");
  auto gale = RunProcess(
      {BinDir() + "/gale", "local", SourceDir() + "/topologies/bench/wordcount-w5-packed.yaml",
       "--filter", props, "--quiet", "--duration", "3"},
      std::chrono::seconds(60), {{"GALE_PLUGIN_PATH", LibDir()}});
  INFO(gale.out << gale.err);
  CHECK(gale.exit_code != 0);
  CHECK((gale.out + gale.err).find("lines.per.tuple is 0; it must be 1 or more") !=
        std::string::npos);
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

namespace gale::testing {
namespace {

// W4's idle row (scripts/bench.sh) relies on SentenceSpout's bench.sentences:
// that many sentences, every one acked, and then nothing.
TEST_CASE("The bench's sentence spout stops after bench.sentences and refuses a negative count",
          "[integration]") {
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/out");
  auto run = [&](const std::string& sentences) {
    const std::string props = dir.Write(
        "w4.properties", "name=w4\nrate=0\nsentences=" + sentences + "\nout.dir=" + dir.path() +
                             "/out\nstats=true\nplain.shuffle=false\n");
    return RunProcess(
        {BinDir() + "/gale", "local", SourceDir() + "/topologies/bench/wordcount.yaml", "--filter",
         props, "--quiet", "--duration", "3"},
        std::chrono::seconds(60), {{"GALE_PLUGIN_PATH", LibDir()}});
  };
  // The last line of a "<steady ns> <count> ..." file, as its count.
  auto last_count = [&](const std::string& file) {
    std::istringstream in(ReadFile(file));
    std::string line, last;
    while (std::getline(in, line)) {
      if (!line.empty()) last = line;
    }
    std::istringstream fields(last);
    int64_t nanos = 0, count = -1;
    fields >> nanos >> count;
    return count;
  };

  auto ok = run("50");
  INFO(ok.out << ok.err);
  REQUIRE(ok.exit_code == 0);
  int64_t acked = 0, words = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path() + "/out")) {
    const std::string name = e.path().filename().string();
    if (name.ends_with(".acked")) acked += last_count(e.path().string());
    if (name.ends_with(".count")) words += last_count(e.path().string());
  }
  CHECK(acked == 50);
  CHECK(words == 50 / 5 * 32);  // ten rounds of the five sentences, 32 words each

  auto bad = run("-1");
  CHECK(bad.exit_code != 0);
  CHECK((bad.out + bad.err).find("bench.sentences is -1; it must be 0 (no limit) or more") !=
        std::string::npos);
}

}  // namespace
}  // namespace gale::testing
