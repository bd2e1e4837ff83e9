// core/include/gale/windowed_bolt.h
//
// A WindowedBolt processes windows of tuples instead of single tuples, as
// Storm's BaseWindowedBolt does:
//
//   class TopWords : public gale::WindowedBolt {
//    public:
//     TopWords() { WithWindow(gale::Duration::Seconds(30), gale::Duration::Seconds(10)); }
//     void Execute(const gale::TupleWindow& window) override { ... }
//     ...
//   };
//   GALE_REGISTER_BOLT(TopWords);
//
// The window may instead (or also: the YAML wins) be given in the topology
// file, `window: { length: 30s, slide: 10s }`, or by Storm's config keys
// (topology.bolts.window.length.count, ...; core/window/README.md).
//
// Length and slide are each a Count (tuples) or a Duration (time), in any
// mix; the default slide is Count(1). A tumbling window slides by its
// length. Time is processing time (arrival), or event time when a timestamp
// field is named: then a watermark (the smallest, over the input streams,
// of the largest timestamp seen, minus the allowed lag) is computed every
// watermark interval, windows close when it passes their end, and tuples
// older than it are late: emitted unchanged on the late tuple stream when
// one is named (declare it, with the inputs' fields), else dropped; counted
// either way.
//
// Acking, as Storm: the runtime acks every tuple when it leaves the window
// (calling Ack() yourself does nothing); an emit without anchors is
// anchored to every tuple of the window being executed. Fail() fails a
// tuple's tree at once.
#pragma once

#include <gale/config.h>
#include <gale/output_collector.h>
#include <gale/output_declarer.h>
#include <gale/topology_context.h>
#include <gale/tuple.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gale {

// A window length or slide as a number of tuples.
struct Count {
  explicit constexpr Count(int64_t n) : value(n) {}
  int64_t value;
};

// A window length, slide, lag or interval as a span of time.
struct Duration {
  static constexpr Duration Millis(int64_t n) { return Duration{n}; }
  static constexpr Duration Seconds(int64_t n) { return Duration{n * 1000}; }
  static constexpr Duration Minutes(int64_t n) { return Duration{n * 60'000}; }
  static constexpr Duration Hours(int64_t n) { return Duration{n * 3'600'000}; }
  int64_t millis;
};

// The tuples of one window, valid during WindowedBolt::Execute() only.
class TupleWindow {
 public:
  // Every tuple in the window, oldest first.
  const std::vector<const Tuple*>& Get() const { return tuples_; }
  // Those that entered since the window was last executed.
  const std::vector<const Tuple*>& GetNew() const { return new_; }
  // Those that left it since then (they are acked after this call).
  const std::vector<const Tuple*>& GetExpired() const { return expired_; }
  // The window's end, in milliseconds since the epoch: the event time it
  // closed at (event time), or the processing time it was executed at.
  int64_t EndTimestamp() const { return end_ms_; }
  // Its start (end minus length) for a window with a Duration length; none
  // for a Count length.
  std::optional<int64_t> StartTimestamp() const { return start_ms_; }

  // Filled by the runtime.
  std::vector<const Tuple*> tuples_, new_, expired_;
  int64_t end_ms_ = 0;
  std::optional<int64_t> start_ms_;
};

class WindowedBolt {
 public:
  virtual ~WindowedBolt() = default;

  // `collector` outlives the bolt; see the file comment for its anchoring.
  virtual void Prepare(const TopologyContext& context, OutputCollector& collector) {
    (void)context;
    (void)collector;
  }
  // Called when a window closes (at each slide). Throwing reports the error
  // and fails the window's new tuples.
  virtual void Execute(const TupleWindow& window) = 0;
  virtual void DeclareOutputFields(OutputDeclarer& declarer) const = 0;
  virtual void Cleanup() {}

  // Storm's BaseWindowedBolt builders, for the constructor. They set
  // Storm's config keys; the topology file's `window:` or `config:` entries
  // for the component win over them.
  WindowedBolt& WithWindow(Count length, Count slide) { return Set(length, slide); }
  WindowedBolt& WithWindow(Count length, Duration slide) { return Set(length, slide); }
  WindowedBolt& WithWindow(Duration length, Count slide) { return Set(length, slide); }
  WindowedBolt& WithWindow(Duration length, Duration slide) { return Set(length, slide); }
  WindowedBolt& WithWindow(Count length) { return Set(length, Count(1)); }
  WindowedBolt& WithWindow(Duration length) { return Set(length, Count(1)); }
  WindowedBolt& WithTumblingWindow(Count length) { return Set(length, length); }
  WindowedBolt& WithTumblingWindow(Duration length) { return Set(length, length); }
  // Closes a window whenever a tuple arrives on `stream` (from any
  // component subscribed to); the punctuation tuple is not in the window.
  WindowedBolt& WithPunctuationStream(std::string stream) {
    config_.Set("topology.bolts.window.punctuation.stream", std::move(stream));
    return *this;
  }
  // Event time: the int field with the tuple's timestamp in milliseconds.
  WindowedBolt& WithTimestampField(std::string field) {
    config_.Set("topology.bolts.tuple.timestamp.field.name", std::move(field));
    return *this;
  }
  WindowedBolt& WithLag(Duration lag) {
    config_.Set("topology.bolts.tuple.timestamp.max.lag.ms", lag.millis);
    return *this;
  }
  WindowedBolt& WithWatermarkInterval(Duration interval) {
    config_.Set("topology.bolts.watermark.event.interval.ms", interval.millis);
    return *this;
  }
  WindowedBolt& WithLateTupleStream(std::string stream) {
    config_.Set("topology.bolts.late.tuple.stream", std::move(stream));
    return *this;
  }

  // What the builders set (Storm's getComponentConfiguration()).
  const Config& ComponentConfiguration() const { return config_; }

 private:
  static void Put(Config& c, const char* key, Count n) {
    c.Set(std::string(key) + ".count", n.value);
  }
  static void Put(Config& c, const char* key, Duration d) {
    c.Set(std::string(key) + ".duration.ms", d.millis);
  }
  template <typename L, typename S>
  WindowedBolt& Set(L length, S slide) {
    Config c;
    for (const auto& [k, v] : config_.entries()) {
      if (k.rfind("topology.bolts.window.length.", 0) != 0 &&
          k.rfind("topology.bolts.window.sliding.interval.", 0) != 0) {
        c.Set(k, v);
      }
    }
    Put(c, "topology.bolts.window.length", length);
    Put(c, "topology.bolts.window.sliding.interval", slide);
    config_ = std::move(c);
    return *this;
  }

  Config config_;
};

}  // namespace gale
