// topologies/bench/latency_histogram.h
//
// A log-linear latency histogram: exact below 128 ns, then 64 buckets per
// power of two (every bucket is less than 1.6% wide relative to its values),
// up to 2^63 ns in 3776 buckets. The bench plugin records into it and writes
// it to a file; gale-bench-probe (bench/) reads those files, subtracts two
// snapshots and computes percentiles. Both include this header, so they
// agree on the buckets.
//
// File format (text, written whole and renamed into place):
//   # <steady_clock nanos when written> <total count>
//   <bucket index> <count>        one line per non-empty bucket
//
// Threading: none; one instance per bolt task.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

namespace bench {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 6;
  static constexpr uint64_t kSub = uint64_t{1} << kSubBits;  // 64
  static constexpr size_t kBuckets = (63 - kSubBits) * kSub + 2 * kSub;

  LatencyHistogram() : counts_(kBuckets, 0) {}

  static size_t Index(uint64_t v) {
    if (v < 2 * kSub) return static_cast<size_t>(v);
    const int shift = std::bit_width(v) - (kSubBits + 1);
    return static_cast<size_t>(shift) * kSub + static_cast<size_t>(v >> shift);
  }
  // The smallest and largest value that fall in bucket `i`.
  static uint64_t Low(size_t i) {
    if (i < 2 * kSub) return i;
    const size_t shift = i / kSub - 1;
    return (i % kSub + kSub) << shift;
  }
  static uint64_t High(size_t i) {
    if (i < 2 * kSub) return i;
    const size_t shift = i / kSub - 1;
    return ((i % kSub + kSub + 1) << shift) - 1;
  }

  void Add(int64_t nanos) {
    ++counts_[Index(static_cast<uint64_t>(std::max<int64_t>(nanos, 0)))];
    ++total_;
  }
  void AddBucket(size_t i, uint64_t n) {
    if (i >= kBuckets) return;
    counts_[i] += n;
    total_ += n;
  }
  // this -= earlier (a snapshot of the same histogram taken before).
  void Subtract(const LatencyHistogram& earlier) {
    for (size_t i = 0; i < kBuckets; ++i) {
      const uint64_t d = std::min(counts_[i], earlier.counts_[i]);
      counts_[i] -= d;
      total_ -= d;
    }
  }
  void Merge(const LatencyHistogram& other) {
    for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
  }

  uint64_t total() const { return total_; }
  uint64_t count(size_t i) const { return counts_[i]; }

  // The value below which a fraction `q` of the samples lie: the middle of
  // the bucket holding the sample of rank ceil(q * total). 0 when empty.
  double Percentile(double q) const {
    if (total_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(total_) + 0.999999);
    rank = std::clamp<uint64_t>(rank, 1, total_);
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return (static_cast<double>(Low(i)) + static_cast<double>(High(i))) / 2;
    }
    return static_cast<double>(High(kBuckets - 1));
  }

 private:
  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
};

}  // namespace bench
