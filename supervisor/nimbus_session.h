// supervisor/nimbus_session.h
//
// The supervisor's side of the Nimbus service, in Gale's types: the
// heartbeat that returns this machine's slot assignments, plugin download,
// and sending RocksDB state. This is the only supervisor file that sees
// Thrift.
//
// Threading: not thread-safe; each thread that talks to nimbus (the nimbus
// thread, the state exporter's) has a session of its own.
// Every call is bounded by the timeout given at construction.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/common/result.h"
#include "supervisor/supervisor_config.h"

namespace gale::rpc {
class NimbusConnection;
}

namespace gale::supervisor {

struct PluginFile {
  std::string name;    // informational
  std::string sha256;  // lower-case hex; the file is <plugins>/<sha256>.so
};

// One slot nimbus wants running: a worker of `topology_id` on `port`.
struct SlotPlan {
  int port = 0;
  std::string topology_id;
  std::string topology_name;
  int64_t version = 0;  // the slot's layout version: when its executors last changed
  std::vector<PluginFile> plugins;
};

struct WorkerDeathCount {
  std::string topology_id;
  int port = 0;
  int count = 0;
  std::string last_reason;
  int64_t last_time_secs = 0;
  // From the worker's death note (ReadDeathNote), "" / -1 when it left none.
  std::string last_cause;
  std::string last_component;
  int last_task = -1;
  std::string last_stack;
};

struct HeartbeatReport {
  std::string supervisor_id;
  std::string host;
  std::vector<int> ports;
  std::vector<int> running_ports;
  std::vector<WorkerDeathCount> deaths;  // since this supervisor started
  int logviewer_port = 0;                // 0: no log server
};

class NimbusSession {
 public:
  NimbusSession(NimbusAddress nimbus, std::chrono::milliseconds timeout);
  ~NimbusSession();
  NimbusSession(const NimbusSession&) = delete;
  NimbusSession& operator=(const NimbusSession&) = delete;

  // Connects when not connected. kUnavailable when nimbus cannot be
  // reached; the next call connects again.
  Result<std::vector<SlotPlan>> Heartbeat(const HeartbeatReport& report);

  // Up to `length` bytes of plugin `sha256` from `offset`, empty at the end.
  // kNotFound when nimbus does not have it.
  Result<std::string> DownloadChunk(const std::string& sha256, int64_t offset, int32_t length);

  // Moving RocksDB state (state_exporter.h): what this supervisor should
  // send, a chunk of it, and its end (true: nimbus holds it now).
  Result<std::vector<std::string>> StateExports(const std::string& supervisor_id);
  Status UploadState(const std::string& supervisor_id, const std::string& ns, int64_t offset,
                     const std::string& chunk);
  Result<bool> FinishStateUpload(const std::string& supervisor_id, const std::string& ns,
                                 int64_t size);

 private:
  Status Connected();
  // Drops the connection after a transport failure so that the next call
  // reconnects.
  Status Checked(Status s);

  const NimbusAddress nimbus_;
  const std::chrono::milliseconds timeout_;
  std::unique_ptr<rpc::NimbusConnection> connection_;
};

}  // namespace gale::supervisor
