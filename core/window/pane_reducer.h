// core/window/pane_reducer.h
//
// The keyed window reduce (gale/window_reduce.h) as pure logic: inputs go
// into panes of gcd(length, slide), one partial result per key and pane;
// at each slide the window's result per key is updated with the panes
// entering and leaving it (with an inverse) or recomputed from its panes
// (without). Time as in TupleWindows: [end - length, end), ends aligned on
// multiples of the slide; count windows count inputs in arrival order.
#pragma once

#include "core/topology/window_config.h"
#include "core/window/event_time.h"
#include "core/window/snapshot.h"

#include <gale/state.h>
#include <gale/tuple.h>
#include <gale/window_reduce.h>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>

namespace gale::window {

struct ValueHash {
  size_t operator()(const Value& v) const;
};

class PaneReducer {
 public:
  class Sink {
   public:
    virtual ~Sink() = default;
    // One key's result for the window ending at `end_ms` (a count window:
    // the processing time it closed at).
    virtual void Result(const Value& key, const Value& value, int64_t end_ms) = 0;
    // As TupleWindows::Sink::Late.
    virtual void Late(const Tuple& t, const std::string& why) = 0;
  };

  // REQUIRES: `config` has a length and a slide of one kind; event time
  // only with durations (Check() says so).
  PaneReducer(const topology::WindowConfig& config, size_t input_streams,
              const WindowReducer& reducer, bool use_inverse, std::string key_field,
              std::string value_field, Sink& sink);

  // Why `config` cannot be a keyed reduce, or "" when it can.
  static std::string Check(const topology::WindowConfig& config);

  void Add(const Tuple& t, int64_t now_ms);
  void Tick(int64_t now_ms);

  bool incremental() const { return inverse_; }
  size_t panes() const { return panes_.size(); }
  size_t keys() const { return inverse_ ? window_.size() : 0; }
  uint64_t slides() const { return slides_closed_; }
  uint64_t slide_nanos() const { return slide_nanos_; }

  // A persistent window (snapshot.h), as TupleWindows': Save() writes the
  // panes changed since the last Save() or Load() (one entry per pane) and
  // deletes those that left; Load() reads them back and recomputes the
  // window's result per key from them.
  void Save(KeyValueState& state);
  Status Load(const KeyValueState& state);
  // Tracks what changes between saves (call before the first input).
  void Persist() { persistent_ = true; }

 private:
  using KeyMap = std::unordered_map<Value, Value, ValueHash>;
  struct Slot {
    Value acc;
    int64_t panes = 0;
  };

  // Folds a pane entering the window into its result per key.
  void Enter(const KeyMap& pane);
  void Reset();
  // Closes the window ending before pane `end_pane`, at `end_ms`.
  void Close(int64_t end_pane, int64_t end_ms);
  bool Resolve(const Tuple& t, const Value** key, const Value** value, std::string* why);

  topology::WindowConfig config_;
  const WindowReducer& f_;
  bool inverse_;
  bool counts_tuples_;
  std::string key_field_, value_field_;
  Sink& sink_;
  EventTime time_;
  SlideClock clock_;
  int64_t pane_;                     // pane size: tuples or ms
  std::map<int64_t, KeyMap> panes_;  // by pane index
  KeyMap* cached_ = nullptr;         // the pane the last input went to
  int64_t cached_pane_ = 0;
  // With an inverse: the window's result per key, and the panes [lo_, hi_)
  // it holds.
  std::unordered_map<Value, Slot, ValueHash> window_;
  int64_t lo_ = 0, hi_ = 0;
  bool closed_once_ = false;
  uint64_t seen_ = 0;  // count windows: inputs so far
  uint64_t slides_closed_ = 0, slide_nanos_ = 0;
  // Persistence: the panes changed since the last Save(), and those saved.
  bool persistent_ = false;
  std::set<int64_t> dirty_;
  int64_t last_dirty_ = kNoTime;
  std::set<int64_t> saved_;
  StreamTable streams_;  // of the inputs' latest timestamps
  // Field positions, looked up once per stream.
  const StreamMeta* meta_ = nullptr;
  int key_index_ = -1, value_index_ = -1;
  const Value one_{int64_t{1}};
};

}  // namespace gale::window
