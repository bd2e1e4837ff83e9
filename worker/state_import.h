// worker/state_import.h
//
// The worker's half of moving RocksDB state with its tasks
// (nimbus/state_mover.h): before its tasks start, it fetches from nimbus
// the state of each task that ran on another supervisor, imports it into
// this supervisor's directory and claims it.
#pragma once

#include "core/common/status.h"
#include "worker/heartbeat.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace gale::rpc {
class NimbusConnection;
}

namespace gale::worker {

struct StateImport {
  WorkerIdentity worker;    // who asks, and heartbeats while it waits
  std::string rocksdb_dir;  // this supervisor's
  bool exactly_once = false;
  // How long to wait for a holder that has not sent the state
  // (topology.state.rocksdb.move.wait.secs). After that, exactly once, it
  // is an error (the supervisor starts the worker again, which asks again);
  // at least once the worker claims the state and goes on from what is
  // here, and its tasks report the state as behind.
  std::chrono::milliseconds wait = std::chrono::seconds(60);
};

// `connection` gives a connection to nimbus (reconnecting when the last
// one broke), or nullptr while nimbus cannot be reached. While it waits
// the worker heartbeats (with no executors), so that nimbus does not take
// a long transfer for a dead worker. `stop`: true once the worker is asked
// to stop.
Status ImportMovedState(const StateImport& what, const std::vector<std::string>& namespaces,
                        const std::function<rpc::NimbusConnection*()>& connection,
                        const std::function<bool()>& stop);

}  // namespace gale::worker
