// core/runtime/stats.h
//
// ExecutorStats are one executor's counters. The executor thread writes them
// (relaxed atomics: one writer each); any thread may read a Snapshot().
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace gale::runtime {

// The fixed bucket bounds of the latency histograms, in ms: a value v falls
// in the first bucket whose bound is >= v, or the last (kLatencyBuckets - 1)
// when above them all. Nimbus reads the same constants, so counts from any
// worker add up.
inline constexpr std::array<double, 15> kLatencyBoundsMs = {
    0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000, 5000};
inline constexpr size_t kLatencyBuckets = kLatencyBoundsMs.size() + 1;
using LatencyCounts = std::array<uint64_t, kLatencyBuckets>;

inline size_t LatencyBucket(uint64_t nanos) {
  const double ms = static_cast<double>(nanos) / 1e6;
  size_t i = 0;
  while (i < kLatencyBoundsMs.size() && ms > kLatencyBoundsMs[i]) ++i;
  return i;
}

// A heap array of counters on cache lines of its own, so that the arrays of
// two executors (two threads), allocated one after the other, never share a
// line: a shared one would bounce between the cores on every tuple.
template <typename T>
class LineArray {
 public:
  void Resize(size_t n) {
    lines_ = std::make_unique<Line[]>((n + kPerLine - 1) / kPerLine);
    size_ = n;
  }
  T& operator[](size_t i) { return lines_[i / kPerLine].v[i % kPerLine]; }
  const T& operator[](size_t i) const { return lines_[i / kPerLine].v[i % kPerLine]; }
  size_t size() const { return size_; }

 private:
  static constexpr size_t kPerLine = 64 / sizeof(T);
  struct alignas(64) Line {
    T v[kPerLine]{};
  };
  std::unique_ptr<Line[]> lines_;
  size_t size_ = 0;
};

// One output stream (emitted, transferred) or one input (source component,
// stream: executed, acked, failed, execute time) of an executor.
struct StreamSnapshot {
  std::string component;  // outputs: this component; inputs: the source
  std::string stream;
  uint64_t emitted = 0;
  uint64_t transferred = 0;
  uint64_t acked = 0;
  uint64_t failed = 0;
  uint64_t executed = 0;
  uint64_t execute_nanos = 0;
};

struct ErrorInfo {
  std::string message;
  int64_t time_secs;  // Unix time: the last time it was reported
  int32_t task;       // the task that reported it last
  int64_t count = 1;  // times this message was reported
};

// What ExecutorStats::ReportError says about logging an error.
struct ErrorVerdict {
  bool log = true;  // within topology.max.error.report.per.interval
  // Reports not logged in the interval before this one (to be logged once).
  uint64_t suppressed_before = 0;
  int64_t interval_secs = 0;
};

struct StatsSnapshot {
  uint64_t emitted = 0;      // user-stream emits
  uint64_t transferred = 0;  // tuples sent to tasks by those emits
  uint64_t acked = 0;        // spouts: trees completed; bolts: inputs acked
  uint64_t failed = 0;       // spouts: trees failed; bolts: inputs failed
  uint64_t executed = 0;     // bolts: inputs executed (ticks excluded)
  uint64_t execute_nanos = 0;
  uint64_t complete_nanos = 0;    // spouts: summed over the sampled trees
  uint64_t complete_samples = 0;  // spouts: acked trees whose latency was measured
  uint64_t error_count = 0;
  uint64_t transferred_remote = 0;  // tuples sent to other worker processes
  uint64_t process_nanos = 0;       // bolts: execute start to ack, sampled
  uint64_t process_samples = 0;
  uint64_t backpressure_nanos = 0;     // emits waiting for room in full queues
  uint64_t queue_depth = 0;            // a gauge, filled in by the runtime
  std::vector<ErrorInfo> last_errors;  // newest last
  // With topology.stats.enabled (empty or zero without):
  std::vector<StreamSnapshot> outputs;  // user streams
  std::vector<StreamSnapshot> inputs;
  LatencyCounts execute_histogram{};   // bolts: each executed input at its batch's mean
  LatencyCounts complete_histogram{};  // spouts: the sampled trees

  void Add(const StatsSnapshot& o) {
    emitted += o.emitted;
    transferred += o.transferred;
    acked += o.acked;
    failed += o.failed;
    executed += o.executed;
    execute_nanos += o.execute_nanos;
    complete_nanos += o.complete_nanos;
    complete_samples += o.complete_samples;
    error_count += o.error_count;
    transferred_remote += o.transferred_remote;
    process_nanos += o.process_nanos;
    process_samples += o.process_samples;
    backpressure_nanos += o.backpressure_nanos;
    queue_depth += o.queue_depth;
    last_errors.insert(last_errors.end(), o.last_errors.begin(), o.last_errors.end());
    for (size_t i = 0; i < kLatencyBuckets; ++i) {
      execute_histogram[i] += o.execute_histogram[i];
      complete_histogram[i] += o.complete_histogram[i];
    }
  }
  double execute_latency_ms() const {
    return executed ? static_cast<double>(execute_nanos) / static_cast<double>(executed) / 1e6 : 0;
  }
  double complete_latency_ms() const {
    return complete_samples
               ? static_cast<double>(complete_nanos) / static_cast<double>(complete_samples) / 1e6
               : 0;
  }
};

class ExecutorStats {
 public:
  static constexpr size_t kKeptErrors = 10;

  void AddEmitted(uint64_t n, uint64_t transferred) {
    Bump(emitted_, n);
    Bump(transferred_, transferred);
  }
  void AddAcked(uint64_t n = 1) { Bump(acked_, n); }
  // An acked tree whose complete latency was measured.
  void AddAckedSampled(uint64_t complete_nanos) {
    Bump(acked_, 1);
    Bump(complete_nanos_, complete_nanos);
    Bump(complete_samples_, 1);
  }
  void AddFailed(uint64_t n = 1) { Bump(failed_, n); }
  void AddRemote(uint64_t n) { Bump(remote_, n); }
  void AddExecuted(uint64_t count, uint64_t nanos) {
    Bump(executed_, count);
    Bump(execute_nanos_, nanos);
  }
  void AddProcessSample(uint64_t nanos) {
    Bump(process_nanos_, nanos);
    Bump(process_samples_, 1);
  }
  void AddBackpressure(uint64_t nanos) { Bump(backpressure_nanos_, nanos); }

  // ---- topology.stats.enabled: per stream and histograms. ----
  // Names the streams; before the executor thread starts. `output_system`
  // marks the outputs left out of snapshots (__ack_* streams).
  void ConfigureStreams(std::vector<std::pair<std::string, std::string>> outputs,
                        std::vector<bool> output_system,
                        std::vector<std::pair<std::string, std::string>> inputs,
                        bool per_output = true, bool per_input = true) {
    derive_output_ = !per_output;
    derive_input_ = !per_input;
    out_names_ = std::move(outputs);
    out_system_ = std::move(output_system);
    in_names_ = std::move(inputs);
    out_.Resize(out_names_.size() * kOutFields);
    in_.Resize(in_names_.size() * kInFields);
  }
  // `index`: OutputStream::index; REQUIRES ConfigureStreams covered it.
  void AddStreamEmitted(uint32_t index, uint64_t transferred) {
    Bump(out_[index * kOutFields], 1);
    Bump(out_[index * kOutFields + 1], transferred);
  }
  // `index`: the executor's input index (Executor::InputIndex).
  void AddInputExecuted(size_t index, uint64_t count, uint64_t nanos) {
    Bump(in_[index * kInFields + 2], count);
    Bump(in_[index * kInFields + 3], nanos);
  }
  void AddInputAcked(size_t index, uint64_t n = 1) { Bump(in_[index * kInFields], n); }
  void AddInputFailed(size_t index, uint64_t n = 1) { Bump(in_[index * kInFields + 1], n); }
  // `count` inputs executed in `nanos_each` each (a batch's mean).
  void AddExecuteSample(uint64_t nanos_each, uint64_t count) {
    Bump(execute_hist_[LatencyBucket(nanos_each)], count);
  }
  void AddCompleteSample(uint64_t nanos) { Bump(complete_hist_[LatencyBucket(nanos)], 1); }
  // Storm's error throttling: at most `max_per_interval` reports per
  // `interval_secs` (topology.max.error.report.per.interval,
  // topology.error.throttle.interval.secs) are kept as new entries and logged;
  // the rest are counted (error_count) and their number logged once.
  void SetErrorThrottle(int max_per_interval, int64_t interval_secs) {
    std::lock_guard<std::mutex> lock(errors_mu_);
    max_reports_ = max_per_interval;
    interval_secs_ = interval_secs > 0 ? interval_secs : 1;
  }
  // Records an error. The same message as a kept entry is collapsed into it
  // (count + 1, its time and task updated), so a bolt failing every tuple
  // keeps one entry with a count rather than ten copies.
  ErrorVerdict ReportError(ErrorInfo e) {
    std::lock_guard<std::mutex> lock(errors_mu_);
    ++error_count_;
    ErrorVerdict v;
    v.interval_secs = interval_secs_;
    const int64_t interval = e.time_secs / interval_secs_;
    if (interval != interval_) {
      v.suppressed_before = suppressed_;
      interval_ = interval;
      reports_ = 0;
      suppressed_ = 0;
    }
    v.log = reports_ < max_reports_;
    if (v.log) {
      ++reports_;
    } else {
      ++suppressed_;
    }
    for (auto it = errors_.begin(); it != errors_.end(); ++it) {
      if (it->message != e.message) continue;
      ErrorInfo kept = std::move(*it);
      errors_.erase(it);
      kept.count += 1;
      kept.time_secs = e.time_secs;
      kept.task = e.task;
      errors_.push_back(std::move(kept));
      return v;
    }
    if (!v.log) return v;  // a new message while throttled: counted only
    errors_.push_back(std::move(e));
    if (errors_.size() > kKeptErrors) errors_.pop_front();
    return v;
  }

  // Time spent executing input so far (what the load-aware shuffle's busy
  // share is computed from): one relaxed load.
  uint64_t execute_nanos() const { return execute_nanos_.load(std::memory_order_relaxed); }

  StatsSnapshot Snapshot() const {
    StatsSnapshot s;
    s.emitted = emitted_.load(std::memory_order_relaxed);
    s.transferred = transferred_.load(std::memory_order_relaxed);
    s.acked = acked_.load(std::memory_order_relaxed);
    s.failed = failed_.load(std::memory_order_relaxed);
    s.executed = executed_.load(std::memory_order_relaxed);
    s.execute_nanos = execute_nanos_.load(std::memory_order_relaxed);
    s.complete_nanos = complete_nanos_.load(std::memory_order_relaxed);
    s.complete_samples = complete_samples_.load(std::memory_order_relaxed);
    s.transferred_remote = remote_.load(std::memory_order_relaxed);
    s.process_nanos = process_nanos_.load(std::memory_order_relaxed);
    s.process_samples = process_samples_.load(std::memory_order_relaxed);
    s.backpressure_nanos = backpressure_nanos_.load(std::memory_order_relaxed);
    for (size_t i = 0; i < out_names_.size(); ++i) {
      if (out_system_[i]) continue;
      StreamSnapshot o{out_names_[i].first, out_names_[i].second};
      if (derive_output_) {  // the only user output: the executor's totals
        o.emitted = s.emitted;
        o.transferred = s.transferred;
      } else {
        o.emitted = out_[i * kOutFields].load(std::memory_order_relaxed);
        o.transferred = out_[i * kOutFields + 1].load(std::memory_order_relaxed);
      }
      s.outputs.push_back(std::move(o));
    }
    for (size_t i = 0; i < in_names_.size(); ++i) {
      StreamSnapshot in{in_names_[i].first, in_names_[i].second};
      if (derive_input_) {  // the only input: the executor's totals
        in.acked = s.acked;
        in.failed = s.failed;
        in.executed = s.executed;
        in.execute_nanos = s.execute_nanos;
      } else {
        in.acked = in_[i * kInFields].load(std::memory_order_relaxed);
        in.failed = in_[i * kInFields + 1].load(std::memory_order_relaxed);
        in.executed = in_[i * kInFields + 2].load(std::memory_order_relaxed);
        in.execute_nanos = in_[i * kInFields + 3].load(std::memory_order_relaxed);
      }
      s.inputs.push_back(std::move(in));
    }
    for (size_t i = 0; i < kLatencyBuckets; ++i) {
      s.execute_histogram[i] = execute_hist_[i].load(std::memory_order_relaxed);
      s.complete_histogram[i] = complete_hist_[i].load(std::memory_order_relaxed);
    }
    std::lock_guard<std::mutex> lock(errors_mu_);
    s.error_count = error_count_;
    s.last_errors.assign(errors_.begin(), errors_.end());
    return s;
  }

 private:
  // One writer per counter: a load and a store, no locked instruction.
  static void Bump(std::atomic<uint64_t>& c, uint64_t n) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  std::atomic<uint64_t> emitted_{0}, transferred_{0}, acked_{0}, failed_{0}, executed_{0};
  std::atomic<uint64_t> execute_nanos_{0}, complete_nanos_{0}, complete_samples_{0}, remote_{0};
  std::atomic<uint64_t> process_nanos_{0}, process_samples_{0}, backpressure_nanos_{0};
  static constexpr size_t kOutFields = 2;  // emitted, transferred
  static constexpr size_t kInFields = 4;   // acked, failed, executed, execute nanos
  std::vector<std::pair<std::string, std::string>> out_names_, in_names_;
  std::vector<bool> out_system_;
  bool derive_output_ = false, derive_input_ = false;
  LineArray<std::atomic<uint64_t>> out_, in_;
  std::array<std::atomic<uint64_t>, kLatencyBuckets> execute_hist_{}, complete_hist_{};
  mutable std::mutex errors_mu_;
  uint64_t error_count_ = 0;
  std::deque<ErrorInfo> errors_;
  int max_reports_ = 5;
  int64_t interval_secs_ = 10;
  int64_t interval_ = -1;  // the current throttle interval (time / interval_secs_)
  int reports_ = 0;        // within the current interval
  uint64_t suppressed_ = 0;
};

}  // namespace gale::runtime
