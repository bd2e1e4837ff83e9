// nimbus/stats_store.h
//
// The statistics nimbus keeps per executor over Storm's windows (the last
// 10 minutes, 3 hours, 1 day, all time), so that a worker restart, a
// rebalance or a nimbus restart does not zero them. Workers heartbeat
// cumulative counters since their process started; the store adds the
// difference from the previous heartbeat of the same executor, or all of it
// when the worker is a new process (its incarnation changed, or a counter
// went backwards), into 1-minute buckets (kept 3 hours), 15-minute buckets
// (kept a day) and an all-time total.
//
// Executors are keyed by (topology, task range): after a rebalance changes
// the ranges, the old keys stay, so a component's windows (the sum of its
// keys) keep what its executors did before. Killing a topology removes its
// keys. The store is saved in nimbus's state directory (stats.bin) with each
// executor's last heartbeat, so that after a nimbus restart a worker that
// kept running adds only what is new, and one that restarted meanwhile adds
// all it counted.
//
// Threading: not thread-safe; nimbus calls it under its mutex.
#pragma once

#include "core/common/result.h"
#include "thrift/gen-cpp/gale_types.h"

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>

namespace gale::nimbus {

class StatsStore {
 public:
  // The counters kept, in the order they are saved.
  enum Counter {
    kEmitted,
    kTransferred,
    kAcked,
    kFailed,
    kExecuted,
    kExecuteNanos,
    kCompleteNanos,
    kCompleteSamples,
    kProcessNanos,
    kProcessSamples,
    kBackpressureNanos,
    kErrors,
    kTransferredRemote,
    // The latency histograms' buckets (kHistogramBuckets each, the bounds of
    // core/runtime/stats.h's kLatencyBoundsMs).
    kExecuteHistogram,
    kCompleteHistogram = kExecuteHistogram + 16,
    kCounters = kCompleteHistogram + 16
  };
  static constexpr size_t kHistogramBuckets = 16;
  using Counters = std::array<int64_t, kCounters>;

  // One output stream or input of an executor (topology.stats.enabled).
  enum StreamCounter {
    kStreamEmitted,
    kStreamTransferred,
    kStreamAcked,
    kStreamFailed,
    kStreamExecuted,
    kStreamExecuteNanos,
    kStreamCounters
  };
  using StreamCounters = std::array<int64_t, kStreamCounters>;
  // (input: true for an input, whose component is the source; component; stream)
  using StreamKey = std::tuple<bool, std::string, std::string>;

  // Counters over time: the total, buckets, and the last heartbeat's.
  template <typename C>
  struct Series {
    C total{};
    std::map<int64_t, C> minutes;   // by minute since the epoch
    std::map<int64_t, C> quarters;  // by quarter hour since the epoch
    C last{};                       // the last heartbeat's cumulative counters
    bool seen = false;              // `last` holds a heartbeat of this process
  };

  // One window of one executor or component.
  struct Window {
    Counters sum{};
    // Seconds the window covers: the window's length, or less when the
    // executors were first seen more recently (capacity divides by it).
    int64_t covered_secs = 0;
    // The largest fraction of the covered time one executor spent executing.
    double capacity = 0;
    int64_t queue_depth = 0;  // the latest heartbeats' gauge, summed
    std::map<StreamKey, StreamCounters> streams;
  };

  // Storm's windows: "600", "10800", "86400", ":all-time".
  static bool IsWindow(const std::string& window);

  // A heartbeat's cumulative counters of one executor, at `now_secs`.
  void Record(const std::string& topology_id, const std::string& component, int32_t task_start,
              int32_t task_end, int64_t incarnation, const thrift::ExecutorStats& cumulative,
              int64_t now_secs);

  // One executor (its exact task range); empty when never recorded.
  Window ForExecutor(const std::string& topology_id, int32_t task_start, int32_t task_end,
                     const std::string& window, int64_t now_secs) const;
  // Every executor the component ever had in this topology.
  Window ForComponent(const std::string& topology_id, const std::string& component,
                      const std::string& window, int64_t now_secs) const;

  void RemoveTopology(const std::string& topology_id);

  thrift::StoredStats ToStored() const;
  // Replaces the contents; entries with the wrong number of counters are
  // skipped (an error names how many).
  Status FromStored(const thrift::StoredStats& stored);

  bool dirty() const { return dirty_; }
  void clear_dirty() { dirty_ = false; }

 private:
  struct Entry {
    std::map<StreamKey, Series<StreamCounters>> streams;
    std::string component;
    int64_t first_seen_secs = 0;
    Counters total{};
    std::map<int64_t, Counters> minutes;   // by minute since the epoch
    std::map<int64_t, Counters> quarters;  // by quarter hour since the epoch
    // The last heartbeat: its process and cumulative counters.
    int64_t incarnation = -1;
    Counters last{};
    int64_t queue_depth = 0;
  };
  using Key = std::tuple<std::string, int32_t, int32_t>;  // topology, task range

  Window Sum(const Entry& e, const std::string& window, int64_t now_secs) const;

  std::map<Key, Entry> entries_;
  bool dirty_ = false;
};

}  // namespace gale::nimbus
