#include "nimbus/thrift_handler.h"

#include "core/common/logging.h"

#include <stdexcept>

namespace gale::nimbus {
namespace {

// Each call declares its own exceptions; these throw the right one for a
// Status code, falling back to the call's general one.
template <typename E>
[[noreturn]] void Throw(const std::string& msg) {
  E e;
  e.msg = msg;
  throw e;
}

// Failures of nimbus itself (a state file it cannot write) are no declared
// exception of any call: Thrift sends them as TApplicationException.
void ThrowIfInternal(const Status& s) {
  if (s.code() == StatusCode::kInternal) throw std::runtime_error(s.message());
}

void ThrowUpload(const Status& s) {
  if (s.ok()) return;
  ThrowIfInternal(s);
  Throw<thrift::UploadException>(s.message());
}

void ThrowNotAliveOrState(const Status& s) {
  if (s.ok()) return;
  ThrowIfInternal(s);
  if (s.code() == StatusCode::kNotFound) Throw<thrift::NotAliveException>(s.message());
  Throw<thrift::IllegalStateException>(s.message());
}

}  // namespace

// ---------------------------------------------------------- authorization

bool NimbusHandler::Allowed(rpc::Role role, Op op) {
  using rpc::Role;
  switch (role) {
    case Role::kAdmin: return true;
    case Role::kSubmitter: return op != Op::kDaemon;
    case Role::kNode: return op == Op::kDaemon || op == Op::kRead;
    case Role::kReader: return op == Op::kRead;
    case Role::kNone: break;
  }
  return false;
}

const rpc::Identity& NimbusHandler::Who() {
  if (!identity_) {
    if (auth_.mode == rpc::AuthMode::kNone) {
      identity_ = rpc::Identity{"", rpc::Role::kAdmin, "no authentication"};
    } else {
      const std::string cn = auth_.peer_cn ? auth_.peer_cn() : "";
      if (cn.empty()) return identity_.emplace();  // token form: not yet
      identity_ = rpc::Identity{cn, auth_.table ? auth_.table->CertRole(cn) : rpc::Role::kNone,
                                "certificate"};
    }
  }
  return *identity_;
}

void NimbusHandler::Require(Op op, const std::string& what, const std::string& topology) {
  if (auth_.mode == rpc::AuthMode::kNone) return;
  const rpc::Identity& id = Who();
  std::string refusal;
  if (id.name.empty()) {
    refusal = "not authenticated: nimbus runs with gale.auth.mode " +
              std::string(rpc::AuthModeName(auth_.mode)) +
              "; call authenticate(user, token) first, or connect with a certificate";
  } else if (id.role == rpc::Role::kNone) {
    refusal = "certificate '" + id.name + "' has no role (nimbus's gale.auth.roles lists it not)";
  } else if (!Allowed(id.role, op)) {
    refusal = "user '" + id.name + "' (role " + rpc::RoleName(id.role) + ") may not " + what;
  } else if (op == Op::kModify && id.role != rpc::Role::kAdmin) {
    const std::optional<std::string> owner = nimbus_.OwnerOf(topology);
    if (owner && *owner != id.name) {
      refusal = "user '" + id.name + "' (role " + rpc::RoleName(id.role) + ") may not " + what +
                ": it belongs to " + (owner->empty() ? "no recorded owner" : "'" + *owner + "'") +
                " (only its owner or an admin may)";
    }
  }
  if (refusal.empty()) return;
  GALE_LOG(kWarn) << "refused from " << auth_.peer << ": " << refusal;
  Throw<thrift::AuthorizationException>(refusal);
}

void NimbusHandler::authenticate(const std::string& user, const std::string& token) {
  if (auth_.mode == rpc::AuthMode::kNone) return;
  if (user.empty()) {  // "check my certificate"
    Require(Op::kRead, "connect");
    return;
  }
  std::optional<rpc::Identity> id;
  if (auth_.table) id = auth_.table->CheckToken(user, token);
  if (!id) {
    const std::string refusal = "authentication failed for user '" + user + "'";
    GALE_LOG(kWarn) << "refused from " << auth_.peer << ": " << refusal;
    Throw<thrift::AuthorizationException>(refusal + " (wrong user or token)");
  }
  identity_ = *id;
}

// ------------------------------------------------------------------ calls

void NimbusHandler::beginPluginUpload(std::string& out, const std::string& sha256, int64_t size) {
  Require(Op::kUpload, "upload plugins");
  auto r = nimbus_.BeginPluginUpload(sha256, size);
  ThrowUpload(r.status());
  out = *r;
}

void NimbusHandler::uploadPluginChunk(const std::string& upload_id, const std::string& chunk) {
  Require(Op::kUpload, "upload plugins");
  ThrowUpload(nimbus_.UploadPluginChunk(upload_id, chunk));
}

void NimbusHandler::finishPluginUpload(const std::string& upload_id) {
  Require(Op::kUpload, "upload plugins");
  ThrowUpload(nimbus_.FinishPluginUpload(upload_id));
}

bool NimbusHandler::hasPlugin(const std::string& sha256) {
  Require(Op::kRead, "ask for plugins");
  return nimbus_.HasPlugin(sha256);
}

void NimbusHandler::submitTopology(const thrift::Topology& topology,
                                   const thrift::SubmitOptions& options) {
  Require(Op::kSubmit, "submit topology '" + topology.name + "'");
  Status s = nimbus_.Submit(topology, options.initial_status, Who().name);
  if (s.ok()) return;
  ThrowIfInternal(s);
  switch (s.code()) {
    case StatusCode::kAlreadyExists: Throw<thrift::AlreadyAliveException>(s.message());
    case StatusCode::kNotFound: Throw<thrift::PluginNotFoundException>(s.message());
    default: Throw<thrift::InvalidTopologyException>(s.message());
  }
}

void NimbusHandler::killTopology(const std::string& name, const thrift::KillOptions& options) {
  Require(Op::kModify, "kill topology '" + name + "'", name);
  std::optional<int> wait;
  if (options.__isset.wait_secs) wait = options.wait_secs;
  Status s = nimbus_.Kill(name, wait);
  if (s.ok()) return;
  ThrowIfInternal(s);
  Throw<thrift::NotAliveException>(s.message());
}

void NimbusHandler::activate(const std::string& name) {
  Require(Op::kModify, "activate topology '" + name + "'", name);
  ThrowNotAliveOrState(nimbus_.Activate(name));
}

void NimbusHandler::deactivate(const std::string& name) {
  Require(Op::kModify, "deactivate topology '" + name + "'", name);
  ThrowNotAliveOrState(nimbus_.Deactivate(name));
}

void NimbusHandler::rebalance(const std::string& name, const thrift::RebalanceOptions& options) {
  Require(Op::kModify, "rebalance topology '" + name + "'", name);
  Status s = nimbus_.Rebalance(name, options);
  if (s.ok()) return;
  ThrowIfInternal(s);
  switch (s.code()) {
    case StatusCode::kNotFound: Throw<thrift::NotAliveException>(s.message());
    case StatusCode::kInvalidArgument: Throw<thrift::InvalidTopologyException>(s.message());
    default: Throw<thrift::IllegalStateException>(s.message());
  }
}

void NimbusHandler::getClusterInfo(thrift::ClusterSummary& out) {
  Require(Op::kRead, "list topologies");
  out = nimbus_.GetClusterSummary();
}

void NimbusHandler::getTopologyInfo(thrift::TopologyInfo& out, const std::string& name) {
  Require(Op::kRead, "read topology '" + name + "'");
  auto r = nimbus_.GetTopologyInfo(name);
  if (!r.ok() && r.status().code() != StatusCode::kNotFound) {
    throw std::runtime_error(r.status().message());
  }
  if (!r.ok()) Throw<thrift::NotAliveException>(r.status().message());
  out = std::move(r).value();
}

void NimbusHandler::getTopologyPageInfo(thrift::TopologyPageInfo& out, const std::string& name,
                                        const std::string& window) {
  Require(Op::kRead, "read topology '" + name + "'");
  auto r = nimbus_.GetTopologyPageInfo(name, window);
  if (!r.ok()) {
    switch (r.status().code()) {
      case StatusCode::kNotFound: Throw<thrift::NotAliveException>(r.status().message());
      case StatusCode::kInvalidArgument:
        Throw<thrift::InvalidTopologyException>(r.status().message());
      default: throw std::runtime_error(r.status().message());
    }
  }
  out = std::move(r).value();
}

void NimbusHandler::supervisorHeartbeat(std::vector<thrift::SlotAssignment>& out,
                                        const thrift::SupervisorHeartbeat& heartbeat) {
  Require(Op::kDaemon, "send supervisor heartbeats");
  out = nimbus_.SupervisorHeartbeat(heartbeat);
}

void NimbusHandler::downloadPluginChunk(std::string& out, const std::string& sha256, int64_t offset,
                                        int32_t length) {
  Require(Op::kDaemon, "download plugins");
  auto r = nimbus_.DownloadPluginChunk(sha256, offset, length);
  if (!r.ok() && r.status().code() != StatusCode::kNotFound) {
    throw std::runtime_error(r.status().message());  // a bad offset or length
  }
  if (!r.ok()) Throw<thrift::PluginNotFoundException>(r.status().message());
  out = std::move(r).value();
}

void NimbusHandler::getWorkerPlan(thrift::WorkerPlan& out, const std::string& topology_id,
                                  const std::string& supervisor_id, int32_t port) {
  Require(Op::kDaemon, "read worker plans");
  auto r = nimbus_.GetWorkerPlan(topology_id, supervisor_id, port);
  if (!r.ok()) Throw<thrift::NotAliveException>(r.status().message());
  out = std::move(r).value();
}

void NimbusHandler::workerHeartbeat(thrift::WorkerHeartbeatResponse& out,
                                    const thrift::WorkerHeartbeat& heartbeat) {
  Require(Op::kDaemon, "send worker heartbeats");
  auto r = nimbus_.WorkerHeartbeat(heartbeat);
  if (!r.ok()) Throw<thrift::NotAliveException>(r.status().message());
  out = std::move(r).value();
}

}  // namespace gale::nimbus
