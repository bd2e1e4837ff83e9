// core/grouping/grouping.h
//
// A Grouper picks the target tasks of one emitted tuple for one subscription
// (a consuming component and its grouping). One instance per (emitting task,
// subscription); used only by the emitting task's executor thread, so it may
// keep state (a shuffle position, partial-key load counts) without locks.
#pragma once

#include "core/topology/topology_spec.h"

#include <gale/values.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace gale::grouping {

class Grouper {
 public:
  virtual ~Grouper() = default;
  // Appends the chosen tasks to `out` (which the caller clears).
  virtual void ChooseTasks(const Values& values, std::vector<int32_t>& out) = 0;
  // True when it chooses the same tasks for every tuple (GLOBAL, ALL, one
  // target): the executor then asks once and keeps the answer.
  virtual bool Fixed() const { return false; }
};

// Where a target task runs, seen from the emitting task's worker: the
// load-aware shuffle sends to the nearest of these scopes whose tasks are
// not busy (Storm's LocalityScope; Gale has no racks).
enum class Locality : uint8_t { kWorker = 0, kHost = 1, kEverywhere = 2 };

// What the load-aware shuffle reads about its targets: the worker's view,
// read on the emitting executor's thread (so it must be cheap and
// thread-safe: atomics, no locks).
class TaskLoads {
 public:
  virtual ~TaskLoads() = default;
  // How full the task's input is, 0 (empty) to 1 (full; more is read as
  // 1): what the weights compare (a task in another worker: its link's
  // queue).
  virtual double Load(int32_t task) const = 0;
  // The share of the recent past the task spent executing, 0 to 1, where
  // known (a task in this worker); 0 where not. Only the scope's choice
  // reads it, as the larger of it and Load(): it is not comparable across
  // workers.
  virtual double Busy(int32_t task) const {
    (void)task;
    return 0.0;
  }
  virtual Locality LocalityOf(int32_t task) const = 0;
};

// topology.localityaware.* and the load-aware shuffle's pace.
struct LoadAwareOptions {
  double higher_bound = 0.8;  // a scope whose mean load is above: widen it
  double lower_bound = 0.2;   // below: narrow it
  std::chrono::nanoseconds refresh{std::chrono::milliseconds(100)};  // loads read this often
  // The clock the refresh is paced by (tests move it by hand).
  std::function<std::chrono::steady_clock::time_point()> now = [] {
    return std::chrono::steady_clock::now();
  };
};

struct GrouperArgs {
  topology::GroupingType type;
  std::vector<int32_t> targets;       // the consuming component's tasks, any order
  std::vector<size_t> field_indices;  // FIELDS / PARTIAL_KEY: indices into the values
  std::vector<int32_t> local_tasks;   // LOCAL_OR_SHUFFLE: tasks in this worker
  uint64_t seed = 0;                  // SHUFFLE / NONE / LOCAL_OR_SHUFFLE randomness
  // SHUFFLE is load-aware when set (topology.disable.loadaware.messaging
  // false, Storm's default); plain when null. Outlives the grouper.
  const TaskLoads* loads = nullptr;
  LoadAwareOptions load_aware;
};

// DIRECT has no grouper (the emitter names the task): returns nullptr.
std::unique_ptr<Grouper> MakeGrouper(GrouperArgs args);

// The stable 64-bit hash of the encoded values at `indices` (xxHash3 over
// tuple_codec's encoding). Never changes between releases: the same key maps
// to the same task in every process and every version.
uint64_t FieldsHash(const Values& values, const std::vector<size_t>& indices);

}  // namespace gale::grouping
