// supervisor/log_server.h
//
// The supervisor's log server (Storm's logviewer): it serves the logs of the
// workers it ran, from its state directory's logs/, to `gale logs` and the
// UI on any machine. Read-only, and only files named as worker logs in that
// directory: a request cannot name any other path.
//
//   GET /api/v1/logs?topology=ID          the topology's log files here (JSON)
//   GET /api/v1/log?file=NAME[&start=S][&length=L]
//   GET /api/v1/log?topology=ID&port=P[&start=S][&length=L]
//                                          bytes of a log (text); without start,
//                                          the last `length` (default 64 KiB)
//
// A log answer carries X-Log-Size (the file's size now) and X-Log-Start (the
// offset of the first byte sent), so a client can follow a growing file.
// Also here: the names of worker logs, and the retention sweep.
//
// Threading: the functions are reentrant.
#pragma once

#include "core/http/http.h"

#include <chrono>
#include <set>
#include <string>
#include <vector>

namespace gale::supervisor {

// "worker-<topology id>-<port>.log"; rotated files add ".1", ".2", ...
std::string WorkerLogName(const std::string& topology_id, int port);

struct WorkerLogFile {
  std::string name;  // in the logs directory
  std::string topology_id;
  int port = 0;
  int rotation = 0;  // 0: the current file; 1: the newest rotated one
};
// Parses a log file name; false for anything else.
bool ParseWorkerLogName(const std::string& name, WorkerLogFile* out);

http::HttpResponse ServeLogRequest(const std::string& logs_dir, const http::HttpRequest& request);

// Removes the log files of topologies not in `keep` that were last written
// more than `age` ago. The names removed.
std::vector<std::string> RemoveOldLogs(const std::string& logs_dir,
                                       const std::set<std::string>& keep, std::chrono::seconds age);

}  // namespace gale::supervisor
