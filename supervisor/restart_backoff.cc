#include "supervisor/restart_backoff.h"

#include <algorithm>

namespace gale::supervisor {

RestartBackoff::Duration RestartBackoff::OnDeath(Duration ran_for, Death how) {
  if (ran_for >= kHealthyRun) quick_deaths_ = quick_kills_ = 0;
  if (how == Death::kKilled && quick_kills_ < kFreeKills) {
    ++quick_kills_;
    return Duration::zero();
  }
  ++quick_deaths_;
  if (quick_deaths_ == 1) return Duration::zero();
  // The second death in a row waits kFirstDelay, each later one twice as
  // long. The shift is bounded so that it cannot overflow.
  const int doublings = std::min(quick_deaths_ - 2, 16);
  return std::min(kFirstDelay * (int64_t{1} << doublings), kMaxDelay);
}

}  // namespace gale::supervisor
