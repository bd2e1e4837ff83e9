// nimbus/thrift_handler.h
//
// NimbusHandler implements the generated thrift::NimbusIf on top of the
// leading Nimbus (leadership.h):
// the one place where a Status becomes the exception gale.thrift declares
// for that call, and where each call's caller is authorized (README.md,
// "Authentication and roles"). One instance per connection (main.cc makes
// them), so the identity it authenticated stays with that connection; calls
// on one connection run one at a time.
#pragma once

#include "nimbus/leadership.h"
#include "thrift/auth.h"
#include "thrift/gen-cpp/Nimbus.h"

#include <functional>
#include <string>
#include <utility>

namespace gale::nimbus {

// How a connection may be authenticated (set by main.cc per connection).
struct ConnectionAuth {
  rpc::AuthMode mode = rpc::AuthMode::kNone;
  const rpc::AuthTable* table = nullptr;  // tokens and certificate roles
  std::string peer;                       // "host:port", for log lines
  // The verified client certificate's CN, "" when it sent none.
  std::function<std::string()> peer_cn;
};

class NimbusHandler final : public thrift::NimbusIf {
 public:
  // `gale_program` is the `gale` binary run as `gale __describe` for YAML
  // submits; empty: the `gale` next to this executable (nimbus's default).
  explicit NimbusHandler(Leadership& lead, ConnectionAuth auth = {}, std::string gale_program = "")
      : lead_(lead), auth_(std::move(auth)), gale_program_(std::move(gale_program)) {}

  void beginPluginUpload(std::string& out, const std::string& sha256, int64_t size) override;
  void uploadPluginChunk(const std::string& upload_id, const std::string& chunk) override;
  void finishPluginUpload(const std::string& upload_id) override;
  bool hasPlugin(const std::string& sha256) override;
  void submitTopology(const thrift::Topology& topology,
                      const thrift::SubmitOptions& options) override;
  void killTopology(const std::string& name, const thrift::KillOptions& options) override;
  void activate(const std::string& name) override;
  void deactivate(const std::string& name) override;
  void rebalance(const std::string& name, const thrift::RebalanceOptions& options) override;
  void getClusterInfo(thrift::ClusterSummary& out) override;
  void getLeader(thrift::NimbusSummary& out) override;
  void getTopologyInfo(thrift::TopologyInfo& out, const std::string& name) override;
  void getTopologyPageInfo(thrift::TopologyPageInfo& out, const std::string& name,
                           const std::string& window) override;
  void supervisorHeartbeat(std::vector<thrift::SlotAssignment>& out,
                           const thrift::SupervisorHeartbeat& heartbeat) override;
  void downloadPluginChunk(std::string& out, const std::string& sha256, int64_t offset,
                           int32_t length) override;
  void getWorkerPlan(thrift::WorkerPlan& out, const std::string& topology_id,
                     const std::string& supervisor_id, int32_t port) override;
  void workerHeartbeat(thrift::WorkerHeartbeatResponse& out,
                       const thrift::WorkerHeartbeat& heartbeat) override;
  void stateExports(std::vector<std::string>& out, const std::string& supervisor_id) override;
  void uploadState(const std::string& supervisor_id, const std::string& state_namespace,
                   int64_t offset, const std::string& chunk) override;
  bool finishStateUpload(const std::string& supervisor_id, const std::string& state_namespace,
                         int64_t size) override;
  void fetchState(thrift::StateChunk& out, const std::string& topology_id,
                  const std::string& supervisor_id, int64_t assignment_version,
                  const std::string& state_namespace, int64_t offset, int32_t length) override;
  void claimState(const std::string& topology_id, const std::string& supervisor_id,
                  int64_t assignment_version, const std::string& state_namespace) override;
  // HA: the leader's copies of state it holds, taken by a follower.
  void copyState(const std::string& state_namespace, int64_t offset,
                 const std::string& chunk) override;
  void finishStateCopy(const std::string& state_namespace, int64_t size) override;
  // YAML topology files sent by clients (thrift/README.md, "Submitting a
  // YAML file"): loaded by Gale's one loader in a scratch folder.
  void planYamlTopology(thrift::YamlTopologyPlan& out,
                        const thrift::YamlTopologyRequest& request) override;
  void submitYamlTopology(std::string& out, const thrift::YamlTopologyRequest& request,
                          const thrift::SubmitOptions& options) override;
  void authenticate(const std::string& user, const std::string& token) override;

  // What a call needs: kRead (list, info, statistics), kUpload (plugins),
  // kSubmit, kModify (kill, activate, deactivate, rebalance: a submitter's
  // own topologies only), kDaemon (supervisors' and workers' calls),
  // kReplicate (HA: the leader copying plugins to a follower; the upload
  // calls on a nimbus that does not lead).
  enum class Op { kRead, kUpload, kSubmit, kModify, kDaemon, kReplicate };
  // Whether `role` may make calls of kind `op` (ownership aside).
  static bool Allowed(rpc::Role role, Op op);

 private:
  // Throws AuthorizationException (and logs a line) unless this
  // connection's identity may do `what` (e.g. "kill topology 'wc'").
  void Require(Op op, const std::string& what, const std::string& topology = "");
  const rpc::Identity& Who();
  // kUpload on the leader (and a single nimbus); kReplicate on a follower,
  // which only the leader's copies need to reach.
  Op UploadOp() { return lead_.Leader() ? Op::kUpload : Op::kReplicate; }

  // The leading Nimbus, kept for the call; throws the "not the leader"
  // error (a TApplicationException to the client) when this nimbus follows.
  Nimbus& N();
  // Copies the topology's plugins to the other nimbuses (HA) before it is
  // accepted; throws when one that answers cannot take them.
  void ReplicatePlugins(const thrift::Topology& topology);
  // Where a follower keeps the leader's copies of state; throws
  // IllegalStateException on a nimbus that leads or is the only one.
  StateFiles& StateCopies();

  Leadership& lead_;
  std::shared_ptr<Nimbus> held_;
  ConnectionAuth auth_;
  std::optional<rpc::Identity> identity_;
  std::string gale_program_;
};

}  // namespace gale::nimbus
