// core/common/clock.h
//
// Time comes from an injected Clock, so that timeouts and heartbeats can be
// tested with FakeClock::Advance() instead of sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace gale {

using Nanos = std::chrono::nanoseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time since an arbitrary origin. Thread-safe.
  virtual Nanos Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Nanos Now() const override {
    return std::chrono::duration_cast<Nanos>(std::chrono::steady_clock::now().time_since_epoch());
  }
  // One shared instance; the clock has no state.
  static const SystemClock& Get() {
    static const SystemClock clock;
    return clock;
  }
};

// Wall-clock time, milliseconds since the Unix epoch: for what is stored
// or shown (deadlines that survive a restart, start times), never for
// measuring intervals (Clock is for those).
inline int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Moves only when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  Nanos Now() const override { return Nanos(now_.load()); }
  void Advance(Nanos d) { now_.fetch_add(d.count()); }

 private:
  std::atomic<int64_t> now_{1'000'000'000};
};

}  // namespace gale
