#include "worker/state_import.h"

#include "core/common/logging.h"
#include "core/state/state_store.h"
#include "thrift/client.h"

#include <algorithm>
#include <thread>

namespace gale::worker {
namespace {

constexpr int32_t kChunk = 4 << 20;

// The namespace's snapshot, fetched whole; "" with *waiting set while its
// holder has not sent it (*holder_alive: and heartbeats).
Result<std::string> Fetch(rpc::NimbusConnection& conn, const StateImport& what,
                          const std::string& ns, bool* none, std::string* waiting,
                          bool* holder_alive) {
  std::string bytes;
  while (true) {
    thrift::StateChunk chunk;
    GALE_RETURN_IF_ERROR(conn.Call([&](thrift::NimbusClient& c) {
      c.fetchState(chunk, what.worker.topology_id, what.worker.supervisor_id,
                   what.worker.assignment_version, ns, static_cast<int64_t>(bytes.size()), kChunk);
    }));
    *none = chunk.status == thrift::StateFetchStatus::NONE;
    *holder_alive = chunk.__isset.holder_alive && chunk.holder_alive;
    if (chunk.status != thrift::StateFetchStatus::READY) {
      *waiting = chunk.message;
      return std::string();
    }
    bytes += chunk.chunk;
    if (static_cast<int64_t>(bytes.size()) >= chunk.total_size || chunk.chunk.empty()) {
      if (static_cast<int64_t>(bytes.size()) != chunk.total_size) {
        return Status::Unavailable("state " + ns + " changed size while fetched");
      }
      waiting->clear();
      return bytes;
    }
  }
}

Status Claim(rpc::NimbusConnection& conn, const StateImport& what, const std::string& ns) {
  return conn.Call([&](thrift::NimbusClient& c) {
    c.claimState(what.worker.topology_id, what.worker.supervisor_id, what.worker.assignment_version,
                 ns);
  });
}

// With no executors: nimbus does not take a worker waiting for state for a
// dead one.
void Heartbeat(rpc::NimbusConnection& conn, const StateImport& what) {
  const thrift::WorkerHeartbeat hb = MakeHeartbeat(what.worker, {}, 0);
  thrift::WorkerHeartbeatResponse resp;
  (void)conn.Call([&](thrift::NimbusClient& c) { c.workerHeartbeat(resp, hb); });
}

}  // namespace

Status ImportMovedState(const StateImport& what, const std::vector<std::string>& namespaces,
                        const std::function<rpc::NimbusConnection*()>& connection,
                        const std::function<bool()>& stop) {
  // The wait runs while the holder is silent: a holder that heartbeats is
  // sending (a large database, or its worker still letting go) and is waited
  // for, up to ten times as long in all.
  const auto start = std::chrono::steady_clock::now();
  auto give_up = start + what.wait;
  for (const std::string& ns : namespaces) {
    std::string waiting = "nimbus cannot be reached";
    while (true) {
      if (stop()) return Status::Unavailable("stopped while fetching state " + ns);
      rpc::NimbusConnection* conn = connection();
      if (conn) {
        bool none = false, holder_alive = false;
        auto bytes = Fetch(*conn, what, ns, &none, &waiting, &holder_alive);
        if (holder_alive) {
          give_up = std::min(std::chrono::steady_clock::now() + what.wait, start + 10 * what.wait);
        }
        if (!bytes.ok() && bytes.status().code() != StatusCode::kUnavailable) {
          return Status(bytes.status().code(), "state " + ns + ": " + bytes.status().message());
        }
        if (bytes.ok() && none) break;  // nothing to move (any more)
        if (bytes.ok() && !bytes->empty()) {
          GALE_ASSIGN_OR_RETURN(state::Snapshot snapshot, state::DecodeSnapshot(*bytes));
          GALE_ASSIGN_OR_RETURN(auto store, state::OpenRocksDbStore(what.rocksdb_dir, ns));
          GALE_RETURN_IF_ERROR(store->Import(snapshot));
          // Claimed only once it is on this disk: a worker that dies before
          // fetches it again.
          GALE_RETURN_IF_ERROR(Claim(*conn, what, ns));
          GALE_LOG(kInfo) << "state " << ns << " moved here (" << bytes->size()
                          << " bytes, committed at checkpoint " << snapshot.committed.txid << ")";
          break;
        }
        if (!bytes.ok()) waiting = bytes.status().message();
      }
      if (std::chrono::steady_clock::now() >= give_up) {
        const std::string why = "the state of " + ns + " did not come: " + waiting;
        if (what.exactly_once) {
          return Status::Unavailable(why +
                                     "; exactly once does not go on without it (the "
                                     "worker starts again and asks again)");
        }
        // Never without the claim: the holder's copy, sent later, would
        // otherwise be imported over this task's newer commits at a restart.
        if (!conn) return Status::Unavailable(why + "; nimbus cannot be reached to take it over");
        GALE_RETURN_IF_ERROR(Claim(*conn, what, ns));
        GALE_LOG(kWarn) << why << "; at least once, going on from the state on this supervisor";
        break;
      }
      if (conn) Heartbeat(*conn, what);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
  return Status::Ok();
}

}  // namespace gale::worker
