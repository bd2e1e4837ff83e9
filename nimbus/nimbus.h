// nimbus/nimbus.h
//
// Nimbus is the master's state and decisions: topologies and their
// lifecycle (ACTIVE, INACTIVE, REBALANCING, KILLED), the plugin store, the
// liveness of supervisors and workers, and the assignment of executors to
// worker slots. The Thrift handler (thrift_handler.h) calls it; nothing here
// throws or knows about sockets. Nimbus never runs user code.
//
// Its data types are the Thrift structs of gale.thrift: what nimbus keeps
// is what it stores on disk and what it answers, so using the wire types
// avoids a second model and a translation of every field (see README.md).
//
// Durability: every change to a topology is written to the store
// (meta_store.h: the state directory, one file per topology replaced
// atomically, or ZooKeeper) before the call returns, so a nimbus killed at
// any moment and restarted on the same store finds every topology and
// assignment. Liveness (heartbeats) is in memory and is
// rebuilt from the heartbeats that follow a restart, with a grace period so
// that nothing is reassigned meanwhile.
//
// Threading: every public method is thread-safe (one mutex); Tick() is
// called periodically by the daemon's timer.
#pragma once

#include "core/common/clock.h"
#include "core/common/result.h"
#include "core/plan/topology_plan.h"
#include "nimbus/meta_store.h"
#include "nimbus/nimbus_config.h"
#include "nimbus/plugin_store.h"
#include "nimbus/state_mover.h"
#include "nimbus/stats_store.h"
#include "thrift/gen-cpp/gale_types.h"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace gale::nimbus {

class Nimbus {
 public:
  // Keeps its state in `store` and finds plugins in `plugins` (both
  // outlive it).
  Nimbus(NimbusOptions options, const Clock& clock, MetaStore& store, PluginStore& plugins);
  // One nimbus on its own: its state directory holds both.
  Nimbus(NimbusOptions options, const Clock& clock);

  // Reads the store (creating the state directory if needed). Errors name
  // the file or node.
  Status Recover();

  // ---- client calls ----
  // (Plugin uploads go to the PluginStore itself: leadership.h.)

  // kAlreadyExists for a live name, kNotFound for an unknown plugin hash,
  // kInvalidArgument for an invalid topology (the message says what).
  // `owner`: the authenticated user, kept with the topology ("" without
  // authentication).
  Status Submit(const thrift::Topology& topology, thrift::TopologyStatus::type initial,
                const std::string& owner = "");
  // The owner of the topology of that name ("" when none was recorded);
  // nullopt when there is no such topology.
  std::optional<std::string> OwnerOf(const std::string& name);
  // kNotFound for an unknown name.
  Status Kill(const std::string& name, std::optional<int> wait_secs);
  // kNotFound, or kInternal (IllegalState) when the status does not allow it.
  Status Activate(const std::string& name);
  Status Deactivate(const std::string& name);
  Status Rebalance(const std::string& name, const thrift::RebalanceOptions& options);

  thrift::ClusterSummary GetClusterSummary();
  Result<thrift::TopologyInfo> GetTopologyInfo(const std::string& name);
  // Statistics over one of Storm's windows ("600", "10800", "86400", ":all-time");
  // InvalidArgument for any other window, NotFound for an unknown topology.
  Result<thrift::TopologyPageInfo> GetTopologyPageInfo(const std::string& name,
                                                       const std::string& window);

  // ---- daemon calls ----
  std::vector<thrift::SlotAssignment> SupervisorHeartbeat(const thrift::SupervisorHeartbeat& hb);
  Result<thrift::WorkerPlan> GetWorkerPlan(const std::string& topology_id,
                                           const std::string& supervisor_id, int port);
  Result<thrift::WorkerHeartbeatResponse> WorkerHeartbeat(const thrift::WorkerHeartbeat& hb);

  // Moving RocksDB state with its tasks (state_mover.h). kFailedPrecondition
  // when the caller is not the one that may (the holder, or the task's
  // supervisor in the current assignment version).
  std::vector<std::string> StateExports(const std::string& supervisor_id);
  Status UploadState(const std::string& supervisor_id, const std::string& ns, int64_t offset,
                     const std::string& chunk);
  Result<bool> FinishStateUpload(const std::string& supervisor_id, const std::string& ns,
                                 int64_t size);
  Result<thrift::StateChunk> FetchState(const std::string& topology_id,
                                        const std::string& supervisor_id, int64_t version,
                                        const std::string& ns, int64_t offset, int32_t length);
  Status ClaimState(const std::string& topology_id, const std::string& supervisor_id,
                    int64_t version, const std::string& ns);

  // Acts on time: finishes kills and rebalances whose wait is over, sees
  // dead supervisors and workers, (re)schedules. Called about every 500 ms.
  void Tick();

 private:
  struct SupervisorState {
    std::string host;
    std::vector<int> ports;
    std::vector<int> running_ports;
    std::vector<thrift::WorkerDeaths> deaths;
    int logviewer_port = 0;
    Nanos first_seen;
    Nanos last_heartbeat;
  };
  struct WorkerState {
    WorkerState() = default;
    explicit WorkerState(Nanos at) : assigned_at(at) {}
    Nanos assigned_at{0};     // when this slot got its current work
    Nanos last_heartbeat{0};  // 0: none yet
    Nanos first_heartbeat{0};
    // A live reassignment (Settling): this worker restarts for it, beside
    // workers that keep running; or it keeps running and is to follow it
    // in place, since `following_since`.
    bool restarting = false;
    bool following = false;
    Nanos following_since{0};
    thrift::WorkerHeartbeat heartbeat;  // the latest
  };
  using SlotKey = std::pair<std::string, int>;  // supervisor id, port

  // All REQUIRE mu_ held.
  thrift::StoredTopology* FindByName(const std::string& name);
  thrift::StoredTopology* FindById(const std::string& id);
  // Writes `t`'s record.
  Status Persist(const thrift::StoredTopology& t);
  // For a change already applied (an assignment handed out): a failure is
  // logged and the record written again by PersistAgain, at every tick,
  // until it takes.
  void PersistOrRetry(const thrift::StoredTopology& t);
  void PersistAgain();
  // Applies `change` to a copy, persists it, and only then keeps it.
  Status Update(thrift::StoredTopology& t,
                const std::function<void(thrift::StoredTopology&)>& change);
  void Remove(const std::string& id);
  // The topology as workers run it: rebalance overrides applied.
  thrift::Topology Effective(const thrift::StoredTopology& t) const;
  // The TopologyPlan of Effective(t), cached per topology.
  Result<const plan::TopologyPlan*> PlanFor(const thrift::StoredTopology& t);
  // Which component each task of `t`'s plan belongs to, as text; "" when
  // it cannot be planned.
  std::string TaskNumbering(const thrift::StoredTopology& t);
  // Where `t`'s stateful tasks with RocksDB state run (state_mover.h),
  // cached per assignment version; empty for a killed topology.
  const StateMover::Placement& PlacementFor(const thrift::StoredTopology& t);
  // Whether `supervisor_id` runs `ns`'s task in `topology_id`'s `version`.
  Status CheckStateTask(const std::string& topology_id, const std::string& supervisor_id,
                        int64_t version, const std::string& ns);
  bool SupervisorAlive(const std::string& id) const;
  bool WorkerAlive(const std::string& topology_id, const thrift::WorkerSlot& slot) const;
  std::vector<thrift::WorkerSlot> FreeSlots() const;
  // A live reassignment is under way: a worker that restarts for it has
  // not reported yet, or one that keeps running has not reported following
  // it yet (each for at most the worker timeout). The
  // spouts pause meanwhile, so that no new tree is sent towards a worker
  // that is not there, or routed by an assignment that is over.
  // Looks at the workers only of a topology in settling_, and takes it out
  // once settled: a heartbeat costs a set lookup in the steady state, not a
  // walk over the topology's workers.
  bool Settling(const thrift::StoredTopology& t);
  // (Re)assigns what needs it; `full` redistributes every executor.
  // `restart_all`: every worker restarts (the tasks were numbered anew, as
  // a rebalance of the worker count, which sets the acker count, does).
  void Schedule(thrift::StoredTopology& t, bool full, bool restart_all = false);
  int DefaultWaitSecs(const thrift::StoredTopology& t) const;
  Nanos Now() const { return clock_.Now(); }
  int64_t UnixNowSecs() const;

  const NimbusOptions options_;
  const Clock& clock_;
  const Nanos started_;
  std::mutex mu_;
  std::unique_ptr<MetaStore> own_store_;      // the 2-argument constructor's
  std::unique_ptr<PluginStore> own_plugins_;  // the 2-argument constructor's
  MetaStore& store_;
  PluginStore& plugins_;
  std::map<std::string, thrift::StoredTopology> topologies_;  // by id
  struct CachedPlan {
    std::string key;  // num_workers and executor overrides it was built for
    std::unique_ptr<plan::TopologyPlan> plan;
  };
  std::map<std::string, CachedPlan> plans_;  // by topology id
  StateMover state_mover_;
  // Topologies whose last write failed. An assignment is made and handed
  // out before it is saved (Schedule, a rebalance in Tick): with no other
  // writer (one nimbus), what runs is the truth and the record catches up.
  // (HA drops a Nimbus whose write failed instead: leader_elector.h.)
  std::set<std::string> unpersisted_;
  // Namespaces whose state FinishStateUpload is copying to the other
  // nimbuses (HA), with mu_ released: one copy of each at a time.
  std::set<std::string> sharing_;
  std::condition_variable shared_cv_;  // a namespace left sharing_
  struct CachedPlacement {
    int64_t version = -1;
    StateMover::Placement placement;
  };
  std::map<std::string, CachedPlacement> placements_;  // by topology id
  // Why a topology runs on fewer workers than it asked for (scheduler.h),
  // by topology id; empty when it has them all.
  std::map<std::string, std::string> sched_notes_;
  std::set<std::string> settling_;  // topology ids: a live reassignment may be settling
  std::map<std::string, SupervisorState> supervisors_;              // by id
  std::map<std::pair<std::string, SlotKey>, WorkerState> workers_;  // (topology id, slot)
  // The errors workers reported, kept after the worker is gone (a worker
  // killed or restarted takes its own report with it): by topology id, then
  // component, at most kErrorsPerComponent each, the newest kept. Storm keeps
  // them in ZooKeeper for the same reason.
  static constexpr size_t kErrorsPerComponent = 10;
  struct ErrorKey {
    std::string slot;     // host:port of the worker
    int64_t incarnation;  // its process (counts restart with it)
    int32_t task;
    std::string error;
    auto operator<=>(const ErrorKey&) const = default;
  };
  std::map<std::string, std::map<std::string, std::map<ErrorKey, thrift::ErrorInfo>>> errors_;
  void RecordErrors(const thrift::StoredTopology& t, const plan::TopologyPlan& plan,
                    const thrift::WorkerHeartbeat& hb);
  int64_t next_id_ = 1;
  // When Tick() (or a submit) last ran. A longer gap than kStallThreshold
  // means nimbus could not process heartbeats meanwhile (a long call held
  // mu_, or the process was stopped): ForgiveStall() does not count that time
  // against supervisors and workers, or a stall of nimbus would look like
  // the whole cluster dying. REQUIRES mu_.
  static constexpr Nanos kStallThreshold = std::chrono::seconds(2);
  Nanos last_ran_{0};
  void ForgiveStall();
  // Statistics windows (stats_store.h), saved to StatsFile() when changed,
  // at most every kStatsSaveInterval.
  static constexpr Nanos kStatsSaveInterval = std::chrono::seconds(10);
  StatsStore stats_;
  Nanos stats_saved_at_{0};
  void SaveStats(bool now);
};

}  // namespace gale::nimbus
