#include "core/runtime/user_metrics.h"

#include <stdexcept>

namespace gale::runtime {
namespace {

const char* KindName(UserMetricSample::Kind k) {
  switch (k) {
    case UserMetricSample::Kind::kCounter: return "counter";
    case UserMetricSample::Kind::kGauge: return "gauge";
    case UserMetricSample::Kind::kHistogram: return "histogram";
  }
  return "metric";
}

}  // namespace

metrics_internal::Slot* UserMetrics::Find(std::string_view name, UserMetricSample::Kind kind,
                                          const std::vector<double>* bounds) {
  if (name.empty()) throw std::invalid_argument("a metric needs a name");
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& e : entries_) {
    if (e->name != name) continue;
    if (e->kind != kind) {
      throw std::invalid_argument("metric '" + std::string(name) + "' is already a " +
                                  KindName(e->kind) + ", not a " + KindName(kind));
    }
    if (bounds && *bounds != e->bounds) {
      throw std::invalid_argument("histogram '" + std::string(name) +
                                  "' is already registered with other bounds");
    }
    return e->slot.get();
  }
  auto e = std::make_unique<Entry>();
  e->name = std::string(name);
  e->kind = kind;
  e->slot = std::make_unique<metrics_internal::Slot>();
  if (bounds) {
    for (size_t i = 1; i < bounds->size(); ++i) {
      if (!((*bounds)[i - 1] < (*bounds)[i])) {
        throw std::invalid_argument("histogram '" + std::string(name) + "': bounds must increase");
      }
    }
    e->bounds = *bounds;
    e->buckets = std::make_unique<std::atomic<int64_t>[]>(bounds->size() + 1);
    for (size_t i = 0; i <= bounds->size(); ++i) e->buckets[i].store(0);
    e->slot->buckets = e->buckets.get();
    e->slot->bounds = e->bounds.data();
    e->slot->bound_count = e->bounds.size();
  }
  entries_.push_back(std::move(e));
  return entries_.back()->slot.get();
}

Counter UserMetrics::RegisterCounter(std::string_view name) {
  return Counter(Find(name, UserMetricSample::Kind::kCounter, nullptr));
}

Gauge UserMetrics::RegisterGauge(std::string_view name) {
  return Gauge(Find(name, UserMetricSample::Kind::kGauge, nullptr));
}

Histogram UserMetrics::RegisterHistogram(std::string_view name, std::vector<double> bounds) {
  return Histogram(Find(name, UserMetricSample::Kind::kHistogram, &bounds));
}

std::vector<UserMetricSample> UserMetrics::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<UserMetricSample> out;
  for (const auto& e : entries_) {
    UserMetricSample s;
    s.name = e->name;
    s.kind = e->kind;
    const auto& slot = *e->slot;
    switch (e->kind) {
      case UserMetricSample::Kind::kCounter:
        s.value = static_cast<double>(slot.count.load(std::memory_order_relaxed));
        break;
      case UserMetricSample::Kind::kGauge:
        s.value = slot.value.load(std::memory_order_relaxed);
        break;
      case UserMetricSample::Kind::kHistogram:
        s.value = static_cast<double>(slot.count.load(std::memory_order_relaxed));
        s.sum = slot.value.load(std::memory_order_relaxed);
        s.bounds = e->bounds;
        for (size_t i = 0; i <= e->bounds.size(); ++i) {
          s.counts.push_back(e->buckets[i].load(std::memory_order_relaxed));
        }
        break;
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace gale::runtime
