#include "worker/cluster_transfer.h"

#include "thrift/host_port.h"

#include "core/tuple/tuple_codec.h"

namespace gale::worker {
namespace {

// What this thread encoded for one peer and the transport refused: the
// batch it came from (transfer and first envelope) and its bytes. The
// buffers trade places with the transport's when a batch is taken.
struct Refused {
  uint64_t owner = 0;  // ClusterTransfer::id_; 0: none
  const runtime::Envelope* first = nullptr;
  transport::EncodedTuples encoded;
};

// The same after a reroute, for one destination's batch: its tuples
// encoded per transport peer, and how many of the batch's envelopes that is.
struct RefusedSplit {
  uint64_t owner = 0;  // ClusterTransfer::id_; 0: none
  const ClusterTransfer::Table* table = nullptr;
  const runtime::Envelope* first = nullptr;
  size_t envelopes = 0;
  uint64_t unroutable = 0;  // among them, counted when the batch is taken
  std::vector<transport::EncodedTuples> by_peer;
};

std::atomic<uint64_t> g_transfers{0};

}  // namespace

std::vector<grouping::Locality> PeerLocality(const std::vector<std::string>& peers,
                                             const std::string& self) {
  // An address that does not parse has no host: elsewhere.
  auto host = [](const std::string& address) {
    auto hp = rpc::ParseHostPort(address);
    return hp.ok() ? hp->host : std::string();
  };
  const std::string mine = host(self);
  std::vector<grouping::Locality> out;
  for (const std::string& p : peers) {
    out.push_back(!mine.empty() && host(p) == mine ? grouping::Locality::kHost
                                                   : grouping::Locality::kEverywhere);
  }
  return out;
}

ClusterTransfer::ClusterTransfer(std::vector<int> task_peer, transport::ZmqTransport& transport,
                                 int peers, std::vector<grouping::Locality> peer_locality)
    : task_peer_(std::move(task_peer)),
      transport_(transport),
      peers_(peers),
      peer_locality_(std::move(peer_locality)),
      id_(g_transfers.fetch_add(1) + 1) {}

grouping::Locality ClusterTransfer::LocalityOfTask(int32_t task) const {
  const Table* table = table_.load(std::memory_order_acquire);
  const std::vector<int>& task_peer = table != nullptr ? table->task_peer : task_peer_;
  const std::vector<grouping::Locality>& where =
      table != nullptr ? table->peer_locality : peer_locality_;
  if (task <= 0 || static_cast<size_t>(task) >= task_peer.size()) {
    return grouping::Locality::kEverywhere;
  }
  const int peer = task_peer[static_cast<size_t>(task)];
  return peer >= 0 && static_cast<size_t>(peer) < where.size() ? where[static_cast<size_t>(peer)]
                                                               : grouping::Locality::kEverywhere;
}

void ClusterTransfer::Reroute(std::vector<int> task_peer, int transport_peers,
                              std::vector<grouping::Locality> peer_locality) {
  auto table = std::make_unique<Table>(
      Table{std::move(task_peer), transport_peers, std::move(peer_locality)});
  std::lock_guard lock(tables_mu_);
  table_.store(table.get(), std::memory_order_release);
  tables_.push_back(std::move(table));
}

bool ClusterTransfer::TryDeliverRerouted(const Table& table, int destination,
                                         std::vector<runtime::Envelope>& batch) {
  thread_local std::vector<RefusedSplit> by_destination;
  if (by_destination.size() <= static_cast<size_t>(destination)) {
    by_destination.resize(static_cast<size_t>(destination) + 1);
  }
  RefusedSplit& r = by_destination[static_cast<size_t>(destination)];
  if (r.owner != id_ || r.table != &table || r.first != batch.data() ||
      r.envelopes > batch.size()) {
    for (auto& e : r.by_peer) e.clear();
    r.envelopes = 0;
    r.unroutable = 0;
  }
  if (r.by_peer.size() < static_cast<size_t>(table.peers)) {
    r.by_peer.resize(static_cast<size_t>(table.peers));
  }
  for (size_t i = r.envelopes; i < batch.size(); ++i) {
    const int32_t task = batch[i].task;
    const int peer = task > 0 && static_cast<size_t>(task) < table.task_peer.size()
                         ? table.task_peer[static_cast<size_t>(task)]
                         : -1;
    if (peer < 0 || peer >= table.peers) {
      ++r.unroutable;
      continue;
    }
    auto& encoded = r.by_peer[static_cast<size_t>(peer)];
    tuple::EncodeTuple(task, batch[i].tuple, encoded.bytes());
    encoded.EndTuple();
  }
  r.envelopes = batch.size();
  if (!transport_.TrySendAll(std::span(r.by_peer.data(), static_cast<size_t>(table.peers)))) {
    r.owner = id_;
    r.table = &table;
    r.first = batch.data();
    return false;
  }
  if (r.unroutable > 0) unroutable_.fetch_add(r.unroutable, std::memory_order_relaxed);
  r.owner = 0;  // taken: every buffer is empty
  batch.clear();
  return true;
}

bool ClusterTransfer::TryDeliver(int peer, std::vector<runtime::Envelope>& batch) {
  if (const Table* table = table_.load(std::memory_order_acquire)) {
    return TryDeliverRerouted(*table, peer, batch);
  }
  thread_local std::vector<Refused> by_peer;
  if (by_peer.size() <= static_cast<size_t>(peer)) by_peer.resize(static_cast<size_t>(peer) + 1);
  Refused& r = by_peer[static_cast<size_t>(peer)];
  // Another batch (or the same one, moved by a reallocation): start over.
  if (r.owner != id_ || r.first != batch.data() || r.encoded.size() > batch.size()) {
    r.encoded.clear();
  }
  for (size_t i = r.encoded.size(); i < batch.size(); ++i) {
    tuple::EncodeTuple(batch[i].task, batch[i].tuple, r.encoded.bytes());
    r.encoded.EndTuple();
  }
  if (!transport_.TrySend(peer, r.encoded)) {
    r.owner = id_;
    r.first = batch.data();
    return false;
  }
  r.owner = 0;  // taken: r.encoded is empty
  batch.clear();
  return true;
}

}  // namespace gale::worker
