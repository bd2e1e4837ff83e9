// nimbus/nimbus_config.h
//
// What gale-nimbus runs with: the cluster config file (--config) with
// command-line flags over it, read and checked the way gale-supervisor reads
// its own (core/topology/cluster_config.h). See README.md for every option.
//
// Threading: built once in main() and then read-only.
#pragma once

#include "core/common/clock.h"
#include "core/common/result.h"
#include "thrift/auth.h"

#include <chrono>
#include <string>
#include <vector>

namespace gale::nimbus {

// What the Nimbus object needs (nimbus.h).
struct NimbusOptions {
  std::string state_dir;
  // A supervisor that has not heartbeated for this long is dead, and its
  // workers' executors move elsewhere.
  Nanos supervisor_timeout = std::chrono::seconds(5);
  // A worker that has not heartbeated for this long (after its start grace)
  // is dead, and its executors move elsewhere.
  Nanos worker_timeout = std::chrono::seconds(10);
  // How long a newly assigned worker may take to send its first heartbeat.
  Nanos worker_start_timeout = std::chrono::seconds(30);
  // The program nimbus runs to learn what a submitted topology's plugins
  // register and declare (`gale`, run as `gale __describe`): nimbus loads no
  // plugin itself.
  std::string describe_program;
  // How long that program may take before it is killed and the submit
  // refused (--describe-timeout-secs, nimbus.plugin.describe.timeout.secs).
  Nanos describe_timeout = std::chrono::seconds(10);
  // gale.transport.curve: give each submitted topology a CURVE key pair, so
  // that its workers encrypt their links and admit only each other.
  bool transport_curve = true;
};

struct NimbusConfig {
  // --host, or nimbus.host: the address to listen on. Default 127.0.0.1.
  std::string host = "127.0.0.1";
  // --port, or nimbus.thrift.port. Default 6627.
  int port = 6627;
  // --state-dir, or <gale.local.dir>/nimbus (required); the timeouts from
  // --*-timeout-secs or nimbus.supervisor.timeout.secs,
  // nimbus.task.timeout.secs, nimbus.task.launch.secs.
  NimbusOptions nimbus;
  // gale.auth.* and gale.tls.* of --config (README.md, "Authentication and
  // roles"). Checked: the files it names exist; a non-loopback --host needs
  // a mode other than none or gale.auth.insecure.allow.
  rpc::ServerAuth auth;
  // --client-timeout-secs, or nimbus.thrift.client.timeout.secs (15): a
  // connection that sends no request for this long is closed, and so is one
  // whose frame does not arrive whole within it of its first byte.
  Nanos client_timeout = std::chrono::seconds(15);
  // nimbus.thrift.frames.budget.mb (256): what the frames being received
  // on all connections may hold together; a frame that would go beyond it
  // closes its connection (nimbus/README.md, "Connections").
  int64_t frames_budget_bytes = int64_t{256} << 20;
  // nimbus.thrift.threads (64, Storm's key): the threads that run calls;
  // connections cost none (nimbus/rpc_server.h).
  int call_threads = 64;
  // HA (README.md, "High availability"): --zookeeper or
  // nimbus.zookeeper.servers, "host:port,host:port". Empty: one nimbus,
  // its state in --state-dir. Set: the nimbuses elect a leader there and
  // keep the cluster's state there, under nimbus.zookeeper.root (/gale);
  // --host is then the address other processes reach this nimbus at.
  std::string zookeeper_servers;
  std::string zookeeper_root = "/gale";
  // nimbus.zookeeper.session.timeout.ms (4000): a leader gone without a
  // word (SIGKILL, a lost machine) is replaced after about this long.
  std::chrono::milliseconds zookeeper_session_timeout{4000};
  // HA with authentication: what this nimbus connects to the others with
  // (it copies plugins and state to them): the client keys of --config,
  // gale.tls.cert/key (tls) or gale.auth.user and its token (token), the
  // cluster's node identity in the files `gale auth init` writes.
  rpc::ClientAuth peer_auth;

  // Parses argv (argv[0] is skipped). `self_exe` is where this program
  // lives, for the default --gale-bin (`gale` next to it). Errors are one
  // line, naming the option, or the config file and key. (main() handles
  // --help before this.)
  static Result<NimbusConfig> FromArgs(const std::vector<std::string>& args,
                                       const std::string& self_exe);
};

// The usage text of gale-nimbus.
std::string NimbusUsage();

}  // namespace gale::nimbus
