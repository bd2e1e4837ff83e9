#include "core/state/state_store.h"

#include <cstring>
#include <mutex>

namespace gale::state {
namespace {

// One process-wide map per namespace: state outlives a task that is
// prepared again in the same process (gale local, tests), not the process.
struct MemoryNamespace {
  Committed committed;
  Changes prepared;
};

std::mutex& MemoryMutex() {
  static std::mutex mu;
  return mu;
}
std::map<std::string, MemoryNamespace>& MemoryStates() {
  static std::map<std::string, MemoryNamespace> states;
  return states;
}

class MemoryStore final : public StateStore {
 public:
  explicit MemoryStore(std::string ns) : ns_(std::move(ns)) {}

  Result<Committed> Load() override {
    std::lock_guard<std::mutex> lock(MemoryMutex());
    return MemoryStates()[ns_].committed;
  }
  Status Prepare(int64_t txid, const Changes& changes) override {
    std::lock_guard<std::mutex> lock(MemoryMutex());
    auto& s = MemoryStates()[ns_];
    s.prepared = changes;
    s.committed.prepared_txid = txid;
    return Status::Ok();
  }
  Status Commit(int64_t txid) override {
    std::lock_guard<std::mutex> lock(MemoryMutex());
    auto& s = MemoryStates()[ns_];
    if (s.committed.txid == txid && s.committed.prepared_txid == kNoTxid) return Status::Ok();
    if (s.committed.prepared_txid != txid) {
      return Status::FailedPrecondition("state " + ns_ + ": commit of txid " +
                                        std::to_string(txid) + ", but the prepared txid is " +
                                        std::to_string(s.committed.prepared_txid));
    }
    for (const auto& [k, v] : s.prepared) {
      if (v) {
        s.committed.entries[k] = *v;
      } else {
        s.committed.entries.erase(k);
      }
    }
    s.prepared.clear();
    s.committed.txid = txid;
    s.committed.prepared_txid = kNoTxid;
    return Status::Ok();
  }
  Status Rollback() override {
    std::lock_guard<std::mutex> lock(MemoryMutex());
    auto& s = MemoryStates()[ns_];
    s.prepared.clear();
    s.committed.prepared_txid = kNoTxid;
    return Status::Ok();
  }
  Status Clear() override {
    std::lock_guard<std::mutex> lock(MemoryMutex());
    MemoryStates().erase(ns_);
    return Status::Ok();
  }
  Result<Snapshot> Export() override {
    std::lock_guard<std::mutex> lock(MemoryMutex());
    const auto& s = MemoryStates()[ns_];
    return Snapshot{s.committed, s.prepared};
  }
  Status Import(const Snapshot& snapshot) override {
    std::lock_guard<std::mutex> lock(MemoryMutex());
    MemoryStates()[ns_] = MemoryNamespace{snapshot.committed, snapshot.prepared};
    return Status::Ok();
  }
  std::string Describe() const override { return "memory"; }

 private:
  std::string ns_;
};

constexpr std::string_view kSnapshotMagic = "gale-state-snapshot-1\n";

void PutU64(std::string& out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out.append(b, 8);
}
void PutBytes(std::string& out, std::string_view s) {
  PutU64(out, s.size());
  out.append(s);
}

// Reads what EncodeSnapshot wrote, failing with the byte it stopped at.
class SnapshotReader {
 public:
  explicit SnapshotReader(std::string_view in) : in_(in) {}
  bool U64(uint64_t* v) {
    if (in_.size() - pos_ < 8) return false;
    *v = 0;
    for (int i = 0; i < 8; ++i) {
      *v |= static_cast<uint64_t>(static_cast<unsigned char>(in_[pos_ + i])) << (8 * i);
    }
    pos_ += 8;
    return true;
  }
  bool Bytes(std::string* s) {
    uint64_t n = 0;
    if (!U64(&n) || in_.size() - pos_ < n) return false;
    s->assign(in_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  Status Truncated() const {
    return Status::InvalidArgument("state snapshot: truncated or corrupt at byte " +
                                   std::to_string(pos_) + " of " + std::to_string(in_.size()));
  }
  size_t pos() const { return pos_; }
  void Skip(size_t n) { pos_ += n; }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace

Result<Snapshot> StateStore::Export() {
  return Status::FailedPrecondition(Describe() + " is not moved between machines");
}
Status StateStore::Import(const Snapshot&) {
  return Status::FailedPrecondition(Describe() + " is not moved between machines");
}

std::string EncodeSnapshot(const Snapshot& snapshot) {
  std::string out(kSnapshotMagic);
  PutU64(out, static_cast<uint64_t>(snapshot.committed.txid));
  PutU64(out, static_cast<uint64_t>(snapshot.committed.prepared_txid));
  PutU64(out, snapshot.committed.entries.size());
  for (const auto& [k, v] : snapshot.committed.entries) {
    PutBytes(out, k);
    PutBytes(out, v);
  }
  PutU64(out, snapshot.prepared.size());
  for (const auto& [k, v] : snapshot.prepared) {
    PutBytes(out, k);
    PutU64(out, v ? 1 : 0);
    if (v) PutBytes(out, *v);
  }
  return out;
}

Result<Snapshot> DecodeSnapshot(std::string_view bytes) {
  if (!bytes.starts_with(kSnapshotMagic)) {
    return Status::InvalidArgument("state snapshot: not a snapshot (it does not start with '" +
                                   std::string(kSnapshotMagic.substr(0, 19)) + "')");
  }
  SnapshotReader r(bytes);
  r.Skip(kSnapshotMagic.size());
  Snapshot out;
  uint64_t txid = 0, prepared_txid = 0, n = 0;
  if (!r.U64(&txid) || !r.U64(&prepared_txid) || !r.U64(&n)) return r.Truncated();
  out.committed.txid = static_cast<int64_t>(txid);
  out.committed.prepared_txid = static_cast<int64_t>(prepared_txid);
  for (uint64_t i = 0; i < n; ++i) {
    std::string k, v;
    if (!r.Bytes(&k) || !r.Bytes(&v)) return r.Truncated();
    out.committed.entries.emplace(std::move(k), std::move(v));
  }
  if (!r.U64(&n)) return r.Truncated();
  for (uint64_t i = 0; i < n; ++i) {
    std::string k, v;
    uint64_t has = 0;
    if (!r.Bytes(&k) || !r.U64(&has) || has > 1 || (has && !r.Bytes(&v))) return r.Truncated();
    out.prepared.emplace(std::move(k), has ? std::optional<std::string>(std::move(v))
                                           : std::optional<std::string>());
  }
  if (r.pos() != bytes.size()) {
    return Status::InvalidArgument("state snapshot: " + std::to_string(bytes.size() - r.pos()) +
                                   " bytes after its end");
  }
  return out;
}

std::unique_ptr<StateStore> OpenMemoryStore(const std::string& ns) {
  return std::make_unique<MemoryStore>(ns);
}

Result<std::unique_ptr<StateStore>> OpenStateStore(const Config& config, const std::string& ns) {
  std::string provider;
  try {
    provider = config.GetString("topology.state.provider", "memory");
  } catch (const std::exception& e) { return Status::InvalidArgument(e.what()); }
  if (provider == "memory" || provider == "org.apache.storm.state.InMemoryKeyValueStateProvider") {
    return OpenMemoryStore(ns);
  }
  if (provider == "rocksdb") {
    const std::string dir = config.GetString("topology.state.rocksdb.dir", "");
    if (dir.empty()) {
      return Status::InvalidArgument(
          "topology.state.provider rocksdb needs topology.state.rocksdb.dir (the supervisor sets "
          "it to its state directory; gale local to <cwd>/gale-state)");
    }
    return OpenRocksDbStore(dir, ns);
  }
  if (provider == "redis" ||
      provider == "org.apache.storm.redis.state.RedisKeyValueStateProvider") {
    int64_t port = 6379;
    try {
      port = config.GetInt("topology.state.redis.port", 6379);
    } catch (const std::exception& e) { return Status::InvalidArgument(e.what()); }
    if (port < 1 || port > 65535) {
      return Status::InvalidArgument("topology.state.redis.port must be 1..65535, got " +
                                     std::to_string(port));
    }
    return OpenRedisStore(config.GetString("topology.state.redis.host", "127.0.0.1"),
                          static_cast<int>(port), ns,
                          config.GetString("topology.state.redis.password", ""));
  }
  return Status::InvalidArgument("topology.state.provider must be memory, rocksdb or redis, got '" +
                                 provider + "'");
}

}  // namespace gale::state
