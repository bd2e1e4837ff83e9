// core/window/tuple_windows.h
//
// The windows of a WindowedBolt, as pure logic: tuples in, windows out
// through a Sink, time given by the caller. The runner
// (windowed_bolt_runner.h) feeds it inputs and ticks and turns its calls
// into the user's Execute(), acks and late-stream emits; the unit tests
// drive it with a clock of their own.
//
// A window covers [end - length, end) by time, or the last `length` tuples
// before `end`; it closes every `slide` (tuples, or time aligned on
// multiples of the slide). A tuple leaves (is expired, and acked) at the
// first close that no longer has it in the window, and is in that window's
// GetExpired(); in a tumbling or punctuation window it leaves right after
// its window executed.
#pragma once

#include "core/topology/window_config.h"
#include "core/window/event_time.h"
#include "core/window/snapshot.h"

#include <gale/state.h>
#include <gale/tuple.h>
#include <gale/windowed_bolt.h>

#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

namespace gale::window {

class TupleWindows {
 public:
  class Sink {
   public:
    virtual ~Sink() = default;
    // A window closed. Called only for a window with tuples in it.
    virtual void Execute(const TupleWindow& window) = 0;
    // `t` left every window: ack it.
    virtual void Expire(const Tuple& t) = 0;
    // `t` is behind the watermark, or has no usable timestamp (`why`
    // non-empty). Not kept.
    virtual void Late(const Tuple& t, const std::string& why) = 0;
  };

  TupleWindows(const topology::WindowConfig& config, size_t input_streams, Sink& sink);

  // One input, at processing time `now_ms`. The tuple is copied: its tree
  // identity goes with the copy, which is what anchors and acks use.
  void Add(const Tuple& t, int64_t now_ms);
  // Moves time on: closes the windows whose end has passed.
  void Tick(int64_t now_ms);

  size_t size() const { return window_.size() + pending_.size(); }
  int64_t watermark() const { return time_.watermark(); }

  // A persistent window (snapshot.h). Save() writes to `state` what
  // changed since the last Save() or Load(): the tuples that entered, those
  // that left, and the clock. Load() replaces the window's contents and
  // clock with those in `state` (none: an empty window), as after a restart
  // or a rollback; an error leaves the window empty.
  void Save(KeyValueState& state);
  Status Load(const KeyValueState& state);
  // Tracks what changes between saves (call before the first input).
  void Persist() { persistent_ = true; }

  // Tuples are saved in segments of this many consecutive arrivals, one
  // state entry each: a checkpoint writes the segments that gained or lost
  // tuples (the newest and the oldest), not an entry per tuple.
  static constexpr uint64_t kSegment = 512;

 private:
  struct Entry {
    Tuple tuple;
    int64_t ts;
    uint64_t seq;  // position in the order tuples entered the window
    uint64_t aid;  // the order they arrived in: its key in a saved window
  };
  static bool Later(const Entry& a, const Entry& b) {
    return a.ts != b.ts ? a.ts > b.ts : a.aid > b.aid;
  }
  void Reset();

  void Release(Entry e);
  void ReleaseUpTo(int64_t watermark);
  // Closes a window ending at `end_ms` over the first `k` entries.
  void Close(size_t k, int64_t end_ms);
  size_t FirstAtOrAfter(int64_t ts) const;

  topology::WindowConfig config_;
  Sink& sink_;
  EventTime time_;
  SlideClock slides_;
  bool tumbling_;
  std::deque<Entry> window_;    // released, in time order
  std::vector<Entry> pending_;  // event time: not yet behind the watermark (a min-heap)
  uint64_t next_seq_ = 0;
  uint64_t first_new_seq_ = 0;  // the first seq not yet in an executed window
  int64_t since_slide_ = 0;     // tuples released since the last count slide
  TupleWindow out_;
  // Persistence: arrivals are numbered; dirty_ has the segments that gained
  // or lost a tuple since the last Save(), saved_ those in the state.
  void Touch(uint64_t aid, uint64_t& last) {
    if (persistent_ && aid / kSegment != last) {
      last = aid / kSegment;
      dirty_.insert(last);
    }
  }
  bool persistent_ = false;
  uint64_t next_aid_ = 0;
  std::unordered_set<uint64_t> dirty_;
  std::set<int64_t> saved_;
  uint64_t last_added_ = UINT64_MAX, last_left_ = UINT64_MAX;
  StreamTable streams_;
};

}  // namespace gale::window
