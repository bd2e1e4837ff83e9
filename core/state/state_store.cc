#include "core/state/state_store.h"

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
  std::string Describe() const override { return "memory"; }

 private:
  std::string ns_;
};

}  // namespace

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
