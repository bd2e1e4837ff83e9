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

void NimbusHandler::beginPluginUpload(std::string& out, const std::string& sha256, int64_t size) {
  auto r = nimbus_.BeginPluginUpload(sha256, size);
  ThrowUpload(r.status());
  out = *r;
}

void NimbusHandler::uploadPluginChunk(const std::string& upload_id, const std::string& chunk) {
  ThrowUpload(nimbus_.UploadPluginChunk(upload_id, chunk));
}

void NimbusHandler::finishPluginUpload(const std::string& upload_id) {
  ThrowUpload(nimbus_.FinishPluginUpload(upload_id));
}

bool NimbusHandler::hasPlugin(const std::string& sha256) { return nimbus_.HasPlugin(sha256); }

void NimbusHandler::submitTopology(const thrift::Topology& topology,
                                   const thrift::SubmitOptions& options) {
  Status s = nimbus_.Submit(topology, options.initial_status);
  if (s.ok()) return;
  ThrowIfInternal(s);
  switch (s.code()) {
    case StatusCode::kAlreadyExists: Throw<thrift::AlreadyAliveException>(s.message());
    case StatusCode::kNotFound: Throw<thrift::PluginNotFoundException>(s.message());
    default: Throw<thrift::InvalidTopologyException>(s.message());
  }
}

void NimbusHandler::killTopology(const std::string& name, const thrift::KillOptions& options) {
  std::optional<int> wait;
  if (options.__isset.wait_secs) wait = options.wait_secs;
  Status s = nimbus_.Kill(name, wait);
  if (s.ok()) return;
  ThrowIfInternal(s);
  Throw<thrift::NotAliveException>(s.message());
}

void NimbusHandler::activate(const std::string& name) {
  ThrowNotAliveOrState(nimbus_.Activate(name));
}

void NimbusHandler::deactivate(const std::string& name) {
  ThrowNotAliveOrState(nimbus_.Deactivate(name));
}

void NimbusHandler::rebalance(const std::string& name, const thrift::RebalanceOptions& options) {
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
  out = nimbus_.GetClusterSummary();
}

void NimbusHandler::getTopologyInfo(thrift::TopologyInfo& out, const std::string& name) {
  auto r = nimbus_.GetTopologyInfo(name);
  if (!r.ok() && r.status().code() != StatusCode::kNotFound) {
    throw std::runtime_error(r.status().message());
  }
  if (!r.ok()) Throw<thrift::NotAliveException>(r.status().message());
  out = std::move(r).value();
}

void NimbusHandler::getTopologyPageInfo(thrift::TopologyPageInfo& out, const std::string& name,
                                        const std::string& window) {
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
  out = nimbus_.SupervisorHeartbeat(heartbeat);
}

void NimbusHandler::downloadPluginChunk(std::string& out, const std::string& sha256, int64_t offset,
                                        int32_t length) {
  auto r = nimbus_.DownloadPluginChunk(sha256, offset, length);
  if (!r.ok() && r.status().code() != StatusCode::kNotFound) {
    throw std::runtime_error(r.status().message());  // a bad offset or length
  }
  if (!r.ok()) Throw<thrift::PluginNotFoundException>(r.status().message());
  out = std::move(r).value();
}

void NimbusHandler::getWorkerPlan(thrift::WorkerPlan& out, const std::string& topology_id,
                                  const std::string& supervisor_id, int32_t port) {
  auto r = nimbus_.GetWorkerPlan(topology_id, supervisor_id, port);
  if (!r.ok()) Throw<thrift::NotAliveException>(r.status().message());
  out = std::move(r).value();
}

void NimbusHandler::workerHeartbeat(thrift::WorkerHeartbeatResponse& out,
                                    const thrift::WorkerHeartbeat& heartbeat) {
  auto r = nimbus_.WorkerHeartbeat(heartbeat);
  if (!r.ok()) Throw<thrift::NotAliveException>(r.status().message());
  out = std::move(r).value();
}

}  // namespace gale::nimbus
