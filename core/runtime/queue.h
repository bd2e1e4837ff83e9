// core/runtime/queue.h
//
// InputQueue is an executor's bounded input: producers hand over whole
// batches of envelopes under one lock, the consumer takes everything queued
// at once. A full queue refuses a batch (TryPush returns false) rather than
// blocking, so a producer keeps its batch and stops taking input of its own:
// that is how backpressure travels upstream to the spouts without deadlock
// (a spout keeps draining acks while it is blocked).
//
// A consumer that finds the queue empty spins briefly, then yields, and
// only then sleeps: waking a sleeping thread costs the producer a futex
// call and both threads a context switch, several microseconds, which at
// millions of tuples a second was a third of all CPU time (perf, W1).
//
// Threading: any number of producers, one consumer.
#pragma once

#include "core/common/clock.h"

#include <gale/tuple.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace gale::runtime {

// A tuple on its way to one task. task == kAllTasks delivers it to every
// task of the executor (tick tuples).
struct Envelope {
  static constexpr int32_t kAllTasks = 0;
  int32_t task;
  Tuple tuple;
};

class InputQueue {
 public:
  explicit InputQueue(size_t capacity) : capacity_(capacity) {}
  InputQueue(const InputQueue&) = delete;
  InputQueue& operator=(const InputQueue&) = delete;

  // Moves all of `batch` in and clears it, unless the queue already holds
  // `capacity` envelopes: then returns false and leaves `batch` untouched.
  // A batch may overshoot the capacity, so that any batch fits eventually.
  bool TryPush(std::vector<Envelope>& batch) {
    bool wake;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (items_.size() >= capacity_) return false;
      wake = AppendLocked(batch);
    }
    if (wake) cv_.notify_one();
    return true;
  }

  // Ignores the capacity: for the rare system tuples (ticks) that must not
  // wait behind a full queue.
  void ForcePush(Envelope e) {
    bool wake;
    {
      std::lock_guard<std::mutex> lock(mu_);
      items_.push_back(std::move(e));
      count_.store(items_.size(), std::memory_order_release);
      wake = waiting_;
    }
    if (wake) cv_.notify_one();
  }

  // ForcePush for a whole batch (clearing it), under one lock.
  void ForcePushAll(std::vector<Envelope>& batch) {
    if (batch.empty()) return;
    bool wake;
    {
      std::lock_guard<std::mutex> lock(mu_);
      wake = AppendLocked(batch);
    }
    if (wake) cv_.notify_one();
  }

  // Swaps everything queued into `out` (which must be empty). When nothing
  // is queued, waits up to `wait` for something to arrive or Wake().
  void PopAll(std::vector<Envelope>& out, Nanos wait) {
    if (wait.count() > 0) SpinWhileEmpty();
    std::unique_lock<std::mutex> lock(mu_);
    if (items_.empty() && wait.count() > 0 && !woken_) {
      waiting_ = true;
      cv_.wait_for(lock, wait, [&] { return !items_.empty() || woken_; });
      waiting_ = false;
    }
    woken_ = false;
    out.swap(items_);
    count_.store(0, std::memory_order_relaxed);
  }

  // Ends the consumer's current or next wait early.
  void Wake() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      woken_ = true;
      count_.store(items_.size() + 1, std::memory_order_release);  // ends a spin
    }
    cv_.notify_one();
  }

  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return items_.size();
  }
  size_t capacity() const { return capacity_; }

 private:
  // Moves `batch` in (a swap when the queue is empty, so vectors and their
  // capacity go round) and clears it; true when the consumer must be woken.
  bool AppendLocked(std::vector<Envelope>& batch) {
    if (items_.empty()) {
      items_.swap(batch);
    } else {
      for (auto& e : batch) items_.push_back(std::move(e));
    }
    batch.clear();
    count_.store(items_.size(), std::memory_order_release);
    return waiting_;
  }

  // About 10 us of spinning, then a few yields (which let other runnable
  // threads have the core), ending as soon as something is queued.
  void SpinWhileEmpty() {
    for (int i = 0; i < 256; ++i) {
      if (count_.load(std::memory_order_acquire) != 0) return;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    for (int i = 0; i < 8; ++i) {
      if (count_.load(std::memory_order_acquire) != 0) return;
      std::this_thread::yield();
    }
  }

  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Envelope> items_;
  // items_.size() (plus one after Wake()), readable without the lock.
  std::atomic<size_t> count_{0};
  bool waiting_ = false;
  bool woken_ = false;
};

}  // namespace gale::runtime
