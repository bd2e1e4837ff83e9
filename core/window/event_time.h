// core/window/event_time.h
//
// The time a window engine runs on: each tuple's timestamp (its timestamp
// field in event time, its arrival in processing time), the watermark, and
// the ends at which duration slides close windows. Shared by the tuple
// windows (WindowedBolt) and the keyed reduce.
#pragma once

#include "core/topology/window_config.h"
#include "core/window/snapshot.h"

#include <gale/state.h>
#include <gale/tuple.h>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gale::window {

inline constexpr int64_t kNoTime = std::numeric_limits<int64_t>::min();

class EventTime {
 public:
  // `input_streams`: how many (component, stream) pairs the bolt subscribes
  // to; the watermark waits until each has sent a tuple (as Storm's does).
  // 0 when unknown: the streams seen so far count.
  EventTime(const topology::WindowConfig& config, size_t input_streams);

  bool event_time() const { return event_time_; }

  // The tuple's timestamp, or nullopt with `why` set when its timestamp
  // field is missing or not an int. Processing time: `now_ms` (made
  // non-decreasing). Notes the timestamp against the tuple's stream.
  std::optional<int64_t> Stamp(const Tuple& t, int64_t now_ms, std::string* why);

  // Stamp(), then refuses a tuple behind the watermark: nullopt with `why`
  // empty for a late tuple, set for one without a usable timestamp.
  std::optional<int64_t> Admit(const Tuple& t, int64_t now_ms, std::string* why) {
    auto ts = Stamp(t, now_ms, why);
    if (ts && Late(*ts)) return std::nullopt;
    return ts;
  }

  // Whether a tuple at `ts` is behind the watermark (event time only).
  bool Late(int64_t ts) const { return event_time_ && watermark_ != kNoTime && ts < watermark_; }

  // Moves the watermark on at `now_ms`: processing time, to now; event
  // time, every watermark interval, to the smallest over the streams of
  // the largest timestamp seen, minus the lag. Returns the new watermark
  // when it moved, else nullopt.
  std::optional<int64_t> Advance(int64_t now_ms);

  int64_t watermark() const { return watermark_; }
  // A persistent window's clock (snapshot.h): the watermark, the latest
  // processing time, when the watermark is next computed, and each input's
  // latest timestamp, the streams as
  // indexes into `streams` (so encode `streams` after this). Load() of
  // `in` advances it; false when it is corrupt.
  void Save(StreamTable& streams, std::string& out) const;
  bool Load(std::string_view& in, const StreamTable& streams);
  // As when constructed.
  void Reset();

 private:
  struct StreamMax {
    const StreamMeta* stream;
    int64_t max_ts;
  };

  bool event_time_;
  std::string field_;
  int64_t lag_ms_;
  int64_t interval_ms_;
  size_t input_streams_;
  std::vector<StreamMax> streams_;
  int64_t watermark_ = kNoTime;
  int64_t last_now_ = kNoTime;
  int64_t next_watermark_at_ = kNoTime;
  const StreamMeta* field_stream_ = nullptr;  // the stream field_index_ is for
  size_t field_index_ = 0;
  bool field_present_ = false;
};

// A persistent window's clock entry (snapshot.h) at `key`: a version, the
// engine's own integers, the streams, and the event time. LoadClock() fills
// `ints` (as many as it has), `time` and `streams`; `*found` false when
// there is none; false when it is corrupt.
void SaveClock(KeyValueState& state, std::string_view key, std::initializer_list<int64_t> ints,
               const EventTime& time, StreamTable& streams);
bool LoadClock(const KeyValueState& state, std::string_view key, std::vector<int64_t>& ints,
               EventTime& time, StreamTable& streams, bool* found);

// The ends of the windows a duration slide closes: aligned on multiples of
// the slide since the epoch (a 10 s slide closes windows at :00, :10, ...).
class SlideClock {
 public:
  explicit SlideClock(int64_t slide_ms) : slide_(slide_ms) {}
  // The first end after `ts`, once there is a first tuple.
  void Start(int64_t ts) {
    if (next_ == kNoTime) next_ = FirstEndAfter(ts);
  }
  bool started() const { return next_ != kNoTime; }
  void Stop() { next_ = kNoTime; }
  int64_t next() const { return next_; }
  void Restore(int64_t next) { next_ = next; }
  void Step() { next_ += slide_; }
  // Skips ends before which nothing is left: the next end is the first
  // after `ts`, the oldest tuple's time.
  void SkipTo(int64_t ts) {
    if (next_ != kNoTime && ts >= next_) next_ = FirstEndAfter(ts);
  }
  int64_t FirstEndAfter(int64_t ts) const {
    int64_t q = ts / slide_;
    if (ts < 0 && q * slide_ != ts) --q;  // floor
    return (q + 1) * slide_;
  }

 private:
  int64_t slide_;
  int64_t next_ = kNoTime;
};

}  // namespace gale::window
