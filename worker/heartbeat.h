// worker/heartbeat.h
//
// A cluster worker's heartbeat: what it tells nimbus every second (its
// executors' statistics, metrics and last errors), and what it makes of
// nimbus's answer. Pure functions, tested in test/worker/heartbeat_test.cc.
#pragma once

#include "core/common/status.h"
#include "core/runtime/worker_runtime.h"
#include "thrift/gen-cpp/gale_types.h"

#include <cstdint>
#include <string>
#include <vector>

namespace gale::worker {

// Who is beating.
struct WorkerIdentity {
  std::string topology_id;
  std::string supervisor_id;
  std::string host;
  int port = 0;
  int64_t assignment_version = 0;  // what it routes by
  int my_index = 0;                // among the assignment's workers
  // When this process started (ms since the epoch): tells nimbus that its
  // counters started from zero.
  int64_t incarnation = 0;
};

thrift::WorkerHeartbeat MakeHeartbeat(const WorkerIdentity& me,
                                      const std::vector<runtime::ExecutorReport>& reports,
                                      int64_t dropped_tuples);

// What the worker does after a heartbeat call.
enum class BeatVerdict {
  kGoOn,          // assigned as before: run, active or not as nimbus says
  kRetry,         // the call failed: keep running, beat again next second
  kTopologyGone,  // nimbus has no such topology: stop
  kReassigned,    // not assigned here any more, or other executors: stop for a restart
  kReroute,       // a newer assignment with the same executors here: follow it in place
};

// `assignment_version`: what the worker routes by; `layout_version`: when
// its executors last changed.
BeatVerdict Judge(const Status& call, const thrift::WorkerHeartbeatResponse& response,
                  int64_t assignment_version, int64_t layout_version);

}  // namespace gale::worker
