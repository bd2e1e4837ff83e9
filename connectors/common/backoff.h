// connectors/common/backoff.h
//
// Exponential backoff for reconnects and retries, shared by the connectors:
// Failed() doubles the delay (from `initial` up to `max`), Succeeded() resets
// it, Ready() says whether the next attempt may run. The clock is passed in
// (a steady time point), so that tests need no sleeps.
//
// Threading: one instance per task; no locks.
#pragma once

#include <algorithm>
#include <chrono>

namespace gale::connectors {

class Backoff {
 public:
  using Clock = std::chrono::steady_clock;

  Backoff(std::chrono::milliseconds initial = std::chrono::milliseconds(100),
          std::chrono::milliseconds max = std::chrono::milliseconds(10000))
      : initial_(initial), max_(std::max(max, initial)) {}

  // True when no failure is outstanding or its delay has passed.
  bool Ready(Clock::time_point now) const { return failures_ == 0 || now >= next_; }

  // Records a failure at `now`; returns the delay before the next attempt.
  std::chrono::milliseconds Failed(Clock::time_point now) {
    delay_ = failures_ == 0 ? initial_ : std::min(max_, delay_ * 2);
    ++failures_;
    next_ = now + delay_;
    return delay_;
  }

  void Succeeded() { failures_ = 0; }

  int failures() const { return failures_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds delay_{0};
  int failures_ = 0;
  Clock::time_point next_{};
};

}  // namespace gale::connectors
