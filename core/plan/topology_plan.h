// core/plan/topology_plan.h
//
// TopologyPlan is a validated topology turned into what the runtime needs:
// tasks, executors and routes. Every process computes the same plan from the
// same spec: components (the ackers included) are sorted by id and given
// contiguous task ids from 1; a component's tasks are split over its
// executors as Storm does (10 tasks over 3 executors: [1-4][5-7][8-10]).
// Immutable after Build(); shared read-only by every executor thread.
#pragma once

#include "core/common/result.h"
#include "core/topology/topology_settings.h"
#include "core/topology/topology_spec.h"

#include <gale/config.h>
#include <gale/topology_context.h>
#include <gale/tuple.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gale::plan {

enum class Role { kSpout, kBolt, kAcker };

// One subscription of an output stream.
struct Route {
  int target_component;  // index into TopologyPlan::components
  topology::GroupingType grouping;
  std::vector<size_t> field_indices;  // FIELDS and PARTIAL_KEY
  // The target runs on the thread of the source (ChainParent): a SHUFFLE,
  // NONE or LOCAL_OR_SHUFFLE route then goes only to the tasks of the
  // executor on the same thread.
  bool chain = false;
};

// A batch of rows of stream i (gale/rows.h) crosses workers as stream
// i | kRowsStreamBit.
inline constexpr uint32_t kRowsStreamBit = 1u << 31;

struct OutputStream {
  StreamMeta meta;  // tuples point at it: its address is stable
  // What a batch of rows of this stream points at: as `meta`, with
  // row_meta = &meta and the index's kRowsStreamBit set.
  StreamMeta rows_meta;
  uint32_t index = 0;  // position in the component's outputs, the same in every process
  bool direct = false;
  bool system = false;  // an __ack_* stream
  std::vector<Route> routes;
};

struct ComponentPlan {
  std::string id;
  std::string class_name;
  Role role = Role::kBolt;
  Config config;               // the component's own entries
  std::vector<int32_t> tasks;  // ascending
  int executor_count = 1;
  std::vector<std::unique_ptr<OutputStream>> outputs;
  double tick_secs = 0;  // 0: no tick tuples
  // Its tasks keep checkpointed state (the checkpoint spout's included).
  bool stateful = false;
  // The component whose thread runs this one's (executor i on the thread of
  // its executor i), or -1 (core/runtime/README.md, "Chaining").
  int chained_to = -1;

  const OutputStream* FindOutput(std::string_view stream) const;
};

struct ExecutorPlan {
  int component;
  std::vector<int32_t> tasks;  // contiguous, ascending
};

class TopologyPlan {
 public:
  // REQUIRES: `spec` passed validation, with outputs known.
  static Result<std::unique_ptr<TopologyPlan>> Build(const topology::TopologySpec& spec);

  const std::string& name() const { return name_; }
  const Config& topology_config() const { return topology_config_; }
  const topology::TopologySettings& settings() const { return settings_; }
  const std::vector<ComponentPlan>& components() const { return components_; }
  const std::vector<ExecutorPlan>& executors() const { return executors_; }
  const std::map<std::string, std::vector<int32_t>, std::less<>>& component_tasks() const {
    return component_tasks_;
  }
  int task_count() const { return static_cast<int>(task_component_.size()) - 1; }
  // -1 for an unknown task.
  int ComponentOfTask(int32_t task) const {
    return task > 0 && task < static_cast<int32_t>(task_component_.size()) ? task_component_[task]
                                                                           : -1;
  }
  int FindComponent(std::string_view id) const;
  // The (component, stream) pairs component `component` subscribes to.
  std::vector<StreamId> SourcesOf(int component) const;
  // Whether component `target` receives tuples of `out` (a subscription, or
  // the acker for spouts' and bolts' acking streams).
  bool Subscribes(const OutputStream& out, int target) const;
  const std::vector<int32_t>& acker_tasks() const { return acker_tasks_; }
  bool acking() const { return !acker_tasks_.empty(); }
  const StreamMeta* tick_meta() const { return &tick_meta_; }
  // Whether the topology has a stateful bolt, so the checkpoint spout and
  // the $checkpoint streams (core/state).
  bool checkpointing() const { return checkpointing_; }
  // Whether every spout is a StatefulSpout: checkpoints start at the spouts
  // (core/state/README.md, "Exactly once").
  bool exactly_once() const { return exactly_once_; }
  // Chaining: the executor whose thread runs executor `e` when both run in
  // one worker (the executor of the same rank in the component it is
  // chained to), or -1.
  int ChainParent(size_t e) const { return chain_parent_[e]; }
  // The executor of `component` chained to executor `e`, or -1.
  int ChainChild(size_t e, int component) const;
  // The executor running `task`, or -1.
  int ExecutorOfTask(int32_t task) const;
  // Per executor, the one whose thread runs it, given where each runs
  // (`place`, one value per executor, -1: not here): its chain parent's
  // when that is in the same place, and so on up the chain; itself
  // otherwise; -1 when not placed. The one rule for workers (their own
  // executors) and nimbus (the assignment, or everything in one place for
  // where chains must go).
  std::vector<int> ChainHeads(const std::vector<int>& place) const;

 private:
  TopologyPlan() = default;
  void AddComponent(const topology::ComponentSpec& spec, Role role);
  void AddSystemStreams();
  Status AddRoutes(const topology::TopologySpec& spec);
  void AssignTasksAndExecutors();
  void Chain(const topology::TopologySpec& spec);

  std::string name_;
  Config topology_config_;
  topology::TopologySettings settings_;
  std::vector<ComponentPlan> components_;
  std::vector<ExecutorPlan> executors_;
  std::vector<int> chain_parent_;      // per executor
  std::vector<int> rank_;              // per executor: its place among its component's
  std::vector<int> executor_of_task_;  // task id -> executor; [0] unused
  std::map<std::string, std::vector<int32_t>, std::less<>> component_tasks_;
  std::vector<int> task_component_;  // task id -> component index; [0] unused
  std::vector<int32_t> acker_tasks_;
  StreamMeta tick_meta_;
  bool checkpointing_ = false;
  bool exactly_once_ = false;
};

}  // namespace gale::plan
