#include "nimbus/ui/rest_api.h"

#include "core/common/json.h"
#include "core/http/http.h"
#include "nimbus/ui/prometheus.h"
#include "thrift/client.h"
#include "thrift/convert.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>

namespace gale::ui {

using http::ParsedTarget;
using http::ParseTarget;
using http::UrlDecode;

// Connections to nimbus, reused across requests. Nimbus drops a client that
// is idle for 15 s, so a connection idle for 10 s is not reused, and a call
// on a pooled connection that turns out closed is retried once on a new one.
//
// With a user and token (a POST's Authorization header), connections are
// that user's: each is authenticated as the user, and never pooled.
class NimbusPool {
 public:
  explicit NimbusPool(std::vector<rpc::HostPort> address, std::string user = "",
                      std::string token = "")
      : address_(std::move(address)), user_(std::move(user)), token_(std::move(token)) {}

  const std::vector<rpc::HostPort>& address() const { return address_; }

  Status Call(const std::function<void(thrift::NimbusClient&)>& call) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::unique_ptr<rpc::NimbusConnection> conn = Take();
      const bool fresh = !conn;
      if (fresh) {
        auto c = rpc::NimbusConnection::ConnectLeader(address_, std::chrono::seconds(5));
        if (!c.ok()) {
          if (c.status().code() != StatusCode::kUnavailable) return c.status();
          return Status::Unavailable("nimbus: " + c.status().message());
        }
        conn = std::move(c).value();
        if (!user_.empty()) {
          Status a = conn->Call([&](auto& n) { n.authenticate(user_, token_); });
          if (!a.ok()) return a;
        }
      }
      Status s = conn->Call(call);
      if (s.code() == StatusCode::kUnavailable) {
        if (fresh) return Status::Unavailable("nimbus: " + s.message());
        continue;  // a pooled connection nimbus had closed
      }
      Give(std::move(conn));
      return s;
    }
    return Status::Unavailable("nimbus at " + rpc::ToString(address_) + " does not answer");
  }

 private:
  using Clock = std::chrono::steady_clock;
  std::unique_ptr<rpc::NimbusConnection> Take() {
    if (!user_.empty()) return nullptr;
    std::lock_guard<std::mutex> lock(mu_);
    while (!idle_.empty()) {
      auto [since, conn] = std::move(idle_.back());
      idle_.pop_back();
      if (Clock::now() - since < std::chrono::seconds(10)) return std::move(conn);
    }
    return nullptr;
  }
  void Give(std::unique_ptr<rpc::NimbusConnection> conn) {
    if (!user_.empty()) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < 8) idle_.emplace_back(Clock::now(), std::move(conn));
  }

  const std::vector<rpc::HostPort> address_;
  const std::string user_, token_;
  std::mutex mu_;
  std::vector<std::pair<Clock::time_point, std::unique_ptr<rpc::NimbusConnection>>> idle_;
};

// ------------------------------------------------------------ small pieces

std::string PrettyUptime(int64_t secs) {
  if (secs < 0) secs = 0;
  const int64_t d = secs / 86400, h = secs / 3600 % 24, m = secs / 60 % 60, s = secs % 60;
  std::string out;
  if (d) out += std::to_string(d) + "d ";
  if (d || h) out += std::to_string(h) + "h ";
  if (d || h || m) out += std::to_string(m) + "m ";
  return out + std::to_string(s) + "s";
}

namespace {

const char* const kWindows[] = {"600", "10800", "86400", ":all-time"};

bool IsWindow(const std::string& w) {
  return std::find(std::begin(kWindows), std::end(kWindows), w) != std::end(kWindows);
}

std::string WindowPretty(const std::string& w) {
  return w == ":all-time" ? "All time" : PrettyUptime(std::stoll(w));
}

const char* GroupingName(thrift::GroupingType::type g) {
  switch (g) {
    case thrift::GroupingType::SHUFFLE: return "shuffle";
    case thrift::GroupingType::FIELDS: return "fields";
    case thrift::GroupingType::ALL: return "all";
    case thrift::GroupingType::GLOBAL: return "global";
    case thrift::GroupingType::NONE: return "none";
    case thrift::GroupingType::DIRECT: return "direct";
    case thrift::GroupingType::LOCAL_OR_SHUFFLE: return "local_or_shuffle";
    case thrift::GroupingType::PARTIAL_KEY: return "partial_key";
  }
  return "unknown";
}

// Three decimals, as Storm's UI shows latencies (ms) and capacity; a value
// too small for them but not zero (a bolt's sub-microsecond execute latency,
// the capacity of a nearly idle bolt) gets six, so it never reads "0.000".
std::string Fixed3(double v) {
  if (!std::isfinite(v)) v = 0;
  char buf[64];
  std::snprintf(buf, sizeof buf, v > 0 && v < 0.0005 ? "%.6f" : "%.3f", v);
  return buf;
}

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

HttpResponse JsonResponse(JsonWriter& w, int status = 200) {
  HttpResponse r;
  r.status = status;
  r.body = w.Take();
  return r;
}

const char* Reason(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 503: return "Service Unavailable";
    default: return "Internal Server Error";
  }
}

HttpResponse ErrorResponse(int status, const std::string& message) {
  JsonWriter w;
  w.BeginObject().Field("error", Reason(status)).Field("errorMessage", message).EndObject();
  return JsonResponse(w, status);
}

int HttpStatusOf(const Status& s) {
  // Nimbus's AuthorizationException (thrift/client.h).
  if (s.message().rfind("nimbus refused: ", 0) == 0) {
    return s.message().find("authentication failed") != std::string::npos ? 401 : 403;
  }
  switch (s.code()) {
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kFailedPrecondition: return 409;
    case StatusCode::kUnavailable:
    case StatusCode::kTimeout: return 503;
    default: return 500;
  }
}

HttpResponse ErrorResponse(const Status& s) { return ErrorResponse(HttpStatusOf(s), s.message()); }

// The UI's log page of a worker.
std::string LogLink(const std::string& topology_id, const std::string& host, int port) {
  return "/log.html?topology=" + topology_id + "&worker=" + host + ":" + std::to_string(port);
}

// Gale's own components (the ackers), shown only with sys=1 as in Storm.
bool IsSystem(const std::string& component) { return component.rfind("__", 0) == 0; }

// Ids are Gale's "name-N-time" (names are letters, digits, '-', '_', '.').
bool WellFormedId(const std::string& id) {
  if (id.empty() || id.size() > 256) return false;
  return std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

void WriteConfigValue(JsonWriter& w, const thrift::ConfigValue& v) {
  if (v.__isset.bool_value) {
    w.Bool(v.bool_value);
  } else if (v.__isset.int_value) {
    w.Int(v.int_value);
  } else if (v.__isset.double_value) {
    w.Double(v.double_value, 6);
  } else if (v.__isset.string_value) {
    w.String(v.string_value);
  } else {
    w.Null();
  }
}

std::string TaskRange(int start, int end) {
  return "[" + std::to_string(start) + "-" + std::to_string(end) + "]";
}

// The latest error of a component, Storm's lastError/errorHost/... fields.
void WriteLastError(JsonWriter& w, const std::vector<thrift::ErrorInfo>& errors) {
  if (errors.empty()) {
    w.Field("lastError", "").Field("errorHost", "").Key("errorPort").Null();
    w.Key("errorTime").Null().Key("errorLapsedSecs").Null();
    return;
  }
  const thrift::ErrorInfo& e = errors.back();
  w.Field("lastError", e.error).Field("errorHost", e.host).Field("errorPort", e.port);
  w.Field("errorTime", e.error_time_secs).Field("errorLapsedSecs", UnixNow() - e.error_time_secs);
}

// The same message from several executors (each already collapsed with its
// count) as one entry: counts summed, the latest time and place kept.
// Oldest first, as nimbus sends them.
std::vector<thrift::ErrorInfo> Collapsed(const std::vector<thrift::ErrorInfo>& errors) {
  std::vector<thrift::ErrorInfo> out;
  for (const auto& e : errors) {
    const int64_t n = e.__isset.count ? std::max<int64_t>(1, e.count) : 1;
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const thrift::ErrorInfo& o) { return o.error == e.error; });
    if (it == out.end()) {
      out.push_back(e);
      out.back().__set_count(n);
      continue;
    }
    const int64_t total = it->count + n;
    if (e.error_time_secs >= it->error_time_secs) *it = e;
    it->__set_count(total);
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.error_time_secs < b.error_time_secs;
  });
  return out;
}

// One error's members (Storm's componentErrors fields, and the task).
void WriteError(JsonWriter& w, const thrift::ErrorInfo& e) {
  w.Field("error", e.error).Field("errorTime", e.error_time_secs);
  w.Field("errorHost", e.host).Field("errorPort", e.port);
  w.Field("errorLapsedSecs", UnixNow() - e.error_time_secs);
  if (e.__isset.task) w.Field("task", e.task);
  w.Field("count", e.__isset.count ? e.count : int64_t{1});
}

void WriteErrors(JsonWriter& w, const std::vector<thrift::ErrorInfo>& errors) {
  w.BeginArray();
  for (auto it = errors.rbegin(); it != errors.rend(); ++it) {  // newest first, as Storm
    w.BeginObject();
    WriteError(w, *it);
    w.EndObject();
  }
  w.EndArray();
}

void WriteDeaths(JsonWriter& w, const std::vector<thrift::WorkerDeaths>& deaths) {
  w.BeginArray();
  for (const auto& d : deaths) {
    w.BeginObject()
        .Field("host", d.host)
        .Field("port", d.port)
        .Field("supervisorId", d.supervisor_id);
    w.Field("count", d.count)
        .Field("lastReason", d.last_reason)
        .Field("lastTime", d.last_time_secs);
    w.EndObject();
  }
  w.EndArray();
}

void WriteHistogram(JsonWriter& w, const char* key, const thrift::LatencyHistogram& h) {
  w.Key(key).BeginObject().Key("boundsMs").BeginArray();
  for (double b : h.bounds_ms) w.Double(b);
  w.EndArray().Key("counts").BeginArray();
  for (int64_t c : h.counts) w.Int(c);
  w.EndArray().Key("sumMs").Double(h.sum_ms).EndObject();
}

void WriteUserMetrics(JsonWriter& w, const std::vector<thrift::UserMetricValue>& metrics) {
  w.Key("metrics").BeginArray();
  for (const auto& m : metrics) {
    w.BeginObject().Field("name", m.name);
    switch (m.kind) {
      case thrift::UserMetricKind::COUNTER: w.Field("type", "counter"); break;
      case thrift::UserMetricKind::GAUGE: w.Field("type", "gauge"); break;
      case thrift::UserMetricKind::HISTOGRAM: w.Field("type", "histogram"); break;
    }
    w.Key("value").Double(m.value, 6);
    if (m.kind == thrift::UserMetricKind::HISTOGRAM) {
      w.Key("bounds").BeginArray();
      for (double b : m.bounds) w.Double(b, 6);
      w.EndArray().Key("counts").BeginArray();
      for (int64_t c : m.counts) w.Int(c);
      w.EndArray().Key("sum").Double(m.sum, 6);
    }
    w.EndObject();
  }
  w.EndArray();
}

// The statistics Storm shows for a spout or a bolt, plus Gale's own.
void WriteStats(JsonWriter& w, const thrift::WindowStats& s, bool spout) {
  w.Field("emitted", s.emitted).Field("transferred", s.transferred);
  w.Field("acked", s.acked).Field("failed", s.failed);
  if (spout) {
    w.Field("completeLatency", Fixed3(s.complete_latency_ms));
  } else {
    w.Field("executed", s.executed);
    w.Field("executeLatency", Fixed3(s.execute_latency_ms));
    w.Field("processLatency", Fixed3(s.process_latency_ms));
    w.Field("capacity", Fixed3(s.capacity));
  }
  w.Field("queueDepth", s.queue_depth).Field("backpressureMs", s.backpressure_ms);
  w.Field("errors", s.errors).Field("transferredRemote", s.transferred_remote);
  if (s.__isset.execute_histogram) WriteHistogram(w, "executeHistogram", s.execute_histogram);
  if (s.__isset.complete_histogram) WriteHistogram(w, "completeHistogram", s.complete_histogram);
  WriteUserMetrics(w, s.metrics);
}

// One window's totals, as Storm's topologyStats / spoutSummary / boltStats.
void WriteWindowSummary(JsonWriter& w, const std::string& window, const thrift::WindowStats& s,
                        bool spout) {
  w.BeginObject().Field("windowPretty", WindowPretty(window)).Field("window", window);
  w.Field("emitted", s.emitted).Field("transferred", s.transferred);
  w.Field("acked", s.acked).Field("failed", s.failed);
  if (spout) {
    w.Field("completeLatency", Fixed3(s.complete_latency_ms));
  } else {
    w.Field("executed", s.executed).Field("executeLatency", Fixed3(s.execute_latency_ms));
    w.Field("processLatency", Fixed3(s.process_latency_ms)).Field("capacity", Fixed3(s.capacity));
  }
  w.EndObject();
}

struct WorkerRow {
  std::string supervisor_id;
  int executors = 0;
  int32_t uptime = 0;
  std::map<std::string, int> tasks;  // component -> tasks
};

}  // namespace

std::string PromLabelValue(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// ----------------------------------------------------------------- handler

namespace {

class Request {
 public:
  Request(NimbusPool& nimbus, const UiOptions& options) : nimbus_(nimbus), options_(options) {}

  HttpResponse ClusterSummary() {
    thrift::ClusterSummary c;
    if (Status s = nimbus_.Call([&](auto& n) { n.getClusterInfo(c); }); !s.ok()) {
      return ErrorResponse(s);
    }
    int executors = 0, tasks = 0;
    for (const auto& t : c.topologies) {
      executors += t.num_executors;
      tasks += t.num_tasks;
    }
    JsonWriter w;
    w.BeginObject()
        .Field("stormVersion", GALE_VERSION_STRING)
        .Field("galeVersion", GALE_VERSION_STRING);
    w.Field("nimbusUptime", PrettyUptime(c.nimbus_uptime_secs));
    w.Field("nimbusUptimeSeconds", c.nimbus_uptime_secs);
    w.Field("supervisors", static_cast<int64_t>(c.supervisors.size()));
    w.Field("topologies", static_cast<int64_t>(c.topologies.size()));
    w.Field("slotsTotal", c.slots_total)
        .Field("slotsUsed", c.slots_used)
        .Field("slotsFree", c.slots_free);
    w.Field("executorsTotal", executors).Field("tasksTotal", tasks);
    w.Field("schedulerDisplayResource", false);
    w.EndObject();
    return JsonResponse(w);
  }

  HttpResponse ClusterConfiguration() {
    JsonWriter w;
    w.BeginObject().Field("nimbus.host", options_.nimbus_host);
    w.Field("nimbus.thrift.port", options_.nimbus_port);
    w.Field("ui.host", options_.ui_host).Field("ui.port", options_.ui_port).EndObject();
    return JsonResponse(w);
  }

  HttpResponse NimbusSummary() {
    thrift::ClusterSummary c;
    Status s = nimbus_.Call([&](auto& n) { n.getClusterInfo(c); });
    JsonWriter w;
    w.BeginObject().Key("nimbuses").BeginArray();
    if (s.ok() && c.__isset.nimbuses) {
      // HA: every nimbus in the election, the leader first (Storm's statuses).
      for (const auto& n : c.nimbuses) {
        w.BeginObject().Field("host", n.host).Field("port", n.port);
        w.Field("status", n.is_leader ? "Leader" : "Not a Leader");
        w.Field("version", GALE_VERSION_STRING);
        w.Field("nimbusUpTime", PrettyUptime(n.uptime_secs));
        w.Field("nimbusUpTimeSeconds", n.uptime_secs);
        w.EndObject();
      }
    } else {
      w.BeginObject();
      w.Field("host", options_.nimbus_host).Field("port", options_.nimbus_port);
      w.Field("status", s.ok() ? "Leader" : "Dead").Field("version", GALE_VERSION_STRING);
      w.Field("nimbusUpTime", s.ok() ? PrettyUptime(c.nimbus_uptime_secs) : "");
      w.Field("nimbusUpTimeSeconds", s.ok() ? c.nimbus_uptime_secs : 0);
      if (!s.ok()) w.Field("errorMessage", s.message());
      w.EndObject();
    }
    w.EndArray().EndObject();
    return JsonResponse(w);
  }

  HttpResponse SupervisorSummary() {
    thrift::ClusterSummary c;
    if (Status s = nimbus_.Call([&](auto& n) { n.getClusterInfo(c); }); !s.ok()) {
      return ErrorResponse(s);
    }
    JsonWriter w;
    w.BeginObject().Key("supervisors").BeginArray();
    for (const auto& s : c.supervisors) {
      w.BeginObject().Field("id", s.id).Field("host", s.host);
      w.Field("uptime", PrettyUptime(s.uptime_secs)).Field("uptimeSeconds", s.uptime_secs);
      w.Field("slotsTotal", s.num_slots).Field("slotsUsed", s.num_used_slots);
      w.Key("ports").BeginArray();
      for (int p : s.ports) w.Int(p);
      w.EndArray().Field("version", GALE_VERSION_STRING).EndObject();
    }
    w.EndArray().Field("schedulerDisplayResource", false).EndObject();
    return JsonResponse(w);
  }

  HttpResponse TopologySummary() {
    thrift::ClusterSummary c;
    if (Status s = nimbus_.Call([&](auto& n) { n.getClusterInfo(c); }); !s.ok()) {
      return ErrorResponse(s);
    }
    JsonWriter w;
    w.BeginObject().Key("topologies").BeginArray();
    for (const auto& t : c.topologies) {
      w.BeginObject().Field("id", t.id).Field("encodedId", t.id).Field("name", t.name);
      w.Field("status", convert::StatusName(t.status));
      w.Field("uptime", PrettyUptime(t.uptime_secs)).Field("uptimeSeconds", t.uptime_secs);
      w.Field("tasksTotal", t.num_tasks).Field("workersTotal", t.num_workers);
      w.Field("executorsTotal", t.num_executors).Field("replicationCount", 1);
      w.EndObject();
    }
    w.EndArray().Field("schedulerDisplayResource", false).EndObject();
    return JsonResponse(w);
  }

  // The topology `id` (or name) names, or an error answer.
  Result<thrift::TopologySummary> Find(const std::string& id) {
    if (!WellFormedId(id)) {
      return Status::InvalidArgument("malformed topology id '" + id.substr(0, 100) +
                                     "': ids are letters, digits, '-', '_' and '.'");
    }
    thrift::ClusterSummary c;
    GALE_RETURN_IF_ERROR(nimbus_.Call([&](auto& n) { n.getClusterInfo(c); }));
    for (const auto& t : c.topologies) {
      if (t.id == id || t.name == id) return t;
    }
    return Status::NotFound("no topology with id '" + id + "'");
  }

  Result<thrift::TopologyPageInfo> Page(const std::string& name, const std::string& window) {
    thrift::TopologyPageInfo page;
    GALE_RETURN_IF_ERROR(nimbus_.Call([&](auto& n) { n.getTopologyPageInfo(page, name, window); }));
    return page;
  }

  HttpResponse Topology(const std::string& id, const std::string& window, bool sys) {
    if (!IsWindow(window)) return BadWindow(window);
    auto t = Find(id);
    if (!t.ok()) return ErrorResponse(t.status());
    std::map<std::string, thrift::TopologyPageInfo> pages;
    for (const char* win : kWindows) {
      auto p = Page(t->name, win);
      if (!p.ok()) return ErrorResponse(p.status());
      pages[win] = std::move(p).value();
    }
    const thrift::TopologyPageInfo& page = pages[window];

    JsonWriter w;
    w.BeginObject().Field("id", page.id).Field("encodedId", page.id).Field("name", page.name);
    w.Field("status", convert::StatusName(page.status));
    w.Field("uptime", PrettyUptime(page.uptime_secs)).Field("uptimeSeconds", page.uptime_secs);
    w.Field("tasksTotal", page.num_tasks).Field("workersTotal", page.num_workers);
    w.Field("executorsTotal", page.num_executors);
    // Storm's "schedulerInfo": why it runs on fewer workers than asked.
    if (page.__isset.sched_status) w.Field("schedulerInfo", page.sched_status);
    int64_t timeout = 30;
    if (auto it = page.config.find("topology.message.timeout.secs");
        it != page.config.end() && it->second.__isset.int_value) {
      timeout = it->second.int_value;
    }
    w.Field("msgTimeout", timeout);
    w.Field("window", window).Field("windowHint", WindowPretty(window));
    w.Field("schedulerDisplayResource", false).Field("replicationCount", 1);

    w.Key("topologyStats").BeginArray();
    for (const char* win : kWindows) WriteWindowSummary(w, win, pages[win].stats, true);
    w.EndArray();

    for (const bool spouts : {true, false}) {
      w.Key(spouts ? "spouts" : "bolts").BeginArray();
      for (const auto& c : page.components) {
        if ((c.kind == thrift::ComponentKind::SPOUT) != spouts) continue;
        if (!sys && IsSystem(c.id)) continue;
        w.BeginObject().Field(spouts ? "spoutId" : "boltId", c.id);
        w.Field(spouts ? "encodedSpoutId" : "encodedBoltId", c.id);
        w.Field("executors", c.num_executors).Field("tasks", c.num_tasks);
        WriteStats(w, c.stats, spouts);
        WriteLastError(w, Collapsed(c.errors));
        w.EndObject();
      }
      w.EndArray();
    }

    std::map<std::pair<std::string, int>, WorkerRow> workers;
    for (const auto& c : page.components) {
      for (const auto& e : c.executors) {
        if (e.host.empty()) continue;  // not placed yet
        WorkerRow& row = workers[{e.host, e.port}];
        row.supervisor_id = e.supervisor_id;
        row.executors++;
        row.uptime = std::max(row.uptime, e.uptime_secs);
        row.tasks[c.id] += e.task_end - e.task_start + 1;
      }
    }
    w.Key("workers").BeginArray();
    for (const auto& [hp, row] : workers) {
      w.BeginObject().Field("topologyId", page.id).Field("topologyName", page.name);
      w.Field("host", hp.first).Field("port", hp.second).Field("supervisorId", row.supervisor_id);
      w.Field("workerLogLink", LogLink(page.id, hp.first, hp.second));
      w.Field("executorsTotal", row.executors);
      w.Field("uptime", PrettyUptime(row.uptime)).Field("uptimeSeconds", row.uptime);
      w.Key("componentNumTasks").BeginObject();
      for (const auto& [comp, n] : row.tasks) w.Field(comp, n);
      w.EndObject().EndObject();
    }
    w.EndArray();

    w.Key("workerDeaths");
    WriteDeaths(w, page.worker_deaths);
    // Every component's errors, newest first (Gale's; Storm shows them per
    // component page only).
    std::vector<std::pair<std::string, const thrift::ErrorInfo*>> errors;
    std::vector<std::vector<thrift::ErrorInfo>> collapsed;
    collapsed.reserve(page.components.size());
    for (const auto& c : page.components) {
      collapsed.push_back(Collapsed(c.errors));
      for (const auto& e : collapsed.back()) errors.emplace_back(c.id, &e);
    }
    std::stable_sort(errors.begin(), errors.end(), [](const auto& a, const auto& b) {
      return a.second->error_time_secs > b.second->error_time_secs;
    });
    w.Key("topologyErrors").BeginArray();
    for (const auto& [component, e] : errors) {
      w.BeginObject().Field("component", component);
      WriteError(w, *e);
      w.EndObject();
    }
    w.EndArray();
    w.Key("configuration").BeginObject();
    w.Field("topology.name", page.name);
    for (const auto& [k, v] : page.config) {
      w.Key(k);
      WriteConfigValue(w, v);
    }
    w.EndObject().EndObject();
    return JsonResponse(w);
  }

  HttpResponse Component(const std::string& id, const std::string& component,
                         const std::string& window) {
    if (!IsWindow(window)) return BadWindow(window);
    auto t = Find(id);
    if (!t.ok()) return ErrorResponse(t.status());
    std::map<std::string, thrift::ComponentPageInfo> per_window;
    for (const char* win : kWindows) {
      auto p = Page(t->name, win);
      if (!p.ok()) return ErrorResponse(p.status());
      for (auto& c : p->components) {
        if (c.id == component) per_window[win] = std::move(c);
      }
    }
    if (per_window.count(window) == 0) {
      return ErrorResponse(404, "topology '" + t->id + "' has no component '" + component + "'");
    }
    const thrift::ComponentPageInfo& c = per_window[window];
    const bool spout = c.kind == thrift::ComponentKind::SPOUT;
    JsonWriter w;
    w.BeginObject().Field("id", c.id).Field("encodedId", c.id).Field("name", t->name);
    w.Field("topologyId", t->id).Field("encodedTopologyId", t->id);
    w.Field("topologyStatus", convert::StatusName(t->status));
    w.Field("componentType", spout ? "spout" : "bolt");
    w.Field("executors", c.num_executors).Field("tasks", c.num_tasks);
    w.Field("window", window).Field("windowHint", WindowPretty(window));
    WriteStats(w, c.stats, spout);
    w.Key(spout ? "spoutSummary" : "boltStats").BeginArray();
    for (const char* win : kWindows) WriteWindowSummary(w, win, per_window[win].stats, spout);
    w.EndArray();

    w.Key("outputStats").BeginArray();
    for (const auto& o : c.stats.outputs) {
      w.BeginObject().Field("stream", o.stream).Field("emitted", o.emitted);
      w.Field("transferred", o.transferred).Field("acked", o.acked).Field("failed", o.failed);
      w.Field("completeLatency", Fixed3(o.complete_latency_ms)).EndObject();
    }
    w.EndArray();
    if (!spout) {
      w.Key("inputStats").BeginArray();
      for (const auto& i : c.stats.inputs) {
        w.BeginObject().Field("component", i.component).Field("encodedComponentId", i.component);
        w.Field("stream", i.stream).Field("executed", i.executed);
        w.Field("acked", i.acked).Field("failed", i.failed);
        w.Field("executeLatency", Fixed3(i.execute_latency_ms));
        w.Field("processLatency", Fixed3(i.process_latency_ms)).EndObject();
      }
      w.EndArray();
    }
    w.Key("executorStats").BeginArray();
    for (const auto& e : c.executors) {
      const std::string range = TaskRange(e.task_start, e.task_end);
      w.BeginObject().Field("id", range).Field("encodedId", range);
      w.Field("host", e.host).Field("port", e.port).Field("supervisorId", e.supervisor_id);
      w.Field("workerLogLink", LogLink(t->id, e.host, e.port));
      w.Field("uptime", PrettyUptime(e.uptime_secs)).Field("uptimeSeconds", e.uptime_secs);
      if (e.__isset.chained_to) w.Field("chainedTo", e.chained_to);
      WriteStats(w, e.stats, spout);
      w.EndObject();
    }
    w.EndArray();
    w.Key("componentErrors");
    WriteErrors(w, Collapsed(c.errors));
    w.EndObject();
    return JsonResponse(w);
  }

  // Storm's visualization: per component its type, capacity, latency,
  // transferred and inputs (the graph's edges).
  HttpResponse Visualization(const std::string& id, const std::string& window, bool sys) {
    if (!IsWindow(window)) return BadWindow(window);
    auto t = Find(id);
    if (!t.ok()) return ErrorResponse(t.status());
    auto page = Page(t->name, window);
    if (!page.ok()) return ErrorResponse(page.status());
    JsonWriter w;
    w.BeginObject();
    for (const auto& c : page->components) {
      if (!sys && IsSystem(c.id)) continue;
      const bool spout = c.kind == thrift::ComponentKind::SPOUT;
      w.Key(c.id).BeginObject().Field(":type", spout ? "spout" : "bolt");
      w.Key(":capacity").Double(c.stats.capacity);
      w.Key(":latency").Double(spout ? c.stats.complete_latency_ms : c.stats.process_latency_ms);
      w.Field(":transferred", c.stats.transferred).Field(":emitted", c.stats.emitted);
      w.Field(":executed", c.stats.executed).Field(":acked", c.stats.acked);
      w.Field(":failed", c.stats.failed).Field(":errors", static_cast<int64_t>(c.errors.size()));
      w.Key(":stats").BeginArray();
      for (const auto& e : c.executors) {
        w.BeginObject().Field(":host", e.host).Field(":port", e.port);
        w.Field(":uptime_secs", e.uptime_secs).Field(":transferred", e.stats.transferred);
        w.EndObject();
      }
      w.EndArray().Key(":inputs").BeginArray();
      for (const auto& s : page->streams) {
        if (s.to_component != c.id) continue;
        w.BeginObject().Field(":component", s.from_component).Field(":stream", s.stream);
        w.Field(":sani-stream", s.stream).Field(":grouping", GroupingName(s.grouping.type));
        w.EndObject();
      }
      w.EndArray().EndObject();
    }
    w.EndObject();
    return JsonResponse(w);
  }

  HttpResponse TopologyWorkers(const std::string& id) {
    auto t = Find(id);
    if (!t.ok()) return ErrorResponse(t.status());
    thrift::TopologyInfo info;
    if (Status s = nimbus_.Call([&](auto& n) { n.getTopologyInfo(info, t->name); }); !s.ok()) {
      return ErrorResponse(s);
    }
    std::set<std::pair<std::string, int>> slots;
    for (const auto& e : info.executors) {
      if (!e.host.empty()) slots.insert({e.host, e.port});
    }
    JsonWriter w;
    w.BeginObject().Key("hostPortList").BeginArray();
    for (const auto& [host, port] : slots) {
      w.BeginObject().Field("host", host).Field("port", port).EndObject();
    }
    w.EndArray().EndObject();
    return JsonResponse(w);
  }

  // A worker's log, read through its supervisor's log server: the last
  // `length` bytes, or from `start` (the log page follows a growing log).
  HttpResponse WorkerLog(const std::string& id, const ParsedTarget& q) {
    auto t = Find(id);
    if (!t.ok()) return ErrorResponse(t.status());
    const std::string worker = q.Query("worker", "");
    const std::string start = q.Query("start", ""), length = q.Query("length", "65536");
    auto digits = [](const std::string& s) {
      return !s.empty() && s.size() <= 15 &&
             std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
    };
    if ((!start.empty() && !digits(start)) || !digits(length)) {
      return ErrorResponse(400, "start and length are byte counts");
    }
    thrift::TopologyInfo info;
    thrift::ClusterSummary cluster;
    Status s = nimbus_.Call([&](auto& n) { n.getTopologyInfo(info, t->name); });
    if (s.ok()) s = nimbus_.Call([&](auto& n) { n.getClusterInfo(cluster); });
    if (!s.ok()) return ErrorResponse(s);
    const thrift::ExecutorSummary* executor = nullptr;
    for (const auto& e : info.executors) {
      if (!e.host.empty() && e.host + ":" + std::to_string(e.port) == worker) executor = &e;
    }
    if (!executor) {
      return ErrorResponse(404, "'" + worker.substr(0, 100) + "' is not a worker of topology '" +
                                    t->id + "' (worker=HOST:PORT)");
    }
    int logviewer = 0;
    for (const auto& sup : cluster.supervisors) {
      if (sup.id == executor->supervisor_id) logviewer = sup.logviewer_port;
    }
    if (logviewer == 0) {
      return ErrorResponse(503, "supervisor " + executor->supervisor_id + " runs no log server");
    }
    auto r =
        http::Get(executor->host, logviewer,
                  "/api/v1/log?topology=" + info.id + "&port=" + std::to_string(executor->port) +
                      "&length=" + length + (start.empty() ? "" : "&start=" + start));
    if (!r.ok()) return ErrorResponse(r.status());
    if (r->status != 200) {
      return ErrorResponse(
          r->status == 404 ? 404 : 503,
          "the log server of " + executor->supervisor_id + ": " + r->body.substr(0, 300));
    }
    JsonWriter w;
    w.BeginObject().Field("topologyId", info.id).Field("worker", worker);
    w.Field("supervisorId", executor->supervisor_id).Field("file", r->Header("X-Log-File"));
    w.Field("size", static_cast<int64_t>(std::atoll(r->Header("X-Log-Size").c_str())));
    w.Field("start", static_cast<int64_t>(std::atoll(r->Header("X-Log-Start").c_str())));
    w.Field("data", r->body).EndObject();
    return JsonResponse(w);
  }

  // POST topology/{id}/{activate,deactivate,rebalance/{wait},kill/{wait}}.
  HttpResponse Action(const std::string& id, const std::vector<std::string>& rest,
                      const std::string& body) {
    auto t = Find(id);
    if (!t.ok()) return ErrorResponse(t.status());
    const std::string& op = rest[0];
    std::optional<int32_t> wait;
    if (op == "rebalance" || op == "kill") {
      if (rest.size() != 2) {
        return ErrorResponse(400, op + " needs a wait time: POST /api/v1/topology/" + t->id + "/" +
                                      op + "/<wait-secs>");
      }
      const std::string& text = rest[1];
      if (text.empty() || text.size() > 6 ||
          !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); })) {
        return ErrorResponse(400, "wait time must be whole seconds from 0 to 999999, not '" +
                                      text.substr(0, 40) + "'");
      }
      wait = std::stoi(text);
    } else if (rest.size() != 1 || (op != "activate" && op != "deactivate")) {
      return ErrorResponse(404,
                           "no such action; use activate, deactivate, rebalance/<wait> or "
                           "kill/<wait>");
    }

    Status s;
    const std::string name = t->name;
    if (op == "activate") {
      s = nimbus_.Call([&](auto& n) { n.activate(name); });
    } else if (op == "deactivate") {
      s = nimbus_.Call([&](auto& n) { n.deactivate(name); });
    } else if (op == "kill") {
      thrift::KillOptions k;
      k.__set_wait_secs(*wait);
      s = nimbus_.Call([&](auto& n) { n.killTopology(name, k); });
    } else {
      thrift::RebalanceOptions r;
      r.__set_wait_secs(*wait);
      if (Status parsed = ParseRebalance(body, r); !parsed.ok()) return ErrorResponse(parsed);
      s = nimbus_.Call([&](auto& n) { n.rebalance(name, r); });
    }
    if (!s.ok()) return ErrorResponse(s);
    JsonWriter w;
    w.BeginObject().Field("topologyOperation", op).Field("topologyId", t->id);
    w.Field("status", "success").EndObject();
    return JsonResponse(w);
  }

 private:
  static HttpResponse BadWindow(const std::string& window) {
    return ErrorResponse(
        400, "unknown window '" + window.substr(0, 40) + "': use 600, 10800, 86400 or :all-time");
  }

  // Storm's body: {"rebalanceOptions": {"numWorkers": 2, "executors": {"c": 4}}}.
  static Status ParseRebalance(const std::string& body, thrift::RebalanceOptions& r) {
    if (body.find_first_not_of(" \t\r\n") == std::string::npos) return Status::Ok();
    GALE_ASSIGN_OR_RETURN(const JsonValue doc, ParseJson(body));
    const JsonValue* opts = doc.Find("rebalanceOptions");
    if (!opts) return Status::Ok();
    if (!opts->is_object()) return Status::InvalidArgument("rebalanceOptions must be an object");
    auto count = [](const JsonValue& v, const std::string& what) -> Result<int32_t> {
      double n = v.number;
      if (v.kind == JsonValue::Kind::kString) {
        char* end = nullptr;
        n = std::strtod(v.string.c_str(), &end);
        if (v.string.empty() || *end) n = -1;
      } else if (v.kind != JsonValue::Kind::kNumber) {
        n = -1;
      }
      if (n < 1 || n > 100000 || n != std::floor(n)) {
        return Status::InvalidArgument(what + " must be a whole number from 1 to 100000");
      }
      return static_cast<int32_t>(n);
    };
    if (const JsonValue* n = opts->Find("numWorkers")) {
      GALE_ASSIGN_OR_RETURN(const int32_t workers, count(*n, "rebalanceOptions.numWorkers"));
      r.__set_num_workers(workers);
    }
    if (const JsonValue* ex = opts->Find("executors")) {
      if (!ex->is_object()) {
        return Status::InvalidArgument("rebalanceOptions.executors must be an object");
      }
      std::map<std::string, int32_t> m;
      for (const auto& [comp, v] : ex->object) {
        GALE_ASSIGN_OR_RETURN(m[comp], count(v, "rebalanceOptions.executors." + comp));
      }
      r.__set_num_executors(m);
    }
    return Status::Ok();
  }

  NimbusPool& nimbus_;
  const UiOptions& options_;
};

std::string ContentTypeOf(const std::string& file) {
  auto ends = [&](const char* ext) {
    const std::string e(ext);
    return file.size() >= e.size() && file.compare(file.size() - e.size(), e.size(), e) == 0;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".png")) return "image/png";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".md")) return "text/markdown; charset=utf-8";
  return "";
}

}  // namespace

RestApi::RestApi(const std::vector<rpc::HostPort>& nimbus, UiOptions options)
    : nimbus_(std::make_unique<NimbusPool>(nimbus)), options_(std::move(options)) {}

RestApi::~RestApi() = default;

HttpResponse RestApi::Handle(const HttpRequest& req) {
  auto parsed = ParseTarget(req.target);
  if (!parsed.ok()) return ErrorResponse(parsed.status());
  const std::vector<std::string>& seg = parsed->segments;
  const bool get = req.method == "GET" || req.method == "HEAD";
  const bool post = req.method == "POST";
  Request r(*nimbus_, options_);

  if (!seg.empty() && seg[0] == "metrics" && seg.size() == 1) {
    if (!get) return ErrorResponse(405, "GET /metrics");
    HttpResponse out;
    out.content_type = "text/plain; version=0.0.4; charset=utf-8";
    auto text = PrometheusText([&](const auto& call) { return nimbus_->Call(call); });
    if (!text.ok()) return ErrorResponse(text.status());
    out.body = std::move(text).value();
    return out;
  }

  if (seg.size() >= 2 && seg[0] == "api" && seg[1] == "v1") {
    const std::vector<std::string> a(seg.begin() + 2, seg.end());
    const std::string window = parsed->Query("window", ":all-time");
    const std::string sys_text = parsed->Query("sys", "0");
    const bool sys = sys_text == "1" || sys_text == "true";
    if (post) {
      // Browsers send Origin with every cross-site POST: refuse any other
      // origin than the UI's own, and a Host that is not the UI's (DNS
      // rebinding). Scripts (curl) send no Origin.
      const bool own_host = std::find(options_.own_hosts.begin(), options_.own_hosts.end(),
                                      req.host) != options_.own_hosts.end();
      if ((!req.origin.empty() && (!own_host || req.origin != "http://" + req.host)) ||
          req.sec_fetch_site == "cross-site" || req.sec_fetch_site == "same-site") {
        return ErrorResponse(403, "cross-site request refused: Origin '" + req.origin +
                                      "' is not this UI's (http://" + req.host + ")");
      }
      if (a.size() >= 3 && a[0] == "topology") {
        const std::vector<std::string> rest(a.begin() + 2, a.end());
        if (!options_.auth_required) return r.Action(a[1], rest, req.body);
        // As the user of the Authorization header, on connections of its own.
        const std::string bearer = "Bearer ";
        const std::string& h = req.authorization;
        const auto colon = h.find(':', bearer.size());
        if (h.rfind(bearer, 0) != 0 || colon == std::string::npos || colon == bearer.size()) {
          HttpResponse out = ErrorResponse(
              401,
              "nimbus requires authentication: a POST needs the header 'Authorization: Bearer "
              "USER:TOKEN' of a submitter or an admin (the UI is read-only without it)");
          out.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"gale\"");
          return out;
        }
        NimbusPool as_user(nimbus_->address(), h.substr(bearer.size(), colon - bearer.size()),
                           h.substr(colon + 1));
        Request user_request(as_user, options_);
        return user_request.Action(a[1], rest, req.body);
      }
      return ErrorResponse(404, "no POST endpoint " + req.target.substr(0, 200));
    }
    if (!get) return ErrorResponse(405, "method " + req.method + " not allowed");
    if (a.size() == 2 && a[0] == "cluster" && a[1] == "summary") return r.ClusterSummary();
    if (a.size() == 2 && a[0] == "cluster" && a[1] == "configuration") {
      return r.ClusterConfiguration();
    }
    if (a.size() == 2 && a[0] == "nimbus" && a[1] == "summary") return r.NimbusSummary();
    if (a.size() == 2 && a[0] == "supervisor" && a[1] == "summary") return r.SupervisorSummary();
    if (a.size() == 2 && a[0] == "topology" && a[1] == "summary") return r.TopologySummary();
    if (a.size() == 2 && a[0] == "topology-workers") return r.TopologyWorkers(a[1]);
    if (a.size() == 2 && a[0] == "topology") return r.Topology(a[1], window, sys);
    if (a.size() == 3 && a[0] == "topology" && a[2] == "logs") return r.WorkerLog(a[1], *parsed);
    if (a.size() == 3 && a[0] == "topology" && a[2] == "visualization") {
      return r.Visualization(a[1], window, sys);
    }
    if (a.size() == 4 && a[0] == "topology" && a[2] == "component") {
      return r.Component(a[1], a[3], window);
    }
    if (a.size() >= 3 && a[0] == "topology" &&
        (a[2] == "activate" || a[2] == "deactivate" || a[2] == "rebalance" || a[2] == "kill")) {
      return ErrorResponse(405, a[2] + " is a POST");
    }
    return ErrorResponse(404, "no endpoint " + req.target.substr(0, 200) + "; see REST.md");
  }

  // The pages: files of the www directory, by plain names only.
  if (!get) return ErrorResponse(405, "method " + req.method + " not allowed");
  const std::string file = seg.empty() ? "index.html" : seg[0];
  const bool plain = seg.size() <= 1 && !file.empty() && file[0] != '.' &&
                     std::all_of(file.begin(), file.end(), [](unsigned char c) {
                       return std::isalnum(c) || c == '.' || c == '-' || c == '_';
                     });
  const std::string type = ContentTypeOf(file);
  if (!plain || type.empty()) return ErrorResponse(404, "no page " + req.target.substr(0, 200));
  std::ifstream in(options_.www_dir + "/" + file, std::ios::binary);
  if (!in) return ErrorResponse(404, "no page " + file);
  std::ostringstream content;
  content << in.rdbuf();
  HttpResponse out;
  out.content_type = type;
  out.body = content.str();
  return out;
}

}  // namespace gale::ui
