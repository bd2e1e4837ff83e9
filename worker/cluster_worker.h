// worker/cluster_worker.h
//
// A worker process of a cluster: started by a supervisor for one slot, it
// asks nimbus what to run (getWorkerPlan), loads the topology's plugins from
// the supervisor's plugin folder, runs its executors on the same runtime as
// local mode, exchanges tuples with the other workers over ZeroMQ, and
// heartbeats its statistics to nimbus every second. It exits (status 0)
// when nimbus says it is no longer assigned or its assignment changed, so
// that its supervisor stops it or restarts it with the new assignment; and
// cleanly on SIGTERM.
#pragma once

#include <string>

namespace gale::worker {

struct ClusterWorkerOptions {
  std::string nimbus;  // host:port
  std::string topology_id;
  std::string supervisor_id;
  std::string host = "127.0.0.1";  // where this worker binds and is reached
  int port = 0;
  std::string plugin_dir;  // holds <sha256>.so for every plugin
};

// Returns the exit code: 0 after a clean stop, 1 when the topology cannot
// run here (plugin, plan, port or a task that failed to start), 2 for bad
// options. Does not return when executors did not stop within
// topology.worker.shutdown.secs: it logs them and ends the process with
// status 3 (_exit, worker/README.md "Stopping").
int RunClusterWorker(const ClusterWorkerOptions& options);

}  // namespace gale::worker
