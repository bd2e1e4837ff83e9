#include "nimbus/ui/prometheus.h"

#include "nimbus/ui/rest_api.h"
#include "thrift/convert.h"
#include "thrift/gen-cpp/Nimbus.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <vector>

namespace gale::ui {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Metric families in the order first seen, each with its samples.
class Exposition {
 public:
  void Add(const std::string& family, const char* type, const char* help, const Labels& labels,
           double value, const std::string& suffix = "") {
    auto [it, fresh] = index_.emplace(family, families_.size());
    if (fresh) families_.push_back({family, type, help, {}});
    std::string line = family + suffix;
    if (!labels.empty()) {
      line += '{';
      for (size_t i = 0; i < labels.size(); ++i) {
        if (i) line += ',';
        line += labels[i].first + "=\"" + PromLabelValue(labels[i].second) + '"';
      }
      line += '}';
    }
    line += ' ' + Number(value);
    families_[it->second].samples.push_back(std::move(line));
  }

  std::string Text() const {
    std::string out;
    for (const auto& f : families_) {
      out += "# HELP " + f.name + " " + f.help + "\n# TYPE " + f.name + " " + f.type + "\n";
      for (const auto& s : f.samples) out += s + "\n";
    }
    return out;
  }

  static std::string Number(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
  }

 private:
  struct Family {
    std::string name, type, help;
    std::vector<std::string> samples;
  };
  std::vector<Family> families_;
  std::map<std::string, size_t> index_;
};

Labels With(Labels labels, const std::string& key, const std::string& value) {
  labels.emplace_back(key, value);
  return labels;
}

void Histogram(Exposition& x, const std::string& family, const char* help, const Labels& labels,
               const std::vector<double>& bounds, const std::vector<int64_t>& counts, double sum,
               double scale = 1) {
  int64_t cumulative = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    cumulative += counts[i];
    const std::string le = i < bounds.size() ? Exposition::Number(bounds[i] * scale) : "+Inf";
    x.Add(family, "histogram", help, With(labels, "le", le), static_cast<double>(cumulative),
          "_bucket");
  }
  x.Add(family, "histogram", help, labels, sum * scale, "_sum");
  x.Add(family, "histogram", help, labels, static_cast<double>(cumulative), "_count");
}

void ExecutorMetrics(Exposition& x, const Labels& l, const thrift::WindowStats& s,
                     const thrift::WindowStats& recent, bool spout) {
  x.Add("gale_emitted_total", "counter", "Tuples emitted.", l, s.emitted);
  x.Add("gale_transferred_total", "counter", "Tuples sent to tasks (emits x targets).", l,
        s.transferred);
  x.Add("gale_transferred_remote_total", "counter", "Tuples sent to tasks in other workers.", l,
        s.transferred_remote);
  x.Add("gale_acked_total", "counter", "Spouts: tuple trees completed. Bolts: inputs acked.", l,
        s.acked);
  x.Add("gale_failed_total", "counter", "Spouts: tuple trees failed. Bolts: inputs failed.", l,
        s.failed);
  x.Add("gale_errors_total", "counter", "Errors the executor's tasks reported.", l, s.errors);
  x.Add("gale_backpressure_seconds_total", "counter",
        "Time emits spent blocked by full queues (backpressure).", l, s.backpressure_ms / 1000.0);
  x.Add("gale_queue_depth", "gauge", "Tuples waiting in the executor's input queue.", l,
        s.queue_depth);
  if (spout) {
    x.Add("gale_complete_latency_avg_seconds", "gauge",
          "Spouts: mean time from emit to tree completion.", l, s.complete_latency_ms / 1000.0);
    if (s.__isset.complete_histogram) {
      const auto& h = s.complete_histogram;
      Histogram(x, "gale_complete_latency_seconds", "Spouts: time from emit to tree completion.", l,
                h.bounds_ms, h.counts, h.sum_ms, 1e-3);
    }
    return;
  }
  x.Add("gale_executed_total", "counter", "Bolts: inputs executed.", l, s.executed);
  x.Add("gale_capacity", "gauge",
        "Bolts: fraction of the last 10 minutes spent executing (Storm's capacity).", l,
        recent.capacity);
  x.Add("gale_execute_latency_avg_seconds", "gauge", "Bolts: mean time in Execute().", l,
        s.execute_latency_ms / 1000.0);
  x.Add("gale_process_latency_avg_seconds", "gauge",
        "Bolts: mean time from an input's arrival to its ack.", l, s.process_latency_ms / 1000.0);
  if (s.__isset.execute_histogram) {
    const auto& h = s.execute_histogram;
    Histogram(x, "gale_execute_latency_seconds", "Bolts: time in Execute().", l, h.bounds_ms,
              h.counts, h.sum_ms, 1e-3);
  }
}

void UserMetrics(Exposition& x, const Labels& l, const std::vector<thrift::UserMetricValue>& ms) {
  for (const auto& m : ms) {
    const Labels ml = With(l, "metric", m.name);
    switch (m.kind) {
      case thrift::UserMetricKind::COUNTER:
        x.Add("gale_user_counter_total", "counter", "Counters plugins registered.", ml, m.value);
        break;
      case thrift::UserMetricKind::GAUGE:
        x.Add("gale_user_gauge", "gauge", "Gauges plugins registered.", ml, m.value);
        break;
      case thrift::UserMetricKind::HISTOGRAM:
        Histogram(x, "gale_user_histogram", "Histograms plugins registered.", ml, m.bounds,
                  m.counts, m.sum);
        break;
    }
  }
}

}  // namespace

Result<std::string> PrometheusText(const NimbusCall& call) {
  thrift::ClusterSummary cluster;
  GALE_RETURN_IF_ERROR(call([&](thrift::NimbusClient& n) { n.getClusterInfo(cluster); }));
  Exposition x;
  x.Add("gale_up", "gauge", "1 when the UI reached nimbus for this scrape.", {}, 1);
  x.Add("gale_nimbus_uptime_seconds", "gauge", "Seconds since nimbus started.", {},
        cluster.nimbus_uptime_secs);
  x.Add("gale_supervisors", "gauge", "Supervisors alive.", {},
        static_cast<double>(cluster.supervisors.size()));
  x.Add("gale_slots", "gauge", "Worker slots of all supervisors.", {}, cluster.slots_total);
  x.Add("gale_slots_used", "gauge", "Worker slots running a worker.", {}, cluster.slots_used);
  x.Add("gale_topologies", "gauge", "Topologies submitted and not killed.", {},
        static_cast<double>(cluster.topologies.size()));

  for (const auto& t : cluster.topologies) {
    thrift::TopologyPageInfo all, recent;
    Status s =
        call([&](thrift::NimbusClient& n) { n.getTopologyPageInfo(all, t.name, ":all-time"); });
    if (s.ok())
      s = call([&](thrift::NimbusClient& n) { n.getTopologyPageInfo(recent, t.name, "600"); });
    if (s.code() == StatusCode::kNotFound) continue;  // killed meanwhile
    GALE_RETURN_IF_ERROR(s);
    const Labels tl = {{"topology", t.name}};
    x.Add("gale_topology_uptime_seconds", "gauge", "Seconds since the topology was submitted.", tl,
          t.uptime_secs);
    x.Add("gale_topology_workers", "gauge", "Worker processes the topology runs on.", tl,
          t.num_workers);
    x.Add("gale_topology_executors", "gauge", "Executors (threads) of the topology.", tl,
          t.num_executors);
    for (const char* status : {"ACTIVE", "INACTIVE", "REBALANCING", "KILLED"}) {
      const bool is = std::string(convert::StatusName(t.status)) == status;
      x.Add("gale_topology_status", "gauge", "1 for the topology's current status.",
            With(tl, "status", status), is ? 1 : 0);
    }
    for (const auto& c : all.components) {
      const bool spout = c.kind == thrift::ComponentKind::SPOUT;
      const Labels cl = With(tl, "component", c.id);
      for (const auto& o : c.stats.outputs) {
        x.Add("gale_stream_emitted_total", "counter", "Tuples emitted, per output stream.",
              With(cl, "stream", o.stream), o.emitted);
        x.Add("gale_stream_transferred_total", "counter", "Tuples transferred, per output stream.",
              With(cl, "stream", o.stream), o.transferred);
      }
      for (const auto& i : c.stats.inputs) {
        const Labels il = With(With(cl, "source", i.component), "stream", i.stream);
        x.Add("gale_stream_executed_total", "counter", "Bolts: inputs executed, per input stream.",
              il, i.executed);
        x.Add("gale_stream_acked_total", "counter", "Bolts: inputs acked, per input stream.", il,
              i.acked);
        x.Add("gale_stream_failed_total", "counter", "Bolts: inputs failed, per input stream.", il,
              i.failed);
      }
      for (const auto& e : c.executors) {
        const std::string task = e.task_start == e.task_end ? std::to_string(e.task_start)
                                                            : std::to_string(e.task_start) + "-" +
                                                                  std::to_string(e.task_end);
        const std::string worker = e.host.empty() ? "" : e.host + ":" + std::to_string(e.port);
        const Labels el = With(With(cl, "task", task), "worker", worker);
        thrift::WindowStats recent_stats;  // the same executor over the last 10 minutes
        for (const auto& rc : recent.components) {
          if (rc.id != c.id) continue;
          for (const auto& re : rc.executors) {
            if (re.task_start == e.task_start) recent_stats = re.stats;
          }
        }
        ExecutorMetrics(x, el, e.stats, recent_stats, spout);
        UserMetrics(x, el, e.stats.metrics);
      }
    }
    for (const auto& d : all.worker_deaths) {
      x.Add("gale_worker_restarts_total", "counter",
            "Worker processes that died unasked (and were restarted), per slot.",
            With(tl, "worker", d.host + ":" + std::to_string(d.port)), d.count);
    }
  }
  return x.Text();
}

}  // namespace gale::ui
