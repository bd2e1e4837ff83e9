// core/grouping/grouping.h
//
// A Grouper picks the target tasks of one emitted tuple for one subscription
// (a consuming component and its grouping). One instance per (emitting task,
// subscription); used only by the emitting task's executor thread, so it may
// keep state (a shuffle position, partial-key load counts) without locks.
#pragma once

#include "core/topology/topology_spec.h"

#include <gale/values.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace gale::grouping {

class Grouper {
 public:
  virtual ~Grouper() = default;
  // Appends the chosen tasks to `out` (which the caller clears).
  virtual void ChooseTasks(const Values& values, std::vector<int32_t>& out) = 0;
};

struct GrouperArgs {
  topology::GroupingType type;
  std::vector<int32_t> targets;       // the consuming component's tasks, any order
  std::vector<size_t> field_indices;  // FIELDS / PARTIAL_KEY: indices into the values
  std::vector<int32_t> local_tasks;   // LOCAL_OR_SHUFFLE: tasks in this worker
  uint64_t seed = 0;                  // SHUFFLE / NONE / LOCAL_OR_SHUFFLE randomness
};

// DIRECT has no grouper (the emitter names the task): returns nullptr.
std::unique_ptr<Grouper> MakeGrouper(GrouperArgs args);

// The stable 64-bit hash of the encoded values at `indices` (xxHash3 over
// tuple_codec's encoding). Never changes between releases: the same key maps
// to the same task in every process and every version.
uint64_t FieldsHash(const Values& values, const std::vector<size_t>& indices);

}  // namespace gale::grouping
