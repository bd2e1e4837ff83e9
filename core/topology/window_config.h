// core/topology/window_config.h
//
// A windowed bolt's window, read from its effective config: Storm's keys
// (topology.bolts.window.length.count, ...), which the topology file's
// `window:` block and WindowedBolt's builders both set. One reading for the
// validator (errors with the key's file:line), the plan (how often the
// component ticks) and the runtime (core/window).
#pragma once

#include "core/common/result.h"

#include <gale/config.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gale::topology {

inline constexpr std::string_view kWindowLengthCount = "topology.bolts.window.length.count";
inline constexpr std::string_view kWindowLengthMs = "topology.bolts.window.length.duration.ms";
inline constexpr std::string_view kWindowSlideCount =
    "topology.bolts.window.sliding.interval.count";
inline constexpr std::string_view kWindowSlideMs =
    "topology.bolts.window.sliding.interval.duration.ms";
inline constexpr std::string_view kWindowTimestampField =
    "topology.bolts.tuple.timestamp.field.name";
inline constexpr std::string_view kWindowLagMs = "topology.bolts.tuple.timestamp.max.lag.ms";
inline constexpr std::string_view kWindowWatermarkMs = "topology.bolts.watermark.event.interval.ms";
inline constexpr std::string_view kWindowLateStream = "topology.bolts.late.tuple.stream";
inline constexpr std::string_view kWindowPunctuationStream =
    "topology.bolts.window.punctuation.stream";
// A keyed reduce's fields (Gale's own).
inline constexpr std::string_view kWindowKeyField = "topology.bolts.window.key.field";
inline constexpr std::string_view kWindowValueField = "topology.bolts.window.value.field";

inline constexpr std::string_view kWindowReduceInverse = "topology.bolts.window.reduce.inverse";
// The window's contents are checkpointed (core/window/README.md).
inline constexpr std::string_view kWindowPersistent = "topology.bolts.window.persistent";
// Set (by Gale, from the class) on a keyed window reduce.
inline constexpr std::string_view kWindowReduceMarker = "topology.bolts.window.reduce";

// A length or slide: so many tuples, or so many milliseconds.
struct Extent {
  enum class Kind { kCount, kDuration } kind = Kind::kCount;
  int64_t value = 0;
  bool count() const { return kind == Kind::kCount; }
  bool operator==(const Extent&) const = default;
  std::string ToString() const;  // "100 tuples", "30000 ms"
};

struct WindowConfig {
  Extent length;
  Extent slide;                    // equal to length for a tumbling window
  std::string punctuation_stream;  // set: windows close on its tuples, no length
  std::string timestamp_field;     // set: event time; else processing time
  int64_t lag_ms = 0;
  int64_t watermark_interval_ms = 1000;
  std::string late_stream;  // empty: late tuples are dropped (and counted)

  bool event_time() const { return !timestamp_field.empty(); }
  bool punctuation() const { return !punctuation_stream.empty(); }
  // How often the component needs a tick to close windows by time and
  // compute watermarks, in seconds; 0 when it needs none (count windows in
  // processing time, punctuation windows).
  double TickSecs() const;
};

// Whether any window key is in `config`.
bool HasWindowKeys(const Config& config);

// The window of a component whose effective config is `config`; nullopt
// when no window key is set. An error names the key and what is wrong
// ("topology.bolts.window.length.count must be >= 1, got 0").
Result<std::optional<WindowConfig>> ReadWindowConfig(const Config& config);

// Whether a component with this effective config has a window (a length or
// a punctuation stream) that is checkpointed: `persistent: true`, or any
// window of an exactly-once topology (whose rollbacks would otherwise lose
// or repeat its contents).
bool IsPersistentWindow(const Config& effective);

// Adds the keys a component's code sets (ComponentConfiguration: Storm's
// getComponentConfiguration, WindowedBolt's builders) to its topology-file
// config `file`, where the file sets none of the same group (a window
// length given in the file replaces the code's, count or duration).
// Returns the keys added.
std::vector<std::string> MergeCodeConfig(Config& file, const Config& code);

// Parses a `window:` length or slide as the topology file writes it: an
// integer is a count of tuples, a number with a unit a duration (`500ms`,
// `30s`, `5m`, `1h`). Errors say what was expected.
Result<Extent> ParseExtent(std::string_view text);

}  // namespace gale::topology
