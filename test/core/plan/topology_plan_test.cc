#include "core/plan/topology_plan.h"

#include <catch2/catch.hpp>

namespace gale::plan {
namespace {

topology::ComponentSpec Component(const std::string& id, ComponentKind kind, int parallelism,
                                  int tasks) {
  topology::ComponentSpec c;
  c.id = id;
  c.class_name = "X";
  c.kind = kind;
  c.parallelism = parallelism;
  c.num_tasks = tasks;
  c.outputs = {StreamDeclaration{"default", Fields{"v"}, Direct::kNo}};
  c.outputs_known = true;
  return c;
}

TEST_CASE("Task ids are assigned by sorted component id, from 1, ackers included", "[plan]") {
  topology::TopologySpec spec;
  spec.name = "t";
  spec.spouts.push_back(Component("zeta", ComponentKind::kSpout, 1, 0));
  spec.bolts.push_back(Component("alpha", ComponentKind::kBolt, 3, 10));
  topology::StreamSpec stream;
  stream.from = "zeta";
  stream.to = "alpha";
  spec.streams.push_back(stream);
  spec.config.Set("topology.acker.executors", 2);
  auto plan = TopologyPlan::Build(spec);
  REQUIRE(plan.ok());
  const auto& p = **plan;
  // "__acker" < "alpha" < "zeta" in byte order.
  CHECK(p.component_tasks().at("__acker") == std::vector<int32_t>{1, 2});
  CHECK(p.component_tasks().at("alpha") == std::vector<int32_t>{3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  CHECK(p.component_tasks().at("zeta") == std::vector<int32_t>{13});
  CHECK(p.task_count() == 13);
  CHECK(p.acker_tasks() == std::vector<int32_t>{1, 2});
  // Storm's partitionFixed: 10 tasks over 3 executors are [4][3][3].
  std::vector<std::vector<int32_t>> alpha;
  for (const auto& e : p.executors()) {
    if (p.components()[static_cast<size_t>(e.component)].id == "alpha") alpha.push_back(e.tasks);
  }
  CHECK(alpha == std::vector<std::vector<int32_t>>{{3, 4, 5, 6}, {7, 8, 9}, {10, 11, 12}});
}

TEST_CASE("Spouts and ackers tick once per message timeout and bolts only when configured",
          "[plan]") {
  topology::TopologySpec spec;
  spec.name = "t";
  spec.spouts.push_back(Component("s", ComponentKind::kSpout, 1, 0));
  auto b = Component("b", ComponentKind::kBolt, 1, 0);
  b.config.Set("topology.tick.tuple.freq.secs", 5);
  spec.bolts.push_back(b);
  spec.bolts.push_back(Component("c", ComponentKind::kBolt, 1, 0));
  spec.config.Set("topology.message.timeout.secs", 12);
  auto plan = TopologyPlan::Build(spec);
  REQUIRE(plan.ok());
  const auto& p = **plan;
  CHECK(p.components()[static_cast<size_t>(p.FindComponent("s"))].tick_secs == 12);
  CHECK(p.components()[static_cast<size_t>(p.FindComponent("__acker"))].tick_secs == 12);
  CHECK(p.components()[static_cast<size_t>(p.FindComponent("b"))].tick_secs == 5);
  CHECK(p.components()[static_cast<size_t>(p.FindComponent("c"))].tick_secs == 0);
}

}  // namespace
}  // namespace gale::plan
