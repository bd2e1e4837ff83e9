// worker/run_loop.h
//
// What a cluster worker does while its executors run: every `poll` it looks
// for a stop signal and for an executor that cannot go on; every `beat` it
// heartbeats to nimbus and does what nimbus's answer says (Judge). The
// heartbeat, the runtime and the sleeping come in as hooks and time from the
// injected Clock, so the loop is tested with a FakeClock
// (test/worker/run_loop_test.cc).
#pragma once

#include "core/common/clock.h"
#include "core/common/status.h"
#include "thrift/gen-cpp/gale_types.h"

#include <functional>
#include <string>

namespace gale::worker {

struct RunLoopHooks {
  // A stop signal came.
  std::function<bool()> stop_requested;
  // Why an executor cannot go on; "" while all can.
  std::function<std::string()> fatal;
  // Sends one heartbeat and fills in nimbus's answer; an error when nimbus
  // could not be asked (the worker keeps running and beats again).
  std::function<Status(thrift::WorkerHeartbeatResponse&)> beat;
  // The topology is active (spouts call NextTuple) or not, as nimbus says.
  std::function<void(bool)> set_active;
  // Follows a newer assignment that leaves this worker's executors as they
  // are (live reassignment); an error when it cannot: the worker stops for
  // a restart.
  std::function<Status(const thrift::Assignment&)> reroute;
  // Waits about this long (the real loop sleeps; a test advances its clock).
  std::function<void(Nanos)> sleep;
};

struct RunLoopEnd {
  enum class Why { kSignal, kFatal, kTopologyGone, kReassigned };
  Why why = Why::kSignal;
  std::string fatal;                // kFatal: what the executor said
  int64_t assignment_version = -1;  // kReassigned: nimbus's version now
  std::string reroute_error;        // kReassigned: why it could not follow in place, if it tried
};

// Runs until a stop signal, a fatal executor, or nimbus saying the topology
// is gone or that this worker's executors changed. While nimbus says a live
// reassignment is settling, it beats every `poll` * 2 instead of every
// `beat`, to resume soon after it ends. A new assignment that
// leaves them as they are is followed in place (hooks.reroute); from then
// on the worker routes by, and reports, that version. Heartbeats begin at
// once, then follow every `beat`; one that took longer than `beat` is not
// followed by a burst of catching up.
RunLoopEnd RunLoop(const Clock& clock, int64_t assignment_version, int64_t layout_version,
                   const RunLoopHooks& hooks, Nanos beat = std::chrono::seconds(1),
                   Nanos poll = std::chrono::milliseconds(50));

}  // namespace gale::worker
