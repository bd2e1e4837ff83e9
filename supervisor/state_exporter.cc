#include "supervisor/state_exporter.h"

#include "core/common/logging.h"
#include "core/state/state_store.h"

namespace gale::supervisor {
namespace {

constexpr size_t kChunk = 4 << 20;  // nimbus's limit per call
constexpr auto kRound = std::chrono::seconds(1);

}  // namespace

StateExporter::StateExporter(NimbusAddress nimbus, std::string supervisor_id,
                             std::string rocksdb_dir)
    : session_(std::move(nimbus), std::chrono::seconds(10)),
      supervisor_id_(std::move(supervisor_id)),
      rocksdb_dir_(std::move(rocksdb_dir)),
      thread_([this] { Run(); }) {}

StateExporter::~StateExporter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool StateExporter::Sleep(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, d, [this] { return stop_; });
}

void StateExporter::Run() {
  while (Sleep(kRound)) {
    auto exports = session_.StateExports(supervisor_id_);
    if (!exports.ok()) continue;  // nimbus away: the heartbeat reports it
    std::string problem;
    for (const std::string& ns : *exports) {
      if (!Sleep(std::chrono::milliseconds(0))) return;
      Status s = Export(ns);
      if (!s.ok()) problem = "state " + ns + " not sent yet: " + s.message();
    }
    if (problem != last_problem_ && !problem.empty()) GALE_LOG(kWarn) << problem;
    last_problem_ = problem;
  }
}

Status StateExporter::Export(const std::string& ns) {
  // Waits (bounded) for a worker of ours that ran the task to let go.
  GALE_ASSIGN_OR_RETURN(auto store, state::OpenRocksDbStore(rocksdb_dir_, ns));
  GALE_ASSIGN_OR_RETURN(state::Snapshot snapshot, store->Export());
  const std::string bytes = state::EncodeSnapshot(snapshot);
  for (size_t offset = 0; offset == 0 || offset < bytes.size(); offset += kChunk) {
    if (!Sleep(std::chrono::milliseconds(0))) return Status::Unavailable("stopping");
    GALE_RETURN_IF_ERROR(session_.UploadState(supervisor_id_, ns, static_cast<int64_t>(offset),
                                              bytes.substr(offset, kChunk)));
  }
  // Nimbus answers a repeated finish as it did the first: a lost answer is
  // asked again (bounded), so that a copy nimbus took is emptied here.
  Result<bool> taken = Status::Unavailable("not asked");
  for (int attempt = 0; attempt < 10; ++attempt) {
    if (attempt > 0 && !Sleep(std::chrono::seconds(1))) return Status::Unavailable("stopping");
    taken = session_.FinishStateUpload(supervisor_id_, ns, static_cast<int64_t>(bytes.size()));
    if (taken.ok() || taken.status().code() == StatusCode::kFailedPrecondition) break;
  }
  if (!taken.ok()) return taken.status();
  if (!*taken) return Status::Ok();  // its task came back here: keep it
  // Nimbus holds it: what is left here is stale, and must never be read.
  GALE_RETURN_IF_ERROR(store->Clear());
  GALE_LOG(kInfo) << "sent state " << ns << " (" << bytes.size() << " bytes, committed at "
                  << "checkpoint " << snapshot.committed.txid << ") to nimbus for its task's "
                  << "new supervisor";
  return Status::Ok();
}

}  // namespace gale::supervisor
