#include "nimbus/cli/cluster_commands.h"

#include "core/common/json.h"
#include "core/common/sha256.h"
#include "core/multilang/resources.h"
#include "core/multilang/shell_component.h"
#include "core/plan/load_topology.h"
#include "core/topology/cluster_config.h"
#include "thrift/auth.h"
#include "thrift/client.h"
#include "thrift/convert.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <ostream>
#include <sstream>

namespace gale::cli {
namespace {

bool FileExists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

// The cluster config file to read: --config, $GALE_CONFIG, or
// ~/.gale/cluster.yaml when it exists; "" for none.
std::string ClusterConfigPath(const ClusterArgs& args) {
  std::string config = args.config;
  if (config.empty()) {
    if (const char* env = std::getenv("GALE_CONFIG"); env && *env) config = env;
  }
  if (config.empty()) {
    if (const char* home = std::getenv("HOME")) {
      const std::string p = std::string(home) + "/.gale/cluster.yaml";
      if (FileExists(p)) config = p;
    }
  }
  return config;
}

// How to authenticate: --auth FILE, else $GALE_AUTH, else the cluster
// config's gale.auth.* / gale.tls.* keys; the GALE_AUTH_* / GALE_TLS_*
// environment over either.
Status UseAuth(const ClusterArgs& args) {
  std::string file = args.auth;
  if (file.empty()) {
    if (const char* env = std::getenv("GALE_AUTH"); env && *env) file = env;
  }
  auto load = [&]() -> Result<rpc::ClientAuth> {
    if (!file.empty()) return rpc::ClientAuthFromFile(file);
    if (const std::string config = ClusterConfigPath(args); !config.empty()) {
      GALE_ASSIGN_OR_RETURN(const Config c, topology::LoadClusterConfig(config));
      return rpc::ClientAuthFromConfig(c, config);
    }
    return rpc::ClientAuthFromConfig(Config(), "environment");
  };
  auto auth = load();
  if (!auth.ok()) return auth.status();
  rpc::SetClientAuth(*auth);
  return Status::Ok();
}

// Connects, or writes why not and returns null. `timeout` bounds the
// connect and every call's wait for its answer.
std::unique_ptr<rpc::NimbusConnection> Connect(
    const ClusterArgs& args, std::ostream& err,
    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  std::string source;
  bool ok = true;
  const std::string address = ResolveNimbus(args, &source, err, &ok);
  if (!ok) return nullptr;
  auto hp = rpc::ParseHostPorts(address);
  if (!hp.ok()) {
    err << "gale: nimbus address " << hp.status().message() << " (from " << source << ")\n";
    return nullptr;
  }
  if (Status s = UseAuth(args); !s.ok()) {
    err << "gale: " << s.message() << "\n";
    return nullptr;
  }
  auto conn = rpc::NimbusConnection::ConnectLeader(*hp, timeout);
  if (!conn.ok()) {
    err << "gale: " << conn.status().message();
    if (conn.status().code() == StatusCode::kUnavailable &&
        conn.status().message().find("TLS") == std::string::npos) {
      err << " (address from " << source << "); is gale-nimbus running?";
    }
    err << "\n";
    return nullptr;
  }
  return std::move(conn).value();
}

// Seconds since the epoch as local time, ISO 8601 with the offset
// ("2026-12-04T03:10:33+01:00"); honours TZ.
std::string LocalTime(int64_t secs) {
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm;
  if (!localtime_r(&t, &tm)) return std::to_string(secs);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S%z", &tm);
  std::string s = buf;
  if (s.size() >= 5) s.insert(s.size() - 2, ":");  // +0100 -> +01:00
  return s;
}

// A component's executors summed (gale info's table and --json).
struct ComponentTotals {
  int executors = 0, tasks = 0;
  bool reported = false;  // a heartbeat of at least one executor arrived
  thrift::ExecutorStats sum;
  double execute_weighted = 0, complete_weighted = 0;
  double execute_ms() const {
    return sum.executed ? execute_weighted / static_cast<double>(sum.executed) : 0;
  }
  double complete_ms() const {
    return sum.acked ? complete_weighted / static_cast<double>(sum.acked) : 0;
  }
};

std::map<std::string, ComponentTotals> SumByComponent(const thrift::TopologyInfo& info) {
  std::map<std::string, ComponentTotals> rows;
  for (const auto& e : info.executors) {
    ComponentTotals& r = rows[e.component_id];
    ++r.executors;
    r.tasks += e.task_end - e.task_start + 1;
    if (!e.__isset.stats) continue;
    r.reported = true;
    r.sum.emitted += e.stats.emitted;
    r.sum.transferred += e.stats.transferred;
    r.sum.transferred_remote += e.stats.transferred_remote;
    r.sum.acked += e.stats.acked;
    r.sum.failed += e.stats.failed;
    r.sum.executed += e.stats.executed;
    r.sum.error_count += e.stats.error_count;
    r.execute_weighted += e.stats.execute_ms_avg * static_cast<double>(e.stats.executed);
    r.complete_weighted += e.stats.complete_ms_avg * static_cast<double>(e.stats.acked);
  }
  return rows;
}

// `gale info --json`: Storm's REST field names where the meaning is the same.
std::string InfoJson(const thrift::TopologyInfo& info) {
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  JsonWriter w;
  w.BeginObject().Field("id", info.id).Field("name", info.name).Field("owner", info.owner);
  w.Field("status", convert::StatusName(info.status)).Field("uptimeSeconds", info.uptime_secs);
  w.Field("launchTime", LocalTime(now - info.uptime_secs));
  w.Field("workersTotal", info.num_workers);
  w.Field("executorsTotal", static_cast<int64_t>(info.executors.size()));
  w.Key("components").BeginArray();
  for (const auto& [id, x] : SumByComponent(info)) {
    w.BeginObject().Field("id", id).Field("executors", x.executors).Field("tasks", x.tasks);
    w.Field("emitted", x.sum.emitted).Field("transferred", x.sum.transferred);
    w.Field("transferredRemote", x.sum.transferred_remote).Field("acked", x.sum.acked);
    w.Field("failed", x.sum.failed).Field("executed", x.sum.executed);
    w.Field("errors", x.sum.error_count);
    w.Key("executeLatencyMs").Double(x.execute_ms(), 4);
    w.Key("completeLatencyMs").Double(x.complete_ms(), 3);
    w.EndObject();
  }
  w.EndArray().Key("executors").BeginArray();
  for (const auto& e : info.executors) {
    w.BeginObject().Field("component", e.component_id).Field("taskStart", e.task_start);
    w.Field("taskEnd", e.task_end).Field("host", e.host).Field("port", e.port);
    w.Field("supervisorId", e.supervisor_id).Field("uptimeSeconds", e.uptime_secs);
    if (e.__isset.chained_to) w.Field("chainedTo", e.chained_to);
    if (e.__isset.stats) {
      w.Field("emitted", e.stats.emitted).Field("transferred", e.stats.transferred);
      w.Field("acked", e.stats.acked).Field("failed", e.stats.failed);
      w.Field("executed", e.stats.executed);
    }
    w.EndObject();
  }
  w.EndArray().Key("workerDeaths").BeginArray();
  for (const auto& d : info.worker_deaths) {
    w.BeginObject().Field("host", d.host).Field("port", d.port);
    w.Field("supervisorId", d.supervisor_id).Field("count", d.count);
    w.Field("lastReason", d.last_reason).Field("lastTime", LocalTime(d.last_time_secs));
    w.Field("lastTimeSecs", d.last_time_secs).Field("lastCause", d.last_cause);
    w.Field("lastComponent", d.last_component).Field("lastTask", d.last_task);
    w.Field("lastStack", d.last_stack).EndObject();
  }
  w.EndArray().Key("errors").BeginArray();
  for (const auto& [component, errors] : info.errors) {
    for (const auto& e : errors) {
      w.BeginObject().Field("component", component).Field("error", e.error);
      w.Field("errorTime", LocalTime(e.error_time_secs)).Field("errorTimeSecs", e.error_time_secs);
      w.Field("errorHost", e.host).Field("errorPort", e.port);
      if (e.__isset.task) w.Field("task", e.task);
      w.Field("count", e.__isset.count ? e.count : int64_t{1}).EndObject();
    }
  }
  w.EndArray().Key("droppedFrames").BeginObject();
  for (const auto& [worker, n] : info.dropped_frames) w.Field(worker, n);
  w.EndObject().EndObject();
  return w.Take();
}

int Fail(const Status& s, std::ostream& err) {
  err << "gale: " << s.message() << "\n";
  return s.code() == StatusCode::kInvalidArgument ? 2 : 1;
}

Status UploadPlugin(rpc::NimbusConnection& conn, const std::string& path, const std::string& sha,
                    std::ostream& out) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Status::NotFound("cannot read plugin '" + path + "'");
  std::string upload_id;
  GALE_RETURN_IF_ERROR(conn.Call([&](thrift::NimbusClient& c) {
    c.beginPluginUpload(upload_id, sha, static_cast<int64_t>(st.st_size));
  }));
  if (upload_id.empty()) return Status::Ok();  // nimbus has it already
  std::ifstream in(path, std::ios::binary);
  std::string chunk(1 << 20, '\0');
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const std::string part = chunk.substr(0, static_cast<size_t>(in.gcount()));
    if (part.empty()) break;
    GALE_RETURN_IF_ERROR(
        conn.Call([&](thrift::NimbusClient& c) { c.uploadPluginChunk(upload_id, part); }));
  }
  GALE_RETURN_IF_ERROR(
      conn.Call([&](thrift::NimbusClient& c) { c.finishPluginUpload(upload_id); }));
  out << "uploaded " << path << " (" << st.st_size << " bytes, sha256 " << sha.substr(0, 12)
      << "...)\n";
  return Status::Ok();
}

std::string Uptime(int secs) {
  std::ostringstream s;
  if (secs >= 3600) s << secs / 3600 << "h";
  if (secs >= 60) s << (secs % 3600) / 60 << "m";
  s << secs % 60 << "s";
  return s.str();
}

std::string Fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

}  // namespace

std::unique_ptr<rpc::NimbusConnection> ConnectNimbus(const ClusterArgs& args, std::ostream& err) {
  return Connect(args, err);
}

std::string ResolveNimbus(const ClusterArgs& args, std::string* source, std::ostream& err,
                          bool* ok) {
  *ok = true;
  if (!args.nimbus.empty()) {
    *source = "--nimbus";
    return args.nimbus;
  }
  if (const char* env = std::getenv("GALE_NIMBUS"); env && *env) {
    *source = "$GALE_NIMBUS";
    return env;
  }
  const std::string config = ClusterConfigPath(args);
  if (!config.empty()) {
    auto c = topology::LoadClusterConfig(config);
    if (!c.ok()) {
      err << "gale: " << c.status().message() << "\n";
      *ok = false;
      return "";
    }
    if (c->Contains("nimbus.host") || c->Contains("nimbus.thrift.port") ||
        c->Contains("nimbus.seeds")) {
      *source = config;
      auto port = topology::ClusterConfigFile{config, *c}.Port("nimbus.thrift.port", 6627);
      auto seeds = port.ok() ? rpc::SeedsFromConfig(*c, *port, config)
                             : Result<std::vector<rpc::HostPort>>(port.status());
      if (!seeds.ok()) {
        err << "gale: " << seeds.status().message() << "\n";
        *ok = false;
        return "";
      }
      return rpc::ToString(*seeds);
    }
  }
  *source = "the default";
  return "127.0.0.1:6627";
}

int Submit(const ClusterArgs& c, const std::string& file, const std::string& filter, bool inactive,
           std::ostream& out, std::ostream& err) {
  // Everything `gale validate` checks, before anything is sent.
  auto loaded = plan::LoadForCommand(file, filter, plan::PluginIsolation::kChildProcess, err);
  if (!loaded) return 2;
  std::vector<std::string> shas;
  for (const auto& p : loaded->spec.plugins) {
    auto sha = Sha256File(p.path);
    if (!sha.ok()) return Fail(sha.status(), err);
    shas.push_back(*sha);
  }
  // Shell components' code (core/multilang/resources.h): the resources/
  // folder next to the file, packed into one archive and uploaded by its
  // SHA-256 like a plugin; workers unpack it and run the commands there.
  std::string resources_tar, resources_sha;
  bool shell = false;
  for (const auto* list : {&loaded->spec.spouts, &loaded->spec.bolts}) {
    for (const auto& comp : *list) shell = shell || multilang::IsShellClass(comp.class_name);
  }
  const std::string resources_dir =
      (std::filesystem::absolute(file).parent_path() / "resources").string();
  if (shell && std::filesystem::is_directory(resources_dir)) {
    resources_tar = (std::filesystem::temp_directory_path() /
                     ("gale-resources-" + std::to_string(::getpid()) + ".tar"))
                        .string();
    Status s = multilang::PackResources(resources_dir, resources_tar);
    auto sha = s.ok() ? Sha256File(resources_tar) : Result<std::string>(s);
    if (!sha.ok()) {
      std::filesystem::remove(resources_tar);
      return Fail(sha.status(), err);
    }
    resources_sha = *sha;
    loaded->spec.config.Set(std::string(multilang::kResourcesShaKey), Value(resources_sha));
  }
  // Nimbus describes the plugins again before it answers the submit, for
  // up to its describe timeout (10 s by default): wait longer than that.
  auto conn = Connect(c, err, std::chrono::seconds(30));
  if (!conn) return 1;
  for (size_t i = 0; i < shas.size(); ++i) {
    Status s = UploadPlugin(*conn, loaded->spec.plugins[i].path, shas[i], out);
    if (!s.ok()) return Fail(s, err);
  }
  if (!resources_tar.empty()) {
    Status s = UploadPlugin(*conn, resources_tar, resources_sha, out);
    std::error_code ec;
    std::filesystem::remove(resources_tar, ec);
    if (!s.ok()) return Fail(s, err);
  }
  thrift::SubmitOptions opts;
  opts.__set_initial_status(inactive ? thrift::TopologyStatus::INACTIVE
                                     : thrift::TopologyStatus::ACTIVE);
  const thrift::Topology t = convert::ToThrift(loaded->spec, shas);
  Status s = conn->Call([&](thrift::NimbusClient& cl) { cl.submitTopology(t, opts); });
  if (!s.ok()) return Fail(s, err);
  out << "submitted topology '" << loaded->spec.name << "'"
      << (inactive ? " (inactive: gale activate " + loaded->spec.name + " starts it)" : "") << "\n";
  return 0;
}

int List(const ClusterArgs& c, bool json, std::ostream& out, std::ostream& err) {
  auto conn = Connect(c, err);
  if (!conn) return 1;
  thrift::ClusterSummary sum;
  Status s = conn->Call([&](thrift::NimbusClient& cl) { cl.getClusterInfo(sum); });
  if (!s.ok()) return Fail(s, err);
  if (json) {
    JsonWriter w;
    w.BeginObject().Key("topologies").BeginArray();
    for (const auto& t : sum.topologies) {
      w.BeginObject().Field("id", t.id).Field("name", t.name);
      w.Field("status", convert::StatusName(t.status)).Field("uptimeSeconds", t.uptime_secs);
      w.Field("tasksTotal", t.num_tasks).Field("executorsTotal", t.num_executors);
      w.Field("workersTotal", t.num_workers).Field("owner", t.owner).EndObject();
    }
    w.EndArray().Key("supervisors").BeginArray();
    for (const auto& sup : sum.supervisors) {
      w.BeginObject().Field("id", sup.id).Field("host", sup.host);
      w.Field("uptimeSeconds", sup.uptime_secs).Field("slotsTotal", sup.num_slots);
      w.Field("slotsUsed", sup.num_used_slots).Key("ports").BeginArray();
      for (int p : sup.ports) w.Int(p);
      w.EndArray().Field("logviewerPort", sup.logviewer_port).EndObject();
    }
    w.EndArray().Field("slotsTotal", sum.slots_total).Field("slotsUsed", sum.slots_used);
    w.Field("slotsFree", sum.slots_free).Field("nimbusUptimeSeconds", sum.nimbus_uptime_secs);
    if (sum.__isset.nimbuses) {
      w.Key("nimbuses").BeginArray();
      for (const auto& n : sum.nimbuses) {
        w.BeginObject().Field("host", n.host).Field("port", n.port);
        w.Field("leader", n.is_leader).Field("uptimeSeconds", n.uptime_secs).EndObject();
      }
      w.EndArray();
    }
    out << w.EndObject().str() << "\n";
    return 0;
  }
  out << std::left << std::setw(20) << "topology" << std::setw(12) << "status" << std::right
      << std::setw(7) << "tasks" << std::setw(7) << "execs" << std::setw(9) << "workers"
      << std::setw(10) << "uptime"
      << "  id\n";
  for (const auto& t : sum.topologies) {
    out << std::left << std::setw(20) << t.name << std::setw(12) << convert::StatusName(t.status)
        << std::right << std::setw(7) << t.num_tasks << std::setw(7) << t.num_executors
        << std::setw(9) << t.num_workers << std::setw(10) << Uptime(t.uptime_secs) << "  " << t.id
        << "\n";
  }
  if (sum.topologies.empty()) out << "(no topologies)\n";
  out << "\n"
      << sum.supervisors.size() << " supervisor(s), " << sum.slots_total
      << " slot(s): " << sum.slots_used << " used, " << sum.slots_free << " free\n";
  for (const auto& s2 : sum.supervisors) {
    out << "  " << s2.id << " on " << s2.host << ": " << s2.num_used_slots << "/" << s2.num_slots
        << " slots used, up " << Uptime(s2.uptime_secs) << "\n";
  }
  if (sum.__isset.nimbuses) {  // HA
    out << "\n" << sum.nimbuses.size() << " nimbus(es):\n";
    for (const auto& n : sum.nimbuses) {
      out << "  " << rpc::HostPort{n.host, n.port}.ToString() << (n.is_leader ? " leader" : "")
          << ", up " << Uptime(n.uptime_secs) << "\n";
    }
  }
  return 0;
}

int Info(const ClusterArgs& c, const std::string& name, bool json, std::ostream& out,
         std::ostream& err) {
  auto conn = Connect(c, err);
  if (!conn) return 1;
  thrift::TopologyInfo info;
  Status s = conn->Call([&](thrift::NimbusClient& cl) { cl.getTopologyInfo(info, name); });
  if (!s.ok()) return Fail(s, err);
  if (json) {
    out << InfoJson(info) << "\n";
    return 0;
  }
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  out << "topology " << info.name << " (" << info.id << "): " << convert::StatusName(info.status)
      << ", up " << Uptime(info.uptime_secs) << " (since " << LocalTime(now - info.uptime_secs)
      << "), " << info.num_workers << " worker(s), " << info.executors.size() << " executor(s)\n";
  if (info.__isset.sched_status) out << "scheduling: " << info.sched_status << "\n";
  if (!info.owner.empty()) out << "owner: " << info.owner << "\n";
  out << "\n";

  const std::map<std::string, ComponentTotals> rows = SumByComponent(info);
  // As wide as the longest component id ($checkpointspout is 16), plus one.
  int width = 16;
  for (const auto& [id, r] : rows) width = std::max(width, static_cast<int>(id.size()) + 1);
  out << std::left << std::setw(width) << "component" << std::right << std::setw(6) << "execs"
      << std::setw(6) << "tasks" << std::setw(11) << "emitted" << std::setw(12) << "transferred"
      << std::setw(11) << "remote" << std::setw(11) << "acked" << std::setw(9) << "failed"
      << std::setw(11) << "executed" << std::setw(13) << "exec-lat-ms" << std::setw(13)
      << "complete-ms" << std::setw(8) << "errors"
      << "\n";
  for (const auto& [id, r] : rows) {
    out << std::left << std::setw(width) << id << std::right << std::setw(6) << r.executors
        << std::setw(6) << r.tasks;
    if (!r.reported) {
      out << std::setw(11) << "-"
          << "   (no heartbeat yet)\n";
      continue;
    }
    out << std::setw(11) << r.sum.emitted << std::setw(12) << r.sum.transferred << std::setw(11)
        << r.sum.transferred_remote << std::setw(11) << r.sum.acked << std::setw(9) << r.sum.failed
        << std::setw(11) << r.sum.executed << std::setw(13)
        << (r.sum.executed ? Fixed(r.execute_ms(), 4) : "-") << std::setw(13)
        << (r.sum.executed == 0 && r.sum.acked ? Fixed(r.complete_ms(), 3) : "-") << std::setw(8)
        << r.sum.error_count << "\n";
  }
  out << "\nexecutors:\n";
  for (const auto& e : info.executors) {
    out << "  " << std::left << std::setw(width) << e.component_id << std::setw(10)
        << ("[" + std::to_string(e.task_start) + "-" + std::to_string(e.task_end) + "]")
        << std::setw(22) << (e.host + ":" + std::to_string(e.port)) << std::setw(28)
        << e.supervisor_id << std::right;
    if (e.__isset.stats) {
      out << " emitted " << e.stats.emitted << ", remote " << e.stats.transferred_remote
          << ", acked " << e.stats.acked << ", up " << Uptime(e.uptime_secs);
    } else {
      out << " (no heartbeat yet)";
    }
    if (e.__isset.chained_to) out << ", on the thread of " << e.chained_to;
    out << "\n";
  }
  for (const auto& [worker, n] : info.dropped_frames) {
    if (n > 0)
      out << "\nworker " << worker << " dropped " << n
          << " malformed, misrouted or stale frame(s)/tuple(s)\n";
  }
  for (const auto& d : info.worker_deaths) {
    out << "\nworker " << d.host << ":" << d.port << " (" << d.supervisor_id << ") died " << d.count
        << " time(s); last at " << LocalTime(d.last_time_secs) << ": " << d.last_reason << "\n";
    if (!d.last_cause.empty()) out << "  cause: " << d.last_cause << "\n";
    if (!d.last_component.empty()) {
      out << "  in: component " << d.last_component
          << (d.last_task >= 0 ? ", task " + std::to_string(d.last_task) : "") << "\n";
    }
    if (!d.last_stack.empty()) {
      out << "  stack:\n";
      std::istringstream frames(d.last_stack);
      int n = 0;
      for (std::string frame; std::getline(frames, frame) && n < 12; ++n) {
        out << "    " << frame << "\n";
      }
    }
  }
  for (const auto& [component, errors] : info.errors) {
    // The same message again is one line with its count, at its last time.
    struct Seen {
      const thrift::ErrorInfo* last = nullptr;
      int64_t count = 0;
    };
    std::vector<std::pair<std::string, Seen>> seen;  // in order of last occurrence
    for (const auto& e : errors) {
      auto it =
          std::find_if(seen.begin(), seen.end(), [&](const auto& x) { return x.first == e.error; });
      Seen now = it == seen.end() ? Seen{} : it->second;
      if (it != seen.end()) seen.erase(it);
      now.last = &e;
      now.count += e.__isset.count ? std::max<int64_t>(1, e.count) : 1;
      seen.emplace_back(e.error, now);
    }
    out << "\nlast errors of " << component << ":\n";
    for (const auto& [message, x] : seen) {
      const thrift::ErrorInfo& e = *x.last;
      out << "  " << LocalTime(e.error_time_secs) << " " << e.host << ":" << e.port
          << (e.__isset.task ? " task " + std::to_string(e.task) : "") << ": " << message
          << (x.count > 1 ? "  (x" + std::to_string(x.count) + ")" : "") << "\n";
    }
  }
  return 0;
}

int Kill(const ClusterArgs& c, const std::string& name, std::optional<int> wait, std::ostream& out,
         std::ostream& err) {
  auto conn = Connect(c, err);
  if (!conn) return 1;
  thrift::KillOptions opts;
  if (wait) opts.__set_wait_secs(*wait);
  Status s = conn->Call([&](thrift::NimbusClient& cl) { cl.killTopology(name, opts); });
  if (!s.ok()) return Fail(s, err);
  out << "killed topology '" << name << "'"
      << (wait ? "; its workers stop in " + std::to_string(*wait) + " s"
               : "; its workers stop after the message timeout")
      << "\n";
  return 0;
}

int Activate(const ClusterArgs& c, const std::string& name, bool active, std::ostream& out,
             std::ostream& err) {
  auto conn = Connect(c, err);
  if (!conn) return 1;
  Status s = conn->Call([&](thrift::NimbusClient& cl) {
    if (active) {
      cl.activate(name);
    } else {
      cl.deactivate(name);
    }
  });
  if (!s.ok()) return Fail(s, err);
  out << (active ? "activated" : "deactivated") << " topology '" << name << "'\n";
  return 0;
}

int Rebalance(const ClusterArgs& c, const std::string& name, std::optional<int> workers,
              const std::map<std::string, int>& executors, std::optional<int> wait,
              std::ostream& out, std::ostream& err) {
  auto conn = Connect(c, err);
  if (!conn) return 1;
  thrift::RebalanceOptions opts;
  if (workers) opts.__set_num_workers(*workers);
  if (!executors.empty()) opts.__set_num_executors(executors);
  if (wait) opts.__set_wait_secs(*wait);
  Status s = conn->Call([&](thrift::NimbusClient& cl) { cl.rebalance(name, opts); });
  if (!s.ok()) return Fail(s, err);
  out << "rebalancing topology '" << name << "'"
      << (wait ? " in " + std::to_string(*wait) + " s" : " after the message timeout") << "\n";
  return 0;
}

}  // namespace gale::cli
