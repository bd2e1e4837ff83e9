// supervisor/restart_backoff.h
//
// How long the supervisor waits before restarting a worker that died while
// still assigned. The first death is restarted at once; a worker that dies
// again within kHealthyRun of its start waits 1 s, 2 s, 4 s ... capped at
// kMaxDelay. A worker that ran for kHealthyRun or longer before dying counts
// as a first death again.
//
// A worker killed from outside (SIGKILL or SIGTERM, no death note: an
// operator, a chaos test, the OOM killer) or one that stopped cleanly (exit
// 0: a worker stops so on SIGTERM) did not crash: it is restarted at once,
// up to kFreeKills times in a row; more such deaths, each within
// kHealthyRun of its start, look like a loop (the OOM killer again and
// again) and back off like crashes.
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
  static constexpr int kFreeKills = 5;

  enum class Death { kCrash, kKilled };

  // Records a death after the worker ran for `ran_for` and returns the delay
  // before it should be started again (zero: at once).
  Duration OnDeath(Duration ran_for, Death how = Death::kCrash);

  // Forgets earlier deaths: the slot now runs something else.
  void Reset() { quick_deaths_ = quick_kills_ = 0; }

  // Deaths since the last healthy run, including the first one.
  int deaths() const { return quick_deaths_; }

 private:
  int quick_deaths_ = 0;
  int quick_kills_ = 0;  // kKilled since the last healthy run
};

}  // namespace gale::supervisor
