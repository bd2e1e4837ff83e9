// worker/shutdown.h
//
// Ending a process whose executors did not all stop: what `gale local` and
// a cluster worker do after WorkerRuntime::StopUntil() returned executors
// still running (worker/README.md, "Stopping").
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace gale::runtime {
struct StuckExecutor;
}

namespace gale::worker {

// The exit status of a process that stopped waiting for some executors.
inline constexpr int kExitExecutorsStuck = 3;

// Now plus `secs` (topology.worker.shutdown.secs), at most about 30 years.
std::chrono::steady_clock::time_point ShutdownDeadline(double secs);

// Why the process exits without `stuck`: "2 executor(s) did not stop within
// 3.0 s (topology.worker.shutdown.secs), exiting without them: lines (task
// 2), __acker (task 1, on the thread of lines (task 2))"; with
// `interrupted`, "... still running when interrupted again, ...".
std::string StuckMessage(const std::vector<runtime::StuckExecutor>& stuck, double secs,
                         bool interrupted);

// Flushes std::cout, std::cerr and every C stdio stream, then ends the
// process with _exit(code): no destructors and no atexit handlers run, so
// nothing is torn down under the threads that are still running.
[[noreturn]] void ExitLeavingThreads(int code);

}  // namespace gale::worker
