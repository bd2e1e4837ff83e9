// core/grouping/grouping.cc
//
// The stream groupings, after Storm's GrouperFactory. See README.md for the
// rules and for why the hashes must never change.
#include "core/grouping/grouping.h"

#include "core/tuple/tuple_codec.h"

#include <xxhash.h>

#include <algorithm>
#include <string>
#include <utility>

namespace gale::grouping {
namespace {

using topology::GroupingType;

// The two candidate hashes of PARTIAL_KEY. Part of the routing contract, like
// FieldsHash: changing them moves keys to other tasks.
constexpr uint64_t kPartialKeySeed1 = 0x9e3779b97f4a7c15ULL;
constexpr uint64_t kPartialKeySeed2 = 0xc2b2ae3d27d4eb4fULL;

// SplitMix64: small, fast and the same on every platform and standard
// library (std::shuffle and std::uniform_int_distribution are not), so a
// seed gives the same choices everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, n). REQUIRES: n > 0. Rejection keeps it unbiased.
  uint64_t Below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t r;
    do { r = Next(); } while (r >= limit);
    return r % n;
  }

  // Fisher-Yates.
  void Shuffle(std::vector<int32_t>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[Below(i)]);
  }

 private:
  uint64_t state_;
};

// Encodes the selected values into `scratch`, reusing its capacity. A
// missing field encodes as null: the validator checks field indices against
// the stream, but a bad emit must not crash the worker.
void EncodeKey(const Values& values, const std::vector<size_t>& indices, std::string& scratch) {
  static const Value kMissing;
  scratch.clear();
  for (size_t i : indices) tuple::EncodeValueV1(i < values.size() ? values[i] : kMissing, scratch);
}

uint64_t HashFields(const Values& values, const std::vector<size_t>& indices,
                    std::string& scratch) {
  EncodeKey(values, indices, scratch);
  return XXH3_64bits(scratch.data(), scratch.size());
}

// Round-robin over a shuffled order, reshuffled after each full round: each
// task gets its share of the order to within one tuple, in an unpredictable
// order. The plain shuffle walks its targets; the load-aware one its ring.
class ShuffledRounds {
 public:
  explicit ShuffledRounds(uint64_t seed) : rng_(seed) {}
  // A new order, shuffled before the next draw.
  void Reset(std::vector<int32_t> order) {
    order_ = std::move(order);
    next_ = order_.size();
  }
  std::vector<int32_t>& order() { return order_; }  // to refill, then Reset
  int32_t Next() {                                  // REQUIRES: the order is not empty
    if (next_ == order_.size()) {
      rng_.Shuffle(order_);
      next_ = 0;
    }
    return order_[next_++];
  }

 private:
  std::vector<int32_t> order_;
  Rng rng_;
  size_t next_ = 0;
};

class ShuffleGrouper final : public Grouper {
 public:
  ShuffleGrouper(std::vector<int32_t> targets, uint64_t seed) : rounds_(seed) {
    rounds_.Reset(std::move(targets));
  }

  void ChooseTasks(const Values&, std::vector<int32_t>& out) override {
    if (!rounds_.order().empty()) out.push_back(rounds_.Next());
  }

 private:
  ShuffledRounds rounds_;
};

// Storm 2's default shuffle (LoadAwareShuffleGrouping, with its locality
// awareness): tuples go to the nearest scope of targets (this worker, this
// host, everywhere) that is not busy, and within it by weight: a task
// whose load is more than 0.05 above the scope's least loaded loses 10 of
// its 100 points at each refresh, the others gain 1. Equal weights give
// exactly ShuffleGrouper's round-robin over the scope. README.md,
// "Load-aware shuffle".
class LoadAwareShuffleGrouper final : public Grouper {
 public:
  LoadAwareShuffleGrouper(std::vector<int32_t> targets, uint64_t seed, const TaskLoads& loads,
                          LoadAwareOptions options)
      : targets_(std::move(targets)),
        loads_(loads),
        options_(std::move(options)),
        load_(targets_.size(), 0.0),
        scope_load_(targets_.size(), 0.0),
        locality_(targets_.size(), Locality::kEverywhere),
        weight_(targets_.size(), kMaxWeight),
        ring_(seed) {
    if (targets_.empty()) return;
    // Loads start at 0: the worker's executors may not all exist yet.
    for (size_t i = 0; i < targets_.size(); ++i) locality_[i] = loads_.LocalityOf(targets_[i]);
    scope_ = Widest(Locality::kWorker);
    Rebuild();
    next_refresh_ = options_.now() + options_.refresh;
  }

  void ChooseTasks(const Values&, std::vector<int32_t>& out) override {
    if (targets_.empty()) return;
    // The clock is read every kCheckEvery choices, not per tuple.
    if (++since_check_ >= kCheckEvery) {
      since_check_ = 0;
      const auto now = options_.now();
      if (now >= next_refresh_) {
        next_refresh_ = now + options_.refresh;
        Refresh();
      }
    }
    out.push_back(ring_.Next());
  }

 private:
  static constexpr int kMaxWeight = 100;
  static constexpr uint32_t kCheckEvery = 16;

  static Locality Wider(Locality s) {
    return s == Locality::kWorker ? Locality::kHost : Locality::kEverywhere;
  }
  static Locality Narrower(Locality s) {
    return s == Locality::kEverywhere ? Locality::kHost : Locality::kWorker;
  }
  bool InScope(size_t i, Locality s) const { return locality_[i] <= s; }
  size_t CountIn(Locality s) const {
    size_t n = 0;
    for (size_t i = 0; i < targets_.size(); ++i) n += InScope(i, s) ? 1 : 0;
    return n;
  }
  // `s`, widened until it holds a target (everywhere holds them all).
  Locality Widest(Locality s) const {
    while (s != Locality::kEverywhere && CountIn(s) == 0) s = Wider(s);
    return s;
  }
  void ReadLoads() {
    for (size_t i = 0; i < targets_.size(); ++i) {
      load_[i] = std::clamp(loads_.Load(targets_[i]), 0.0, 1.0);
      scope_load_[i] = std::max(load_[i], std::clamp(loads_.Busy(targets_[i]), 0.0, 1.0));
      locality_[i] = loads_.LocalityOf(targets_[i]);
    }
  }
  double SumLoad(Locality s) const {
    double sum = 0;
    for (size_t i = 0; i < targets_.size(); ++i) sum += InScope(i, s) ? scope_load_[i] : 0.0;
    return sum;
  }
  double MeanLoad(Locality s) const {
    const size_t n = CountIn(s);
    return n > 0 ? SumLoad(s) / static_cast<double>(n) : 0.0;
  }
  // Storm's bang-bang rule: a scope whose mean load is above the higher
  // bound widens to the nearest scope that adds a task (none: it stays, and
  // keeps its weights). It narrows to the nearest scope with fewer tasks
  // when that scope could carry the whole scope's load and stay below the
  // lower bound. That load is estimated from what this worker sees: each
  // task outside the narrower scope counts as loaded as the narrower
  // scope's mean, or as its own load when higher (a task in another worker
  // shows only its link's fill, near 0 while the link drains). (Storm
  // first judged the wider scope's mean, so many idle tasks elsewhere sent
  // it straight back to a worker still overloaded, STORM-3602; it now
  // judges the narrower scope's own mean, which is low only because the
  // traffic went elsewhere, so a load that one worker cannot carry alone
  // swings back and forth.)
  Locality Transition() const {
    Locality s = Widest(scope_);
    const size_t here = CountIn(s);
    if (MeanLoad(s) > options_.higher_bound) {
      for (Locality w = s; w != Locality::kEverywhere;) {
        w = Wider(w);
        if (CountIn(w) > here) return w;
      }
      return s;
    }
    for (Locality n = s; n != Locality::kWorker;) {
      n = Narrower(n);
      const size_t fewer = CountIn(n);
      if (fewer == here) continue;  // the same tasks: look narrower still
      if (fewer == 0) break;
      const double mean = MeanLoad(n);
      double demand = 0;
      for (size_t i = 0; i < targets_.size(); ++i) {
        if (InScope(i, s))
          demand += InScope(i, n) ? scope_load_[i] : std::max(scope_load_[i], mean);
      }
      if (demand / static_cast<double>(fewer) < options_.lower_bound) return n;
      break;
    }
    return s;
  }
  void Refresh() {
    ReadLoads();
    const Locality before = scope_;
    scope_ = Transition();
    bool changed = scope_ != before;
    if (changed) std::fill(weight_.begin(), weight_.end(), kMaxWeight);
    double min = 1.0;
    for (size_t i = 0; i < targets_.size(); ++i) {
      if (InScope(i, scope_)) min = std::min(min, load_[i]);
    }
    for (size_t i = 0; i < targets_.size(); ++i) {
      if (!InScope(i, scope_)) continue;
      const int w = load_[i] <= min + 0.05 ? std::min(kMaxWeight, weight_[i] + 1)
                                           : std::max(0, weight_[i] - 10);
      changed |= w != weight_[i];
      weight_[i] = w;
    }
    if (changed) Rebuild();
  }
  // The ring of the scope's tasks: each once when their weights are equal
  // (a plain shuffle), else max(1000, 5n) slots shared by weight.
  void Rebuild() {
    std::vector<int32_t> ring = std::move(ring_.order());
    ring.clear();
    std::vector<size_t> in;
    int64_t sum = 0;
    for (size_t i = 0; i < targets_.size(); ++i) {
      if (InScope(i, scope_)) {
        in.push_back(i);
        sum += weight_[i];
      }
    }
    const bool equal = std::all_of(in.begin(), in.end(),
                                   [&](size_t i) { return weight_[i] == weight_[in.front()]; });
    if (equal || sum == 0) {
      for (size_t i : in) ring.push_back(targets_[i]);
    } else {
      const int64_t slots = std::max<int64_t>(1000, 5 * static_cast<int64_t>(in.size()));
      for (size_t i : in) {
        const int64_t count = weight_[i] * slots / sum;
        ring.insert(ring.end(), static_cast<size_t>(count), targets_[i]);
      }
      // What the rounding left goes to the heaviest tasks, one slot each.
      std::stable_sort(in.begin(), in.end(),
                       [&](size_t a, size_t b) { return weight_[a] > weight_[b]; });
      for (size_t k = 0; static_cast<int64_t>(ring.size()) < slots; ++k) {
        ring.push_back(targets_[in[k % in.size()]]);
      }
    }
    ring_.Reset(std::move(ring));  // shuffled before the next choice
  }

  const std::vector<int32_t> targets_;  // sorted
  const TaskLoads& loads_;
  const LoadAwareOptions options_;
  std::vector<double> load_;        // by target index, as last read: the weights'
  std::vector<double> scope_load_;  // max(load, busy): the scope's
  std::vector<Locality> locality_;  // likewise
  std::vector<int> weight_;         // 0 to kMaxWeight, by target index
  Locality scope_ = Locality::kWorker;
  ShuffledRounds ring_;  // the scope's tasks, or slots shared by weight
  uint32_t since_check_ = 0;
  std::chrono::steady_clock::time_point next_refresh_;
};

class FieldsGrouper final : public Grouper {
 public:
  FieldsGrouper(std::vector<int32_t> targets, std::vector<size_t> indices)
      : targets_(std::move(targets)), indices_(std::move(indices)) {}

  void ChooseTasks(const Values& values, std::vector<int32_t>& out) override {
    if (targets_.empty()) return;
    const uint64_t hash = HashFields(values, indices_, scratch_);
    out.push_back(targets_[hash % targets_.size()]);
  }

 private:
  const std::vector<int32_t> targets_;
  const std::vector<size_t> indices_;
  std::string scratch_;
};

class AllGrouper final : public Grouper {
 public:
  explicit AllGrouper(std::vector<int32_t> targets) : targets_(std::move(targets)) {}

  void ChooseTasks(const Values&, std::vector<int32_t>& out) override {
    out.insert(out.end(), targets_.begin(), targets_.end());
  }
  bool Fixed() const override { return true; }

 private:
  const std::vector<int32_t> targets_;
};

class GlobalGrouper final : public Grouper {
 public:
  // `targets` is sorted: the first is the lowest task id.
  explicit GlobalGrouper(const std::vector<int32_t>& targets) : empty_(targets.empty()) {
    if (!empty_) task_ = targets.front();
  }

  void ChooseTasks(const Values&, std::vector<int32_t>& out) override {
    if (!empty_) out.push_back(task_);
  }
  bool Fixed() const override { return true; }

 private:
  bool empty_;
  int32_t task_ = 0;
};

class NoneGrouper final : public Grouper {
 public:
  NoneGrouper(std::vector<int32_t> targets, uint64_t seed)
      : targets_(std::move(targets)), rng_(seed) {}

  void ChooseTasks(const Values&, std::vector<int32_t>& out) override {
    if (targets_.empty()) return;
    out.push_back(targets_[rng_.Below(targets_.size())]);
  }

 private:
  const std::vector<int32_t> targets_;
  Rng rng_;
};

// Storm's PartialKeyGrouping: "the power of both choices". Each key has two
// candidate tasks; a hot key is split between them by sending each tuple to
// the one this grouper has loaded less.
class PartialKeyGrouper final : public Grouper {
 public:
  PartialKeyGrouper(std::vector<int32_t> targets, std::vector<size_t> indices)
      : targets_(std::move(targets)), indices_(std::move(indices)), sent_(targets_.size(), 0) {}

  void ChooseTasks(const Values& values, std::vector<int32_t>& out) override {
    const size_t n = targets_.size();
    if (n == 0) return;
    size_t chosen = 0;
    if (n > 1) {
      EncodeKey(values, indices_, scratch_);
      const size_t first =
          XXH3_64bits_withSeed(scratch_.data(), scratch_.size(), kPartialKeySeed1) % n;
      // Draw the second from the other n-1 tasks, so the two always differ.
      size_t second =
          XXH3_64bits_withSeed(scratch_.data(), scratch_.size(), kPartialKeySeed2) % (n - 1);
      if (second >= first) ++second;
      chosen = sent_[second] < sent_[first] ? second : first;
    }
    ++sent_[chosen];
    out.push_back(targets_[chosen]);
  }

 private:
  const std::vector<int32_t> targets_;
  const std::vector<size_t> indices_;
  std::vector<uint64_t> sent_;  // tuples sent to targets_[i] by this grouper
  std::string scratch_;
};

std::vector<int32_t> LocalOrAll(const std::vector<int32_t>& targets,
                                std::vector<int32_t> local_tasks) {
  std::sort(local_tasks.begin(), local_tasks.end());
  std::vector<int32_t> local;
  for (int32_t t : targets) {
    if (std::binary_search(local_tasks.begin(), local_tasks.end(), t)) local.push_back(t);
  }
  return local.empty() ? targets : local;
}

}  // namespace

std::unique_ptr<Grouper> MakeGrouper(GrouperArgs args) {
  // Task ids are sorted once here so that every worker maps the same key to
  // the same task, whatever order the assignment listed them in.
  std::vector<int32_t> targets = std::move(args.targets);
  std::sort(targets.begin(), targets.end());
  // One target takes every tuple whatever the grouping picks among them:
  // no hash of the key per tuple (a fifth of a fields-grouped word count's
  // time in perf), no random draw.
  if (targets.size() == 1 && args.type != GroupingType::kDirect &&
      args.type != GroupingType::kAll) {
    return std::make_unique<GlobalGrouper>(targets);
  }
  switch (args.type) {
    case GroupingType::kShuffle:
      if (args.loads != nullptr) {
        return std::make_unique<LoadAwareShuffleGrouper>(std::move(targets), args.seed, *args.loads,
                                                         std::move(args.load_aware));
      }
      return std::make_unique<ShuffleGrouper>(std::move(targets), args.seed);
    case GroupingType::kFields:
      return std::make_unique<FieldsGrouper>(std::move(targets), std::move(args.field_indices));
    case GroupingType::kAll: return std::make_unique<AllGrouper>(std::move(targets));
    case GroupingType::kGlobal: return std::make_unique<GlobalGrouper>(targets);
    case GroupingType::kNone: return std::make_unique<NoneGrouper>(std::move(targets), args.seed);
    case GroupingType::kDirect: return nullptr;
    case GroupingType::kLocalOrShuffle: {
      std::vector<int32_t> local = LocalOrAll(targets, std::move(args.local_tasks));
      if (local.size() == 1) return std::make_unique<GlobalGrouper>(local);  // a chain's one task
      return std::make_unique<ShuffleGrouper>(std::move(local), args.seed);
    }
    case GroupingType::kPartialKey:
      return std::make_unique<PartialKeyGrouper>(std::move(targets), std::move(args.field_indices));
  }
  return nullptr;
}

uint64_t FieldsHash(const Values& values, const std::vector<size_t>& indices) {
  // Reused across calls so that hashing allocates nothing in steady state.
  thread_local std::string scratch;
  return HashFields(values, indices, scratch);
}

}  // namespace gale::grouping
