// nimbus/cli/logs_command.h
//
// `gale logs NAME [--component C] [--worker HOST:PORT] [--lines N] [--follow]`:
// a topology's worker logs from any machine, read through the supervisors'
// log servers (supervisor/log_server.h) that nimbus names.
#pragma once

#include "nimbus/cli/cluster_commands.h"

#include <iosfwd>
#include <string>

namespace gale::cli {

struct LogsOptions {
  std::string component;  // only workers running it, and its own lines
  std::string worker;     // only this worker (host:port)
  int lines = 100;        // the last N lines of each worker
  bool follow = false;    // then keep printing what is appended
};

int Logs(const ClusterArgs& c, const std::string& name, const LogsOptions& options,
         std::ostream& out, std::ostream& err);

// Whether a log line belongs to `component`: a plugin logger's line, whose
// tag is "component:task" ("12:03:07.412 INFO [4242] split:3] ...").
bool LineOfComponent(const std::string& line, const std::string& component);

}  // namespace gale::cli
