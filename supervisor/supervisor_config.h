// supervisor/supervisor_config.h
//
// What gale-supervisor runs with: the cluster config file (--config) with
// command-line flags over it. See README.md for every option.
//
// Threading: built once in main() and then read-only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/common/result.h"
#include "thrift/auth.h"
#include "thrift/host_port.h"

namespace gale::supervisor {

// "host:port"; an IPv6 host is written "[::1]:6627", as rpc::ParseHostPort
// reads it.
// The nimbuses to talk to: one, or the seeds of an HA cluster (the
// supervisor and its workers follow the leader among them).
struct NimbusAddress {
  std::vector<rpc::HostPort> seeds{{"127.0.0.1", 6627}};
  std::string ToString() const { return rpc::ToString(seeds); }
};

struct SupervisorConfig {
  // --nimbus HOST:PORT[,HOST:PORT...], or nimbus.seeds, or nimbus.host +
  // nimbus.thrift.port. Default 127.0.0.1:6627.
  NimbusAddress nimbus;
  // --ports, or supervisor.slots.ports. Default 6700,6701,6702,6703 (Storm's).
  std::vector<int> ports = {6700, 6701, 6702, 6703};
  // --host, or supervisor.host: the address workers bind and advertise.
  // Default 127.0.0.1.
  std::string host = "127.0.0.1";
  // --id, or supervisor.id. Empty: generated once and kept in
  // <state_dir>/supervisor-id (see LoadOrCreateSupervisorId).
  std::string id;
  // --state-dir, or gale.local.dir; required. Always absolute, because
  // workers run with their own working directories.
  std::string state_dir;
  // --worker-bin. Default: gale-worker next to this executable.
  std::string worker_bin;
  // --heartbeat-ms, or supervisor.heartbeat.frequency.secs. Default 1 s.
  std::chrono::milliseconds heartbeat = std::chrono::seconds(1);
  // supervisor.worker.shutdown.secs: SIGTERM to SIGKILL. Default 5 s.
  std::chrono::milliseconds worker_shutdown = std::chrono::seconds(5);
  // A worker's log is rotated past this size (worker.log.max.bytes, default
  // 100 MiB) and this many files are kept (worker.log.max.files, default 5).
  int64_t worker_log_max_bytes = int64_t{100} << 20;
  int worker_log_max_files = 5;
  // --logviewer-port, or logviewer.port: the log server (`gale logs`, the
  // UI's log page) on --host. Default 8000 (Storm's); 0 picks a free port.
  int logviewer_port = 8000;
  // logviewer.cleanup.age.mins: the logs of a topology this supervisor no
  // longer runs are removed once untouched this long. Default 7 days.
  std::chrono::minutes log_retention = std::chrono::minutes(7 * 24 * 60);
  // How it and its workers authenticate to nimbus: gale.auth.* and gale.tls.*
  // of --config (nimbus/README.md, "Authentication and roles"); main()
  // sets it for this process and exports it to the workers' environment.
  rpc::ClientAuth auth;

  // Parses argv (argv[0] is skipped). `self_exe` is where this program
  // lives, for the default --worker-bin. Errors are one line, naming the
  // option or config key. (main() handles --help before this.)
  static Result<SupervisorConfig> FromArgs(const std::vector<std::string>& args,
                                           const std::string& self_exe);
};

// The usage text of gale-supervisor.
std::string SupervisorUsage();

// Reads <state_dir>/supervisor-id, or creates it with "<hostname>-<8 random
// hex digits>" (written atomically) when it does not exist.
Result<std::string> LoadOrCreateSupervisorId(const std::string& state_dir);

}  // namespace gale::supervisor
