// test/core/grouping/grouping_test.cc
#include "core/grouping/grouping.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace gale::grouping {
namespace {

using topology::GroupingType;

std::unique_ptr<Grouper> Make(GroupingType type, std::vector<int32_t> targets,
                              std::vector<size_t> field_indices = {}, uint64_t seed = 1,
                              std::vector<int32_t> local_tasks = {}) {
  GrouperArgs args;
  args.type = type;
  args.targets = std::move(targets);
  args.field_indices = std::move(field_indices);
  args.local_tasks = std::move(local_tasks);
  args.seed = seed;
  std::unique_ptr<Grouper> g = MakeGrouper(std::move(args));
  REQUIRE(g != nullptr);
  return g;
}

// The single task a grouper picks for `values`.
int32_t One(Grouper& g, const Values& values) {
  std::vector<int32_t> out;
  g.ChooseTasks(values, out);
  REQUIRE(out.size() == 1);
  return out[0];
}

// How many of `count` tuples (all with `values`) went to each task.
std::map<int32_t, int> Tally(Grouper& g, int count, const Values& values = {}) {
  std::map<int32_t, int> tally;
  for (int i = 0; i < count; ++i) ++tally[One(g, values)];
  return tally;
}

TEST_CASE("FieldsHash maps a fixed key to a fixed task", "[grouping]") {
  // Pinned forever: a changed literal means keys move between tasks (and
  // between Gale versions). XXH3_64bits over the tuple codec's encoding.
  const std::vector<int32_t> targets = {7, 5, 4, 6};  // sorted: 4 5 6 7
  auto fields = Make(GroupingType::kFields, targets, {0});

  REQUIRE(FieldsHash({Value("apple")}, {0}) == 0xebe20852a6e347f3ULL);
  REQUIRE(One(*fields, {Value("apple")}) == 7);
  REQUIRE(FieldsHash({Value("kiwi")}, {0}) == 0xf9387025c0fd546cULL);
  REQUIRE(One(*fields, {Value("kiwi")}) == 4);
  REQUIRE(One(*fields, {Value("banana")}) == 6);

  SECTION("an int key") {
    REQUIRE(FieldsHash({Value(42)}, {0}) == 0xe66eb11933743eecULL);
    REQUIRE(One(*fields, {Value(42)}) == 4);
  }
  SECTION(
      "a large int key hashes its version-1 encoding (a 9- or 10-byte varint), not the wire's") {
    REQUIRE(FieldsHash({Value(int64_t{1} << 60)}, {0}) == 0x53b9b3a03627e12aULL);
    REQUIRE(FieldsHash({Value(std::numeric_limits<int64_t>::min())}, {0}) == 0x163837bf1a7c600fULL);
  }
  SECTION("a multi-field key, in the order the fields are named") {
    const Values values = {Value("user42"), Value(7), Value(true)};
    REQUIRE(FieldsHash(values, {0, 1}) == 0x89d0190c47ffeca2ULL);
    REQUIRE(One(*Make(GroupingType::kFields, targets, {0, 1}), values) == 6);
    REQUIRE(FieldsHash(values, {1, 0}) == 0x30fc94e181b93cdbULL);
    REQUIRE(One(*Make(GroupingType::kFields, targets, {1, 0}), values) == 7);
  }
  SECTION("only the selected fields count") {
    REQUIRE(FieldsHash({Value(1), Value("apple"), Value(2.5)}, {1}) == 0xebe20852a6e347f3ULL);
    REQUIRE(One(*Make(GroupingType::kFields, targets, {1}), {Value(9), Value("apple")}) == 7);
  }
}

TEST_CASE("FieldsHash treats a missing field as null instead of crashing", "[grouping]") {
  REQUIRE(FieldsHash({}, {0}) == 0xc44bdff4074eecdbULL);
  REQUIRE(FieldsHash({}, {0}) == FieldsHash({Value()}, {0}));
  REQUIRE(FieldsHash({Value("a")}, {0, 5}) == FieldsHash({Value("a"), Value()}, {0, 1}));
  auto fields = Make(GroupingType::kFields, {1, 2, 3}, {4});
  REQUIRE(One(*fields, {Value("short")}) == One(*fields, {}));
  auto partial = Make(GroupingType::kPartialKey, {1, 2, 3}, {4});
  const int32_t task = One(*partial, {Value("short")});
  REQUIRE((task >= 1 && task <= 3));
}

TEST_CASE("Fields grouping sends a key to one task and spreads keys over all", "[grouping]") {
  auto fields = Make(GroupingType::kFields, {10, 11, 12, 13, 14});
  auto keyed = Make(GroupingType::kFields, {10, 11, 12, 13, 14}, {0});
  std::map<int32_t, int> tally;
  for (int i = 0; i < 5000; ++i) {
    const Values values = {Value("key" + std::to_string(i)), Value(i)};
    const int32_t task = One(*keyed, values);
    REQUIRE(One(*keyed, {Value("key" + std::to_string(i)), Value(-i)}) == task);
    ++tally[task];
  }
  REQUIRE(tally.size() == 5);
  for (const auto& [task, n] : tally) {
    INFO("task " << task);
    REQUIRE(n > 800);  // 1000 expected
  }
  // No fields: every tuple has the same (empty) key.
  REQUIRE(Tally(*fields, 100, {Value(1)}).size() == 1);
}

TEST_CASE("Fields grouping does not depend on the order targets are listed in", "[grouping]") {
  auto a = Make(GroupingType::kFields, {3, 1, 2, 9}, {0});
  auto b = Make(GroupingType::kFields, {9, 2, 1, 3}, {0});
  for (int i = 0; i < 200; ++i) REQUIRE(One(*a, {Value(i)}) == One(*b, {Value(i)}));
}

TEST_CASE("Global grouping picks the lowest task even when targets are unsorted", "[grouping]") {
  auto global = Make(GroupingType::kGlobal, {12, 9, 30, 10});
  REQUIRE(Tally(*global, 50, {Value("x")}) == std::map<int32_t, int>{{9, 50}});
}

TEST_CASE("All grouping reaches every task", "[grouping]") {
  auto all = Make(GroupingType::kAll, {3, 1, 2});
  std::vector<int32_t> out = {99};  // ChooseTasks appends
  all->ChooseTasks({Value(1)}, out);
  REQUIRE(out == std::vector<int32_t>{99, 1, 2, 3});
}

TEST_CASE("Direct grouping has no grouper", "[grouping]") {
  GrouperArgs args;
  args.type = GroupingType::kDirect;
  args.targets = {1, 2};
  REQUIRE(MakeGrouper(args) == nullptr);
}

TEST_CASE("Shuffle grouping spreads tuples evenly, one round at a time", "[grouping]") {
  const std::vector<int32_t> targets = {5, 1, 4, 2, 3, 7, 6};
  auto shuffle = Make(GroupingType::kShuffle, targets, {}, 42);
  const int count = 10000;
  std::map<int32_t, int> tally = Tally(*shuffle, count);
  REQUIRE(tally.size() == targets.size());
  const double expected = static_cast<double>(count) / targets.size();
  for (const auto& [task, n] : tally) {
    INFO("task " << task << " got " << n);
    REQUIRE(std::abs(n - expected) <= expected * 0.02);
    REQUIRE(std::abs(n - expected) <= 1.0);  // round robin: exact to one tuple
  }

  SECTION("each round visits every task once, in changing orders") {
    auto g = Make(GroupingType::kShuffle, {1, 2, 3, 4, 5, 6, 7, 8}, {}, 7);
    std::set<std::vector<int32_t>> orders;
    for (int round = 0; round < 20; ++round) {
      std::vector<int32_t> order;
      for (int i = 0; i < 8; ++i) order.push_back(One(*g, {}));
      std::vector<int32_t> sorted = order;
      std::sort(sorted.begin(), sorted.end());
      REQUIRE(sorted == std::vector<int32_t>{1, 2, 3, 4, 5, 6, 7, 8});
      orders.insert(order);
    }
    REQUIRE(orders.size() > 10);
  }
}

TEST_CASE("Shuffle grouping is deterministic for a seed", "[grouping]") {
  auto a = Make(GroupingType::kShuffle, {1, 2, 3, 4, 5}, {}, 99);
  auto b = Make(GroupingType::kShuffle, {5, 4, 3, 2, 1}, {}, 99);
  auto c = Make(GroupingType::kShuffle, {1, 2, 3, 4, 5}, {}, 100);
  std::vector<int32_t> seq_a, seq_b, seq_c;
  for (int i = 0; i < 100; ++i) {
    seq_a.push_back(One(*a, {}));
    seq_b.push_back(One(*b, {}));
    seq_c.push_back(One(*c, {}));
  }
  REQUIRE(seq_a == seq_b);
  REQUIRE(seq_a != seq_c);
}

TEST_CASE("A grouper says when it chooses the same tasks for every tuple", "[grouping]") {
  // The executor then asks it once (Grouper::Fixed).
  CHECK(Make(GroupingType::kGlobal, {3, 1, 2})->Fixed());
  CHECK(Make(GroupingType::kAll, {1, 2, 3})->Fixed());
  CHECK(Make(GroupingType::kFields, {4}, {0})->Fixed());                       // one target
  CHECK(Make(GroupingType::kLocalOrShuffle, {1, 2, 3}, {}, 3, {2})->Fixed());  // one local task
  CHECK(Tally(*Make(GroupingType::kLocalOrShuffle, {1, 2, 3}, {}, 3, {2}), 10) ==
        std::map<int32_t, int>{{2, 10}});
  CHECK_FALSE(Make(GroupingType::kShuffle, {1, 2})->Fixed());
  CHECK_FALSE(Make(GroupingType::kFields, {1, 2}, {0})->Fixed());
  CHECK_FALSE(Make(GroupingType::kLocalOrShuffle, {1, 2, 3}, {}, 3, {1, 2})->Fixed());
  CHECK_FALSE(Make(GroupingType::kNone, {1, 2})->Fixed());
}

TEST_CASE("Local-or-shuffle prefers local tasks and falls back to all", "[grouping]") {
  SECTION("some targets are local") {
    auto g = Make(GroupingType::kLocalOrShuffle, {1, 2, 3, 4, 5, 6}, {}, 3, {6, 2, 100});
    REQUIRE(Tally(*g, 1000) == std::map<int32_t, int>{{2, 500}, {6, 500}});
  }
  SECTION("no target is local") {
    auto g = Make(GroupingType::kLocalOrShuffle, {1, 2, 3}, {}, 3, {7, 8});
    REQUIRE(Tally(*g, 300) == std::map<int32_t, int>{{1, 100}, {2, 100}, {3, 100}});
  }
  SECTION("no local tasks known") {
    auto g = Make(GroupingType::kLocalOrShuffle, {1, 2}, {}, 3, {});
    REQUIRE(Tally(*g, 10) == std::map<int32_t, int>{{1, 5}, {2, 5}});
  }
}

// The load-aware shuffle's view of its targets, set by the test, and a
// clock the test moves.
struct FakeLoads final : TaskLoads {
  std::map<int32_t, double> load, busy;
  std::map<int32_t, Locality> where;
  double Load(int32_t task) const override { return load.count(task) ? load.at(task) : 0.0; }
  double Busy(int32_t task) const override { return busy.count(task) ? busy.at(task) : 0.0; }
  Locality LocalityOf(int32_t task) const override {
    return where.count(task) ? where.at(task) : Locality::kEverywhere;
  }
};

struct LoadAware {
  LoadAware(const LoadAware&) = delete;  // the grouper holds &loads and this
  LoadAware& operator=(const LoadAware&) = delete;
  FakeLoads loads;
  std::chrono::steady_clock::time_point now{};
  std::unique_ptr<Grouper> g;

  LoadAware(std::vector<int32_t> targets, std::map<int32_t, Locality> where, uint64_t seed = 5) {
    loads.where = std::move(where);
    GrouperArgs args;
    args.type = GroupingType::kShuffle;
    args.targets = std::move(targets);
    args.seed = seed;
    args.loads = &loads;
    args.load_aware.refresh = std::chrono::milliseconds(100);
    args.load_aware.now = [this] { return now; };
    g = MakeGrouper(std::move(args));
    REQUIRE(g != nullptr);
  }
  // Moves the clock past the refresh interval, then tallies `count`
  // choices: the grouper reads the clock (and so the loads) every sixteenth
  // choice, before drawing it, so the refresh comes before the tally's
  // first draw.
  std::map<int32_t, int> RefreshThenTally(int count) {
    now += std::chrono::milliseconds(150);
    for (int i = 0; i < 15; ++i) One(*g, {});
    return Tally(*g, count);
  }
};

const Locality kW = Locality::kWorker, kH = Locality::kHost, kE = Locality::kEverywhere;

// A round-robin over exactly `tasks`: each got its share to within one
// (a tally may start in the middle of a round).
void RequireEven(const std::map<int32_t, int>& tally, const std::vector<int32_t>& tasks) {
  int total = 0;
  std::vector<int32_t> got;
  for (const auto& [task, n] : tally) {
    got.push_back(task);
    total += n;
  }
  REQUIRE(got == tasks);
  const double share = static_cast<double>(total) / static_cast<double>(tasks.size());
  for (const auto& [task, n] : tally) {
    INFO("task " << task << " got " << n << " of " << total);
    REQUIRE(std::abs(n - share) <= 1.0);
  }
}

TEST_CASE("Load-aware shuffle keeps tuples in this worker while its tasks are not busy",
          "[grouping]") {
  LoadAware la({4, 3, 2, 1}, {{1, kW}, {2, kW}, {3, kH}, {4, kE}});
  // Equal weights: a plain round-robin over this worker's tasks.
  REQUIRE(Tally(*la.g, 1000) == std::map<int32_t, int>{{1, 500}, {2, 500}});
  la.loads.load = {{1, 0.5}, {2, 0.5}};  // busy, but not above the higher bound
  RequireEven(la.RefreshThenTally(1000), {1, 2});

  SECTION("with no task in this worker it starts at the nearest scope that has one") {
    LoadAware remote({1, 2, 3}, {{1, kE}, {2, kH}, {3, kE}});
    REQUIRE(Tally(*remote.g, 10) == std::map<int32_t, int>{{2, 10}});
    LoadAware far({1, 2}, {{1, kE}, {2, kE}});
    REQUIRE(Tally(*far.g, 10) == std::map<int32_t, int>{{1, 5}, {2, 5}});
  }
}

TEST_CASE("Load-aware shuffle widens its scope when this worker's tasks are busy, and narrows back",
          "[grouping]") {
  LoadAware la({1, 2, 3, 4}, {{1, kW}, {2, kW}, {3, kH}, {4, kE}});
  REQUIRE(Tally(*la.g, 100) == std::map<int32_t, int>{{1, 50}, {2, 50}});

  // Mean 0.9 > 0.8: this host joins. Weights start again at 100 and the
  // two busy tasks (more than 0.05 above the least loaded) lose 10: the
  // ring of 1 000 holds 90/280 of them each, and the idle task 3 the rest.
  la.loads.load = {{1, 0.9}, {2, 0.9}};
  std::map<int32_t, int> t = la.RefreshThenTally(3000);
  REQUIRE(t.count(4) == 0);
  REQUIRE(t[3] > t[1]);
  REQUIRE(t[3] > t[2]);
  REQUIRE(t[1] + t[2] + t[3] == 3000);
  REQUIRE(t[1] > 900);  // about 321 of every 1 000

  // This host busy too: everywhere.
  la.loads.load = {{1, 0.9}, {2, 0.9}, {3, 0.9}};
  t = la.RefreshThenTally(3000);
  REQUIRE(t[4] > 0);

  // All idle: one scope narrower per refresh, back to this worker.
  la.loads.load = {};
  t = la.RefreshThenTally(1000);
  RequireEven(t, {1, 2, 3});
  RequireEven(la.RefreshThenTally(1000), {1, 2});

  SECTION("it narrows only to a scope that could carry the whole load below the lower bound") {
    LoadAware two({1, 2}, {{1, kW}, {2, kH}});
    two.loads.load = {{1, 0.9}};
    REQUIRE(two.RefreshThenTally(1000).size() == 2);
    // This worker's own mean (0.1) is below the lower bound, but with the
    // host's traffic too it would carry 0.1 + 0.3: stay.
    two.loads.load = {{1, 0.1}, {2, 0.3}};
    REQUIRE(two.RefreshThenTally(1000).size() == 2);
    two.loads.load = {{1, 0.05}, {2, 0.1}};  // 0.15 in all: it can
    RequireEven(two.RefreshThenTally(1000), {1});
  }
  SECTION("it narrows on the narrower scope's load, not the wider one's (STORM-3602)") {
    LoadAware many(
        {1, 2, 3, 4, 5, 6, 7, 8, 9},
        {{1, kW}, {2, kH}, {3, kH}, {4, kH}, {5, kH}, {6, kH}, {7, kH}, {8, kH}, {9, kH}});
    many.loads.load = {{1, 0.9}};
    REQUIRE(many.RefreshThenTally(1000).size() == 9);
    // The host's mean is 0.1, below the lower bound, but this worker's is
    // still 0.9: stay.
    t = many.RefreshThenTally(1000);
    REQUIRE(t.size() == 9);
    REQUIRE(t[1] < t[2]);
    // This worker would carry all nine tasks' share: 0.1 each is 0.9.
    many.loads.load = {{1, 0.1}};
    REQUIRE(many.RefreshThenTally(1000).size() == 9);
    many.loads.load = {{1, 0.02}};  // 0.18 in all
    RequireEven(many.RefreshThenTally(1000), {1});
  }
  SECTION("a scope that adds no task is skipped") {
    LoadAware skip({1, 2, 3}, {{1, kW}, {2, kW}, {3, kE}});
    skip.loads.load = {{1, 0.9}, {2, 0.9}};
    REQUIRE(skip.RefreshThenTally(3000)[3] > 0);
  }
  SECTION("the bounds are inclusive of the scope's mean: 0.8 stays") {
    la.loads.load = {{1, 0.8}, {2, 0.8}};
    RequireEven(la.RefreshThenTally(1000), {1, 2});
  }
}

TEST_CASE("Load-aware shuffle sends less to a busier task, and none once its weight is spent",
          "[grouping]") {
  LoadAware la({1, 2}, {{1, kW}, {2, kW}});
  la.loads.load = {{2, 0.5}};  // task 2 busier than task 1 by more than 0.05
  std::map<int32_t, int> t = la.RefreshThenTally(2000);
  REQUIRE(t[2] > 0);
  REQUIRE(t[1] > t[2]);
  for (int i = 0; i < 10; ++i) t = la.RefreshThenTally(1000);  // 10 points lost per refresh
  REQUIRE(t == std::map<int32_t, int>{{1, 1000}});
  // Back within 0.05 of the least loaded: its weight grows again, a point
  // per refresh.
  la.loads.load = {{2, 0.04}};
  t = la.RefreshThenTally(1000);
  t = la.RefreshThenTally(1000);
  REQUIRE(t[2] > 0);
  REQUIRE(t[1] > t[2]);
}

// A busy share is known only for this worker's tasks, so it cannot weigh
// them against others: it widens and narrows the scope, and the weights
// compare queue fills alone.
TEST_CASE("Load-aware shuffle widens on a busy share but weighs by queue fill alone",
          "[grouping]") {
  LoadAware la({1, 2}, {{1, kW}, {2, kH}});
  la.loads.busy = {{1, 0.9}};
  RequireEven(la.RefreshThenTally(1000), {1, 2});  // not 1 weighed down against 2
  la.loads.busy = {{1, 0.3}};                      // it could not take 2's share alone
  RequireEven(la.RefreshThenTally(1000), {1, 2});
  la.loads.busy = {{1, 0.05}};  // with 2's share, 0.1
  RequireEven(la.RefreshThenTally(1000), {1});
}

TEST_CASE("Load-aware shuffle with no wider scope to go to keeps its scope and its weights",
          "[grouping]") {
  LoadAware la({1, 2}, {{1, kW}, {2, kW}});
  la.loads.load = {{1, 0.95}, {2, 0.85}};  // mean 0.9: busy, but nowhere to widen to
  std::map<int32_t, int> t;
  for (int i = 0; i < 3; ++i) t = la.RefreshThenTally(1000);
  // Task 1 lost 10 points a refresh (70 against 100: 411 of 1 000); a
  // scope change each time would have reset it to 100 and left it at 90.
  REQUIRE(t[1] < 430);
  REQUIRE(t[1] + t[2] == 1000);
}

TEST_CASE("Load-aware shuffle reads loads only when the refresh interval has passed",
          "[grouping]") {
  LoadAware la({1, 2, 3}, {{1, kW}, {2, kW}, {3, kE}});
  la.loads.load = {{1, 1.0}, {2, 1.0}};
  // The clock has not moved: the full tasks still get everything.
  REQUIRE(Tally(*la.g, 1000) == std::map<int32_t, int>{{1, 500}, {2, 500}});
  REQUIRE(la.RefreshThenTally(1000)[3] > 0);
}

TEST_CASE("Load-aware shuffle is deterministic for a seed", "[grouping]") {
  LoadAware a({1, 2, 3, 4}, {{1, kW}, {2, kW}, {3, kW}, {4, kH}}, 9);
  LoadAware b({4, 3, 2, 1}, {{1, kW}, {2, kW}, {3, kW}, {4, kH}}, 9);
  for (LoadAware* x : {&a, &b}) x->loads.load = {{1, 0.9}, {2, 0.9}, {3, 0.9}};
  std::vector<int32_t> seq_a, seq_b;
  a.now = b.now = a.now + std::chrono::seconds(1);
  for (int i = 0; i < 2000; ++i) {
    seq_a.push_back(One(*a.g, {}));
    seq_b.push_back(One(*b.g, {}));
  }
  REQUIRE(seq_a == seq_b);
}

TEST_CASE("None grouping picks random targets and covers them all", "[grouping]") {
  auto none = Make(GroupingType::kNone, {8, 3, 5, 1}, {}, 11);
  std::map<int32_t, int> tally = Tally(*none, 4000, {Value("same")});
  REQUIRE(tally.size() == 4);
  for (const auto& [task, n] : tally) {
    INFO("task " << task);
    REQUIRE((task == 1 || task == 3 || task == 5 || task == 8));
    REQUIRE(n > 800);  // 1000 expected; random, so not exact
    REQUIRE(n < 1200);
  }
  auto again = Make(GroupingType::kNone, {8, 3, 5, 1}, {}, 11);
  REQUIRE(Tally(*again, 4000, {Value("same")}) == tally);
}

TEST_CASE("Partial key grouping splits a hot key evenly over two tasks", "[grouping]") {
  auto g = Make(GroupingType::kPartialKey, {7, 6, 5, 4}, {0});
  std::map<int32_t, int> tally = Tally(*g, 10000, {Value("apple"), Value(1)});
  // Pinned: the candidates of "apple" among tasks 4..7.
  REQUIRE(tally.size() == 2);
  REQUIRE(tally.count(4) == 1);
  REQUIRE(tally.count(7) == 1);
  for (const auto& [task, n] : tally) {
    INFO("task " << task);
    REQUIRE(n >= 4500);
    REQUIRE(n <= 5500);
  }
}

TEST_CASE("Partial key grouping maps different keys to various tasks", "[grouping]") {
  auto g = Make(GroupingType::kPartialKey, {1, 2, 3, 4, 5, 6, 7, 8}, {1});
  std::map<int32_t, int> tally;
  for (int i = 0; i < 8000; ++i) {
    const Values values = {Value(0), Value("key" + std::to_string(i % 500))};
    ++tally[One(*g, values)];
  }
  REQUIRE(tally.size() == 8);
  for (const auto& [task, n] : tally) {
    INFO("task " << task);
    REQUIRE(n > 700);  // 1000 expected
  }
  // Each key uses its two candidates, and only them.
  auto shared = Make(GroupingType::kPartialKey, {1, 2, 3, 4, 5, 6, 7, 8}, {0});
  for (int k = 0; k < 50; ++k) {
    auto fresh = Make(GroupingType::kPartialKey, {1, 2, 3, 4, 5, 6, 7, 8}, {0});
    std::map<int32_t, int> candidates = Tally(*fresh, 40, {Value(k)});
    REQUIRE(candidates.size() == 2);
    for (const auto& [task, n] : Tally(*shared, 40, {Value(k)})) {
      REQUIRE(candidates.count(task) == 1);
    }
  }
}

TEST_CASE("Partial key grouping with one target always picks it", "[grouping]") {
  auto g = Make(GroupingType::kPartialKey, {9}, {0});
  for (int i = 0; i < 20; ++i) REQUIRE(One(*g, {Value(i)}) == 9);
}

TEST_CASE("Groupers with no targets choose nothing", "[grouping]") {
  for (GroupingType type :
       {GroupingType::kShuffle, GroupingType::kFields, GroupingType::kAll, GroupingType::kGlobal,
        GroupingType::kNone, GroupingType::kLocalOrShuffle, GroupingType::kPartialKey}) {
    auto g = Make(type, {}, {0});
    std::vector<int32_t> out;
    g->ChooseTasks({Value(1)}, out);
    REQUIRE(out.empty());
  }
}

}  // namespace
}  // namespace gale::grouping
