// nimbus/leadership.h
//
// Which Nimbus serves the cluster's calls in this process. One nimbus
// (the default) always leads (SingleLeadership, below). With ZooKeeper
// (nimbus.zookeeper.servers), several gale-nimbus processes elect one
// leader (leader_elector.h): only the leader has a Nimbus; the others
// answer getLeader and the plugin calls that copy plugins between nimbuses,
// and fail every other call with "not the leader nimbus: the leader is
// HOST:PORT", as Storm's followers do, so that clients go to the leader.
//
// Threading: every method is thread-safe.
#pragma once

#include "nimbus/nimbus.h"
#include "nimbus/plugin_store.h"
#include "nimbus/state_mover.h"
#include "thrift/gen-cpp/gale_types.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace gale::nimbus {

class Leadership {
 public:
  virtual ~Leadership() = default;
  // The Nimbus that serves the cluster here; nullptr while this nimbus
  // does not lead. A caller keeps the pointer for one call only.
  virtual std::shared_ptr<Nimbus> Leader() = 0;
  // Why Leader() is null: "not the leader nimbus: the leader is
  // HOST:PORT", or "... no leader elected yet".
  virtual std::string NotLeader() = 0;
  // The leader as this nimbus knows it (host "" when none is known).
  virtual thrift::NimbusSummary LeaderSummary() = 0;
  // Every nimbus of an HA cluster, the leader first; empty for one nimbus.
  virtual std::vector<thrift::NimbusSummary> Nimbuses() = 0;
  // This process's plugin files (thread-safe).
  virtual PluginStore& plugins() = 0;
  // A plugin was stored here by an upload: HA records it in the shared
  // index, so that a nimbus that was down fetches it later.
  virtual void PluginStored(const std::string& sha256) = 0;
  // Before a submit is accepted: copies these plugins to every other
  // nimbus (HA), so that any of them can lead with them. An error names
  // the nimbus and the plugin.
  virtual Status Replicate(const std::vector<std::string>& sha256s) = 0;
  // HA: where this nimbus keeps the leader's copies of the RocksDB state
  // the leader holds (copyState); nullptr for one nimbus.
  virtual StateFiles* state_copies() { return nullptr; }
};

// One nimbus: it always leads, and its plugins are its own.
class SingleLeadership final : public Leadership {
 public:
  SingleLeadership(std::shared_ptr<Nimbus> nimbus, PluginStore& plugins, std::string host, int port)
      : nimbus_(std::move(nimbus)),
        plugins_(plugins),
        host_(std::move(host)),
        port_(port),
        started_(std::chrono::steady_clock::now()) {}
  std::shared_ptr<Nimbus> Leader() override { return nimbus_; }
  std::string NotLeader() override { return ""; }
  thrift::NimbusSummary LeaderSummary() override {
    thrift::NimbusSummary s;
    s.host = host_;
    s.port = port_;
    s.uptime_secs = static_cast<int32_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::steady_clock::now() - started_)
                                             .count());
    s.is_leader = true;
    s.__set_answering(true);
    return s;
  }
  std::vector<thrift::NimbusSummary> Nimbuses() override { return {}; }
  PluginStore& plugins() override { return plugins_; }
  void PluginStored(const std::string&) override {}
  Status Replicate(const std::vector<std::string>&) override { return Status::Ok(); }

 private:
  std::shared_ptr<Nimbus> nimbus_;
  PluginStore& plugins_;
  std::string host_;
  int port_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace gale::nimbus
