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
  int64_t layout_version = 0;  // when its executors last changed (thrift's LayoutVersion)
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
  // Every other slot of the assignment, in its order, as "host:port", and
  // its layout version (what frames to it carry).
  std::vector<std::string> peers;
  std::vector<int64_t> peer_versions;
  int64_t my_layout_version = 0;
  // This worker as the assignment lists it ("host:port"): how its peers
  // know it, and so the name its frames give (core/transport).
  std::string my_address;
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

// Live reassignment: how a running worker follows a new assignment in which
// its own executors did not change. The transport's peers keep their
// indices: one still in the assignment stays, one that left is retired
// (""), a new one is appended.
struct Reroute {
  std::vector<std::string> peers;  // the transport's, by index, after
  std::vector<int64_t> peer_versions;
  std::vector<int> task_peer;  // by task: transport peer index, -1 here
  WorkerLayout layout;         // the new assignment as LayOut reads it
};

// `transport_peers`: the transport's peers now ("" retired). Errors: the
// new assignment does not fit the plan (LayOut), does not list this worker
// (kNotFound), or gives it other executors than `current` has, or another
// address (kFailedPrecondition, naming them): such a worker restarts
// instead.
Result<Reroute> PlanReroute(const WorkerLayout& current,
                            const std::vector<std::string>& transport_peers,
                            const std::vector<AssignedSlot>& slots,
                            const std::vector<AssignedExecutor>& executors,
                            const std::vector<int32_t>& first_tasks, int32_t task_count,
                            const std::string& supervisor_id, int port);

}  // namespace gale::worker
