#include "nimbus/state_mover.h"

#include "nimbus/stored.h"

#include "core/common/files.h"
#include "core/common/logging.h"
#include "core/common/sha256.h"
#include "core/state/checkpoint.h"

#include <filesystem>
#include <fstream>

namespace gale::nimbus {

namespace fs = std::filesystem;

std::string StateFiles::PathOf(const std::string& ns, const char* ext) const {
  return dir_ + "/" + Sha256Hex(ns) + ext;
}

Status StateFiles::Append(const std::string& ns, int64_t offset, const std::string& chunk) {
  std::lock_guard lock(mu_);
  const std::string part = PathOf(ns, ".part");
  std::error_code ec;
  if (offset == 0) {
    fs::create_directories(dir_, ec);
    if (ec) return Status::Internal("cannot create '" + dir_ + "': " + ec.message());
  }
  const auto size = offset == 0 ? 0 : static_cast<int64_t>(fs::file_size(part, ec));
  if (ec || size != offset) {
    return Status::FailedPrecondition(
        "state " + ns + ": upload at offset " + std::to_string(offset) + ", but " +
        std::to_string(ec ? 0 : size) + " bytes arrived: start again from 0");
  }
  std::ofstream out(part, std::ios::binary | (offset == 0 ? std::ios::trunc : std::ios::app));
  out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
  out.close();
  if (!out) return Status::Internal("cannot write " + part);
  return Status::Ok();
}

Status StateFiles::Keep(const std::string& ns, int64_t size) {
  std::lock_guard lock(mu_);
  const std::string part = PathOf(ns, ".part");
  std::error_code ec;
  const auto got = static_cast<int64_t>(fs::file_size(part, ec));
  if (ec || got != size) {
    fs::remove(part, ec);
    return Status::FailedPrecondition("state " + ns + ": " + std::to_string(size) +
                                      " bytes sent, " + std::to_string(ec ? 0 : got) +
                                      " arrived: start again from 0");
  }
  // Durable before anyone is told: once the record says nimbus holds it,
  // the supervisor empties its copy.
  if (Status s = SyncPath(part); !s.ok())
    return Status::Internal("cannot keep state " + ns + ": " + s.message());
  fs::rename(part, PathOf(ns, ".bin"), ec);
  if (ec) return Status::Internal("cannot keep state " + ns + ": " + ec.message());
  if (Status s = SyncPath(dir_); !s.ok())
    return Status::Internal("cannot keep state " + ns + ": " + s.message());
  return Status::Ok();
}

Result<int64_t> StateFiles::Size(const std::string& ns) const {
  std::error_code ec;
  const auto size = fs::file_size(PathOf(ns, ".bin"), ec);
  if (ec) return Status::NotFound("no copy of state " + ns + " in " + dir_);
  return static_cast<int64_t>(size);
}

Result<std::string> StateFiles::Read(const std::string& ns, int64_t offset, int32_t length) const {
  const std::string path = PathOf(ns, ".bin");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("no copy of state " + ns + " in " + dir_);
  in.seekg(0, std::ios::end);
  const int64_t size = in.tellg();
  std::string out;
  if (offset < 0 || offset >= size || length <= 0) return out;
  out.resize(static_cast<size_t>(std::min<int64_t>(length, size - offset)));
  in.seekg(offset);
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  if (!in) return Status::Internal("cannot read " + path);
  return out;
}

void StateFiles::Drop(const std::string& ns) {
  std::lock_guard lock(mu_);
  std::error_code ec;
  fs::remove(PathOf(ns, ".bin"), ec);
  fs::remove(PathOf(ns, ".part"), ec);
}

void StateFiles::Prune(const std::set<std::string>& held, std::chrono::seconds age) {
  std::lock_guard lock(mu_);
  std::set<std::string> keep;
  for (const std::string& ns : held) keep.insert(Sha256Hex(ns));
  const auto before = fs::file_time_type::clock::now() - age;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    // NAME.bin, NAME.part; NAME.bin.stale (Recover) is never kept.
    const std::string file = e.path().filename().string();
    const std::string name = file.substr(0, file.find('.'));
    std::error_code time_ec;
    const auto written = fs::last_write_time(e.path(), time_ec);
    if (keep.count(name) || time_ec || written > before) continue;
    std::error_code remove_ec;
    if (fs::remove(e.path(), remove_ec)) {
      GALE_LOG(kInfo) << "removed " << e.path().string()
                      << ": a copy of state nimbus holds no more";
    }
  }
}

StateMover::StateMover(std::string state_dir, MetaStore& store)
    : files_(state_dir), store_(store) {}

Status StateMover::Recover() {
  std::error_code ec;
  fs::create_directories(files_.dir(), ec);
  if (ec) return Status::Internal("cannot create '" + files_.dir() + "': " + ec.message());
  GALE_ASSIGN_OR_RETURN(const std::optional<std::string> bytes, store_.Get("state-holders"));
  if (!bytes) return Status::Ok();
  auto stored = Deserialize<thrift::StoredStateHolders>(*bytes);
  if (!stored.ok()) {
    GALE_LOG(kError) << "cannot read the holders of RocksDB state in " << store_.Describe() << " ("
                     << stored.status().message() << "); " << store_.SetAside("state-holders")
                     << ": RocksDB state held by supervisors is not moved with tasks assigned "
                        "before this start";
    return Status::Ok();
  }
  holders_ = std::move(stored->holders);
  held_sha256_ = std::move(stored->held_sha256);
  not_run_.clear();
  for (const std::string& ns : stored->not_run) {
    if (holders_.count(ns)) not_run_.insert(ns);
  }
  std::set<std::string> held;
  for (const auto& [ns, holder] : holders_) {
    if (!holder.empty()) continue;
    held.insert(ns);
    const std::string path = files_.PathOf(ns, ".bin");
    std::string missing;
    if (!fs::exists(path, ec)) {
      missing = "has no copy of it";
    } else if (auto want = held_sha256_.find(ns); want != held_sha256_.end()) {
      auto sha = Sha256File(path);
      if (!sha.ok() || *sha != want->second) {
        // HA: a copy of an earlier move of it, or not the leader's at all.
        fs::rename(path, path + ".stale", ec);
        missing = "holds a copy that is not the one taken (SHA-256 " +
                  (sha.ok() ? *sha : sha.status().message()) + ", taken " + want->second +
                  "; set aside as " + path + ".stale)";
      }
    }
    if (!missing.empty()) {
      // HA: this nimbus was away (or did not answer) when the leader before
      // it took the state.
      GALE_LOG(kError) << "state " << ns << " is held by nimbus, but " << files_.dir() << " "
                       << missing << ": its task's worker waits for it "
                       << "(topology.state.rocksdb.move.wait.secs)";
    }
  }
  // Copies of state claimed since (a follower's, that leads now).
  files_.Prune(held, std::chrono::minutes(10));
  return Status::Ok();
}

Status StateMover::Save() {
  thrift::StoredStateHolders stored;
  stored.holders = holders_;
  stored.__set_held_sha256(held_sha256_);
  stored.__set_not_run(std::vector<std::string>(not_run_.begin(), not_run_.end()));
  Status s = store_.Put("state-holders", Serialize(stored));
  unsaved_ = !s.ok();
  return s;
}

void StateMover::ForEachTask(const plan::TopologyPlan& plan, const std::string& topology_id,
                             const thrift::Assignment& a,
                             const std::function<void(const std::string&, int)>& f) {
  std::vector<int> task_worker(static_cast<size_t>(plan.task_count()) + 1, -1);
  for (const auto& e : a.executors) {
    if (e.worker < 0 || static_cast<size_t>(e.worker) >= a.workers.size()) continue;
    for (int32_t t = std::max(e.task_start, 1); t <= e.task_end && t <= plan.task_count(); ++t) {
      task_worker[static_cast<size_t>(t)] = e.worker;
    }
  }
  for (const auto& c : plan.components()) {
    if (!c.stateful) continue;
    Config config = plan.topology_config().MergedWith(c.config);
    config.Set("storm.id", topology_id);  // as the worker sets it (state::SetRunDefaults)
    if (config.GetString("topology.state.provider", "memory") != "rocksdb" ||
        config.Contains("topology.state.rocksdb.dir")) {
      continue;
    }
    for (size_t i = 0; i < c.tasks.size(); ++i) {
      const int w = task_worker[static_cast<size_t>(c.tasks[i])];
      if (w >= 0) f(state::StateNamespace(config, plan.name(), c.id, static_cast<int>(i)), w);
    }
  }
}

StateMover::Placement StateMover::PlacementOf(const plan::TopologyPlan& plan,
                                              const std::string& topology_id,
                                              const thrift::Assignment& a) {
  Placement out;
  ForEachTask(plan, topology_id, a, [&](const std::string& ns, int w) {
    out[ns] = a.workers[static_cast<size_t>(w)].supervisor_id;
  });
  return out;
}

std::vector<std::string> StateMover::ImportsFor(const plan::TopologyPlan& plan,
                                                const std::string& topology_id,
                                                const thrift::Assignment& a, int worker) const {
  std::vector<std::string> out;
  const std::string& supervisor = a.workers[static_cast<size_t>(worker)].supervisor_id;
  ForEachTask(plan, topology_id, a, [&](const std::string& ns, int w) {
    const auto holder = HolderOf(ns);
    if (w == worker && holder && *holder != supervisor) out.push_back(ns);
  });
  return out;
}

std::vector<std::vector<std::string>> StateMover::ByWorker(const plan::TopologyPlan& plan,
                                                           const std::string& topology_id,
                                                           const thrift::Assignment& a) {
  std::vector<std::vector<std::string>> out(a.workers.size());
  ForEachTask(plan, topology_id, a,
              [&](const std::string& ns, int w) { out[static_cast<size_t>(w)].push_back(ns); });
  return out;
}

void StateMover::Assigned(const Placement& placement) { Place(placement, /*ran=*/false); }

void StateMover::Recovered(const Placement& placement) { Place(placement, /*ran=*/true); }

void StateMover::Place(const Placement& placement, bool ran) {
  bool changed = false;
  for (const auto& [ns, supervisor] : placement) {
    auto [it, added] = holders_.emplace(ns, supervisor);
    if (added) {
      if (!ran) not_run_.insert(ns);
      changed = true;
    } else if (it->second != supervisor && not_run_.count(ns)) {
      it->second = supervisor;
      changed = true;
    }
  }
  if (!changed) return;
  Status s = Save();
  if (!s.ok()) GALE_LOG(kError) << "who holds RocksDB state is not saved: " << s;
}

void StateMover::Ran(const std::string& supervisor, const std::vector<std::string>& namespaces) {
  bool changed = false;
  for (const std::string& ns : namespaces) {
    auto it = holders_.find(ns);
    if (it != holders_.end() && it->second == supervisor) changed |= not_run_.erase(ns) > 0;
  }
  // A record that failed to save is tried again: on disk those namespaces
  // are still not run, and would follow their tasks after a restart.
  if (!changed && !unsaved_) return;
  Status s = Save();
  if (!s.ok()) GALE_LOG(kError) << "who holds RocksDB state is not saved: " << s;
}

void StateMover::Forget(const std::string& topology_id) {
  bool changed = false;
  const std::string prefix = topology_id + "/";
  for (auto it = holders_.lower_bound(prefix);
       it != holders_.end() && it->first.starts_with(prefix);) {
    files_.Drop(it->first);
    taken_from_.erase(it->first);
    held_sha256_.erase(it->first);
    not_run_.erase(it->first);
    it = holders_.erase(it);
    changed = true;
  }
  if (!changed) return;
  Status s = Save();
  if (!s.ok()) GALE_LOG(kError) << "who holds RocksDB state is not saved: " << s;
}

std::optional<std::string> StateMover::HolderOf(const std::string& ns) const {
  auto it = holders_.find(ns);
  if (it == holders_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> StateMover::ExportsFor(const std::string& supervisor,
                                                const Placement& running) const {
  std::vector<std::string> out;
  for (const auto& [ns, runs_on] : running) {
    if (runs_on != supervisor && HolderOf(ns) == supervisor && !not_run_.count(ns)) {
      out.push_back(ns);
    }
  }
  return out;
}

Status StateMover::Upload(const std::string& supervisor, const std::string& ns, int64_t offset,
                          const std::string& chunk) {
  if (HolderOf(ns) != supervisor) {
    return Status::FailedPrecondition("supervisor " + supervisor + " does not hold state " + ns);
  }
  return files_.Append(ns, offset, chunk);
}

Result<StateMover::Finish> StateMover::FinishUpload(const std::string& supervisor,
                                                    const std::string& ns, int64_t size,
                                                    bool needed) {
  if (auto from = taken_from_.find(ns);
      from != taken_from_.end() && from->second == supervisor && HolderOf(ns) == "") {
    // Taken before: the supervisor did not hear the answer (and may have
    // sent it again meanwhile).
    std::error_code ec;
    fs::remove(files_.PathOf(ns, ".part"), ec);
    return Finish::kHeld;
  }
  if (HolderOf(ns) != supervisor) {
    return Status::FailedPrecondition("supervisor " + supervisor + " does not hold state " + ns);
  }
  if (!needed) {
    files_.Drop(ns);
    return Finish::kNotNeeded;
  }
  // The file on disk first, then the record (Hold): after a crash (of
  // nimbus or of its machine) between the two the supervisor still holds
  // it and sends it again; once the record says nimbus holds it, the
  // supervisor empties its copy, so nimbus's must be durable by then.
  GALE_RETURN_IF_ERROR(files_.Keep(ns, size));
  return Finish::kShare;
}

Result<bool> StateMover::Hold(const std::string& supervisor, const std::string& ns, int64_t size,
                              const std::string& sha256, bool needed) {
  if (auto from = taken_from_.find(ns);
      from != taken_from_.end() && from->second == supervisor && HolderOf(ns) == "") {
    return true;  // a second finish of the same upload got here first
  }
  if (HolderOf(ns) != supervisor) {
    return Status::FailedPrecondition("supervisor " + supervisor + " does not hold state " + ns);
  }
  if (!needed) {
    files_.Drop(ns);
    return false;
  }
  holders_[ns] = "";
  held_sha256_[ns] = sha256;
  if (Status s = Save(); !s.ok()) {
    holders_[ns] = supervisor;
    held_sha256_.erase(ns);
    return s;
  }
  taken_from_[ns] = supervisor;
  GALE_LOG(kInfo) << "state " << ns << " (" << size << " bytes) left supervisor " << supervisor;
  return true;
}

thrift::StateChunk StateMover::Read(const std::string& supervisor, const std::string& ns,
                                    int64_t offset, int32_t length, bool holder_alive) const {
  thrift::StateChunk out;
  out.status = thrift::StateFetchStatus::NONE;
  out.total_size = 0;
  const auto holder = HolderOf(ns);
  if (!holder || *holder == supervisor) return out;
  if (!holder->empty()) {
    out.status = thrift::StateFetchStatus::WAIT;
    out.__set_holder_alive(holder_alive);
    out.message = "it is on supervisor " + *holder +
                  (holder_alive ? ", which has not sent it yet (a worker there still has it open)"
                                : ", which nimbus does not hear from");
    return out;
  }
  const auto size = files_.Size(ns);
  const auto chunk = size.ok() ? files_.Read(ns, offset, length) : size.status();
  if (!chunk.ok()) {
    out.status = thrift::StateFetchStatus::WAIT;
    out.message = "nimbus cannot read its copy (" + chunk.status().message() + ")";
    return out;
  }
  out.status = thrift::StateFetchStatus::READY;
  out.total_size = *size;
  out.chunk = *chunk;
  return out;
}

Status StateMover::Claim(const std::string& supervisor, const std::string& ns) {
  const std::string before = holders_.count(ns) ? holders_[ns] : std::string("?");
  if (before == supervisor) return Status::Ok();
  const bool before_ran = !not_run_.count(ns);
  const auto sha = held_sha256_.find(ns);
  const std::optional<std::string> before_sha =
      sha == held_sha256_.end() ? std::nullopt : std::optional<std::string>(sha->second);
  holders_[ns] = supervisor;
  not_run_.erase(ns);
  held_sha256_.erase(ns);
  if (Status s = Save(); !s.ok()) {
    if (before == "?") {
      holders_.erase(ns);
    } else {
      holders_[ns] = before;
    }
    if (!before_ran) not_run_.insert(ns);
    if (before_sha) held_sha256_[ns] = *before_sha;
    return s;
  }
  taken_from_.erase(ns);
  std::error_code ec;
  fs::remove(files_.PathOf(ns, ".bin"), ec);
  GALE_LOG(kInfo) << "state " << ns << " is on supervisor " << supervisor << " now"
                  << (before.empty() || before == "?"
                          ? ""
                          : " (its copy on " + before + ", which never sent it, is left behind)");
  return Status::Ok();
}

}  // namespace gale::nimbus
