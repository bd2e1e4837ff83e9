#include "core/plan/topology_plan.h"

#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <string>

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

namespace gale::plan {
namespace {

struct ChainCase {
  topology::TopologySpec spec;
  ChainCase() {
    spec.name = "t";
    spec.config.Set("topology.acker.executors", 0);
  }
  ChainCase& Add(const std::string& id, ComponentKind kind, int parallelism) {
    (kind == ComponentKind::kSpout ? spec.spouts : spec.bolts)
        .push_back(Component(id, kind, parallelism, 0));
    return *this;
  }
  ChainCase& Stream(const std::string& from, const std::string& to, topology::GroupingType type,
                    std::optional<bool> chain = std::nullopt) {
    topology::StreamSpec s;
    s.from = from;
    s.to = to;
    s.grouping.type = type;
    if (type == topology::GroupingType::kFields) s.grouping.fields = {"v"};
    s.chain = chain;
    spec.streams.push_back(s);
    return *this;
  }
  // Per component, the id of the component it is chained to ("" for none).
  std::map<std::string, std::string> Chains() const {
    auto plan = TopologyPlan::Build(spec);
    REQUIRE(plan.ok());
    std::map<std::string, std::string> out;
    for (const auto& c : (*plan)->components()) {
      out[c.id] =
          c.chained_to < 0 ? "" : (*plan)->components()[static_cast<size_t>(c.chained_to)].id;
    }
    return out;
  }
};

using topology::GroupingType;

TEST_CASE("Which bolts run on the thread of the component they read from", "[plan]") {
  SECTION("LOCAL_OR_SHUFFLE and NONE at equal parallelism chain; SHUFFLE and FIELDS do not") {
    ChainCase c;
    c.Add("s", ComponentKind::kSpout, 2).Add("a", ComponentKind::kBolt, 2);
    c.Add("b", ComponentKind::kBolt, 2).Add("x", ComponentKind::kBolt, 2);
    c.Add("y", ComponentKind::kBolt, 2);
    c.Stream("s", "a", GroupingType::kLocalOrShuffle).Stream("a", "b", GroupingType::kNone);
    c.Stream("b", "x", GroupingType::kShuffle).Stream("x", "y", GroupingType::kFields);
    CHECK(c.Chains() == std::map<std::string, std::string>{
                            {"s", ""}, {"a", "s"}, {"b", "a"}, {"x", ""}, {"y", ""}});
  }
  SECTION("other parallelism, two sources, chain: false or the setting off: no chain") {
    ChainCase c;
    c.Add("s", ComponentKind::kSpout, 2).Add("t", ComponentKind::kSpout, 1);
    c.Add("wide", ComponentKind::kBolt, 3).Add("join", ComponentKind::kBolt, 2);
    c.Add("no", ComponentKind::kBolt, 2);
    c.Stream("s", "wide", GroupingType::kLocalOrShuffle);
    c.Stream("s", "join", GroupingType::kLocalOrShuffle);
    c.Stream("t", "join", GroupingType::kLocalOrShuffle);
    c.Stream("s", "no", GroupingType::kNone, false);
    CHECK(c.Chains() == std::map<std::string, std::string>{
                            {"s", ""}, {"t", ""}, {"wide", ""}, {"join", ""}, {"no", ""}});
  }
  SECTION("chain: true chains any grouping, also with the setting off") {
    ChainCase c;
    c.Add("s", ComponentKind::kSpout, 2).Add("a", ComponentKind::kBolt, 2);
    c.Add("b", ComponentKind::kBolt, 2).Add("t", ComponentKind::kSpout, 1);
    c.Stream("s", "a", GroupingType::kLocalOrShuffle);
    c.Stream("a", "b", GroupingType::kFields, true).Stream("t", "b", GroupingType::kShuffle);
    c.spec.config.Set("topology.chaining.enabled", false);
    CHECK(c.Chains() ==
          std::map<std::string, std::string>{{"s", ""}, {"a", ""}, {"b", "a"}, {"t", ""}});
  }
  SECTION("chain: true between executor counts a rebalance made differ: no chain") {
    ChainCase c;  // as nimbus plans it after `rebalance --executors b=3`; no validation
    c.Add("s", ComponentKind::kSpout, 2).Add("b", ComponentKind::kBolt, 3);
    c.Stream("s", "b", GroupingType::kFields, true);
    CHECK(c.Chains() == std::map<std::string, std::string>{{"s", ""}, {"b", ""}});
  }
  SECTION("a cycle of an automatic chain and chain: true loses the automatic link") {
    ChainCase c;
    c.Add("s", ComponentKind::kSpout, 1).Add("x", ComponentKind::kBolt, 1);
    c.Add("y", ComponentKind::kBolt, 1);
    c.Stream("s", "x", GroupingType::kShuffle);
    c.Stream("y", "x", GroupingType::kLocalOrShuffle, true);
    c.Stream("x", "y", GroupingType::kLocalOrShuffle);
    CHECK(c.Chains() == std::map<std::string, std::string>{{"s", ""}, {"x", "y"}, {"y", ""}});
  }
  SECTION("executor i runs on the thread of executor i; SHUFFLE-like routes are marked") {
    ChainCase c;
    c.Add("s", ComponentKind::kSpout, 2).Add("a", ComponentKind::kBolt, 2);
    c.Stream("s", "a", GroupingType::kLocalOrShuffle);
    auto plan = TopologyPlan::Build(c.spec);
    REQUIRE(plan.ok());
    const auto& p = **plan;
    // Tasks: a 1-2, s 3-4.
    const int a0 = p.ExecutorOfTask(1), a1 = p.ExecutorOfTask(2);
    const int s0 = p.ExecutorOfTask(3), s1 = p.ExecutorOfTask(4);
    CHECK(p.ChainParent(static_cast<size_t>(a0)) == s0);
    CHECK(p.ChainParent(static_cast<size_t>(a1)) == s1);
    CHECK(p.ChainParent(static_cast<size_t>(s0)) == -1);
    CHECK(p.ChainChild(static_cast<size_t>(s1), p.FindComponent("a")) == a1);
    CHECK(p.components()[static_cast<size_t>(p.FindComponent("s"))].outputs[0]->routes[0].chain);
  }
}

}  // namespace
}  // namespace gale::plan
