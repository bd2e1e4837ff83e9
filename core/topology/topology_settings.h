// core/topology/topology_settings.h
//
// The topology config keys Gale understands, with Storm's names and defaults
// where the meaning is the same. Parsed once from the topology config.
#pragma once

#include "core/common/result.h"

#include <gale/config.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gale::topology {

// The most tasks (and so executors) one component, or the ackers, may have:
// far beyond any real topology, far below what would exhaust a machine.
inline constexpr int kMaxTasksPerComponent = 10000;

// Set (by Gale, from the class) on a stateful bolt's config: what the plan
// and the validator know a stateful bolt by (core/state).
inline constexpr std::string_view kStatefulMarker = "topology.state.stateful";
// Set by the plan in the topology's config when every spout is a
// StatefulSpout: checkpoints start at the spouts and are aligned, and a
// failure rolls every task back (core/state/README.md, "Exactly once").
inline constexpr std::string_view kExactlyOnceKey = "topology.state.exactly.once";
// Whether a component with this effective config is stateful: a
// StatefulBolt, StatefulSpout or StatefulWindowedBolt (the marker is there
// and true), or a window that is persisted (IsPersistentWindow).
bool IsStateful(const Config& effective);

struct ConfigKey {
  const char* name;
  enum class Type { kInt, kNumber, kBool, kString } type;
  const char* meaning;
};

// Every key of the table in the README, with its type.
const std::vector<ConfigKey>& KnownConfigKeys();

struct TopologySettings {
  int workers = 1;                         // topology.workers
  int acker_executors = -1;                // topology.acker.executors; -1: one per worker
  bool acker_in_spout_executor = true;     // topology.acker.in.spout.executor
  int max_spout_pending = 0;               // topology.max.spout.pending; 0: unbounded
  double message_timeout_secs = 30;        // topology.message.timeout.secs
  bool enable_message_timeouts = true;     // topology.enable.message.timeouts
  double tick_tuple_freq_secs = 0;         // topology.tick.tuple.freq.secs; 0: off
  bool debug = false;                      // topology.debug
  int receive_buffer_size = 32768;         // topology.executor.receive.buffer.size (tuples)
  int producer_batch_size = 64;            // topology.producer.batch.size (tuples)
  int producer_batch_rows = 256;           // topology.producer.batch.rows (Gale's own)
  double batch_flush_interval_millis = 1;  // topology.batch.flush.interval.millis
  int transfer_batch_size = 1024;          // topology.transfer.batch.size (tuples)
  double worker_shutdown_secs = 3;         // topology.worker.shutdown.secs (Gale's own)
  int max_error_report_per_interval = 5;   // topology.max.error.report.per.interval
  int error_throttle_interval_secs = 10;   // topology.error.throttle.interval.secs
  bool stats_enabled = true;               // topology.stats.enabled (Gale's own)
  // topology.spout.idle.max.wait.ms (Gale's own): the longest an idle spout
  // executor waits between NextTuple calls once it has been idle a second.
  double spout_idle_max_wait_ms = 10;
  // topology.chaining.enabled: bolts whose grouping and parallelism allow
  // it run on their producer's thread (core/runtime/README.md, "Chaining").
  bool chaining_enabled = true;
  // topology.disable.loadaware.messaging: SHUFFLE is Storm's plain shuffle
  // when true; when false (the default, as in Storm 2) it is load-aware and
  // prefers this worker's tasks while they are not busy
  // (core/grouping/README.md, "Load-aware shuffle").
  bool disable_loadaware_messaging = false;
  double locality_higher_bound = 0.8;  // topology.localityaware.higher.bound
  double locality_lower_bound = 0.2;   // topology.localityaware.lower.bound

  int EffectiveAckers() const { return acker_executors >= 0 ? acker_executors : workers; }
};

// Reads the known keys of `config`; an error names the key and what it
// should hold ("topology.workers must be an integer >= 1, got 'two'").
Result<TopologySettings> ParseSettings(const Config& config);

}  // namespace gale::topology
