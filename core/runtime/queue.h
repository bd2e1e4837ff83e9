// core/runtime/queue.h
//
// InputQueue is an executor's bounded input. It is a queue of batches:
// a producer hands over its whole batch (a vector of envelopes) under one
// lock and gets back an empty vector that the consumer recycled, so no
// envelope is moved on the way, whatever the queue holds; the consumer takes
// every queued batch at once and returns the emptied vectors with Recycle().
// (Appending envelope by envelope into one vector, as this queue first did,
// made each push cost a 256-byte move per envelope whenever the consumer
// lagged, which made it lag more.)
//
// A full queue refuses a batch (TryPush returns false) rather than
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
#include "core/common/prefetch.h"

#include <gale/tuple.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace gale::runtime {

// One turn of a spin-wait: tells the core this is a busy loop (x86 PAUSE).
inline void CpuPause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// A tuple on its way to one task. task == kAllTasks delivers it to every
// task of the executor (tick tuples). Aligned to a cache line, so that an
// envelope (256 bytes) spans four lines rather than five: the lines it uses
// travel between the producer's and the consumer's cores with every batch.
// It uses the first two (kEnvelopeHotBytes) when its tuple has up to two
// values and is in no tuple tree (gale/tuple.h keeps the tree part last and
// unbuilt until used); a third and fourth value, or a tree, add lines.
struct alignas(64) Envelope {
  static constexpr int32_t kAllTasks = 0;
  Envelope(int32_t task, Tuple&& tuple) : task(task), tuple(std::move(tuple)) {}
  // Builds the tuple in place, so its values move once.
  template <typename V>
  Envelope(int32_t task, const StreamMeta* meta, int32_t source_task, V&& values)
      : task(task), tuple(meta, source_task, std::forward<V>(values)) {}
  int32_t task;
  // A batch of rows (gale/rows.h): how many it holds; 0 for any other
  // tuple. (In what was the padding before `tuple`.)
  uint32_t rows = 0;
  Tuple tuple;
};

// What an envelope counts for in a queue's capacity: a batch of rows as
// many as its rows, anything else 1 (so a queue of rows holds no more
// tuples than a queue of tuples).
inline size_t Weight(const Envelope& e) { return e.rows > 1 ? e.rows : 1; }

static_assert(sizeof(Envelope) == 256,
              "the comments on Envelope and EmplaceEnvelope count 4 lines");

// The lines a tuple of up to two values in no tree uses (checked by
// queue_test.cc).
inline constexpr size_t kEnvelopeHotBytes = 128;

// The bytes of an envelope a tuple of `values` values uses, whole lines:
// each value inline past the second adds one line, values on the heap
// (more than Values::kInline) leave only the first; a tree part (`tree`)
// is in the last line.
constexpr size_t EnvelopeBytesFor(size_t values, bool tree) {
  if (tree) return sizeof(Envelope);
  if (values > Values::kInline) return 64;
  return values <= 2 ? kEnvelopeHotBytes : kEnvelopeHotBytes + 64 * (values - 2);
}

using Batch = std::vector<Envelope>;

// Appends an envelope built in place from `args` to `batch`, and asks for
// the first `prefetch` bytes of the slot two places further on for writing
// (PrefetchForWrite: the slots come back from the consumer's core, and a
// write to each would otherwise wait for it in turn). EnvelopeBytesFor the
// tuple being built (the next ones are mostly alike): fetching lines they
// do not use cost the other core their copies for nothing. 0 for a batch
// this thread executes itself (chaining): its lines never leave this core.
template <typename... A>
Envelope& EmplaceEnvelope(Batch& batch, size_t prefetch, A&&... args) {
  const size_t ahead = batch.size() + 2;
  if (prefetch != 0 && ahead < batch.capacity()) PrefetchForWrite(batch.data() + ahead, prefetch);
  return batch.emplace_back(std::forward<A>(args)...);
}

// Producers and the consumer write different parts of the queue, so the
// parts sit on cache lines of their own: the spinning consumer reads only
// `count_`.
class alignas(64) InputQueue {
 public:
  explicit InputQueue(size_t capacity) : capacity_(capacity) {}
  InputQueue(const InputQueue&) = delete;
  InputQueue& operator=(const InputQueue&) = delete;

  // Moves all of `batch` in, unless the queue already holds `capacity`
  // tuples (Weight): then returns false and leaves `batch` untouched. Afterwards
  // `batch` is empty (a recycled vector when there is one). A batch may
  // overshoot the capacity, so that any batch fits eventually.
  bool TryPush(Batch& batch) {
    if (batch.empty()) return true;
    const size_t weight = WeightOf(batch);
    bool wake;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (queued_ >= capacity_) return false;
      wake = AppendLocked(batch, weight);
    }
    if (wake) cv_.notify_one();
    if (forward_) forward_->Wake();
    return true;
  }

  // Ignores the capacity: for the rare system tuples (ticks) that must not
  // wait behind a full queue.
  void ForcePush(Envelope e) {
    bool wake;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (batches_.empty()) batches_.push_back(TakeSpareLocked(1));
      batches_.back().push_back(std::move(e));
      ++queued_;
      count_.store(queued_, std::memory_order_release);
      wake = waiting_;
    }
    if (wake) cv_.notify_one();
    if (forward_) forward_->Wake();
  }

  // ForcePush for a whole batch, as TryPush but never refused.
  void ForcePushAll(Batch& batch) {
    if (batch.empty()) return;
    const size_t weight = WeightOf(batch);
    bool wake;
    {
      std::lock_guard<std::mutex> lock(mu_);
      wake = AppendLocked(batch, weight);
    }
    if (wake) cv_.notify_one();
    if (forward_) forward_->Wake();
  }

  // Swaps every queued batch, oldest first, into `out` (which must be
  // empty). When nothing is queued, waits up to `wait` for something to
  // arrive or Wake(), spinning first unless `spin` is false (an idle
  // spout's long wait: nothing is on its way). Hand the batches back with
  // Recycle() once processed.
  void PopAll(std::vector<Batch>& out, Nanos wait, bool spin = true) {
    if (spin && wait.count() > 0) SpinWhileEmpty();
    std::unique_lock<std::mutex> lock(mu_);
    if (batches_.empty() && wait.count() > 0 && !woken_) {
      waiting_ = true;
      cv_.wait_for(lock, wait, [&] { return !batches_.empty() || woken_; });
      waiting_ = false;
    }
    woken_ = false;
    out.swap(batches_);
    queued_ = 0;
    count_.store(0, std::memory_order_relaxed);
  }

  // Empties the batches PopAll() returned (destroying their envelopes, on
  // the consumer's thread) and keeps their vectors for producers to reuse;
  // clears `done`.
  void Recycle(std::vector<Batch>& done) {
    for (auto& b : done) b.clear();
    {
      std::lock_guard<std::mutex> lock(mu_);
      while (!done.empty() && spares_.size() < kMaxSpares) {
        spares_.push_back(std::move(done.back()));
        done.pop_back();
      }
    }
    done.clear();  // frees what did not fit, outside the lock
  }

  // Ends the consumer's current or next wait early.
  void Wake() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      woken_ = true;
      count_.store(queued_ + 1, std::memory_order_release);  // ends a spin
    }
    cv_.notify_one();
    if (forward_) forward_->Wake();
  }

  // A chained executor's queue (core/runtime/README.md, "Chaining"): its
  // consumer is the thread that waits on `to`, so every push here (and
  // Wake()) wakes `to` too. Set before any producer runs.
  void ForwardWakesTo(InputQueue* to) { forward_ = to; }

  // False when nothing is queued, without the lock (a push may be on its
  // way): lets a consumer that must not wait skip PopAll().
  bool maybe_nonempty() const { return count_.load(std::memory_order_acquire) != 0; }

  // Tuples queued (a batch of rows counts as its rows: Weight).
  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return queued_;
  }
  size_t capacity() const { return capacity_; }
  // Tuples queued over the capacity: the executor's load (a relaxed
  // read; any thread). Above 1 while a batch overshoots the capacity.
  double Fill() const {
    return static_cast<double>(count_.load(std::memory_order_relaxed)) /
           static_cast<double>(capacity_);
  }

 private:
  // Vectors kept for reuse: enough for a full queue of 64-envelope batches
  // would be wasteful; this covers the batches in flight in a busy worker.
  static constexpr size_t kMaxSpares = 64;

  // The tuples `batch` holds (Weight): outside the lock.
  static size_t WeightOf(const Batch& batch) {
    size_t w = 0;
    for (const Envelope& e : batch) w += Weight(e);
    return w;
  }

  // Queues `batch`, which holds `weight` tuples, and leaves a spare vector
  // in its place; true when the consumer must be woken.
  bool AppendLocked(Batch& batch, size_t weight) {
    const size_t n = batch.size();
    queued_ += weight;
    batches_.push_back(std::move(batch));
    batch = TakeSpareLocked(n);
    count_.store(queued_, std::memory_order_release);
    return waiting_;
  }

  // A recycled vector, or a new one with room for `hint` envelopes (growing
  // one from nothing would move its envelopes at every doubling).
  Batch TakeSpareLocked(size_t hint) {
    if (spares_.empty()) {
      Batch b;
      b.reserve(hint);
      return b;
    }
    Batch b = std::move(spares_.back());
    spares_.pop_back();
    return b;
  }

  // 64 pauses (a few microseconds; 256 measured worse in W2, where three
  // busy threads share two cores and a spinning one holds a core another
  // needs), then a few yields (which let other runnable
  // threads have the core), ending as soon as something is queued.
  void SpinWhileEmpty() {
    for (int i = 0; i < 64; ++i) {
      if (count_.load(std::memory_order_acquire) != 0) return;
      CpuPause();
    }
    for (int i = 0; i < 8; ++i) {
      if (count_.load(std::memory_order_acquire) != 0) return;
      std::this_thread::yield();
    }
  }

  // Read by the spinning consumer: queued_ (plus one after Wake()),
  // readable without the lock.
  alignas(64) std::atomic<size_t> count_{0};

  alignas(64) mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Batch> batches_;  // oldest first
  std::vector<Batch> spares_;   // emptied vectors, for producers
  size_t queued_ = 0;           // tuples in batches_ (Weight)
  bool waiting_ = false;
  bool woken_ = false;
  const size_t capacity_;
  InputQueue* forward_ = nullptr;
};

}  // namespace gale::runtime
