// core/include/gale/metrics.h
//
// User metrics (Storm's registerCounter/registerGauge/registerHistogram):
// register in Open/Prepare through the TopologyContext, record anywhere in
// the task's own thread:
//
//   words_ = context.RegisterCounter("words");        // in Prepare
//   words_.Inc();                                     // in Execute
//
// They show in the UI, the REST API (executorStats[].metrics) and /metrics
// (gale_user_counter_total, gale_user_gauge, gale_user_histogram), per
// executor: the tasks of one executor that register the same name share it.
//
// Recording costs no lock and no allocation: a handle points at a slot on
// a cache line of its own, which the worker reads once a second. A slot has
// one writer, the task's thread (what Storm's metrics assume too); record
// from other threads only through your own synchronisation.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>
#include <vector>

namespace gale {

namespace metrics_internal {
// One metric's storage, 64-byte aligned (the runtime allocates it so).
struct alignas(64) Slot {
  std::atomic<int64_t> count{0};  // counter: the total; histogram: values recorded
  std::atomic<double> value{0};   // gauge: the value; histogram: the sum
  // Histogram: counts per bucket (bounds.size() + 1 of them), owned by the runtime.
  std::atomic<int64_t>* buckets = nullptr;
  const double* bounds = nullptr;
  size_t bound_count = 0;
};
template <typename T>
inline void Add(std::atomic<T>& a, T n) {
  a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}
}  // namespace metrics_internal

class Counter {
 public:
  Counter() = default;
  explicit Counter(metrics_internal::Slot* slot) : slot_(slot) {}
  void Inc(int64_t n = 1) const {
    if (slot_) metrics_internal::Add(slot_->count, n);
  }

 private:
  metrics_internal::Slot* slot_ = nullptr;
};

class Gauge {
 public:
  Gauge() = default;
  explicit Gauge(metrics_internal::Slot* slot) : slot_(slot) {}
  void Set(double v) const {
    if (slot_) slot_->value.store(v, std::memory_order_relaxed);
  }

 private:
  metrics_internal::Slot* slot_ = nullptr;
};

class Histogram {
 public:
  Histogram() = default;
  explicit Histogram(metrics_internal::Slot* slot) : slot_(slot) {}
  // Counts `v` in the first bucket whose bound is >= v (the last: above all).
  void Record(double v) const {
    if (!slot_) return;
    size_t i = 0;
    while (i < slot_->bound_count && v > slot_->bounds[i]) ++i;
    metrics_internal::Add(slot_->buckets[i], int64_t{1});
    metrics_internal::Add(slot_->count, int64_t{1});
    metrics_internal::Add(slot_->value, v);
  }

 private:
  metrics_internal::Slot* slot_ = nullptr;
};

// What the worker provides (TopologyContext::Register*). Thread-safe.
class MetricsRegistry {
 public:
  virtual ~MetricsRegistry() = default;
  virtual Counter RegisterCounter(std::string_view name) = 0;
  virtual Gauge RegisterGauge(std::string_view name) = 0;
  // `bounds`: increasing upper bounds of the buckets.
  virtual Histogram RegisterHistogram(std::string_view name, std::vector<double> bounds) = 0;
};

}  // namespace gale
