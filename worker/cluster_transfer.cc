#include "worker/cluster_transfer.h"

#include "core/tuple/tuple_codec.h"

namespace gale::worker {
namespace {

// What this thread encoded for one peer and the transport refused: the
// batch it came from (transfer and first envelope) and its bytes. The
// buffers trade places with the transport's when a batch is taken.
struct Refused {
  const ClusterTransfer* owner = nullptr;
  const runtime::Envelope* first = nullptr;
  transport::EncodedTuples encoded;
};

}  // namespace

bool ClusterTransfer::TryDeliver(int peer, std::vector<runtime::Envelope>& batch) {
  thread_local std::vector<Refused> by_peer;
  if (by_peer.size() <= static_cast<size_t>(peer)) by_peer.resize(static_cast<size_t>(peer) + 1);
  Refused& r = by_peer[static_cast<size_t>(peer)];
  // Another batch (or the same one, moved by a reallocation): start over.
  if (r.owner != this || r.first != batch.data() || r.encoded.size() > batch.size()) {
    r.encoded.clear();
  }
  for (size_t i = r.encoded.size(); i < batch.size(); ++i) {
    tuple::EncodeTuple(batch[i].task, batch[i].tuple, r.encoded.bytes());
    r.encoded.EndTuple();
  }
  if (!transport_.TrySend(peer, r.encoded)) {
    r.owner = this;
    r.first = batch.data();
    return false;
  }
  r.owner = nullptr;  // taken: r.encoded is empty
  batch.clear();
  return true;
}

}  // namespace gale::worker
