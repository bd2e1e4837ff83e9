// core/transport/zmq_transport.h
//
// ZmqTransport moves tuples between the worker processes of a topology over
// ZeroMQ on TCP. Each worker binds one PULL socket on its slot's port and
// connects one PUSH socket to each peer worker. Outgoing tuples are batched
// per peer into codec frames (core/tuple/tuple_codec.h), sent when a peer's
// batch reaches `batch_tuples` or when its oldest tuple has waited
// `flush_delay`. Incoming frames are decoded and handed to the Receiver; a
// frame that does not decode is dropped and counted, never trusted.
//
// Backpressure: TrySend() refuses a batch when `max_queued_tuples` are
// already waiting; sockets have bounded high-water marks, and a Receiver that
// refuses tuples stops the transport from reading more (ZeroMQ then pushes
// back on the senders). Nothing is dropped silently.
//
// Threading: two threads of its own, started by Start(): a sender that
// creates and closes the PUSH sockets and a receiver that owns the PULL
// socket. A caller of TrySend() that finds its link quiet and the sender
// asleep hands its batch to ZeroMQ itself, holding the sender's mutex (a
// ZeroMQ socket may change threads across a full memory barrier); otherwise
// the sender does. TrySend() and the stats are thread-safe. zmq.hpp is
// included only by zmq_transport.cc.
#pragma once

#include "core/common/clock.h"
#include "core/common/result.h"
#include "core/common/status.h"
#include "core/tuple/tuple_codec.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gale::transport {

struct TransportOptions {
  std::string bind_host = "127.0.0.1";
  int port = 0;                    // this worker's port
  std::vector<std::string> peers;  // "host:port" of each peer, by peer index
  // A worker sets it from topology.transfer.batch.size (same default).
  size_t batch_tuples = 1024;                        // send a peer's batch at this many tuples...
  Nanos flush_delay = std::chrono::milliseconds(1);  // ...or when its oldest waited this long
  size_t max_queued_tuples = 65536;  // TrySend refuses beyond this (all peers together)
  int send_hwm = 1000;               // ZMQ_SNDHWM / ZMQ_RCVHWM, in frames
  int recv_hwm = 1000;
  int64_t max_frame_bytes = 64 << 20;  // ZMQ_MAXMSGSIZE on the PULL socket

  // Whose frames these are. Every frame carries a stamp: a fingerprint of
  // the topology id, the version of the receiving worker's layout (the
  // assignment version at which its executors last changed) and the
  // sender's name (its address and layout version), if it gives one. The
  // receiver drops frames stamped for another topology or layout (a worker
  // routing by an assignment from before this one's executors changed, or
  // of another topology that had this port before), and frames naming a
  // sender that is not one of its peers now (a moved worker's old process
  // still sending), counting them in `frames_stale`. A frame that names no
  // sender (a tool's) passes on the rest.
  std::string topology_id;
  int64_t assignment_version = 0;  // this worker's layout version
  // This worker as its peers list it ("host:port"): named in every frame it
  // sends. Empty: frames name no sender.
  std::string self_address;
  // Each peer's layout version, by peer index: what frames to it carry.
  // Empty: assignment_version for every peer.
  std::vector<int64_t> peer_versions;
  // CURVE: the topology's key pair (Z85, 40 characters each). When set,
  // every link is encrypted and authenticated: the PULL socket is a CURVE
  // server with this secret key, each PUSH socket a client holding the same
  // pair, and a ZAP handler on the receiver thread admits only clients that
  // prove they hold it; others are refused during the handshake and counted
  // in `connections_refused`. Empty: plaintext.
  std::string curve_public_key;
  std::string curve_secret_key;
};

// A new CURVE key pair (Z85), or an error when this libzmq has no CURVE.
struct CurveKeys {
  std::string public_key;
  std::string secret_key;
};
Result<CurveKeys> NewCurveKeys();

// The 24 bytes in front of every frame (the codec frame follows): a
// fingerprint (FNV-1a 64) of the topology id, the receiver's layout version,
// and a fingerprint of the sender's address and layout version (0 when
// `sender_address` is empty), all little-endian. For tests and tools that
// write frames themselves.
std::string EncodeStamp(const std::string& topology_id, int64_t assignment_version,
                        const std::string& sender_address = "", int64_t sender_version = 0);

// Takes decoded tuples on the receiver thread.
class Receiver {
 public:
  virtual ~Receiver() = default;
  // Takes tuples from the front of `tuples` and returns how many it took
  // (it may move their contents out). The rest are offered again later
  // (after a short wait), and no new frame is read meanwhile. The transport
  // decodes every frame into the same storage.
  virtual size_t Deliver(std::span<tuple::WireTuple> tuples) = 0;
  // A receiver that decodes frames itself (tuple::FrameReader, straight
  // into its own tuples, saving a copy of every value) says so here and is
  // handed each frame's codec bytes (after the stamp) instead: it takes all
  // of the frame's tuples, waiting while it cannot, and returns how many;
  // or, when the frame does not decode, takes none and returns the error
  // (the transport counts the frame dropped).
  virtual bool TakesFrames() const { return false; }
  virtual Result<size_t> DeliverFrame(std::string_view /*frame*/) {
    return Status::Internal("this receiver takes no frames");
  }
};

// Tuples for one peer, already encoded (tuple::EncodeTuple), as a sender
// hands them to the transport: encoding on the sending thread, straight
// from its own tuples, saves converting them to WireTuples first.
class EncodedTuples {
 public:
  std::string& bytes() { return bytes_; }
  const std::string& bytes() const { return bytes_; }
  // Call after encoding each tuple into bytes().
  void EndTuple() { ends_.push_back(bytes_.size()); }
  size_t size() const { return ends_.size(); }
  bool empty() const { return ends_.empty(); }
  // Where tuple `i` ends in bytes() (and tuple i + 1 starts).
  size_t end(size_t i) const { return ends_[i]; }
  size_t begin(size_t i) const { return i == 0 ? 0 : ends_[i - 1]; }
  // Appends `other`'s tuples.
  void Append(const EncodedTuples& other) {
    const size_t base = bytes_.size();
    bytes_.append(other.bytes_);
    for (size_t e : other.ends_) ends_.push_back(base + e);
  }
  void swap(EncodedTuples& other) noexcept {
    bytes_.swap(other.bytes_);
    ends_.swap(other.ends_);
  }
  // Keeps the capacity.
  void clear() {
    bytes_.clear();
    ends_.clear();
  }

 private:
  std::string bytes_;
  std::vector<size_t> ends_;
};

struct TransportStats {
  uint64_t frames_sent = 0;
  uint64_t frames_sent_by_callers = 0;  // of frames_sent: handed to ZeroMQ by TrySend's caller
  uint64_t tuples_sent = 0;
  uint64_t frames_received = 0;
  uint64_t tuples_received = 0;
  uint64_t frames_dropped = 0;  // did not decode
  uint64_t frames_stale = 0;    // decoded, but for another topology or layout, or from a non-peer
  uint64_t connections_refused = 0;  // CURVE clients without the topology's key
  uint64_t tuples_retired = 0;       // queued for, or sent to, a peer retired by UpdatePeers
};

class ZmqTransport {
 public:
  // Batches may be queued (TrySend) before Start.
  explicit ZmqTransport(TransportOptions options);
  ~ZmqTransport();  // Stop()s
  ZmqTransport(const ZmqTransport&) = delete;
  ZmqTransport& operator=(const ZmqTransport&) = delete;

  // Binds the PULL socket (an error names the address when it is taken),
  // connects to the peers and starts both threads; what comes in goes to
  // `receiver`, which must outlive Stop().
  Status Start(Receiver& receiver);
  // Sends what is queued (best effort, bounded by a short linger), then
  // stops both threads. Idempotent.
  void Stop();

  // Queues `batch` for peer `peer`, taking all of it (and clearing it) or
  // none of it (returning false) when too much is queued already.
  bool TrySend(int peer, EncodedTuples& batch);
  // The same for tuples not yet encoded.
  bool TrySend(int peer, std::vector<tuple::WireTuple>& batch);
  // Several peers' batches at once (by_peer[i] for peer i; empty ones are
  // skipped): all are taken (and cleared) or none.
  bool TrySendAll(std::span<EncodedTuples> by_peer);

  // Live reassignment: the peers change while tuples flow. `peers` lists
  // every peer by its index, as before, then any new ones, and `versions`
  // their layout versions (what frames to each carry from now on). A peer
  // keeps its index, so a batch queued for it still goes to it. A peer
  // whose address is now "" is retired: the tuples queued for it are
  // dropped and counted (tuples_retired), its link closes, and later sends
  // to it are dropped and counted too. Errors change nothing: a shorter
  // list, an address that changed or is bad, a retired peer named again,
  // sizes that differ.
  Status UpdatePeers(const std::vector<std::string>& peers, const std::vector<int64_t>& versions);

  TransportStats stats() const;
  // Tuples queued for all peers over max_queued_tuples (a relaxed read: any
  // thread, no lock); above 1 while a batch overshoots the bound.
  double QueuedFill() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gale::transport
