// Stateful word count through `gale local`, as a user runs it: the counts
// are committed to RocksDB or to a real Redis, and a second run under the
// same topology.state.namespace counts on from them; another namespace
// starts empty.
#include "test/connectors/support/servers.h"
#include "test/state/support/word_counts.h"
#include "test/support/cluster.h"
#include "test/support/process.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <sstream>

namespace gale::testing {
namespace {

using std::chrono::seconds;

const char* kCorpus = "the cat sat\nthe dog sat on the cat\nred fish blue fish\n";

std::map<std::string, int64_t> Counts(const std::string& file) {
  std::map<std::string, int64_t> out;
  std::istringstream in(ReadFile(file));
  std::string word;
  int64_t n;
  while (in >> word >> n) out[word] = n;
  return out;
}

std::map<std::string, int64_t> Exact(int times) {
  std::map<std::string, int64_t> out;
  std::istringstream in(kCorpus);
  std::string word;
  while (in >> word) out[word] += times;
  return out;
}

// Runs the stateful word count once in `dir` and returns its counts.
std::map<std::string, int64_t> Run(const TempDir& dir, const std::string& state_config,
                                   const std::string& ns, std::string* err = nullptr) {
  const std::string yaml =
      dir.Write("wc.yaml",
                "name: wc\nconfig:\n  topology.max.spout.pending: 5000\n"
                "  topology.state.checkpoint.interval.ms: 50\n"
                "  topology.state.namespace: " +
                    ns + "\n" + state_config + "plugins: [ " + LibDir() +
                    "/libwordcount.so ]\n"
                    "spouts:\n  - { id: sentences, className: SentenceSpout, config: { "
                    "sentences.file: " +
                    dir.path() +
                    "/corpus.txt } }\n"
                    "bolts:\n  - { id: split, className: SplitSentence, parallelism: 2 }\n"
                    "  - { id: count, className: StatefulWordCount, parallelism: 2 }\n"
                    "  - { id: report, className: ReportBolt, config: { report.file: " +
                    dir.path() + "/counts.txt } }\n" +
                    "streams:\n"
                    "  - { from: sentences, to: split, grouping: { type: SHUFFLE } }\n"
                    "  - { from: split, to: count, grouping: { type: FIELDS, args: [word] } }\n"
                    "  - { from: count, to: report, grouping: { type: GLOBAL } }\n");
  auto r = RunProcess({BinDir() + "/gale", "local", yaml}, seconds(60), {}, dir.path());
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  if (err) *err = r.err;
  return Counts(dir.path() + "/counts.txt");
}

TEST_CASE("A stateful word count keeps its counts in RocksDB across runs", "[state]") {
  TempDir dir;
  dir.Write("corpus.txt", kCorpus);
  const std::string rocks = "  topology.state.provider: rocksdb\n";
  std::string err;
  const std::string behind = "but the topology's last checkpoint is";
  CHECK(Run(dir, rocks, "first", &err) == Exact(1));
  CHECK(err.find(behind) == std::string::npos);
  CHECK(Run(dir, rocks, "first", &err) == Exact(2));  // on from the committed counts
  CHECK(err.find(behind) == std::string::npos);
  CHECK(Run(dir, rocks, "other") == Exact(1));
  CHECK(std::filesystem::is_directory(dir.path() + "/gale-state"));
  // The counters' databases gone (as on a supervisor a task moved to): at
  // least once the run goes on from empty state, and says so.
  std::filesystem::remove_all(dir.path() + "/gale-state/first/count");
  CHECK(Run(dir, rocks, "first", &err) == Exact(1));
  CHECK(err.find("state first/count/") != std::string::npos);
  CHECK(err.find("holds the state committed at checkpoint 0, " + behind) != std::string::npos);
  CHECK(err.find("going on from it") != std::string::npos);
}

TEST_CASE("A stateful word count keeps its counts in a real Redis across runs", "[state]") {
  TempDir dir;
  dir.Write("corpus.txt", kCorpus);
  RedisServer redis;
  const int port = redis.port();
  const std::string config =
      "  topology.state.provider: redis\n  topology.state.redis.port: " + std::to_string(port) +
      "\n";
  CHECK(Run(dir, config, "wc") == Exact(1));
  CHECK(Run(dir, config, "wc") == Exact(2));
  auto keys =
      RunProcess({"/usr/bin/redis-cli", "-p", std::to_string(port), "keys", "gale:state:*"});
  CHECK(keys.out.find("gale:state:wc/count/") != std::string::npos);
}

TEST_CASE("An unreachable Redis stops the topology with an error naming it", "[state]") {
  TempDir dir;
  dir.Write("corpus.txt", kCorpus);
  const int port = FreePort();
  const std::string yaml = dir.Write(
      "wc.yaml", "name: wc\nconfig: { topology.state.provider: redis, topology.state.redis.port: " +
                     std::to_string(port) + " }\nplugins: [ " + LibDir() +
                     "/libwordcount.so ]\n"
                     "spouts: [ { id: s, className: SentenceSpout } ]\n"
                     "bolts: [ { id: split, className: SplitSentence }, "
                     "{ id: count, className: StatefulWordCount } ]\n"
                     "streams:\n  - { from: s, to: split, grouping: { type: SHUFFLE } }\n"
                     "  - { from: split, to: count, grouping: { type: FIELDS, args: [word] } }\n");
  auto r = RunProcess({BinDir() + "/gale", "local", yaml}, seconds(60), {}, dir.path());
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("redis 127.0.0.1:" + std::to_string(port) + ": Connection refused") !=
        std::string::npos);
}

// At least once, windows are persistent when asked (a StatefulWindowedBolt
// always; `persistent: true` for a keyed window count): their tuples are
// acked when the checkpoint that saved them commits (the run ends: every
// tree completes), `gale local` waits for the windows time will close and
// for the checkpoint after them, and a second run under the same namespace
// adds on to the totals of the first.
TEST_CASE("Persistent windows at least once: totals are exact and go on across runs", "[state]") {
  TempDir dir;
  testing::Counts exact;
  dir.Write("corpus.txt", Corpus(2000, &exact));
  const std::string yaml = dir.Write(
      "w.yaml",
      "name: w\nconfig:\n  topology.state.provider: rocksdb\n"
      "  topology.state.checkpoint.interval.ms: 50\n  topology.state.namespace: win\n"
      "plugins: [ " +
          LibDir() +
          "/libwordcount.so ]\n"
          "spouts:\n  - { id: sentences, className: SentenceSpout, config: { sentences.file: " +
          dir.path() +
          "/corpus.txt, sentences.per.second: 4000 } }\n"
          "bolts:\n  - { id: split, className: SplitSentence, parallelism: 2 }\n"
          "  - { id: wcount, className: WindowedWordCount, parallelism: 2, "
          "window: { tumbling: 200ms } }\n"
          "  - { id: wred, className: gale.WindowCount, window: { tumbling: 300ms, key: word, "
          "persistent: true } }\n"
          "  - { id: wsum, className: StatefulWordSum }\n"
          "streams:\n"
          "  - { from: sentences, to: split, grouping: { type: SHUFFLE } }\n"
          "  - { from: split, to: wcount, grouping: { type: FIELDS, args: [word] } }\n"
          "  - { from: split, to: wred, grouping: { type: GLOBAL } }\n"
          "  - { from: wred, to: wsum, grouping: { type: GLOBAL } }\n");
  const std::string state = dir.path() + "/gale-state";
  for (int run = 1; run <= 2; ++run) {
    auto r = RunProcess({BinDir() + "/gale", "local", yaml}, seconds(60), {}, dir.path());
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    testing::Counts want = exact;
    for (auto& [word, n] : want) n *= run;
    CHECK(CommittedInRocksDb({state}, "win", "wcount") == want);
    CHECK(CommittedInRocksDb({state}, "win", "wsum") == want);
  }
}

}  // namespace
}  // namespace gale::testing
