#include "worker/run_loop.h"

#include "worker/heartbeat.h"

#include <algorithm>

namespace gale::worker {

RunLoopEnd RunLoop(const Clock& clock, int64_t assignment_version, int64_t layout_version,
                   const RunLoopHooks& hooks, Nanos beat, Nanos poll) {
  Nanos next_beat = clock.Now();
  for (bool first = true;; first = false) {
    if (!first) hooks.sleep(poll);
    if (hooks.stop_requested()) return {RunLoopEnd::Why::kSignal, "", -1, ""};
    if (std::string fatal = hooks.fatal(); !fatal.empty()) {
      return {RunLoopEnd::Why::kFatal, std::move(fatal), -1, ""};
    }
    const Nanos now = clock.Now();
    if (now < next_beat) continue;
    next_beat += beat;
    thrift::WorkerHeartbeatResponse response;
    const Status call = hooks.beat(response);
    // A slow call (nimbus away, a reconnect) does not make beats pile up.
    if (clock.Now() >= next_beat) next_beat = clock.Now() + beat;
    switch (Judge(call, response, assignment_version, layout_version)) {
      case BeatVerdict::kRetry: break;
      case BeatVerdict::kTopologyGone: return {RunLoopEnd::Why::kTopologyGone, "", -1, ""};
      case BeatVerdict::kReassigned:
        return {RunLoopEnd::Why::kReassigned, "", response.assignment_version, ""};
      case BeatVerdict::kReroute:
        if (Status s = hooks.reroute(response.assignment); !s.ok()) {
          return {RunLoopEnd::Why::kReassigned, "", response.assignment_version, s.message()};
        }
        assignment_version = response.assignment_version;
        [[fallthrough]];
      case BeatVerdict::kGoOn:
        hooks.set_active(response.status == thrift::TopologyStatus::ACTIVE);
        if (response.__isset.settling && response.settling) {
          next_beat = std::min(next_beat, clock.Now() + 2 * poll);
        }
        break;
    }
  }
}

}  // namespace gale::worker
