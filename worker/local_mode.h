// worker/local_mode.h
//
// `gale local FILE.yaml`: runs every task of a topology in this process, on
// the same executors a cluster worker uses, then prints a table per
// component. Stops after --duration, on SIGINT/SIGTERM, or (without a
// duration) once every spout is exhausted and every tree has completed or
// failed.
#pragma once

#include <iosfwd>
#include <string>

namespace gale::worker {

struct LocalOptions {
  std::string file;
  std::string filter_file;
  double duration_secs = 0;  // 0: until the spouts are exhausted
  bool quiet = false;        // no progress lines, only the final table
};

// Returns the process exit code: 0 on success (errors that components
// reported while running are listed after the table), 1 when the topology
// could not start or a task failed to open/prepare, 2 for bad input (the
// error is on stderr). Does not return when executors did not stop within
// topology.worker.shutdown.secs (or a second signal came during the stop):
// it prints the table and names them, then ends the process with status 3
// (_exit, worker/README.md "Stopping").
int RunLocal(const LocalOptions& options, std::ostream& out, std::ostream& err);

}  // namespace gale::worker
