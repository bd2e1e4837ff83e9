// worker/worker_layout.h
//
// Who runs what, as one worker reads its topology's assignment: which of the
// assignment's workers it is, its peers, which peer runs each task, and which
// of the plan's executors are its own. Plain structs in and out, so that it
// is tested without nimbus (test/worker/worker_layout_test.cc).
#pragma once

#include "core/common/result.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gale::worker {

// A worker slot of the assignment.
struct AssignedSlot {
  std::string supervisor_id;
  std::string host;
  int port = 0;
};

// An executor of the assignment: its tasks, on worker `worker` (an index
// into the assignment's slots).
struct AssignedExecutor {
  int32_t task_start = 0;
  int32_t task_end = 0;
  int worker = 0;
};

struct WorkerLayout {
  // This worker's index among the assignment's slots; -1 when its slot is
  // not one of them (the assignment moved on: it should exit).
  int my_index = -1;
  // Every other slot of the assignment, in its order, as "host:port".
  std::vector<std::string> peers;
  // By task id (1..task count; 0 is unused): the index into `peers` of the
  // worker that runs it, or -1 when it runs here.
  std::vector<int> task_peer;
  // This worker's executors: indices into the plan's executors, and their
  // tasks as the assignment gives them, in the assignment's order.
  std::vector<size_t> executors;
  std::vector<AssignedExecutor> mine;
};

// Reads the assignment for the worker at `supervisor_id`:`port`.
// `first_tasks[k]` is the first task of the plan's executor k, and
// `task_count` the plan's number of tasks. An assignment that does not fit
// the plan (an executor on a slot it does not list, tasks outside the plan,
// or an executor of this worker that starts no executor of the plan) is an
// error naming it: running fewer executors than assigned would lose their
// tuples without a word.
Result<WorkerLayout> LayOut(const std::vector<AssignedSlot>& slots,
                            const std::vector<AssignedExecutor>& executors,
                            const std::vector<int32_t>& first_tasks, int32_t task_count,
                            const std::string& supervisor_id, int port);

}  // namespace gale::worker
