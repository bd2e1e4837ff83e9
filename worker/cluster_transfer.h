// worker/cluster_transfer.h
//
// ClusterTransfer routes the tuples an executor sends to tasks of other
// workers into the ZeroMQ transport, encoding them on the executor's thread
// straight from its envelopes (tuple::EncodeTuple).
//
// Threading: TrySend from any number of executor threads at once; the
// encoding buffers are per thread and peer.
#pragma once

#include "core/runtime/worker_runtime.h"
#include "core/transport/zmq_transport.h"

#include <vector>

namespace gale::worker {

class ClusterTransfer final : public runtime::RemoteTransfer {
 public:
  // task_peer[task]: the peer index that runs `task`, -1 for local tasks.
  ClusterTransfer(std::vector<int> task_peer, int peers)
      : task_peer_(std::move(task_peer)), peers_(peers) {}
  void set_transport(transport::ZmqTransport* t) { transport_ = t; }

  int peer_count() const override { return peers_; }
  int PeerOf(int32_t task) const override {
    return task > 0 && static_cast<size_t>(task) < task_peer_.size()
               ? task_peer_[static_cast<size_t>(task)]
               : -1;
  }
  // A refused batch is left as it was. When it comes back (the executor
  // retries it, grown at most at its end) only the envelopes added since are
  // encoded: backpressure does not make an executor encode a batch again
  // and again.
  bool TrySend(int peer, std::vector<runtime::Envelope>& batch) override;

 private:
  const std::vector<int> task_peer_;
  const int peers_;
  transport::ZmqTransport* transport_ = nullptr;
};

}  // namespace gale::worker
