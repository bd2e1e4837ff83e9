// supervisor/worker_launcher.h
//
// Starting a worker process and describing how it ended. The supervisor
// tracks each worker by the pid SpawnWorker returns, and reaps it itself.
//
// Threading: call from the supervisor's io thread.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/common/result.h"

namespace gale::supervisor {

struct WorkerLaunch {
  std::string program;            // absolute path
  std::vector<std::string> args;  // without argv[0]
  std::string cwd;                // created when missing
  std::string log_file;           // stdout and stderr are appended here
};

// Starts the program with stdin from /dev/null, stdout and stderr appended
// to the log file, no other descriptors of ours, default signal handling and
// an empty signal mask. Errors: a directory or the log cannot be created,
// or the program cannot be executed.
Result<pid_t> SpawnWorker(const WorkerLaunch& launch);

// "exited with status 3", "killed by signal 9 (Killed)".
std::string DescribeWaitStatus(int wait_status);

}  // namespace gale::supervisor
