#include "nimbus/stats_store.h"

#include "core/runtime/stats.h"

#include <algorithm>

namespace gale::nimbus {
namespace {

constexpr int64_t kMinute = 60;
constexpr int64_t kQuarter = 900;
constexpr int64_t kMinutesKept = 180;  // 3 hours
constexpr int64_t kQuartersKept = 96;  // 1 day

StatsStore::Counters FromThrift(const thrift::ExecutorStats& s) {
  StatsStore::Counters c{};
  c[StatsStore::kEmitted] = s.emitted;
  c[StatsStore::kTransferred] = s.transferred;
  c[StatsStore::kAcked] = s.acked;
  c[StatsStore::kFailed] = s.failed;
  c[StatsStore::kExecuted] = s.executed;
  // Workers older than the sums send only the averages.
  c[StatsStore::kExecuteNanos] =
      s.__isset.execute_nanos
          ? s.execute_nanos
          : static_cast<int64_t>(s.execute_ms_avg * 1e6 * static_cast<double>(s.executed));
  c[StatsStore::kCompleteNanos] = s.complete_nanos;
  c[StatsStore::kCompleteSamples] = s.complete_samples;
  c[StatsStore::kProcessNanos] = s.process_nanos;
  c[StatsStore::kProcessSamples] = s.process_samples;
  c[StatsStore::kBackpressureNanos] = s.backpressure_nanos;
  c[StatsStore::kErrors] = s.error_count;
  c[StatsStore::kTransferredRemote] = s.transferred_remote;
  for (size_t i = 0; i < StatsStore::kHistogramBuckets; ++i) {
    if (i < s.execute_histogram.size())
      c[StatsStore::kExecuteHistogram + i] = s.execute_histogram[i];
    if (i < s.complete_histogram.size()) {
      c[StatsStore::kCompleteHistogram + i] = s.complete_histogram[i];
    }
  }
  return c;
}
static_assert(StatsStore::kHistogramBuckets == runtime::kLatencyBuckets);

StatsStore::StreamCounters FromThrift(const thrift::ExecutorStreamStats& s) {
  StatsStore::StreamCounters c{};
  c[StatsStore::kStreamEmitted] = s.emitted;
  c[StatsStore::kStreamTransferred] = s.transferred;
  c[StatsStore::kStreamAcked] = s.acked;
  c[StatsStore::kStreamFailed] = s.failed;
  c[StatsStore::kStreamExecuted] = s.executed;
  c[StatsStore::kStreamExecuteNanos] = s.execute_nanos;
  return c;
}

template <typename C>
void AddInto(C& to, const C& from) {
  for (size_t i = 0; i < to.size(); ++i) to[i] += from[i];
}

template <typename C>
std::vector<int64_t> ToList(const C& c) {
  return {c.begin(), c.end()};
}

// A shorter list (saved before counters were added) leaves the rest 0.
template <typename C>
bool FromList(const std::vector<int64_t>& v, C* c) {
  if (v.size() > c->size()) return false;
  c->fill(0);
  std::copy(v.begin(), v.end(), c->begin());
  return true;
}

// Adds a heartbeat's cumulative counters `now` into `series`: the difference
// from its last heartbeat, or all of `now` when `restarted` (a new process)
// or a counter went backwards.
template <typename C>
bool AddCumulative(StatsStore::Series<C>& series, const C& now, bool restarted, int64_t now_secs) {
  C delta = now;
  bool same = !restarted && series.seen;
  if (same) {
    for (size_t i = 0; i < now.size(); ++i) {
      if (now[i] < series.last[i]) same = false;
    }
  }
  if (same) {
    for (size_t i = 0; i < now.size(); ++i) delta[i] = now[i] - series.last[i];
  }
  series.last = now;
  series.seen = true;
  if (std::all_of(delta.begin(), delta.end(), [](int64_t d) { return d == 0; })) return false;
  AddInto(series.total, delta);
  AddInto(series.minutes[now_secs / kMinute], delta);
  AddInto(series.quarters[now_secs / kQuarter], delta);
  series.minutes.erase(series.minutes.begin(),
                       series.minutes.lower_bound(now_secs / kMinute - kMinutesKept));
  series.quarters.erase(series.quarters.begin(),
                        series.quarters.lower_bound(now_secs / kQuarter - kQuartersKept));
  return true;
}

// The sum of `series` over `window` ("600", ...; ":all-time": the total).
template <typename C>
C SumSeries(const StatsStore::Series<C>& series, const std::string& window, int64_t now_secs) {
  if (window == ":all-time") return series.total;
  C sum{};
  const int64_t length = std::stoll(window);
  const bool by_minute = length <= kMinutesKept * kMinute;
  const auto& buckets = by_minute ? series.minutes : series.quarters;
  const int64_t size = by_minute ? kMinute : kQuarter;
  // The buckets that end within the window: the current one and the whole
  // ones before it.
  const int64_t first = now_secs / size - length / size + 1;
  for (auto it = buckets.lower_bound(first); it != buckets.end(); ++it) AddInto(sum, it->second);
  return sum;
}

template <typename C>
void ToStoredBuckets(const std::map<int64_t, C>& from, std::vector<thrift::StoredStatsBucket>* to) {
  for (const auto& [start, c] : from) {
    thrift::StoredStatsBucket b;
    b.start = start;
    b.values = ToList(c);
    to->push_back(std::move(b));
  }
}

template <typename C>
bool FromStoredBuckets(const std::vector<thrift::StoredStatsBucket>& from,
                       std::map<int64_t, C>* to) {
  bool ok = true;
  for (const auto& b : from) ok = ok && FromList(b.values, &(*to)[b.start]);
  return ok;
}

}  // namespace

bool StatsStore::IsWindow(const std::string& w) {
  return w == "600" || w == "10800" || w == "86400" || w == ":all-time";
}

void StatsStore::Record(const std::string& topology_id, const std::string& component,
                        int32_t task_start, int32_t task_end, int64_t incarnation,
                        const thrift::ExecutorStats& cumulative, int64_t now_secs) {
  Entry& e = entries_[{topology_id, task_start, task_end}];
  if (e.first_seen_secs == 0) e.first_seen_secs = now_secs;
  e.component = component;
  const Counters now = FromThrift(cumulative);
  Counters delta = now;
  bool same_process = e.incarnation == incarnation;
  if (same_process) {
    for (size_t i = 0; i < now.size(); ++i) {
      if (now[i] < e.last[i]) same_process = false;  // restarted without saying so
    }
  }
  if (same_process) {
    for (size_t i = 0; i < now.size(); ++i) delta[i] = now[i] - e.last[i];
  }
  e.incarnation = incarnation;
  e.last = now;
  e.queue_depth = cumulative.queue_depth;
  // A stream's counters restart with their executor's.
  auto record_streams = [&](const std::vector<thrift::ExecutorStreamStats>& list, bool input) {
    for (const auto& st : list) {
      if (AddCumulative(e.streams[{input, st.component, st.stream}], FromThrift(st), !same_process,
                        now_secs)) {
        dirty_ = true;
      }
    }
  };
  record_streams(cumulative.outputs, false);
  record_streams(cumulative.inputs, true);
  if (std::all_of(delta.begin(), delta.end(), [](int64_t d) { return d == 0; })) return;
  AddInto(e.total, delta);
  AddInto(e.minutes[now_secs / kMinute], delta);
  AddInto(e.quarters[now_secs / kQuarter], delta);
  e.minutes.erase(e.minutes.begin(), e.minutes.lower_bound(now_secs / kMinute - kMinutesKept));
  e.quarters.erase(e.quarters.begin(), e.quarters.lower_bound(now_secs / kQuarter - kQuartersKept));
  dirty_ = true;
}

StatsStore::Window StatsStore::Sum(const Entry& e, const std::string& window,
                                   int64_t now_secs) const {
  Window w;
  int64_t length = 0;
  if (window == ":all-time") {
    w.sum = e.total;
    length = now_secs - e.first_seen_secs;
  } else {
    length = std::stoll(window);
    const bool by_minute = length <= kMinutesKept * kMinute;
    const auto& buckets = by_minute ? e.minutes : e.quarters;
    const int64_t size = by_minute ? kMinute : kQuarter;
    // The buckets that end within the window: the current one and the
    // whole ones before it.
    const int64_t first = now_secs / size - length / size + 1;
    for (auto it = buckets.lower_bound(first); it != buckets.end(); ++it)
      AddInto(w.sum, it->second);
  }
  w.covered_secs = std::max<int64_t>(1, std::min(length, now_secs - e.first_seen_secs + 1));
  w.capacity =
      static_cast<double>(w.sum[kExecuteNanos]) / 1e9 / static_cast<double>(w.covered_secs);
  w.queue_depth = e.queue_depth;
  for (const auto& [key, series] : e.streams) {
    const StreamCounters sum = SumSeries(series, window, now_secs);
    if (std::any_of(sum.begin(), sum.end(), [](int64_t v) { return v != 0; })) {
      AddInto(w.streams[key], sum);
    }
  }
  return w;
}

StatsStore::Window StatsStore::ForExecutor(const std::string& topology_id, int32_t task_start,
                                           int32_t task_end, const std::string& window,
                                           int64_t now_secs) const {
  auto it = entries_.find({topology_id, task_start, task_end});
  return it == entries_.end() ? Window{} : Sum(it->second, window, now_secs);
}

StatsStore::Window StatsStore::ForComponent(const std::string& topology_id,
                                            const std::string& component, const std::string& window,
                                            int64_t now_secs) const {
  Window out;
  for (auto it = entries_.lower_bound({topology_id, INT32_MIN, INT32_MIN});
       it != entries_.end() && std::get<0>(it->first) == topology_id; ++it) {
    if (it->second.component != component) continue;
    const Window w = Sum(it->second, window, now_secs);
    AddInto(out.sum, w.sum);
    out.covered_secs = std::max(out.covered_secs, w.covered_secs);
    out.capacity = std::max(out.capacity, w.capacity);
    out.queue_depth += w.queue_depth;
    for (const auto& [key, c] : w.streams) AddInto(out.streams[key], c);
  }
  return out;
}

void StatsStore::RemoveTopology(const std::string& topology_id) {
  auto it = entries_.lower_bound({topology_id, INT32_MIN, INT32_MIN});
  while (it != entries_.end() && std::get<0>(it->first) == topology_id) {
    it = entries_.erase(it);
    dirty_ = true;
  }
}

thrift::StoredStats StatsStore::ToStored() const {
  thrift::StoredStats out;
  for (const auto& [key, e] : entries_) {
    thrift::StoredExecutorStats s;
    s.topology_id = std::get<0>(key);
    s.task_start = std::get<1>(key);
    s.task_end = std::get<2>(key);
    s.component = e.component;
    s.first_seen_secs = e.first_seen_secs;
    s.total = ToList(e.total);
    s.__set_incarnation(e.incarnation);
    s.__set_last(ToList(e.last));
    for (const auto& [start, c] : e.minutes) {
      thrift::StoredStatsBucket b;
      b.start = start;
      b.values = ToList(c);
      s.minutes.push_back(std::move(b));
    }
    for (const auto& [start, c] : e.quarters) {
      thrift::StoredStatsBucket b;
      b.start = start;
      b.values = ToList(c);
      s.quarters.push_back(std::move(b));
    }
    for (const auto& [skey, series] : e.streams) {
      thrift::StoredStreamStats st;
      st.input = std::get<0>(skey);
      st.component = std::get<1>(skey);
      st.stream = std::get<2>(skey);
      st.total = ToList(series.total);
      st.last = ToList(series.last);
      ToStoredBuckets(series.minutes, &st.minutes);
      ToStoredBuckets(series.quarters, &st.quarters);
      s.streams.push_back(std::move(st));
    }
    s.__isset.streams = true;
    out.executors.push_back(std::move(s));
  }
  return out;
}

Status StatsStore::FromStored(const thrift::StoredStats& stored) {
  entries_.clear();
  int skipped = 0;
  for (const auto& s : stored.executors) {
    Entry e;
    e.component = s.component;
    e.first_seen_secs = s.first_seen_secs;
    bool ok = FromList(s.total, &e.total);
    if (s.last.size() == e.last.size()) {
      e.incarnation = s.incarnation;
      FromList(s.last, &e.last);
    }
    for (const auto& b : s.minutes) ok = ok && FromList(b.values, &e.minutes[b.start]);
    for (const auto& b : s.quarters) ok = ok && FromList(b.values, &e.quarters[b.start]);
    for (const auto& st : s.streams) {
      Series<StreamCounters>& series = e.streams[{st.input, st.component, st.stream}];
      ok = ok && FromList(st.total, &series.total);
      ok = ok && FromList(st.last, &series.last);
      series.seen = e.incarnation != -1;
      ok = ok && FromStoredBuckets(st.minutes, &series.minutes);
      ok = ok && FromStoredBuckets(st.quarters, &series.quarters);
    }
    if (!ok) {
      ++skipped;
      continue;
    }
    entries_[{s.topology_id, s.task_start, s.task_end}] = std::move(e);
  }
  dirty_ = false;
  if (skipped) {
    return Status::InvalidArgument(std::to_string(skipped) +
                                   " executor(s) with a different number of counters skipped");
  }
  return Status::Ok();
}

}  // namespace gale::nimbus
