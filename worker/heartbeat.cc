#include "worker/heartbeat.h"

namespace gale::worker {
namespace {

thrift::ExecutorStats ToThrift(const runtime::StatsSnapshot& s) {
  thrift::ExecutorStats out;
  out.emitted = static_cast<int64_t>(s.emitted);
  out.transferred = static_cast<int64_t>(s.transferred);
  out.acked = static_cast<int64_t>(s.acked);
  out.failed = static_cast<int64_t>(s.failed);
  out.executed = static_cast<int64_t>(s.executed);
  out.execute_ms_avg = s.execute_latency_ms();
  out.complete_ms_avg = s.complete_latency_ms();
  out.__set_transferred_remote(static_cast<int64_t>(s.transferred_remote));
  out.__set_error_count(static_cast<int64_t>(s.error_count));
  out.__set_execute_nanos(static_cast<int64_t>(s.execute_nanos));
  out.__set_complete_nanos(static_cast<int64_t>(s.complete_nanos));
  out.__set_complete_samples(static_cast<int64_t>(s.complete_samples));
  out.__set_process_nanos(static_cast<int64_t>(s.process_nanos));
  out.__set_process_samples(static_cast<int64_t>(s.process_samples));
  out.__set_backpressure_nanos(static_cast<int64_t>(s.backpressure_nanos));
  out.__set_queue_depth(static_cast<int64_t>(s.queue_depth));
  auto streams = [](const std::vector<runtime::StreamSnapshot>& from) {
    std::vector<thrift::ExecutorStreamStats> to;
    for (const auto& f : from) {
      thrift::ExecutorStreamStats t;
      t.component = f.component;
      t.stream = f.stream;
      t.__set_emitted(static_cast<int64_t>(f.emitted));
      t.__set_transferred(static_cast<int64_t>(f.transferred));
      t.__set_acked(static_cast<int64_t>(f.acked));
      t.__set_failed(static_cast<int64_t>(f.failed));
      t.__set_executed(static_cast<int64_t>(f.executed));
      t.__set_execute_nanos(static_cast<int64_t>(f.execute_nanos));
      to.push_back(std::move(t));
    }
    return to;
  };
  if (!s.outputs.empty()) out.__set_outputs(streams(s.outputs));
  if (!s.inputs.empty()) out.__set_inputs(streams(s.inputs));
  auto hist = [](const runtime::LatencyCounts& c) {
    return std::vector<int64_t>(c.begin(), c.end());
  };
  out.__set_execute_histogram(hist(s.execute_histogram));
  out.__set_complete_histogram(hist(s.complete_histogram));
  return out;
}

std::vector<thrift::UserMetricValue> ToThrift(const std::vector<runtime::UserMetricSample>& ms) {
  using Kind = runtime::UserMetricSample::Kind;
  std::vector<thrift::UserMetricValue> out;
  for (const auto& m : ms) {
    thrift::UserMetricValue v;
    v.name = m.name;
    v.kind = m.kind == Kind::kCounter ? thrift::UserMetricKind::COUNTER
             : m.kind == Kind::kGauge ? thrift::UserMetricKind::GAUGE
                                      : thrift::UserMetricKind::HISTOGRAM;
    v.__set_value(m.value);
    if (m.kind == Kind::kHistogram) {
      v.__set_bounds(m.bounds);
      v.__set_counts(m.counts);
      v.__set_sum(m.sum);
    }
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace

thrift::WorkerHeartbeat MakeHeartbeat(const WorkerIdentity& me,
                                      const std::vector<runtime::ExecutorReport>& reports,
                                      int64_t dropped_tuples) {
  thrift::WorkerHeartbeat hb;
  hb.topology_id = me.topology_id;
  hb.supervisor_id = me.supervisor_id;
  hb.port = me.port;
  hb.assignment_version = me.assignment_version;
  hb.__set_incarnation(me.incarnation);
  for (const auto& r : reports) {
    thrift::ExecutorAssignment ea;
    ea.task_start = r.task_start;
    ea.task_end = r.task_end;
    ea.worker = me.my_index;
    hb.executors.push_back(ea);
    hb.stats.push_back(ToThrift(r.stats));
    hb.stats.back().__set_metrics(ToThrift(r.metrics));
    for (const auto& e : r.stats.last_errors) {
      thrift::ErrorInfo info;
      info.error = e.message;
      info.error_time_secs = e.time_secs;
      info.host = me.host;
      info.port = me.port;
      info.__set_task(e.task);
      info.__set_count(e.count);
      hb.errors.push_back(std::move(info));
    }
  }
  hb.__set_dropped_frames(dropped_tuples);
  return hb;
}

BeatVerdict Judge(const Status& call, const thrift::WorkerHeartbeatResponse& response,
                  int64_t assignment_version, int64_t layout_version) {
  if (call.code() == StatusCode::kNotFound) return BeatVerdict::kTopologyGone;
  if (!call.ok()) return BeatVerdict::kRetry;
  if (!response.assigned) return BeatVerdict::kReassigned;
  if (response.assignment_version == assignment_version) return BeatVerdict::kGoOn;
  // A nimbus that does not say when this slot's executors changed, or says
  // they did: restart.
  if (response.__isset.layout_version && response.layout_version == layout_version &&
      response.__isset.assignment && response.assignment.version == response.assignment_version) {
    return BeatVerdict::kReroute;
  }
  return BeatVerdict::kReassigned;
}

}  // namespace gale::worker
