// nimbus/scheduler.h
//
// Where a topology's executors run, as a pure function over plain structs:
// nimbus gathers what it knows (the old assignment, which of its workers
// are alive, the free slots, the plan's executors, the workers asked for)
// and applies what comes back. No Thrift, no clock, no locks: the unit
// tests (test/nimbus/scheduler_test.cc) drive it with tables.
//
// The rules:
// - Live workers of the old assignment stay (up to the workers asked for);
//   the rest come from free slots, preferring supervisors the topology uses
//   least, so workers spread over machines.
// - Sticky: an executor whose old worker survives stays on it, unless
//   `full` (a rebalance that names the worker count or nothing, or more
//   workers than before)
//   asks to spread all executors round-robin in task order. An executor is
//   the same when its tasks are (`executor_tasks`): a rebalance of one
//   component's executors moves only that component's. An executor that
//   lost its worker, or is new, goes to the least loaded one.
// - A chained executor goes where the head of its chain goes, so that it
//   runs on that executor's thread; the round-robin counts heads only.
// - Workers left with no executor are dropped.
// - Fewer slots than workers asked for: the topology runs on what there is
//   and `note` says so (`gale info`, the UI); no slot at all: nothing runs.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace gale::nimbus {

struct Slot {
  std::string supervisor;
  int port = 0;
  std::string host;  // the supervisor's, carried along for the assignment
  bool operator==(const Slot&) const = default;
};

// An executor's tasks, first and last.
using TaskRange = std::pair<int32_t, int32_t>;

struct ScheduleInput {
  std::vector<Slot> old_workers;
  std::vector<bool> old_alive;           // per old worker
  std::vector<int> old_executor_worker;  // per executor of the old assignment
  std::vector<Slot> free_slots;          // not used by any topology
  size_t executors = 0;                  // the plan's executors, in task order
  // The tasks of each old and each planned executor, which tell the same
  // executor in both. Both empty: executor k of the old assignment is
  // executor k of the plan when their counts agree.
  std::vector<TaskRange> old_executor_tasks;
  std::vector<TaskRange> executor_tasks;
  int workers_wanted = 1;
  bool full = false;
  // Per planned executor: the executor whose worker it must share (the
  // head of its chain: core/runtime/README.md, "Chaining"), or -1. Empty:
  // none.
  std::vector<int> chain_head;
};

struct ScheduleResult {
  std::vector<Slot> workers;
  std::vector<int> executor_worker;  // per executor: index into `workers`
  // Empty when every worker asked for runs; else why not.
  std::string note;
};

ScheduleResult ComputeSchedule(const ScheduleInput& in);

}  // namespace gale::nimbus
