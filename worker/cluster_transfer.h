// worker/cluster_transfer.h
//
// ClusterTransfer routes the tuples an executor sends to tasks of other
// workers into the ZeroMQ transport, encoding them on the executor's thread
// straight from its envelopes (tuple::EncodeTuple).
//
// Threading: TryDeliver from any number of executor threads at once; the
// encoding buffers are per thread and peer.
#pragma once

#include "core/runtime/executor.h"
#include "core/transport/zmq_transport.h"

#include <vector>

namespace gale::worker {

class ClusterTransfer final : public runtime::Transfer {
 public:
  // task_peer[task]: the peer index that runs `task`, -1 for local tasks;
  // `transport` sends to those peers (it may start later: batches wait).
  ClusterTransfer(std::vector<int> task_peer, transport::ZmqTransport& transport, int peers)
      : task_peer_(std::move(task_peer)), transport_(transport), peers_(peers) {}

  // Destinations are the peers.
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

 private:
  const std::vector<int> task_peer_;
  transport::ZmqTransport& transport_;
  const int peers_;
};

}  // namespace gale::worker
