#include "nimbus/nimbus_config.h"

#include "core/topology/cluster_config.h"
#include "thrift/client.h"

namespace gale::nimbus {
namespace {

using topology::ClusterConfigFile;
using topology::DaemonFlags;

const std::vector<std::string> kFlags = {"config",
                                         "host",
                                         "port",
                                         "state-dir",
                                         "supervisor-timeout-secs",
                                         "worker-timeout-secs",
                                         "worker-start-timeout-secs",
                                         "gale-bin",
                                         "describe-timeout-secs",
                                         "client-timeout-secs",
                                         "zookeeper"};

// A flag given in seconds, or the file's key, or the default.
Result<Nanos> SecondsOption(const DaemonFlags& flags, const std::string& flag,
                            const ClusterConfigFile& file, const std::string& key, Nanos fallback) {
  if (auto it = flags.find(flag); it != flags.end()) {
    return topology::ParseSeconds("--" + flag, it->second);
  }
  return file.Seconds(key, fallback);
}

Result<NimbusConfig> Assemble(const DaemonFlags& flags, const ClusterConfigFile& file,
                              const std::string& self_exe) {
  NimbusConfig c;
  c.host = topology::FlagOrConfig(flags, "host", file.values, "nimbus.host", c.host);
  if (c.host.empty()) return Status::InvalidArgument("--host must not be empty");
  GALE_ASSIGN_OR_RETURN(c.auth, rpc::ServerAuthFromConfig(file.values, file.path));
  GALE_RETURN_IF_ERROR(rpc::CheckListenAllowed(c.host, c.auth));
  if (auto it = flags.find("port"); it != flags.end()) {
    auto port = topology::ParsePositiveInt("--port", it->second);
    if (!port.ok() || *port > 65535) {
      return Status::InvalidArgument("--port must be a port, an integer from 1 to 65535, not '" +
                                     it->second + "'");
    }
    c.port = static_cast<int>(*port);
  } else {
    GALE_ASSIGN_OR_RETURN(c.port, file.Port("nimbus.thrift.port", c.port));
  }

  if (auto it = flags.find("state-dir"); it != flags.end()) {
    c.nimbus.state_dir = it->second;
  } else if (file.values.Contains("gale.local.dir")) {
    const std::string dir = file.values.GetString("gale.local.dir", "");
    if (!dir.empty()) c.nimbus.state_dir = dir + "/nimbus";
  }
  if (c.nimbus.state_dir.empty()) {
    return Status::InvalidArgument("--state-dir is required (or gale.local.dir in --config)");
  }

  NimbusOptions& n = c.nimbus;
  GALE_ASSIGN_OR_RETURN(n.supervisor_timeout,
                        SecondsOption(flags, "supervisor-timeout-secs", file,
                                      "nimbus.supervisor.timeout.secs", n.supervisor_timeout));
  GALE_ASSIGN_OR_RETURN(n.worker_timeout,
                        SecondsOption(flags, "worker-timeout-secs", file,
                                      "nimbus.task.timeout.secs", n.worker_timeout));
  GALE_ASSIGN_OR_RETURN(n.worker_start_timeout,
                        SecondsOption(flags, "worker-start-timeout-secs", file,
                                      "nimbus.task.launch.secs", n.worker_start_timeout));
  GALE_ASSIGN_OR_RETURN(n.describe_timeout,
                        SecondsOption(flags, "describe-timeout-secs", file,
                                      "nimbus.plugin.describe.timeout.secs", n.describe_timeout));
  GALE_ASSIGN_OR_RETURN(c.client_timeout,
                        SecondsOption(flags, "client-timeout-secs", file,
                                      "nimbus.thrift.client.timeout.secs", c.client_timeout));
  // At least one frame of the largest size (16,384,000 bytes).
  GALE_ASSIGN_OR_RETURN(
      const int64_t budget_mb,
      file.Integer("nimbus.thrift.frames.budget.mb", 16, int64_t{1} << 20,
                   "an integer from 16 to 1048576 (MiB)", c.frames_budget_bytes >> 20));
  c.frames_budget_bytes = budget_mb << 20;
  GALE_ASSIGN_OR_RETURN(
      const int64_t threads,
      file.Integer("nimbus.thrift.threads", 1, 4096, "an integer from 1 to 4096", c.call_threads));
  c.call_threads = static_cast<int>(threads);
  c.zookeeper_servers =
      topology::FlagOrConfig(flags, "zookeeper", file.values, "nimbus.zookeeper.servers", "");
  if (!c.zookeeper_servers.empty()) {
    if (auto servers = rpc::ParseHostPorts(c.zookeeper_servers); !servers.ok()) {
      return Status::InvalidArgument("nimbus.zookeeper.servers (--zookeeper): " +
                                     servers.status().message());
    }
    if (c.auth.mode != rpc::AuthMode::kNone) {
      // The nimbuses copy plugins to each other as clients, with the
      // cluster's client keys: the node certificate (tls), the node user
      // and its token (token), as supervisors do.
      auto peer = rpc::ClientAuthFromConfig(file.values, file.path);
      if (!peer.ok()) {
        return Status::InvalidArgument(
            "with nimbus.zookeeper.servers (HA) and gale.auth.mode " +
            std::string(rpc::AuthModeName(c.auth.mode)) +
            ", the nimbuses call each other as clients (the cluster.yaml of `gale auth init` has "
            "the keys): " +
            peer.status().message());
      }
      c.peer_auth = *std::move(peer);
    }
    if (!rpc::ParseHostPort(rpc::HostPort{c.host, c.port}.ToString()).ok()) {
      return Status::InvalidArgument("with nimbus.zookeeper.servers, --host (nimbus.host) '" +
                                     c.host + "' must be a host name or an address (no brackets)");
    }
    if (c.host == "0.0.0.0" || c.host == "::" || c.host == "[::]") {
      return Status::InvalidArgument(
          "with nimbus.zookeeper.servers, --host (nimbus.host) is the address the other "
          "nimbuses, supervisors and clients reach this nimbus at: not " +
          c.host);
    }
  }
  c.zookeeper_root = file.values.GetString("nimbus.zookeeper.root", c.zookeeper_root);
  if (c.zookeeper_root.size() < 2 || c.zookeeper_root[0] != '/' || c.zookeeper_root.back() == '/') {
    return Status::InvalidArgument(
        "nimbus.zookeeper.root must be a ZooKeeper path like /gale, not '" + c.zookeeper_root +
        "'");
  }
  GALE_ASSIGN_OR_RETURN(const int64_t session_ms,
                        file.Integer("nimbus.zookeeper.session.timeout.ms", 1000, 120000,
                                     "an integer from 1000 to 120000 (milliseconds)",
                                     c.zookeeper_session_timeout.count()));
  c.zookeeper_session_timeout = std::chrono::milliseconds(session_ms);
  n.transport_curve = file.values.GetBool("gale.transport.curve", n.transport_curve);
  GALE_ASSIGN_OR_RETURN(
      n.describe_program,
      topology::ProgramOption(
          flags, "gale-bin", self_exe, "gale", "gale binary",
          "; nimbus runs it to check submitted topologies against their plugins"));
  return c;
}

}  // namespace

Result<NimbusConfig> NimbusConfig::FromArgs(const std::vector<std::string>& args,
                                            const std::string& self_exe) {
  return topology::ReadDaemonOptions(args, kFlags, [&](const auto& flags, const auto& file) {
    return Assemble(flags, file, self_exe);
  });
}

std::string NimbusUsage() {
  return R"(usage: gale-nimbus --state-dir DIR [options]

The master: keeps the topologies and their plugins, and assigns their work to
the supervisors' slots.

  --config FILE                 cluster config (YAML); flags override it
  --host ADDR                   address to listen on (nimbus.host; default 127.0.0.1)
  --port N                      Thrift port (nimbus.thrift.port; default 6627)
  --state-dir DIR               where topologies and plugins are kept
                                (default: gale.local.dir/nimbus); required
  --supervisor-timeout-secs S   a silent supervisor is dead after S (nimbus.supervisor.timeout.secs; 5)
  --worker-timeout-secs S       a silent worker is dead after S (nimbus.task.timeout.secs; 10)
  --worker-start-timeout-secs S time a new worker has to report in (nimbus.task.launch.secs; 30)
  --gale-bin PATH               the gale program, run to check submitted topologies against
                                their plugins (default: gale next to gale-nimbus)
  --describe-timeout-secs S     time that check may take (nimbus.plugin.describe.timeout.secs; 10)
  --client-timeout-secs S       a connection sending no request, or a frame not whole, for S is
                                closed (nimbus.thrift.client.timeout.secs; 15)
  --zookeeper HOST:PORT,...     HA: elect a leader among the nimbuses and keep the cluster's
                                state in this ZooKeeper ensemble (nimbus.zookeeper.servers);
                                --host is then where the others reach this nimbus

Config keys only: nimbus.thrift.frames.budget.mb, what frames being received on all
connections hold together (MiB; 256), and nimbus.thrift.threads, the threads that run
calls (64); nimbus.zookeeper.root (/gale) and nimbus.zookeeper.session.timeout.ms
(4000) with --zookeeper.

Authentication (config keys only; README.md): gale.auth.mode (none, tls, token),
gale.tls.ca, gale.tls.cert, gale.tls.key, gale.auth.tokens, gale.auth.roles,
gale.auth.insecure.allow. `gale auth init DIR` makes the files and prints the lines.
)";
}

}  // namespace gale::nimbus
