// User metrics (gale/metrics.h) and an executor's registry of them
// (core/runtime/user_metrics.h).
#include "core/runtime/user_metrics.h"

#include <catch2/catch.hpp>

#include <stdexcept>

namespace gale::runtime {
namespace {

const UserMetricSample* Find(const std::vector<UserMetricSample>& all, const std::string& name) {
  for (const auto& s : all) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

TEST_CASE("User metrics record into slots the registry reads", "[runtime][metrics]") {
  UserMetrics registry;
  Counter c = registry.RegisterCounter("words");
  Gauge g = registry.RegisterGauge("depth");
  Histogram h = registry.RegisterHistogram("size", {1, 10, 100});
  c.Inc();
  c.Inc(4);
  g.Set(2.5);
  g.Set(7);
  for (double v : {0.5, 1.0, 5.0, 50.0, 500.0, 1000.0}) h.Record(v);
  // Two tasks of one executor registering the same name share it.
  registry.RegisterCounter("words").Inc(10);

  const auto snap = registry.Snapshot();
  REQUIRE(snap.size() == 3);
  CHECK(Find(snap, "words")->kind == UserMetricSample::Kind::kCounter);
  CHECK(Find(snap, "words")->value == 15);
  CHECK(Find(snap, "depth")->value == 7);
  const UserMetricSample* size = Find(snap, "size");
  CHECK(size->kind == UserMetricSample::Kind::kHistogram);
  CHECK(size->counts == std::vector<int64_t>{2, 1, 1, 2});  // <=1, <=10, <=100, above
  CHECK(size->value == 6);
  CHECK(size->sum == Approx(1556.5));
  // Each slot has a cache line of its own.
  CHECK(alignof(metrics_internal::Slot) == 64);
}

TEST_CASE("User metric registration refuses clashes with a clear message", "[runtime][metrics]") {
  UserMetrics registry;
  registry.RegisterCounter("x");
  CHECK_THROWS_WITH(registry.RegisterGauge("x"), "metric 'x' is already a counter, not a gauge");
  CHECK_THROWS_WITH(registry.RegisterCounter(""), "a metric needs a name");
  CHECK_THROWS_WITH(registry.RegisterHistogram("h", {5, 1}), "histogram 'h': bounds must increase");
  registry.RegisterHistogram("g", {1, 2});
  CHECK_THROWS_WITH(registry.RegisterHistogram("g", {1, 3}),
                    "histogram 'g' is already registered with other bounds");
  // Handles made without a registry record nothing and do not crash.
  Counter().Inc();
  Gauge().Set(1);
  Histogram().Record(1);
}

}  // namespace
}  // namespace gale::runtime
