// core/acking/rotating_map.h
//
// RotatingMap keeps entries in N generations, newest first. Rotate() ends
// the oldest generation and hands its entries to a callback: with a rotation
// every T seconds an entry expires between (N-1)*T and N*T after its last
// Put(). Storm's spouts use 2 buckets (fail between T and 2T) and its ackers
// 3 (forget between 2T and 3T, after the spout has failed the tree).
//
// Storm keeps one hash map per bucket, so every Put() erases the key from
// the other buckets and a lookup may probe all of them. Here it is one
// open-addressing table (linear probing, backward-shift deletion, no
// tombstones) whose slots remember the rotation of their last Put(): every
// operation is one probe sequence in one flat array, with no allocation per
// entry, and Rotate() scans the table once. The spout and the acker do
// several of these per tuple tree; the node-based std::unordered_map was
// 15% of the acked benchmark's CPU time (perf, W2).
//
// Keys are integers (tree ids are random 64-bit numbers, but the acker's
// share of them all have the same residue modulo the acker count, so the
// slot comes from the high bits of a multiplicative hash).
//
// Threading: not thread-safe; one executor thread owns each instance.
#pragma once

#include "core/common/check.h"

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

namespace gale::acking {

template <typename K, typename V>
class RotatingMap {
  static_assert(std::is_integral_v<K>, "RotatingMap keys are integers");

 public:
  explicit RotatingMap(size_t buckets) : buckets_(buckets) {
    GALE_CHECK(buckets >= 2) << "RotatingMap needs at least 2 buckets";
    Resize(16);
  }

  // Inserts or replaces, moving the key to the newest generation. The
  // reference is valid until the next mutation.
  V& Put(const K& key, V value) {
    if ((size_ + 1) * 4 > slots_.size() * 3) Resize(slots_.size() * 2);
    Slot& s = slots_[Find(key)];
    if (!s.used) {
      s.used = true;
      s.key = key;
      ++size_;
    }
    s.value = std::move(value);
    s.generation = generation_;
    return s.value;
  }

  // The entry of `key`; when absent, a V{} inserted into the newest
  // generation. An existing entry keeps its generation. The reference is
  // valid until the next mutation.
  V& GetOrPut(const K& key) {
    if ((size_ + 1) * 4 > slots_.size() * 3) Resize(slots_.size() * 2);
    Slot& s = slots_[Find(key)];
    if (!s.used) {
      s.used = true;
      s.key = key;
      s.value = V{};
      s.generation = generation_;
      ++size_;
    }
    return s.value;
  }

  // nullptr when absent. The pointer is valid until the next mutation.
  V* Get(const K& key) {
    Slot& s = slots_[Find(key)];
    return s.used ? &s.value : nullptr;
  }

  bool Contains(const K& key) { return Get(key) != nullptr; }

  // Asks for `key`'s home slot ahead of an operation on it: a caller with
  // several keys in hand (an acker's pack of acks) then waits for one cache
  // miss instead of one per key (keys are random: every operation on a
  // table of thousands of trees misses).
  void Prefetch(const K& key) const { __builtin_prefetch(&slots_[Home(key)], 1, 3); }

  // Removes and returns the entry; false when absent.
  bool Remove(const K& key, V* out = nullptr) {
    const size_t i = Find(key);
    if (!slots_[i].used) return false;
    if (out) *out = std::move(slots_[i].value);
    Erase(i);
    return true;
  }

  // Ends the oldest generation, calling `expired(key, value)` for each of
  // its entries after they are removed (so the callback may Put()).
  template <typename F>
  void Rotate(F&& expired) {
    ++generation_;
    std::vector<std::pair<K, V>> dead;
    for (size_t i = 0; i < slots_.size();) {
      Slot& s = slots_[i];
      if (s.used && generation_ - s.generation >= buckets_) {
        dead.emplace_back(s.key, std::move(s.value));
        Erase(i);  // shifts a later slot into i: look at i again
      } else {
        ++i;
      }
    }
    for (auto& [k, v] : dead) expired(k, v);
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  struct Slot {
    K key{};
    V value{};
    uint64_t generation = 0;
    bool used = false;
  };

  size_t Home(const K& key) const {
    return static_cast<size_t>((static_cast<uint64_t>(key) * 0x9E3779B97F4A7C15ull) >> shift_);
  }

  // The slot that holds `key`, or the empty slot where it would go.
  size_t Find(const K& key) const {
    size_t i = Home(key);
    while (slots_[i].used && slots_[i].key != key) i = (i + 1) & mask_;
    return i;
  }

  // Backward-shift deletion: moves later entries of the probe run back so
  // that no lookup meets a hole before its key.
  void Erase(size_t hole) {
    size_t i = hole;
    for (;;) {
      i = (i + 1) & mask_;
      if (!slots_[i].used) break;
      const size_t home = Home(slots_[i].key);
      // Slot i may fill the hole when its home is not cyclically in (hole, i].
      if (((i - home) & mask_) >= ((i - hole) & mask_)) {
        slots_[hole] = std::move(slots_[i]);
        hole = i;
      }
    }
    slots_[hole].used = false;
    slots_[hole].value = V{};
    --size_;
  }

  void Resize(size_t capacity) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    shift_ = 64;
    for (size_t c = capacity; c > 1; c >>= 1) --shift_;
    for (Slot& s : old) {
      if (!s.used) continue;
      Slot& d = slots_[Find(s.key)];
      d = std::move(s);
    }
  }

  const uint64_t buckets_;
  uint64_t generation_ = 0;
  std::vector<Slot> slots_;
  size_t size_ = 0;
  size_t mask_ = 0;
  int shift_ = 64;
};

}  // namespace gale::acking
