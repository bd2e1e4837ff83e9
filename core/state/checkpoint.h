// core/state/checkpoint.h
//
// Storm's state checkpointing: the checkpoint spout, the stateful bolt
// runner, and what the plan and the bolt executor need to wire them
// (README.md). Names as Storm's: the $checkpointspout component emits
// [txid, action] on $checkpoint.
#pragma once

#include "core/common/status.h"
#include "core/topology/topology_settings.h"

#include <gale/bolt.h>
#include <gale/config.h>
#include <gale/plugin.h>
#include <gale/stateful_bolt.h>
#include <gale/stateful_spout.h>
#include <gale/topology_context.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gale::state {

inline constexpr std::string_view kCheckpointComponent = "$checkpointspout";
inline constexpr std::string_view kCheckpointStream = "$checkpoint";
inline constexpr std::string_view kCheckpointSpoutClass = "gale.CheckpointSpout";
using topology::kStatefulMarker;

enum class Action : int64_t { kPrepare = 0, kCommit = 1, kRollback = 2, kInitState = 3 };
const char* ActionName(Action a);

// The checkpoint's fields: txid, action.
std::vector<std::string> CheckpointFields();

using topology::IsStateful;

using topology::kExactlyOnceKey;
bool ExactlyOnce(const Config& config);

// Where a task's state lives in the store: topology.state.namespace, else
// the topology's id (storm.id, so a new submission starts empty), else its
// name; then component and the task's index among the component's tasks (0
// for its first). The index, not the task id: a fields grouping sends a key
// to the task of that index, and ids shift when another component's task
// count changes (one acker per worker by default), which would hand a
// resubmitted task another task's state.
std::string StateNamespace(const Config& config, const std::string& topology,
                           const std::string& component, int task_index);

// What a process that runs a topology sets in its config before building
// the plan: storm.id (`id`: the default state namespace, so each submission,
// or `gale local` run, starts empty), and the RocksDB directory unless the
// topology gives one.
void SetRunDefaults(Config& topology_config, const std::string& id, const std::string& rocksdb_dir);

// Counts a checkpoint's arrivals from every input task (each sends it to
// every task of the bolt): true for the one that completes it.
class CheckpointBarrier {
 public:
  explicit CheckpointBarrier(size_t expected) : expected_(expected == 0 ? 1 : expected) {}
  bool Arrive(int64_t txid, int64_t action);

 private:
  size_t expected_;
  int64_t txid_ = -1, action_ = -1;
  size_t seen_ = 0;
};

// How many input tasks send checkpoints to a task with this context, and
// which.
size_t CheckpointInputs(const TopologyContext& context);
std::vector<int32_t> CheckpointSources(const TopologyContext& context);

std::unique_ptr<Bolt> RunStateful(std::unique_ptr<StatefulBolt> bolt);

// What the spout executor sees of a StatefulSpout: it acts on the
// checkpoints that reach the task (the executor then passes them on, in
// order with the spout's data, or fails them on an error).
class CheckpointedSpout {
 public:
  virtual ~CheckpointedSpout() = default;
  virtual Status OnCheckpoint(int64_t txid, Action action) = 0;
};
std::unique_ptr<Spout> RunStatefulSpout(std::unique_ptr<StatefulSpout> spout);

// gale.CheckpointSpout.
const PluginClass& CheckpointSpoutClass();

}  // namespace gale::state
