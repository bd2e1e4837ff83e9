// supervisor/supervisor.h
//
// The supervisor daemon: heartbeats to nimbus, keeps one gale-worker process
// running per slot nimbus assigns to this machine, restarts a worker that
// dies (at once, then with RestartBackoff), stops workers that are no longer
// assigned, and stops all of them on SIGTERM or SIGINT. README.md has the
// whole story.
//
// Threading: Run() drives everything on the calling thread (the io thread)
// with a Boost.Asio io_context: timers, signals, child processes and the
// reconciliation of slots. Talking to nimbus (heartbeat and plugin download,
// both blocking) happens on a second thread, the nimbus thread, which posts
// each result back to the io thread; so a slow or dead nimbus never delays
// seeing and restarting a dead worker.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "core/common/clock.h"
#include "core/common/status.h"
#include "core/http/server.h"
#include "supervisor/nimbus_session.h"
#include "supervisor/plugin_store.h"
#include "supervisor/restart_backoff.h"
#include "supervisor/state_exporter.h"
#include "supervisor/supervisor_config.h"

namespace gale::supervisor {

class Supervisor {
 public:
  // Every nimbus call is bounded by this (connect, send, receive).
  static constexpr std::chrono::milliseconds kRpcTimeout = std::chrono::seconds(2);
  // After a plugin fails to download or verify, it is not tried again for
  // this long, so that a bad file is not fetched every heartbeat.
  static constexpr std::chrono::seconds kPluginRetryDelay = std::chrono::seconds(5);

  // `clock` outlives the supervisor; it times how long workers ran.
  Supervisor(SupervisorConfig config, const Clock& clock);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Prepares the state directory, then runs until SIGTERM or SIGINT, stops
  // every worker it started and returns OK. Errors: the state directory or
  // the id file cannot be created; kAlreadyExists when another supervisor
  // uses the state directory. Call once.
  Status Run();

 private:
  struct Slot;
  // What one round with nimbus produced, for the io thread.
  struct SyncResult {
    Status status;                     // not OK: nimbus was not reached
    std::map<int, SlotPlan> runnable;  // our ports whose plugins are ready
  };

  Status PrepareStateDir();

  // io thread.
  void StartHeartbeatTimer(std::chrono::milliseconds delay);
  void WaitForChildSignal();
  void WaitForStopSignal();
  void BeginSync();
  void OnSynced(SyncResult result);
  void Reconcile();
  void ReconcileSlot(Slot& slot);
  void StartWorker(Slot& slot, const SlotPlan& plan);
  void StopWorker(Slot& slot);
  void ReapChildren();
  // `wait_status`: nothing when not known (an adopted worker).
  void OnWorkerExit(Slot& slot, std::optional<int> wait_status);
  // Takes over the workers an earlier run of this supervisor started on our
  // ports that still run (worker_record.h), before the first heartbeat.
  void AdoptWorkers();
  void WatchAdoptedExit(Slot& slot);
  void RestartLater(Slot& slot, RestartBackoff::Duration delay);
  void BeginShutdown();
  // Removes the logs of topologies no longer here once older than
  // logviewer.cleanup.age.mins; runs every minute.
  void StartLogCleanupTimer();
  void FinishIfIdle();
  bool Matches(const Slot& slot, const SlotPlan& plan) const;
  void ResetTimer(Slot& slot);

  // nimbus thread.
  SyncResult SyncWithNimbus(const HeartbeatReport& report);
  bool PluginsReady(const SlotPlan& plan);

  // Immutable once Run() has prepared the state directory.
  const SupervisorConfig config_;
  const Clock& clock_;
  std::string id_;
  std::string plugin_dir_;
  int lock_fd_ = -1;  // flock()ed <state_dir>/supervisor.lock

  // io thread only.
  boost::asio::io_context io_;
  boost::asio::signal_set stop_signals_;
  boost::asio::signal_set child_signal_;
  boost::asio::steady_timer heartbeat_timer_;
  boost::asio::steady_timer log_cleanup_timer_;
  std::map<int, std::unique_ptr<Slot>> slots_;                      // one per port of ours
  std::map<int, SlotPlan> wanted_;                                  // from the last good heartbeat
  std::map<std::pair<std::string, int>, WorkerDeathCount> deaths_;  // (topology, port)
  bool sync_in_flight_ = false;
  bool nimbus_reachable_ = true;
  bool shutting_down_ = false;

  // The nimbus thread runs rpc_io_; the members below it are its own.
  boost::asio::io_context rpc_io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> rpc_work_;
  std::thread rpc_thread_;
  std::atomic<bool> stopping_{false};  // cuts a long plugin download short
  std::unique_ptr<NimbusSession> session_;
  std::unique_ptr<http::BackgroundServer> log_server_;
  int logviewer_port_ = 0;  // where log_server_ listens; 0 when none
  std::unique_ptr<PluginStore> plugins_;
  std::unique_ptr<StateExporter> state_exporter_;  // its own thread
  std::map<std::string, Nanos> plugin_failed_at_;
  std::set<std::string> reported_;  // assignment problems logged, until they go away
};

}  // namespace gale::supervisor
