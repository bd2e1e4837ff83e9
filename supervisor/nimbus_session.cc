#include "supervisor/nimbus_session.h"

#include <thrift/TOutput.h>

#include "core/common/logging.h"
#include "thrift/client.h"

namespace gale::supervisor {
namespace {

// Thrift prints every failed connect to stderr by itself; the supervisor
// reports an outage once, so Thrift's own lines go to the debug log.
void ThriftToDebugLog(const char* message) { GALE_LOG(kDebug) << "thrift: " << message; }

}  // namespace

NimbusSession::NimbusSession(NimbusAddress nimbus, std::chrono::milliseconds timeout)
    : nimbus_(std::move(nimbus)), timeout_(timeout) {
  apache::thrift::GlobalOutput.setOutputFunction(&ThriftToDebugLog);
}

NimbusSession::~NimbusSession() = default;

Status NimbusSession::Connected() {
  if (connection_) return Status::Ok();
  auto c = rpc::NimbusConnection::ConnectLeader(nimbus_.seeds, timeout_);
  if (!c.ok()) return c.status();
  connection_ = std::move(c).value();
  return Status::Ok();
}

Status NimbusSession::Checked(Status s) {
  if (s.code() == StatusCode::kUnavailable) connection_.reset();
  return s;
}

Result<std::vector<SlotPlan>> NimbusSession::Heartbeat(const HeartbeatReport& report) {
  GALE_RETURN_IF_ERROR(Connected());
  thrift::SupervisorHeartbeat hb;
  hb.supervisor_id = report.supervisor_id;
  hb.host = report.host;
  hb.ports.assign(report.ports.begin(), report.ports.end());
  hb.running_ports.assign(report.running_ports.begin(), report.running_ports.end());
  for (const auto& d : report.deaths) {
    thrift::WorkerDeaths w;
    w.topology_id = d.topology_id;
    w.port = d.port;
    w.count = d.count;
    w.last_reason = d.last_reason;
    w.last_time_secs = d.last_time_secs;
    w.__set_last_cause(d.last_cause);
    w.__set_last_component(d.last_component);
    w.__set_last_task(d.last_task);
    w.__set_last_stack(d.last_stack);
    hb.worker_deaths.push_back(std::move(w));
  }
  hb.__isset.worker_deaths = true;
  hb.__set_logviewer_port(report.logviewer_port);
  std::vector<thrift::SlotAssignment> slots;
  GALE_RETURN_IF_ERROR(Checked(connection_->Call(
      [&](thrift::NimbusClient& client) { client.supervisorHeartbeat(slots, hb); })));
  std::vector<SlotPlan> plans;
  for (const auto& s : slots) {
    SlotPlan& p = plans.emplace_back();
    p.port = s.port;
    p.topology_id = s.topology_id;
    p.topology_name = s.topology_name;
    // A worker restarts when its executors change, not on every new
    // assignment (it follows the others in place: nimbus/README.md).
    p.version = s.__isset.layout_version ? s.layout_version : s.assignment_version;
    for (const auto& ref : s.plugins) p.plugins.push_back({ref.name, ref.sha256});
  }
  return plans;
}

Result<std::string> NimbusSession::DownloadChunk(const std::string& sha256, int64_t offset,
                                                 int32_t length) {
  GALE_RETURN_IF_ERROR(Connected());
  std::string chunk;
  GALE_RETURN_IF_ERROR(Checked(connection_->Call([&](thrift::NimbusClient& client) {
    client.downloadPluginChunk(chunk, sha256, offset, length);
  })));
  return chunk;
}

Result<std::vector<std::string>> NimbusSession::StateExports(const std::string& supervisor_id) {
  GALE_RETURN_IF_ERROR(Connected());
  std::vector<std::string> out;
  GALE_RETURN_IF_ERROR(Checked(connection_->Call(
      [&](thrift::NimbusClient& client) { client.stateExports(out, supervisor_id); })));
  return out;
}

Status NimbusSession::UploadState(const std::string& supervisor_id, const std::string& ns,
                                  int64_t offset, const std::string& chunk) {
  GALE_RETURN_IF_ERROR(Connected());
  return Checked(connection_->Call(
      [&](thrift::NimbusClient& client) { client.uploadState(supervisor_id, ns, offset, chunk); }));
}

Result<bool> NimbusSession::FinishStateUpload(const std::string& supervisor_id,
                                              const std::string& ns, int64_t size) {
  GALE_RETURN_IF_ERROR(Connected());
  bool taken = false;
  GALE_RETURN_IF_ERROR(Checked(connection_->Call([&](thrift::NimbusClient& client) {
    taken = client.finishStateUpload(supervisor_id, ns, size);
  })));
  return taken;
}

}  // namespace gale::supervisor
