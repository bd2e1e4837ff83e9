// core/state/state_store.h
//
// Where checkpointed state lives: one StateStore per namespace (a stateful
// task's), with Storm's two-phase commit. Prepare(txid) writes the changes
// since the last commit durably beside the committed state; Commit(txid)
// makes them the committed state, atomically; Rollback() drops them. A
// store survives its process (but the memory one), so a restarted task
// loads the committed state and finds any prepared-but-uncommitted txid,
// which the checkpoint protocol then commits or rolls back.
//
// Keys and values are bytes here (core/state/key_value_state.h encodes
// gale::Values with the tuple codec).
#pragma once

#include "core/common/result.h"

#include <gale/config.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace gale::state {

inline constexpr int64_t kNoTxid = -1;

// A change: a new value, or nullopt for a deletion.
using Changes = std::map<std::string, std::optional<std::string>>;

struct Committed {
  int64_t txid = kNoTxid;  // the last committed txid
  std::map<std::string, std::string> entries;
  int64_t prepared_txid = kNoTxid;  // a txid prepared and not yet committed
};

// Everything a store holds for its namespace, committed and prepared: what
// moves with a task to another machine (README.md, "Moving RocksDB state").
struct Snapshot {
  Committed committed;
  Changes prepared;  // the changes of committed.prepared_txid
};

class StateStore {
 public:
  virtual ~StateStore() = default;
  virtual Result<Committed> Load() = 0;
  // The whole namespace, and its replacement by `snapshot` in one atomic,
  // durable write. Only the stores that live on one machine have them
  // (a shared store needs no moving): the others answer kFailedPrecondition.
  virtual Result<Snapshot> Export();
  virtual Status Import(const Snapshot& snapshot);
  // Replaces whatever was prepared before. Durable when it returns.
  virtual Status Prepare(int64_t txid, const Changes& changes) = 0;
  // The prepared changes of `txid` become the committed state. Committing
  // the txid already committed is a no-op (a commit is redone after a
  // crash); any other txid than the prepared one is an error.
  virtual Status Commit(int64_t txid) = 0;
  virtual Status Rollback() = 0;
  // Removes the namespace's state altogether.
  virtual Status Clear() = 0;
  // "memory", "rocksdb /var/lib/gale/state", "redis 127.0.0.1:6379": for
  // errors and logs.
  virtual std::string Describe() const = 0;
};

// The backend `config` names (topology.state.provider: memory (default),
// rocksdb or redis, or Storm's provider class names) for `ns`. Errors: an
// unknown provider, a backend that cannot be opened or reached (naming its
// directory or host:port).
Result<std::unique_ptr<StateStore>> OpenStateStore(const Config& config, const std::string& ns);

// A snapshot as bytes, and back. Decode errors say what is wrong ("state
// snapshot: truncated at byte 120 of 4096").
std::string EncodeSnapshot(const Snapshot& snapshot);
Result<Snapshot> DecodeSnapshot(std::string_view bytes);

// The backends, for tests and the factory.
std::unique_ptr<StateStore> OpenMemoryStore(const std::string& ns);
Result<std::unique_ptr<StateStore>> OpenRocksDbStore(const std::string& dir, const std::string& ns);
// Where OpenRocksDbStore keeps `ns` under `dir`.
std::string RocksDbDirFor(const std::string& dir, const std::string& ns);
Result<std::unique_ptr<StateStore>> OpenRedisStore(const std::string& host, int port,
                                                   const std::string& ns,
                                                   const std::string& password = "");

}  // namespace gale::state
