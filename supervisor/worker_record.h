// supervisor/worker_record.h
//
// What a supervisor writes down about each worker it starts, so that a
// supervisor started again on the same state directory (after a SIGKILL, a
// crash, an upgrade) adopts the workers still running instead of starting
// replacements that cannot bind their ports. A record names the process by
// pid and start time (field 22 of /proc/PID/stat): a pid reused by another
// process after the worker died has another start time and is not adopted.
//
// Files: <state_dir>/slots/<port>, one line "pid start_ticks version topology_id",
// written atomically (temporary file, rename). Pure file and /proc access;
// used by the supervisor's io thread.
#pragma once

#include "core/common/status.h"

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace gale::supervisor {

struct WorkerRecord {
  pid_t pid = 0;
  uint64_t start_ticks = 0;
  int64_t version = 0;
  std::string topology_id;
  bool operator==(const WorkerRecord&) const = default;
};

// When `pid` started, in clock ticks since boot; nothing when there is no
// such process (or it is a zombie: it has exited).
std::optional<uint64_t> ProcessStartTicks(pid_t pid);

Status WriteWorkerRecord(const std::string& state_dir, int port, const WorkerRecord& record);
// Nothing when there is no record or it does not parse (it is then removed).
std::optional<WorkerRecord> ReadWorkerRecord(const std::string& state_dir, int port);
void RemoveWorkerRecord(const std::string& state_dir, int port);

// The recorded worker still runs: its pid is alive and started when the
// record says.
bool StillRunning(const WorkerRecord& record);

}  // namespace gale::supervisor
