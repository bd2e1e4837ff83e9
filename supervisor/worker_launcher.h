// supervisor/worker_launcher.h
//
// Starting a worker process and describing how it ended. The supervisor
// tracks each worker by the pid SpawnWorker returns, and reaps it itself.
//
// Threading: call from the supervisor's io thread.
#pragma once

#include <sys/types.h>

#include <map>
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

// What a worker's death note says (worker/death_note.h has the format).
struct DeathNote {
  std::string cause;  // "" when the worker left no note
  std::string component;
  int task = -1;
  std::string stack;  // frames, one a line; at most 64 lines
};
// Reads and removes the note at `path`; empty when there is none. A note is
// at most 64 KiB; the rest is ignored.
DeathNote ReadDeathNote(const std::string& path);

// Makes a death note's stack readable: each frame "object(+0xOFF) [addr]"
// becomes "function at file:line (object+0xOFF)" where addr2line (binutils)
// finds them, and objects named in `names` (a plugin's stored path, by its
// SHA-256) are shown by their name. Frames it cannot resolve stay as they are.
std::string SymbolizeStack(const std::string& stack,
                           const std::map<std::string, std::string>& names);

}  // namespace gale::supervisor
