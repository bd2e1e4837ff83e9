// core/acking/rotating_map.h
//
// RotatingMap keeps entries in N buckets, newest first. Rotate() drops the
// oldest bucket and hands its entries to a callback: with a rotation every T
// seconds an entry expires between (N-1)*T and N*T after its last Put().
// Storm's spouts use 2 buckets (fail between T and 2T) and its ackers 3
// (forget between 2T and 3T, after the spout has failed the tree).
//
// Threading: not thread-safe; one executor thread owns each instance.
#pragma once

#include "core/common/check.h"

#include <cstddef>
#include <deque>
#include <unordered_map>
#include <utility>

namespace gale::acking {

template <typename K, typename V>
class RotatingMap {
 public:
  explicit RotatingMap(size_t buckets) : buckets_(buckets) {
    GALE_CHECK(buckets >= 2) << "RotatingMap needs at least 2 buckets";
  }

  // Inserts or replaces, moving the key to the newest bucket.
  void Put(const K& key, V value) {
    for (size_t i = 1; i < buckets_.size(); ++i) buckets_[i].erase(key);
    buckets_[0].insert_or_assign(key, std::move(value));
  }

  // nullptr when absent. The pointer is valid until the next mutation.
  V* Get(const K& key) {
    for (auto& b : buckets_) {
      auto it = b.find(key);
      if (it != b.end()) return &it->second;
    }
    return nullptr;
  }

  bool Contains(const K& key) { return Get(key) != nullptr; }

  // Removes and returns the entry; false when absent.
  bool Remove(const K& key, V* out = nullptr) {
    for (auto& b : buckets_) {
      auto it = b.find(key);
      if (it != b.end()) {
        if (out) *out = std::move(it->second);
        b.erase(it);
        return true;
      }
    }
    return false;
  }

  // Drops the oldest bucket, calling `expired(key, value)` for each entry.
  template <typename F>
  void Rotate(F&& expired) {
    Bucket dead = std::move(buckets_.back());
    buckets_.pop_back();
    buckets_.emplace_front();
    for (auto& [k, v] : dead) expired(k, v);
  }

  size_t size() const {
    size_t n = 0;
    for (const auto& b : buckets_) n += b.size();
    return n;
  }
  bool empty() const { return size() == 0; }

 private:
  using Bucket = std::unordered_map<K, V>;
  std::deque<Bucket> buckets_;
};

}  // namespace gale::acking
