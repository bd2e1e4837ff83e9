#include "core/topology/topology_settings.h"

#include "core/topology/window_config.h"

#include <cmath>
#include <string_view>

namespace gale::topology {

const std::vector<ConfigKey>& KnownConfigKeys() {
  using T = ConfigKey::Type;
  static const std::vector<ConfigKey> keys = {
      {"topology.workers", T::kInt, "worker processes for the topology (default 1)"},
      {"topology.acker.executors", T::kInt,
       "acker executors; 0 turns acking off and spout emits are acked at once (default: one per "
       "worker)"},
      {"topology.acker.in.spout.executor", T::kBool,
       "run each acker executor on the thread of a spout executor of its worker, when the worker "
       "has one, so a tree completes without a hop to another thread (default true)"},
      {"topology.max.spout.pending", T::kInt,
       "most tuple trees in flight per spout task; 0 or unset means no limit"},
      {"topology.message.timeout.secs", T::kNumber,
       "a tuple tree not completed within this time fails and is replayed (default 30)"},
      {"topology.enable.message.timeouts", T::kBool,
       "false turns tree timeouts off (default true)"},
      {"topology.tick.tuple.freq.secs", T::kNumber,
       "send a tick tuple to every task of a component this often (set on a component or the "
       "topology; default off)"},
      {"topology.debug", T::kBool, "log every emitted tuple (default false)"},
      {"topology.executor.receive.buffer.size", T::kInt,
       "capacity of each executor's input queue, in tuples (default 32768)"},
      {"topology.producer.batch.size", T::kInt,
       "tuples an executor batches per destination before handing them over (default 64)"},
      {"topology.producer.batch.rows", T::kInt,
       "rows (EmitRow) an executor puts in one batch for a target task, which travels as one "
       "envelope (default 256; Gale's own)"},
      {"topology.batch.flush.interval.millis", T::kNumber,
       "the longest a partial batch of tuples for another worker waits in the transport (default "
       "1)"},
      {"topology.transfer.batch.size", T::kInt,
       "tuples for another worker sent as one frame as soon as that many wait (default 1024)"},
      {"topology.worker.shutdown.secs", T::kNumber,
       "how long a stopping worker (or gale local) waits for its executors to stop before it "
       "names those still running and exits anyway (default 3)"},
      {"topology.max.error.report.per.interval", T::kInt,
       "errors an executor reports (and logs) per throttle interval; more are counted, and their "
       "number logged once (default 5)"},
      {"topology.error.throttle.interval.secs", T::kInt,
       "the interval of topology.max.error.report.per.interval, in seconds (default 10)"},
      {"topology.stats.enabled", T::kBool,
       "the statistics beyond the basic counters (per stream, latency histograms, process "
       "latency, backpressure time); false turns them off (default true)"},
      {"topology.spout.idle.max.wait.ms", T::kNumber,
       "the longest an idle spout executor waits between NextTuple calls once it has been idle "
       "a second; an ack or tick wakes it (default 10)"},
      {"topology.chaining.enabled", T::kBool,
       "bolts fed only by LOCAL_OR_SHUFFLE or NONE from one component of the same parallelism "
       "run on its thread (default true)"},
      {"topology.disable.loadaware.messaging", T::kBool,
       "true makes SHUFFLE Storm's plain shuffle; false (the default) makes it load-aware, "
       "preferring this worker's tasks while they are not busy"},
      {"topology.localityaware.higher.bound", T::kNumber,
       "the load-aware shuffle widens its scope (this worker, this host, everywhere) when the "
       "mean load of its tasks (input queue fill, or busy share) is above this (default 0.8)"},
      {"topology.localityaware.lower.bound", T::kNumber,
       "and narrows it when the narrower scope could carry the whole scope's load below this "
       "(default 0.2)"},
      {"topology.live.reassignment", T::kBool,
       "a new assignment restarts only the workers whose executors change, the others follow "
       "it in place; false restarts every worker (default true)"},
      {"topology.name", T::kString, "set by Gale to the topology's name"},
      // Windowed bolts (core/window/README.md); the topology file's `window:`
      // block sets them.
      {"topology.bolts.window.length.count", T::kInt, "a window's length in tuples"},
      {"topology.bolts.window.length.duration.ms", T::kInt, "a window's length in milliseconds"},
      {"topology.bolts.window.sliding.interval.count", T::kInt,
       "a window's slide in tuples (default 1 tuple)"},
      {"topology.bolts.window.sliding.interval.duration.ms", T::kInt,
       "a window's slide in milliseconds"},
      {"topology.bolts.window.punctuation.stream", T::kString,
       "close a window at each tuple of this input stream (Gale's own)"},
      {"topology.bolts.tuple.timestamp.field.name", T::kString,
       "event time: the int field holding a tuple's time in milliseconds"},
      {"topology.bolts.tuple.timestamp.max.lag.ms", T::kInt,
       "event time: how far behind the newest timestamp a tuple may be (default 0)"},
      {"topology.bolts.watermark.event.interval.ms", T::kInt,
       "event time: how often the watermark is computed (default 1000)"},
      {"topology.bolts.late.tuple.stream", T::kString,
       "event time: the stream late tuples are emitted on (default: dropped, counted)"},
      {"topology.bolts.window.key.field", T::kString, "a keyed window reduce's key field"},
      {"topology.bolts.window.value.field", T::kString, "a keyed window reduce's value field"},
      {"topology.bolts.window.reduce.inverse", T::kBool,
       "a keyed window reduce uses its inverse function when it has one (default true)"},
      {"topology.bolts.window.persistent", T::kBool,
       "the window's contents are checkpointed with the state (default false; always in an "
       "exactly-once topology)"},
      // Stateful bolts (core/state/README.md).
      {"topology.state.provider", T::kString,
       "where stateful bolts keep their state: memory (default), rocksdb or redis"},
      {"topology.state.checkpoint.interval.ms", T::kInt,
       "how often the checkpoint spout saves every stateful bolt's state (default 1000)"},
      {"topology.state.rocksdb.dir", T::kString,
       "rocksdb: the directory (default: the supervisor's state directory; gale local: "
       "./gale-state)"},
      {"topology.state.rocksdb.move.wait.secs", T::kInt,
       "rocksdb: how long a worker waits for the state of a task that ran on another "
       "supervisor before exactly once gives up and starts again, or at least once goes on "
       "without it (default 60)"},
      {"topology.state.redis.host", T::kString, "redis: the server's host (default 127.0.0.1)"},
      {"topology.state.redis.port", T::kInt, "redis: the server's port (default 6379)"},
      {"topology.state.redis.password", T::kString, "redis: AUTH password (default none)"},
      {"topology.state.namespace", T::kString,
       "the state's name; set it to keep state across a kill and resubmit (default: the "
       "topology's id, new at each submission)"},
      {"topology.state.stateful", T::kBool, "set by Gale on a stateful bolt or spout"},
      {"topology.state.exactly.once", T::kBool,
       "set by Gale when every spout is a StatefulSpout: the topology runs exactly once"},
      {"topology.state.alignment.max.tuples", T::kInt,
       "exactly once: how many tuples a bolt task may hold while it aligns a checkpoint; past "
       "it the checkpoint fails and everything rolls back (default 100000)"},
      {"topology.bolts.window.reduce", T::kBool,
       "set by Gale on a keyed window reduce (its inputs are acked on arrival)"},
  };
  return keys;
}

namespace {

Status Bad(std::string_view key, const Value& v, std::string_view want) {
  return Status::InvalidArgument("config key '" + std::string(key) + "' must be " +
                                 std::string(want) + ", got " + ValueTypeName(v.type()) + " '" +
                                 v.ToString() + "'");
}

Status ReadInt(const Config& c, std::string_view key, int64_t min, int* out,
               int64_t max = INT32_MAX) {
  const Value* v = c.Find(key);
  if (!v) return Status::Ok();
  if (v->type() != ValueType::kInt || v->AsInt() < min || v->AsInt() > max) {
    return Bad(key, *v,
               max == INT32_MAX
                   ? "an integer >= " + std::to_string(min)
                   : "an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  *out = static_cast<int>(v->AsInt());
  return Status::Ok();
}

Status ReadNumber(const Config& c, std::string_view key, double min, bool min_exclusive,
                  double* out) {
  const Value* v = c.Find(key);
  if (!v) return Status::Ok();
  double d;
  if (v->type() == ValueType::kInt) {
    d = static_cast<double>(v->AsInt());
  } else if (v->type() == ValueType::kDouble) {
    d = v->AsDouble();
  } else {
    return Bad(key, *v, "a number");
  }
  if (min_exclusive ? d <= min : d < min) {
    return Bad(key, *v,
               std::string("a number ") + (min_exclusive ? "> " : ">= ") +
                   std::to_string(static_cast<int>(min)));
  }
  *out = d;
  return Status::Ok();
}

Status ReadBool(const Config& c, std::string_view key, bool* out) {
  const Value* v = c.Find(key);
  if (!v) return Status::Ok();
  if (v->type() != ValueType::kBool) return Bad(key, *v, "true or false");
  *out = v->AsBool();
  return Status::Ok();
}

}  // namespace

bool IsStateful(const Config& effective) {
  const Value* v = effective.Find(kStatefulMarker);
  return (v && v->type() == ValueType::kBool && v->AsBool()) || IsPersistentWindow(effective);
}

Result<TopologySettings> ParseSettings(const Config& config) {
  TopologySettings s;
  GALE_RETURN_IF_ERROR(ReadInt(config, "topology.workers", 1, &s.workers, kMaxTasksPerComponent));
  GALE_RETURN_IF_ERROR(
      ReadInt(config, "topology.acker.executors", 0, &s.acker_executors, kMaxTasksPerComponent));
  GALE_RETURN_IF_ERROR(
      ReadBool(config, "topology.acker.in.spout.executor", &s.acker_in_spout_executor));
  GALE_RETURN_IF_ERROR(ReadInt(config, "topology.max.spout.pending", 0, &s.max_spout_pending));
  GALE_RETURN_IF_ERROR(
      ReadNumber(config, "topology.message.timeout.secs", 0, true, &s.message_timeout_secs));
  GALE_RETURN_IF_ERROR(
      ReadBool(config, "topology.enable.message.timeouts", &s.enable_message_timeouts));
  GALE_RETURN_IF_ERROR(
      ReadNumber(config, "topology.tick.tuple.freq.secs", 0, false, &s.tick_tuple_freq_secs));
  GALE_RETURN_IF_ERROR(ReadBool(config, "topology.debug", &s.debug));
  GALE_RETURN_IF_ERROR(
      ReadInt(config, "topology.executor.receive.buffer.size", 1, &s.receive_buffer_size));
  GALE_RETURN_IF_ERROR(ReadInt(config, "topology.producer.batch.size", 1, &s.producer_batch_size));
  GALE_RETURN_IF_ERROR(
      ReadInt(config, "topology.producer.batch.rows", 1, &s.producer_batch_rows, 65536));
  GALE_RETURN_IF_ERROR(ReadNumber(config, "topology.batch.flush.interval.millis", 0, false,
                                  &s.batch_flush_interval_millis));
  GALE_RETURN_IF_ERROR(
      ReadInt(config, "topology.transfer.batch.size", 1, &s.transfer_batch_size, 65536));
  GALE_RETURN_IF_ERROR(
      ReadNumber(config, "topology.worker.shutdown.secs", 0, true, &s.worker_shutdown_secs));
  GALE_RETURN_IF_ERROR(ReadInt(config, "topology.max.error.report.per.interval", 1,
                               &s.max_error_report_per_interval, 1000000));
  GALE_RETURN_IF_ERROR(ReadInt(config, "topology.error.throttle.interval.secs", 1,
                               &s.error_throttle_interval_secs, 86400));
  GALE_RETURN_IF_ERROR(ReadBool(config, "topology.stats.enabled", &s.stats_enabled));
  GALE_RETURN_IF_ERROR(
      ReadNumber(config, "topology.spout.idle.max.wait.ms", 0, false, &s.spout_idle_max_wait_ms));
  GALE_RETURN_IF_ERROR(ReadBool(config, "topology.chaining.enabled", &s.chaining_enabled));
  GALE_RETURN_IF_ERROR(
      ReadBool(config, "topology.disable.loadaware.messaging", &s.disable_loadaware_messaging));
  GALE_RETURN_IF_ERROR(ReadNumber(config, "topology.localityaware.higher.bound", 0, false,
                                  &s.locality_higher_bound));
  GALE_RETURN_IF_ERROR(
      ReadNumber(config, "topology.localityaware.lower.bound", 0, false, &s.locality_lower_bound));
  if (!std::isfinite(s.locality_lower_bound) || !std::isfinite(s.locality_higher_bound) ||
      s.locality_lower_bound > s.locality_higher_bound || s.locality_higher_bound > 1) {
    return Status::InvalidArgument(
        "config keys 'topology.localityaware.lower.bound' and "
        "'topology.localityaware.higher.bound' must satisfy 0 <= lower <= higher <= 1, got " +
        std::to_string(s.locality_lower_bound) + " and " + std::to_string(s.locality_higher_bound));
  }
  return s;
}

}  // namespace gale::topology
