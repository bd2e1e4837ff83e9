// nimbus/leader_elector.h
//
// HA nimbus (README.md, "High availability"): gale-nimbus processes sharing
// a ZooKeeper ensemble elect one leader, and the cluster's state lives in
// ZooKeeper, so that any of them can take over.
//
// Election: each nimbus holds an ephemeral sequential node
// <root>/leader/n_NNNNNNNNNN whose data is its address; the lowest number
// leads. A leader killed or cut off loses its node when its session ends
// (at once on a clean stop, after nimbus.zookeeper.session.timeout.ms
// otherwise), and the next in line sees the change (a watch) and leads.
//
// Leading: a fresh Nimbus on a ZooKeeper store (meta_store.h) whose every
// write is fenced by the leader's own election node, so a nimbus that lost
// its session can write nothing. A leader that loses its connection to
// ZooKeeper stops leading at once (its Nimbus is dropped; calls get "not
// the leader") and leads again with a fresh Nimbus, read from ZooKeeper,
// only if its node is still the lowest once connected.
//
// Plugins: files on each nimbus's own disk, by SHA-256. The leader records
// each uploaded plugin in <root>/plugins and copies the plugins of a
// topology to every other nimbus before the submit is accepted; a nimbus
// that was away fetches what the index lists and it lacks (from the leader,
// or when it leads, from the others).
//
// RocksDB state in transit (state_mover.h): a file on the leader's disk,
// copied to every other nimbus before the leader holds it
// (MetaStore::ShareStateFile -> CopyState); a follower drops its copies
// that ZooKeeper's record no longer counts.
//
// Threading: one thread runs the election; Leadership's methods are
// thread-safe.
#pragma once

#include "core/common/clock.h"
#include "core/common/logging.h"
#include "nimbus/leadership.h"
#include "nimbus/nimbus_config.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

namespace gale::rpc {
class NimbusConnection;
}

namespace gale::nimbus {

class ZkSession;

struct HaOptions {
  std::string zookeeper_servers;  // "host:port,host:port"
  std::string root = "/gale";
  std::chrono::milliseconds session_timeout{4000};
  std::string host;  // where the others reach this nimbus
  int port = 0;
};

class LeaderElector final : public Leadership {
 public:
  // Starts the election thread; this nimbus leads once elected (Leader()
  // is null until then). `options` and `plugins` are for the Nimbus it
  // makes when it leads.
  LeaderElector(HaOptions ha, NimbusOptions options, const Clock& clock, PluginStore& plugins);
  // Stops leading and closes the session: the next nimbus leads at once.
  ~LeaderElector() override;

  std::shared_ptr<Nimbus> Leader() override;
  std::string NotLeader() override;
  thrift::NimbusSummary LeaderSummary() override;
  std::vector<thrift::NimbusSummary> Nimbuses() override;
  PluginStore& plugins() override { return plugins_; }
  void PluginStored(const std::string& sha256) override;
  Status Replicate(const std::vector<std::string>& sha256s) override;
  StateFiles* state_copies() override { return &state_copies_; }

 private:
  struct Member {
    std::string node;  // n_NNNNNNNNNN
    std::string host;
    int port = 0;
    int64_t started_unix = 0;
  };
  void Run();
  // One round: session, election node, members (read again when
  // `refresh`: a ZooKeeper event, or every kRefresh), leading or not.
  void Step(bool refresh);
  // Reads the election folder (and watches it): the members, lowest
  // first; false (and says why) when it cannot, or our node is gone.
  bool ReadMembers(ZkSession& zk, const std::string& node);
  void Lead(const std::shared_ptr<ZkSession>& zk);
  void StepDown(const std::string& why);
  // Logs `state` unless it is the one logged last.
  void Say(const std::string& state, LogLevel level);
  // Plugin fetches and the pruning of state copies, every 10 s and at once
  // on RequestSync (when this nimbus starts leading), on a thread of their
  // own: a slow or dead peer (3 s per connect) never holds up the election.
  void RunSync();
  void RequestSync();
  // Fetches the plugins of `index` (the shared index) that this nimbus
  // lacks from `from`; stops early when the elector stops.
  void SyncPlugins(const std::vector<std::string>& index, const std::vector<Member>& from);
  bool SyncStopping();
  // The leading Nimbus's MetaStore::ShareStateFile: copies its file of
  // `ns` (state_copies_, the same folder) to every other nimbus that takes
  // it (copyState).
  void CopyState(const std::string& ns);
  // A follower drops its copies of state that the record in ZooKeeper no
  // longer says nimbus holds (claimed since), 10 minutes after they came.
  void PruneStateCopies(ZkSession& zk);
  // Runs `copy` on a connection to each other nimbus; one that cannot be
  // reached is skipped and logged with `skipped` (what then happens). An
  // error of `copy` stops it (naming the nimbus) when `required`, else it is
  // logged and that nimbus skipped.
  Status ToEachOther(const std::string& what, const std::string& skipped, bool required,
                     const std::function<Status(rpc::NimbusConnection&)>& copy);
  std::vector<Member> Others();

  const HaOptions ha_;
  const NimbusOptions options_;
  const Clock& clock_;
  PluginStore& plugins_;
  StateFiles state_copies_;
  const int64_t started_unix_;

  // Wakes the election thread: a ZooKeeper event, or the stop. Shared
  // with the sessions' callbacks, which may outlive this object (a call may
  // still hold a Nimbus, and with it a session), so they never touch the
  // elector itself.
  struct Wakeup {
    std::mutex mu;
    std::condition_variable cv;
    bool event = false;
    bool stop = false;
    void Signal() {
      std::lock_guard lock(mu);
      event = true;
      cv.notify_all();
    }
  };
  // Whether a leading Nimbus's write to ZooKeeper failed (its store says
  // so): its memory may be ahead of ZooKeeper, so it leads no more. One per
  // leading Nimbus: a dropped one that a call still holds fails alone.
  struct WriteHealth {
    std::atomic<bool> failed{false};
    // Set when the elector drops that Nimbus: its store writes no more (a
    // call holding it past its leadership, e.g. one copying state to the
    // other nimbuses, must not overwrite a newer leadership's records).
    std::atomic<bool> retired{false};
    std::mutex mu;
    std::string why;  // the first failure
  };
  static constexpr std::chrono::seconds kRefresh{5};
  const std::shared_ptr<Wakeup> wakeup_ = std::make_shared<Wakeup>();

  std::mutex mu_;  // guards what follows (never held while a session closes)
  std::shared_ptr<ZkSession> zk_;
  std::string node_;                                      // our election node's full path; "" none
  std::vector<Member> members_;                           // the lowest (the leader) first
  std::shared_ptr<Nimbus> leader_;                        // ours, while we lead
  std::shared_ptr<WriteHealth> leader_health_;            // leader_'s
  std::chrono::steady_clock::time_point next_refresh_{};  // election thread only
  std::string last_state_;                                // for logging changes only
  std::thread thread_;

  std::mutex sync_mu_;  // guards what follows
  std::condition_variable sync_cv_;
  bool sync_requested_ = false;
  bool sync_stop_ = false;
  std::thread sync_thread_;

  // How a leading Nimbus's store reaches CopyState: a call may hold that
  // Nimbus past this object, which the destructor clears here first.
  struct Self {
    std::shared_mutex mu;
    LeaderElector* elector = nullptr;
  };
  const std::shared_ptr<Self> self_ = MakeSelf(this);
  static std::shared_ptr<Self> MakeSelf(LeaderElector* e) {
    auto self = std::make_shared<Self>();
    self->elector = e;
    return self;
  }
};

}  // namespace gale::nimbus
