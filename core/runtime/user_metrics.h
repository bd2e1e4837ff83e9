// core/runtime/user_metrics.h
//
// The MetricsRegistry of one executor (gale/metrics.h): its tasks register
// counters, gauges and histograms by name (tasks that register the same name
// share it), and the worker reads them once a second with Snapshot().
// Registration takes a lock; recording (through the handles) does not.
//
// Threading: Register* and Snapshot() are thread-safe.
#pragma once

#include <gale/metrics.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace gale::runtime {

struct UserMetricSample {
  enum class Kind { kCounter, kGauge, kHistogram };
  std::string name;
  Kind kind = Kind::kCounter;
  double value = 0;             // counter: the total; gauge: the value; histogram: values recorded
  std::vector<double> bounds;   // histogram
  std::vector<int64_t> counts;  // histogram: bounds.size() + 1 buckets
  double sum = 0;               // histogram
};

class UserMetrics final : public MetricsRegistry {
 public:
  // A name already registered as another kind, an empty name or histogram
  // bounds that do not increase: std::invalid_argument naming it (from a
  // plugin's Open/Prepare, so the task fails to start with that message).
  Counter RegisterCounter(std::string_view name) override;
  Gauge RegisterGauge(std::string_view name) override;
  Histogram RegisterHistogram(std::string_view name, std::vector<double> bounds) override;

  std::vector<UserMetricSample> Snapshot() const;

 private:
  struct Entry {
    std::string name;
    UserMetricSample::Kind kind;
    std::unique_ptr<metrics_internal::Slot> slot;
    std::vector<double> bounds;
    std::unique_ptr<std::atomic<int64_t>[]> buckets;
  };
  metrics_internal::Slot* Find(std::string_view name, UserMetricSample::Kind kind,
                               const std::vector<double>* bounds);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

}  // namespace gale::runtime
