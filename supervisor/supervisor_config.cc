#include "supervisor/supervisor_config.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <system_error>

#include "core/topology/cluster_config.h"
#include "thrift/client.h"

namespace gale::supervisor {
namespace {

namespace fs = std::filesystem;

using topology::ClusterConfigFile;
using topology::DaemonFlags;

const std::vector<std::string> kFlags = {"config",     "nimbus",       "ports",
                                         "host",       "id",           "state-dir",
                                         "worker-bin", "heartbeat-ms", "logviewer-port"};

// A config key that is a whole number from `min` to `max`, or `fallback`.
Result<int64_t> IntKey(const Config& file, const std::string& key, int64_t min, int64_t max,
                       int64_t fallback) {
  if (!file.Contains(key)) return fallback;
  const std::string text = file.GetString(key, "");
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < min || v > max) {
    return Status::InvalidArgument(key + " must be a whole number from " + std::to_string(min) +
                                   " to " + std::to_string(max) + ", not '" + text + "'");
  }
  return static_cast<int64_t>(v);
}

Result<std::chrono::milliseconds> Millis(Result<Nanos> d) {
  if (!d.ok()) return d.status();
  return std::chrono::duration_cast<std::chrono::milliseconds>(*d);
}

Result<NimbusAddress> NimbusFrom(const DaemonFlags& flags, const ClusterConfigFile& file) {
  NimbusAddress out;
  GALE_ASSIGN_OR_RETURN(const int port, file.Port("nimbus.thrift.port", 6627));
  if (auto it = flags.find("nimbus"); it != flags.end()) {
    auto parsed = rpc::ParseHostPorts(it->second);
    if (!parsed.ok()) return parsed.status().WithContext("nimbus address (--nimbus)");
    out.seeds = std::move(parsed).value();
  } else {
    GALE_ASSIGN_OR_RETURN(out.seeds, rpc::SeedsFromConfig(file.values, port, file.path));
  }
  return out;
}

Result<std::vector<int>> PortsFrom(const DaemonFlags& flags, const Config& file,
                                   std::vector<int> fallback) {
  std::string text;
  if (auto it = flags.find("ports"); it != flags.end()) {
    text = it->second;
  } else if (file.Contains("supervisor.slots.ports")) {
    text = file.GetString("supervisor.slots.ports", "");
  } else {
    return fallback;
  }
  auto ports = topology::ParsePortList(text);
  if (!ports.ok()) return ports.status().WithContext("supervisor ports");
  std::set<int> seen;
  for (int p : *ports) {
    if (!seen.insert(p).second) {
      return Status::InvalidArgument("supervisor ports: port " + std::to_string(p) +
                                     " is listed twice");
    }
  }
  return ports;
}

Result<SupervisorConfig> Assemble(const DaemonFlags& flags, const ClusterConfigFile& config_file,
                                  const std::string& self_exe) {
  using topology::FlagOrConfig;
  const Config& file = config_file.values;
  SupervisorConfig c;
  GALE_ASSIGN_OR_RETURN(c.nimbus, NimbusFrom(flags, config_file));
  GALE_ASSIGN_OR_RETURN(c.ports, PortsFrom(flags, file, c.ports));
  c.host = FlagOrConfig(flags, "host", file, "supervisor.host", c.host);
  if (c.host.empty()) return Status::InvalidArgument("--host must not be empty");
  GALE_ASSIGN_OR_RETURN(c.auth, rpc::ClientAuthFromConfig(file, config_file.path));
  c.id = FlagOrConfig(flags, "id", file, "supervisor.id", "");
  if ((flags.count("id") || file.Contains("supervisor.id")) && c.id.empty()) {
    return Status::InvalidArgument("the supervisor id must not be empty");
  }
  for (char ch : c.id) {
    if (ch == '/' || std::isspace(static_cast<unsigned char>(ch))) {
      return Status::InvalidArgument("supervisor id '" + c.id +
                                     "' must not contain '/' or white space");
    }
  }

  const std::string state_dir = FlagOrConfig(flags, "state-dir", file, "gale.local.dir", "");
  if (state_dir.empty()) {
    return Status::InvalidArgument("--state-dir is required (or gale.local.dir in --config)");
  }
  std::error_code ec;
  c.state_dir = fs::absolute(state_dir, ec).lexically_normal().string();
  if (ec) return Status::InvalidArgument("--state-dir '" + state_dir + "': " + ec.message());
  if (c.state_dir.size() > 1 && c.state_dir.back() == '/') c.state_dir.pop_back();

  GALE_ASSIGN_OR_RETURN(c.worker_bin, topology::ProgramOption(flags, "worker-bin", self_exe,
                                                              "gale-worker", "worker binary"));

  if (auto it = flags.find("heartbeat-ms"); it != flags.end()) {
    GALE_ASSIGN_OR_RETURN(int64_t ms, topology::ParsePositiveInt("--heartbeat-ms", it->second));
    c.heartbeat = std::chrono::milliseconds(ms);
  } else {
    GALE_ASSIGN_OR_RETURN(c.heartbeat, Millis(config_file.Seconds(
                                           "supervisor.heartbeat.frequency.secs", c.heartbeat)));
  }
  GALE_ASSIGN_OR_RETURN(
      c.worker_shutdown,
      Millis(config_file.Seconds("supervisor.worker.shutdown.secs", c.worker_shutdown)));
  GALE_ASSIGN_OR_RETURN(c.worker_log_max_bytes, IntKey(file, "worker.log.max.bytes", 4096,
                                                       int64_t{1} << 40, c.worker_log_max_bytes));
  GALE_ASSIGN_OR_RETURN(const int64_t files,
                        IntKey(file, "worker.log.max.files", 1, 100, c.worker_log_max_files));
  c.worker_log_max_files = static_cast<int>(files);
  if (auto it = flags.find("logviewer-port"); it != flags.end()) {
    const std::string& text = it->second;
    auto port = text == "0" ? Result<int64_t>(int64_t{0})
                            : topology::ParsePositiveInt("--logviewer-port", text);
    if (!port.ok() || *port > 65535) {
      return Status::InvalidArgument(
          "--logviewer-port must be a port, an integer from 0 to 65535, not '" + text + "'");
    }
    c.logviewer_port = static_cast<int>(*port);
  } else {
    GALE_ASSIGN_OR_RETURN(const int64_t port,
                          IntKey(file, "logviewer.port", 0, 65535, c.logviewer_port));
    c.logviewer_port = static_cast<int>(port);
  }
  if (c.logviewer_port != 0 &&
      std::find(c.ports.begin(), c.ports.end(), c.logviewer_port) != c.ports.end()) {
    return Status::InvalidArgument(
        "the log server's port " + std::to_string(c.logviewer_port) +
        " (--logviewer-port, logviewer.port; 8000 unless set) is also a worker port (--ports, "
        "supervisor.slots.ports): that slot's workers could not bind it");
  }
  GALE_ASSIGN_OR_RETURN(const int64_t mins,
                        IntKey(file, "logviewer.cleanup.age.mins", 1, int64_t{10} * 365 * 24 * 60,
                               c.log_retention.count()));
  c.log_retention = std::chrono::minutes(mins);
  return c;
}

}  // namespace

Result<SupervisorConfig> SupervisorConfig::FromArgs(const std::vector<std::string>& args,
                                                    const std::string& self_exe) {
  return topology::ReadDaemonOptions(args, kFlags, [&](const auto& flags, const auto& file) {
    return Assemble(flags, file, self_exe);
  });
}

std::string SupervisorUsage() {
  return R"(usage: gale-supervisor --state-dir DIR [options]

Runs the workers nimbus assigns to this machine's slots.

  --config FILE      cluster config (YAML); flags override it
  --nimbus HOST:PORT[,HOST:PORT...]  nimbus address, or the nimbuses of an HA cluster
                     (nimbus.seeds, or nimbus.host and nimbus.thrift.port; default 127.0.0.1:6627)
  --ports LIST       worker ports, e.g. 6700,6701 (supervisor.slots.ports; default 6700-6703)
  --host ADDR        address workers bind and advertise (supervisor.host; default 127.0.0.1)
  --id ID            supervisor id (supervisor.id; default: generated once, kept in DIR)
  --state-dir DIR    plugins, worker directories and logs (gale.local.dir); required
  --worker-bin PATH  the worker program (default: gale-worker next to gale-supervisor)
  --heartbeat-ms N   heartbeat interval (supervisor.heartbeat.frequency.secs; default 1 s)
  --logviewer-port N the log server for `gale logs` and the UI, on --host (logviewer.port;
                     default 8000; 0 picks a free port)

Config keys without a flag: supervisor.worker.shutdown.secs (5), worker.log.max.bytes
(104857600: a worker's log is rotated past it), worker.log.max.files (5 kept),
logviewer.cleanup.age.mins (10080: logs of topologies no longer here are removed then).
How it and its workers authenticate to nimbus: gale.auth.mode, gale.tls.ca, gale.tls.cert,
gale.tls.key, gale.auth.user, gale.auth.token (nimbus/README.md; `gale auth init`).
)";
}

Result<std::string> LoadOrCreateSupervisorId(const std::string& state_dir) {
  const fs::path file = fs::path(state_dir) / "supervisor-id";
  std::error_code ec;
  if (fs::exists(file, ec)) {
    std::ifstream in(file);
    std::string id;
    std::getline(in, id);
    while (!id.empty() && std::isspace(static_cast<unsigned char>(id.back()))) id.pop_back();
    if (!in.bad() && !id.empty()) return id;
    return Status::InvalidArgument(file.string() +
                                   " is unreadable or empty; remove it or pass --id");
  }
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') {
    std::snprintf(host, sizeof host, "host");
  }
  std::random_device rd;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(rd()));
  const std::string id = std::string(host) + "-" + suffix;

  const fs::path tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << id << "\n";
    out.flush();
    if (!out) return Status::Internal("cannot write " + tmp.string());
  }
  fs::rename(tmp, file, ec);
  if (ec) return Status::Internal("cannot create " + file.string() + ": " + ec.message());
  return id;
}

}  // namespace gale::supervisor
