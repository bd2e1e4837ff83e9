// supervisor/restart_backoff.h
//
// How long the supervisor waits before restarting a worker that died while
// still assigned. The first death is restarted at once; a worker that dies
// again within kHealthyRun of its start waits 1 s, 2 s, 4 s ... capped at
// kMaxDelay. A worker that ran for kHealthyRun or longer before dying counts
// as a first death again.
//
// Pure: the caller says how long the worker ran, so tests need no clock.
// Threading: one instance per slot, used by the supervisor's io thread only.
#pragma once

#include <chrono>

namespace gale::supervisor {

class RestartBackoff {
 public:
  using Duration = std::chrono::milliseconds;
  static constexpr Duration kHealthyRun = std::chrono::seconds(10);
  static constexpr Duration kFirstDelay = std::chrono::seconds(1);
  static constexpr Duration kMaxDelay = std::chrono::seconds(30);

  // Records a death after the worker ran for `ran_for` and returns the delay
  // before it should be started again (zero: at once).
  Duration OnDeath(Duration ran_for);

  // Forgets earlier deaths: the slot now runs something else.
  void Reset() { quick_deaths_ = 0; }

  // Deaths since the last healthy run, including the first one.
  int deaths() const { return quick_deaths_; }

 private:
  int quick_deaths_ = 0;
};

}  // namespace gale::supervisor
