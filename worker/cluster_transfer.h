// worker/cluster_transfer.h
//
// ClusterTransfer routes the tuples an executor sends to tasks of other
// workers into the ZeroMQ transport, encoding them on the executor's thread
// straight from its envelopes (tuple::EncodeTuple).
//
// Live reassignment: the executors keep the destinations they were built
// with (one per peer of the first assignment, which stay valid: a task that
// ran elsewhere still runs elsewhere). After Reroute(), a batch is sorted
// per tuple by the new table as it is delivered, so a task that moved to
// another worker reaches it; until the first Reroute() nothing is looked up
// per tuple.
//
// Threading: TryDeliver from any number of executor threads at once; the
// encoding buffers are per thread and peer. Reroute from one other thread
// (the worker's run loop).
#pragma once

#include "core/runtime/executor.h"
#include "core/transport/zmq_transport.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace gale::worker {

// Where each peer ("host:port") runs, seen from `self` ("host:port"): on
// this host when the hosts are the same string, else elsewhere.
std::vector<grouping::Locality> PeerLocality(const std::vector<std::string>& peers,
                                             const std::string& self);

class ClusterTransfer final : public runtime::Transfer {
 public:
  // task_peer[task]: the peer index that runs `task`, -1 for local tasks;
  // `transport` sends to those peers (it may start later: batches wait).
  // peer_locality[p]: where peer p runs (PeerLocality); missing: elsewhere.
  ClusterTransfer(std::vector<int> task_peer, transport::ZmqTransport& transport, int peers,
                  std::vector<grouping::Locality> peer_locality = {});

  // Destinations are the peers of the first assignment.
  int destination_count() const override { return peers_; }
  int DestinationOf(int32_t task) const override {
    return task > 0 && static_cast<size_t>(task) < task_peer_.size()
               ? task_peer_[static_cast<size_t>(task)]
               : -1;
  }
  // A refused batch is left as it was. When it comes back (the executor
  // retries it, grown at most at its end) only the envelopes added since are
  // encoded: backpressure does not make an executor encode a batch again
  // and again.
  bool TryDeliver(int peer, std::vector<runtime::Envelope>& batch) override;
  bool IsRemote(int) const override { return true; }
  // The transport has no way to take a batch beyond its queue's bound.
  bool ForceDeliver(int, std::vector<runtime::Envelope>&) override { return false; }
  // A peer's load is the transport's: the tuples queued for all peers
  // against its bound (it keeps no count per peer). A peer whose executors
  // are full stops reading, so its tuples queue here.
  double DestinationLoad(int) const override { return transport_.QueuedFill(); }
  // By the current table: a task another worker took over since the first
  // assignment is where that worker is.
  grouping::Locality LocalityOfTask(int32_t task) const override;

  // From now on task t goes to transport peer task_peer[t] (the transport
  // knows every peer named: ZmqTransport::UpdatePeers first). A task that is
  // local here stays local: -1 where it was -1, as the worker checks.
  // peer_locality: where each transport peer runs (PeerLocality).
  void Reroute(std::vector<int> task_peer, int transport_peers,
               std::vector<grouping::Locality> peer_locality = {});
  // Tuples dropped because the current table names no peer for their task.
  uint64_t unroutable() const { return unroutable_.load(std::memory_order_relaxed); }

  struct Table {
    std::vector<int> task_peer;
    int peers = 0;  // the transport's peer count
    std::vector<grouping::Locality> peer_locality;
  };

 private:
  bool TryDeliverRerouted(const Table& table, int destination,
                          std::vector<runtime::Envelope>& batch);

  const std::vector<int> task_peer_;  // the first table, which the executors were built with
  transport::ZmqTransport& transport_;
  const int peers_;
  const std::vector<grouping::Locality> peer_locality_;
  // Tells this transfer from any other in the process's life, for the
  // per-thread buffers (an address may be reused).
  const uint64_t id_;
  // The current table after a Reroute(), null before. Tables are never
  // freed while the transfer lives (an executor may be reading one); there
  // is one per live reassignment.
  std::atomic<const Table*> table_{nullptr};
  std::mutex tables_mu_;
  std::vector<std::unique_ptr<Table>> tables_;  // GUARDED_BY(tables_mu_)
  std::atomic<uint64_t> unroutable_{0};
};

}  // namespace gale::worker
