#include "test/support/local_topology.h"

#include "core/plugin/describe.h"
#include "core/topology/validator.h"
#include "core/topology/yaml_loader.h"
#include "test/support/test_components.h"

#include <catch2/catch.hpp>

#include <thread>

namespace gale::testing {

LocalTopology::LocalTopology(const std::string& yaml, const Clock& clock)
    : classes_(TestClasses()) {
  auto spec = topology::LoadTopologyString(yaml, "inline.yaml", {});
  INFO(spec.status().message());
  REQUIRE(spec.ok());
  Status s = topology::ValidateStructure(*spec);
  INFO(s.message());
  REQUIRE(s.ok());
  s = plugin::DescribeOutputs(*spec, classes_);
  REQUIRE(s.ok());
  s = topology::ValidateWithPlugins(*spec, classes_.Classes());
  INFO(s.message());
  REQUIRE(s.ok());
  auto plan = plan::TopologyPlan::Build(*spec);
  REQUIRE(plan.ok());
  plan_ = std::move(plan).value();
  auto rt = runtime::WorkerRuntime::Create(*plan_, classes_, clock);
  INFO(rt.status().message());
  REQUIRE(rt.ok());
  runtime_ = std::move(rt).value();
  runtime_->Start();
}

LocalTopology::~LocalTopology() { Stop(); }

void LocalTopology::Stop() {
  if (runtime_) runtime_->Stop();
}

bool LocalTopology::Settle() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int calm = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const bool fed_all = TestLog::Get().count("consumed") == int64_t(TestLog::Get().fed());
    calm = fed_all && runtime_->Idle() ? calm + 1 : 0;
    if (calm >= 3) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

void LocalTopology::Advance(FakeClock& clock, std::chrono::seconds total,
                            std::chrono::seconds step) {
  for (auto done = std::chrono::seconds(0); done < total; done += step) {
    clock.Advance(step);
    const uint64_t start = runtime_->timer_rounds();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (runtime_->timer_rounds() < start + 2 && std::chrono::steady_clock::now() < deadline) {
      runtime_->PokeTimer();
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    REQUIRE(Settle());
  }
}

runtime::StatsSnapshot LocalTopology::StatsOf(const std::string& component) {
  for (const auto& c : runtime_->Stats()) {
    if (c.component == component) return c.stats;
  }
  FAIL("no component " << component);
  return {};
}

}  // namespace gale::testing
