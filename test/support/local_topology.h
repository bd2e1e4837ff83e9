// test/support/local_topology.h
//
// Runs a topology written inline as YAML on the test components
// (test_components.h) in this process, on the real executors and acker, with
// an injectable clock. Fails the current test (REQUIRE) when the topology
// does not load.
#pragma once

#include "core/common/clock.h"
#include "core/plan/topology_plan.h"
#include "core/plugin/loader.h"
#include "core/runtime/worker_runtime.h"

#include <chrono>
#include <memory>
#include <string>

namespace gale::testing {

class LocalTopology {
 public:
  LocalTopology(const std::string& yaml, const Clock& clock);
  ~LocalTopology();

  // Waits (at most 10 s) until everything fed was emitted and no tuple is in
  // flight, on three checks in a row. False on timeout.
  bool Settle();
  // Moves `clock` forward `total` in steps, letting the timer fire and the
  // topology settle after each step.
  void Advance(FakeClock& clock, std::chrono::seconds total,
               std::chrono::seconds step = std::chrono::seconds(1));
  void Stop();

  runtime::WorkerRuntime& runtime() { return *runtime_; }
  const plan::TopologyPlan& plan() const { return *plan_; }
  runtime::StatsSnapshot StatsOf(const std::string& component);

 private:
  plugin::ClassRegistry classes_;
  std::unique_ptr<plan::TopologyPlan> plan_;
  std::unique_ptr<runtime::WorkerRuntime> runtime_;
};

}  // namespace gale::testing
