#include "worker/shutdown.h"

#include "core/runtime/worker_runtime.h"

#include <unistd.h>

#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace gale::worker {

std::chrono::steady_clock::time_point ShutdownDeadline(double secs) {
  const std::chrono::duration<double> d(secs < 1e9 ? secs : 1e9);
  return std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
}

std::string StuckMessage(const std::vector<runtime::StuckExecutor>& stuck, double secs,
                         bool interrupted) {
  std::ostringstream out;
  out << stuck.size() << " executor(s) ";
  if (interrupted) {
    out << "still running when interrupted again";
  } else {
    out << "did not stop within " << std::fixed << std::setprecision(1) << secs
        << " s (topology.worker.shutdown.secs)";
  }
  out << ", exiting without them: ";
  for (size_t i = 0; i < stuck.size(); ++i) out << (i ? ", " : "") << stuck[i].ToString();
  return out.str();
}

void ExitLeavingThreads(int code) {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  ::_exit(code);
}

}  // namespace gale::worker
