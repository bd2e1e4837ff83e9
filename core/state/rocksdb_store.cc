// The RocksDB backend: one database per namespace (a task's state), in
// <topology.state.rocksdb.dir>/<namespace> (its '/'-separated parts as
// directories, other characters than [A-Za-z0-9_.-] %-escaped). RocksDB
// allows one opener per directory: a task's database is opened by the one
// process that runs the task (a worker that takes over a task from another
// on the same machine waits, bounded, for the old one to let go), and once
// per process (shared). Keys carry the namespace too:
//   <ns> \0 c \0 <key>   committed value
//   <ns> \0 p \0 <key>   prepared change: '\1' + value, or '\0' (deletion)
//   <ns> \0 m \0 committed / prepared    the txids
// Every write is one WriteBatch with sync, so a commit is atomic and
// durable.
#include "core/state/state_store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

namespace gale::state {
namespace {

// The directory of namespace `ns` under `root`.
std::string DirFor(const std::string& root, const std::string& ns) {
  std::string out = root;
  size_t start = 0;
  while (start <= ns.size()) {
    size_t end = ns.find('/', start);
    if (end == std::string::npos) end = ns.size();
    const std::string_view part(ns.data() + start, end - start);
    const bool dots = part.find_first_not_of('.') == std::string_view::npos;  // "", ".", ".."
    out += '/';
    for (char c : part) {
      const auto u = static_cast<unsigned char>(c);
      if (!dots && (std::isalnum(u) || c == '_' || c == '-' || c == '.')) {
        out += c;
      } else {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", u);
        out += buf;
      }
    }
    if (part.empty()) out += "%";
    start = end + 1;
  }
  return out;
}

// How long an opener waits for another process to let go of a database.
constexpr auto kLockWait = std::chrono::seconds(10);

std::shared_ptr<rocksdb::DB> OpenShared(const std::string& dir, Status* error) {
  static std::mutex mu;
  static std::map<std::string, std::weak_ptr<rocksdb::DB>> open;
  std::lock_guard<std::mutex> lock(mu);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    *error =
        Status::Unavailable("rocksdb " + dir + ": cannot create the directory: " + ec.message());
    return nullptr;
  }
  // One opener per directory and process: key by the real path.
  std::string key = std::filesystem::canonical(dir, ec).string();
  if (ec || key.empty()) key = std::filesystem::absolute(dir).lexically_normal().string();
  if (auto db = open[key].lock()) return db;
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, &raw);
  // Held by another process: a worker that ran this task before and is
  // stopping (a rebalance on one machine).
  const auto give_up = std::chrono::steady_clock::now() + kLockWait;
  while (s.IsIOError() && s.ToString().find("LOCK") != std::string::npos &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    s = rocksdb::DB::Open(options, dir, &raw);
  }
  if (!s.ok()) {
    *error = Status::Unavailable("rocksdb " + dir + ": " + s.ToString());
    return nullptr;
  }
  std::shared_ptr<rocksdb::DB> db(raw);
  open[key] = db;
  return db;
}

class RocksDbStore final : public StateStore {
 public:
  RocksDbStore(std::shared_ptr<rocksdb::DB> db, std::string dir, const std::string& ns)
      : db_(std::move(db)), dir_(std::move(dir)), ns_(ns) {
    prefix_c_ = ns + std::string("\0c\0", 3);
    prefix_p_ = ns + std::string("\0p\0", 3);
    meta_committed_ = ns + std::string("\0m\0committed", 12);
    meta_prepared_ = ns + std::string("\0m\0prepared", 11);
  }

  Result<Committed> Load() override {
    Committed out;
    GALE_RETURN_IF_ERROR(ReadTxid(meta_committed_, &out.txid));
    GALE_RETURN_IF_ERROR(ReadTxid(meta_prepared_, &out.prepared_txid));
    auto status = Scan(prefix_c_, [&](std::string_view key, std::string_view value) {
      out.entries.emplace(std::string(key), std::string(value));
    });
    GALE_RETURN_IF_ERROR(status);
    return out;
  }

  Status Prepare(int64_t txid, const Changes& changes) override {
    rocksdb::WriteBatch batch;
    GALE_RETURN_IF_ERROR(DeletePrepared(batch));
    for (const auto& [k, v] : changes) {
      batch.Put(prefix_p_ + k, v ? std::string(1, '\1') + *v : std::string(1, '\0'));
    }
    batch.Put(meta_prepared_, std::to_string(txid));
    return Write(batch, "prepare");
  }

  Status Commit(int64_t txid) override {
    int64_t committed = kNoTxid, prepared = kNoTxid;
    GALE_RETURN_IF_ERROR(ReadTxid(meta_committed_, &committed));
    GALE_RETURN_IF_ERROR(ReadTxid(meta_prepared_, &prepared));
    if (committed == txid && prepared == kNoTxid) return Status::Ok();
    if (prepared != txid) {
      return Status::FailedPrecondition(Describe() + ": commit of txid " + std::to_string(txid) +
                                        ", but the prepared txid is " + std::to_string(prepared));
    }
    rocksdb::WriteBatch batch;
    Status status = Scan(prefix_p_, [&](std::string_view key, std::string_view value) {
      const std::string committed_key = prefix_c_ + std::string(key);
      if (!value.empty() && value[0] == '\1') {
        batch.Put(committed_key, rocksdb::Slice(value.data() + 1, value.size() - 1));
      } else {
        batch.Delete(committed_key);
      }
      batch.Delete(prefix_p_ + std::string(key));
    });
    GALE_RETURN_IF_ERROR(status);
    batch.Delete(meta_prepared_);
    batch.Put(meta_committed_, std::to_string(txid));
    return Write(batch, "commit");
  }

  Status Rollback() override {
    rocksdb::WriteBatch batch;
    GALE_RETURN_IF_ERROR(DeletePrepared(batch));
    batch.Delete(meta_prepared_);
    return Write(batch, "rollback");
  }

  Status Clear() override {
    rocksdb::WriteBatch batch;
    GALE_RETURN_IF_ERROR(DeleteAll(batch));
    return Write(batch, "clear");
  }

  Result<Snapshot> Export() override {
    Snapshot out;
    GALE_ASSIGN_OR_RETURN(out.committed, Load());
    GALE_RETURN_IF_ERROR(Scan(prefix_p_, [&](std::string_view key, std::string_view value) {
      out.prepared.emplace(std::string(key),
                           !value.empty() && value[0] == '\1'
                               ? std::optional<std::string>(std::string(value.substr(1)))
                               : std::optional<std::string>());
    }));
    return out;
  }

  // Clears and writes in one batch: a crash leaves the old state or the new.
  Status Import(const Snapshot& snapshot) override {
    rocksdb::WriteBatch batch;
    GALE_RETURN_IF_ERROR(DeleteAll(batch));
    for (const auto& [k, v] : snapshot.committed.entries) batch.Put(prefix_c_ + k, v);
    for (const auto& [k, v] : snapshot.prepared) {
      batch.Put(prefix_p_ + k, v ? std::string(1, '\1') + *v : std::string(1, '\0'));
    }
    if (snapshot.committed.txid != kNoTxid) {
      batch.Put(meta_committed_, std::to_string(snapshot.committed.txid));
    }
    if (snapshot.committed.prepared_txid != kNoTxid) {
      batch.Put(meta_prepared_, std::to_string(snapshot.committed.prepared_txid));
    }
    return Write(batch, "import");
  }

  std::string Describe() const override { return "rocksdb " + dir_; }

 private:
  template <typename F>
  Status Scan(const std::string& prefix, F f) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      const rocksdb::Slice k = it->key(), v = it->value();
      f(std::string_view(k.data() + prefix.size(), k.size() - prefix.size()),
        std::string_view(v.data(), v.size()));
    }
    if (!it->status().ok()) return Status::Unavailable(Describe() + ": " + it->status().ToString());
    return Status::Ok();
  }
  Status DeleteAll(rocksdb::WriteBatch& batch) {
    GALE_RETURN_IF_ERROR(DeletePrepared(batch));
    GALE_RETURN_IF_ERROR(Scan(prefix_c_, [&](std::string_view key, std::string_view) {
      batch.Delete(prefix_c_ + std::string(key));
    }));
    batch.Delete(meta_prepared_);
    batch.Delete(meta_committed_);
    return Status::Ok();
  }
  Status DeletePrepared(rocksdb::WriteBatch& batch) {
    return Scan(prefix_p_, [&](std::string_view key, std::string_view) {
      batch.Delete(prefix_p_ + std::string(key));
    });
  }
  Status ReadTxid(const std::string& key, int64_t* out) {
    std::string v;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), key, &v);
    if (s.IsNotFound()) {
      *out = kNoTxid;
      return Status::Ok();
    }
    if (!s.ok()) return Status::Unavailable(Describe() + ": " + s.ToString());
    *out = std::stoll(v);
    return Status::Ok();
  }
  Status Write(rocksdb::WriteBatch& batch, const char* what) {
    rocksdb::WriteOptions options;
    options.sync = true;
    rocksdb::Status s = db_->Write(options, &batch);
    if (!s.ok()) return Status::Unavailable(Describe() + ": " + what + ": " + s.ToString());
    return Status::Ok();
  }

  std::shared_ptr<rocksdb::DB> db_;
  std::string dir_, ns_;
  std::string prefix_c_, prefix_p_, meta_committed_, meta_prepared_;
};

}  // namespace

std::string RocksDbDirFor(const std::string& dir, const std::string& ns) { return DirFor(dir, ns); }

Result<std::unique_ptr<StateStore>> OpenRocksDbStore(const std::string& dir,
                                                     const std::string& ns) {
  Status error;
  const std::string db_dir = DirFor(dir, ns);
  auto db = OpenShared(db_dir, &error);
  if (!db) return error;
  return std::unique_ptr<StateStore>(std::make_unique<RocksDbStore>(std::move(db), db_dir, ns));
}

}  // namespace gale::state
