// core/state/aligner.h
//
// Barrier alignment for exactly-once checkpoints (README.md, "Exactly
// once"): one per bolt task. Checkpoints travel in order with the data on
// every channel (one input task to this task), so a checkpoint that has
// arrived from every input task cuts the stream consistently, provided that
// what a channel sends after its checkpoint waits until the others sent
// theirs.
//
// - PREPARE(T): from the first arrival on, data from channels that already
//   sent it is held; data from the others runs. Once every channel sent it,
//   the task saves its state (Complete), then runs what was held.
// - ROLLBACK: data from channels that have not sent it yet is stale (their
//   spouts rewind when they get it, and emit it again): it is dropped. Data
//   after it is held until every channel sent it; the task then goes back to
//   the committed state (Complete) and runs what was held. A second ROLLBACK
//   from a channel that already sent one means a newer rollback: the
//   alignment starts over, and what was held is dropped.
// - COMMIT: counted, not aligned (data flows on).
// - A task that has not completed a rollback since it started has state
//   from nobody knows when: it drops data, and fails a PREPARE, which makes
//   the checkpoint spout roll every task back.
// - More than `max_held` held tuples: the checkpoint is failed (so a
//   rollback follows), and data is dropped until that rollback arrives.
//
// A held barrier is acked when its alignment completes (the last one goes to
// Complete, which acks or fails it), failed when it is abandoned. T is the
// held item (a Tuple in the runtime), H the handler:
//   void Run(const T&);            run a data tuple now
//   void Complete(const T&, int64_t txid, Action);   act on the checkpoint
//   void Ack(const T&); void Fail(const T&, const char* why);
//   void Dropped(size_t n);        stale data dropped
//   void Overflowed();             max_held was passed
#pragma once

#include "core/state/checkpoint.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

namespace gale::state {

template <typename T>
class BarrierAligner {
 public:
  // `sources`: the tasks that send this task checkpoints.
  BarrierAligner(std::vector<int32_t> sources, size_t max_held)
      : sources_(Unique(std::move(sources))),
        max_held_(max_held == 0 ? 1 : max_held),
        counted_(sources_.size()) {
    seen_.assign(sources_.size(), false);
    initialized_ = sources_.empty();
  }

  bool initialized() const { return initialized_; }
  bool aligning() const { return mode_ != Mode::kIdle; }
  size_t held() const { return held_.size(); }

  template <typename H>
  void OnData(int32_t source, const T& item, H& h) {
    const int k = Index(source);
    if (mode_ == Mode::kIdle || k < 0) {
      if (!initialized_) return h.Dropped(1);
      return h.Run(item);
    }
    const bool after = seen_[static_cast<size_t>(k)];
    if (mode_ == Mode::kPrepare && !after) return h.Run(item);
    if (mode_ == Mode::kRollback && !after) return h.Dropped(1);
    if (held_.size() >= max_held_) return Overflow(h);
    held_.push_back(item);
  }

  template <typename H>
  void OnBarrier(int32_t source, int64_t txid, Action action, const T& item, H& h) {
    const int k = Index(source);
    if (k < 0) return h.Fail(item, "a checkpoint from a task that sends none");
    const auto ki = static_cast<size_t>(k);
    switch (action) {
      case Action::kRollback:
        if (mode_ != Mode::kRollback || seen_[ki]) Start(Mode::kRollback, txid, h);
        return Arrive(ki, txid, action, item, h);
      case Action::kPrepare:
        if (mode_ == Mode::kIdle) {
          if (!initialized_) return h.Fail(item, "not initialized since the task started");
          Start(Mode::kPrepare, txid, h);
        } else if (mode_ != Mode::kPrepare || txid != txid_ || seen_[ki]) {
          return h.Fail(item, "a PREPARE while another checkpoint is being aligned");
        }
        return Arrive(ki, txid, action, item, h);
      case Action::kCommit:
      case Action::kInitState:
        if (mode_ != Mode::kIdle) {
          return h.Fail(item, "a COMMIT while a checkpoint is being aligned");
        }
        // Counted: the last arrival acts, the others are acked now.
        if (!counted_.Arrive(txid, static_cast<int64_t>(action))) return h.Ack(item);
        return h.Complete(item, txid, action);
    }
  }

 private:
  enum class Mode { kIdle, kPrepare, kRollback };

  static std::vector<int32_t> Unique(std::vector<int32_t> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  }

  int Index(int32_t source) const {
    auto it = std::lower_bound(sources_.begin(), sources_.end(), source);
    if (it == sources_.end() || *it != source) return -1;
    return static_cast<int>(it - sources_.begin());
  }

  // Abandons the alignment under way, if any (its barriers fail, what it
  // held is dropped), and starts one.
  template <typename H>
  void Start(Mode mode, int64_t txid, H& h) {
    Abandon(h, mode == Mode::kRollback ? "a newer ROLLBACK arrived" : "abandoned");
    mode_ = mode;
    txid_ = txid;
  }

  template <typename H>
  void Abandon(H& h, const char* why) {
    for (const T& b : barriers_) h.Fail(b, why);
    barriers_.clear();
    if (!held_.empty()) h.Dropped(held_.size());
    held_.clear();
    std::fill(seen_.begin(), seen_.end(), false);
    seen_count_ = 0;
    mode_ = Mode::kIdle;
  }

  template <typename H>
  void Arrive(size_t k, int64_t txid, Action action, const T& item, H& h) {
    seen_[k] = true;
    ++seen_count_;
    if (seen_count_ < sources_.size()) {
      barriers_.push_back(item);
      return;
    }
    // Complete: the others are acked, this one goes to the task.
    for (const T& b : barriers_) h.Ack(b);
    barriers_.clear();
    std::fill(seen_.begin(), seen_.end(), false);
    seen_count_ = 0;
    mode_ = Mode::kIdle;
    if (action == Action::kRollback) initialized_ = true;
    std::deque<T> held;
    held.swap(held_);
    h.Complete(item, txid, action);
    for (const T& t : held) h.Run(t);
  }

  // Too much held: fail the checkpoint being aligned, and drop everything
  // until a rollback has arrived from every channel.
  template <typename H>
  void Overflow(H& h) {
    Abandon(h, "too many tuples held while aligning");
    mode_ = Mode::kRollback;
    txid_ = -1;
    h.Overflowed();
    h.Dropped(1);
  }

  std::vector<int32_t> sources_;  // sorted
  size_t max_held_;
  Mode mode_ = Mode::kIdle;
  int64_t txid_ = -1;
  std::vector<bool> seen_;  // by index in sources_
  size_t seen_count_ = 0;
  std::vector<T> barriers_;  // the held arrivals of the alignment under way
  std::deque<T> held_;
  bool initialized_ = false;
  CheckpointBarrier counted_;  // COMMIT and INITSTATE
};

}  // namespace gale::state
