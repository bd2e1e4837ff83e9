// core/transport/zmq_transport.cc
//
// The only file that includes cppzmq. Design notes are in README.md.
#include "core/transport/zmq_transport.h"

#include "core/common/check.h"
#include "core/common/little_endian.h"
#include "core/common/logging.h"

#include <zmq.hpp>

#include <pthread.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <iterator>
#include <limits>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>

namespace gale::transport {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How long the receiver blocks in recv() before it looks at the stop flag.
constexpr int kReceivePollMs = 100;
// Waits between offers of tuples that the Receiver refused, and between
// retries of frames refused by a full ZeroMQ pipe.
constexpr milliseconds kFirstRetry{1};
constexpr milliseconds kMaxRetry{10};
// Stop(): how long the sender keeps trying to hand queued frames to ZeroMQ,
// then how long ZeroMQ may keep writing them to the wire.
constexpr milliseconds kStopFlushBudget{1000};
constexpr int kPushLingerMs = 500;
// At most one log line per this period about frames that did not decode.
constexpr auto kDropLogPeriod = std::chrono::seconds(1);

// ZeroMQ's ZAP endpoint: a REP socket bound here in a context answers the
// authentication requests of that context's CURVE servers.
constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";
// At most this many frames are read per poll (CURVE mode), so a busy link
// does not keep ZAP requests waiting.
constexpr int kFramesPerPoll = 256;
// Batches sent at once after a quiet spell on a link (see PeerQueue).
constexpr int kBurstAtOnce = 4;
// ...as long as each was small: a batch this large ends the burst (a busy
// source's first batch after a pause is followed by more, which should
// fill frames rather than go one by one).
constexpr size_t kBurstBatchTuples = 64;

// The stamp in front of every frame: FNV-1a 64 of the topology id, the
// receiver's layout version, then the sender's name (SenderName), all
// little-endian. The first kReceiverBytes must be the receiver's own.
constexpr size_t kStampBytes = 24;
constexpr size_t kReceiverBytes = 16;

uint64_t Fingerprint(std::string_view text) {
  uint64_t h = 14695981039346656037ull;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

// A sender's name in a stamp: its address and layout version; 0 for a
// sender that gives none.
uint64_t SenderName(const std::string& address, int64_t version) {
  if (address.empty()) return 0;
  const uint64_t name = Fingerprint(address + "#" + std::to_string(version));
  return name == 0 ? 1 : name;
}

void PutLittle64(uint64_t v, std::string& out) {
  char bytes[8];
  StoreLittle64(bytes, v);
  out.append(bytes, 8);
}

milliseconds NextRetry(milliseconds current) { return std::min(current * 2, kMaxRetry); }

bool IsIpv6Literal(std::string_view host) { return host.find(':') != std::string_view::npos; }

// "tcp://host:port", with an IPv6 literal in brackets.
std::string TcpEndpoint(std::string host, int port) {
  const bool bracketed = !host.empty() && host.front() == '[';
  if (!bracketed && IsIpv6Literal(host)) host = "[" + host + "]";
  return "tcp://" + host + ":" + std::to_string(port);
}

// Splits "host:port", "[v6]:port" or "v6:port" (the last colon separates the
// port). The host keeps no brackets.
Status ParsePeer(const std::string& peer, std::string& host, int& port) {
  const size_t colon = peer.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == peer.size()) {
    return Status::InvalidArgument("peer '" + peer + "' is not host:port");
  }
  host = peer.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string port_text = peer.substr(colon + 1);
  if (port_text.find_first_not_of("0123456789") != std::string::npos || port_text.size() > 5) {
    return Status::InvalidArgument("peer '" + peer + "' has no valid port");
  }
  port = std::stoi(port_text);
  if (host.empty() || port < 1 || port > 65535) {
    return Status::InvalidArgument("peer '" + peer + "' is not host:port");
  }
  return Status::Ok();
}

// An encoded frame that ZeroMQ has not accepted yet (its pipe was full).
struct PendingFrame {
  zmq::message_t message;
  size_t tuples = 0;
};

// A peer as the transport was told of it: its address ("" once retired)
// and the layout version its frames carry.
struct PeerSpec {
  std::string address;
  int64_t version = 0;
};

// Sender-thread state for one peer.
struct PeerLink {
  std::string endpoint;
  std::string stamp;  // in front of every frame to this peer
  std::unique_ptr<zmq::socket_t> socket;
  std::deque<PendingFrame> pending;
  bool retired = false;
};

}  // namespace

struct ZmqTransport::Impl {
  explicit Impl(TransportOptions options)
      : options(std::move(options)),
        stamp(EncodeStamp(this->options.topology_id, this->options.assignment_version)),
        curve(!this->options.curve_secret_key.empty()),
        queues(this->options.peers.size()) {
    for (size_t p = 0; p < this->options.peers.size(); ++p) {
      peers.push_back({this->options.peers[p], p < this->options.peer_versions.size()
                                                   ? this->options.peer_versions[p]
                                                   : this->options.assignment_version});
    }
    NamePeersLocked();
  }

  Status Start(Receiver& r);
  void Stop();
  bool TrySend(int peer, EncodedTuples& batch);
  // by_peer[i] goes to peer first_peer + i.
  bool TrySendAll(std::span<EncodedTuples> by_peer, size_t first_peer = 0);
  Status UpdatePeers(const std::vector<std::string>& addresses,
                     const std::vector<int64_t>& versions);
  // Queues `batch` for `peer` (mu held, room checked); whether the sender
  // needs waking.
  bool QueueLocked(size_t peer, EncodedTuples& batch);
  // Whether a batch for `peer` coming `now` would go at once, with nothing
  // queued before it (mu held).
  bool QuietLocked(size_t peer, SteadyClock::time_point now) const;
  // With send_mu and mu held: whether the calling thread may hand `peer`'s
  // batch to ZeroMQ itself (the link is up and nothing waits for it). If
  // so, counts the batch as queued and as sent now.
  bool ClaimLinkLocked(size_t peer, size_t tuples, SteadyClock::time_point now);
  // Frames `batch` for `peer` and hands it to ZeroMQ on the calling thread
  // (send_mu held, the link claimed); wakes the sender for what ZeroMQ
  // did not take.
  void SendNow(size_t peer, EncodedTuples& batch);
  // Recomputes the senders whose frames are taken from `peers` (mu held).
  void NamePeersLocked();
  // Receiver thread.
  void ReceiveLoop(std::promise<Status> bound);
  // Whether a frame naming `sender` is taken: no name, or a current peer's.
  bool KnownSender(uint64_t sender);
  void HandleMessage(zmq::message_t& message);
  void DeliverAll(std::span<tuple::WireTuple> tuples);
  void CountDroppedFrame(zmq::message_t& message, const Status& why);
  void CountStaleFrame(zmq::message_t& message);
  // Answers one ZAP request on `zap` (CURVE mode).
  void HandleZap(zmq::socket_t& zap);
  // Logs at most once per kDropLogPeriod; `skipped` counts what it did not.
  bool LogDue(SteadyClock::time_point& last, uint64_t& skipped);

  // Sender thread.
  void SendLoop(std::promise<Status> connected);
  Status Connect(zmq::context_t& context, const PeerSpec& peer, PeerLink& link);
  // Brings `links` up to the peers UpdatePeers() set: new links, new
  // stamps, retired links closed with what they held dropped.
  void ApplyPeers(zmq::context_t& context);
  // Moves into `taken` the tuples of each peer that are due for a frame
  // (all of them once stopping).
  struct SenderView {
    bool stopping = false;
    SteadyClock::time_point stop_deadline;
  };
  SenderView TakeDue();
  // Cuts `tuples` into frames (clearing it).
  void Frame(EncodedTuples& tuples, const std::string& stamp, std::deque<PendingFrame>& out);
  // GUARDED_BY(send_mu): the frame header, reused from frame to frame.
  std::string header;
  // Hands pending frames to ZeroMQ until each peer's pipe is full. True when
  // some frames are still waiting.
  bool SendPending(bool& progressed);
  // The same for one link: true when frames are still waiting.
  bool SendLink(PeerLink& link, bool& progressed);
  // Waits for new work, a flush deadline or a retry. `blocked`: some frames
  // wait for a full pipe; retry after `retry`. `send_lock` (send_mu) is let
  // go for the wait, so callers may send on quiet links meanwhile.
  void WaitForWork(bool blocked, milliseconds retry, std::unique_lock<std::mutex>& send_lock);
  bool NothingQueued();

  // Immutable after construction.
  const TransportOptions options;
  Receiver* receiver = nullptr;  // set by Start, before the receiver thread
  const std::string stamp;       // kStampBytes: what frames to this worker carry
  const bool curve;

  // The PUSH sockets, and the right to send on them. The sender thread
  // holds it except while it waits for work; a caller that finds it free
  // and its link quiet sends its batch itself (TrySend), sparing the
  // sender's wake-up (~20 us a hop on a 2-vCPU VM). A ZeroMQ socket may
  // change threads across a full memory barrier, which the mutex is.
  // Lock order: send_mu, then mu.
  std::mutex send_mu;
  std::vector<PeerLink> links;       // GUARDED_BY(send_mu)
  std::vector<EncodedTuples> taken;  // GUARDED_BY(send_mu)
  bool links_up = false;             // GUARDED_BY(send_mu): connected, not stopped
  uint64_t peers_applied = 0;  // GUARDED_BY(send_mu): the UpdatePeers() calls ApplyPeers() followed

  // Tuples waiting for the sender, by peer.
  struct PeerQueue {
    EncodedTuples tuples;
    SteadyClock::time_point oldest;  // when `tuples` became non-empty
    SteadyClock::time_point taken;   // when this peer's tuples last went, {} if never
    int burst = 0;                   // batches sent at once since the link was last quiet
    // Adaptive flush: tuples that come `at` a link quiet for a tenth of the
    // flush interval go at once instead of waiting for company, and so do
    // the next few batches after them (kBurstAtOnce: a bolt's words and its
    // acks to one worker, say); a busier link sends at most every tenth of
    // the interval below full frames, and a saturated one in full frames.
    bool SendsAtOnce(SteadyClock::time_point at, Nanos flush_delay) const {
      return taken == SteadyClock::time_point{} || at - taken >= flush_delay / 10 ||
             burst < kBurstAtOnce;
    }
    // `tuples` that came `at` went `now`.
    void Sent(SteadyClock::time_point at, SteadyClock::time_point now, Nanos flush_delay,
              size_t tuples) {
      const bool quiet = taken == SteadyClock::time_point{} || at - taken >= flush_delay / 10;
      burst = quiet ? 1 : std::min(burst + 1, kBurstAtOnce);
      if (tuples >= kBurstBatchTuples) burst = kBurstAtOnce;
      taken = now;
    }
  };
  std::mutex mu;
  std::condition_variable wake_sender;
  std::vector<PeerQueue> queues;           // GUARDED_BY(mu)
  std::vector<PeerSpec> peers;             // GUARDED_BY(mu): by index, as UpdatePeers() left them
  uint64_t peers_changed = 0;              // GUARDED_BY(mu): UpdatePeers() calls so far
  std::vector<uint64_t> peer_names;        // GUARDED_BY(mu): SenderName of each live peer, sorted
  std::atomic<uint64_t> names_changed{0};  // bumped with peer_names
  bool stopping = false;                   // GUARDED_BY(mu)
  bool sender_waiting = false;             // GUARDED_BY(mu)
  bool sender_idle = false;                // GUARDED_BY(mu): waiting with no deadline
  bool sender_woken = false;               // GUARDED_BY(mu): set with each notify
  SteadyClock::time_point stop_deadline;   // GUARDED_BY(mu)

  // Tuples accepted by TrySend and not yet accepted by ZeroMQ. Increased
  // under `mu`, decreased by the sender thread.
  std::atomic<size_t> queued{0};
  std::atomic<bool> stop_receiving{false};

  // Owned by the thread calling Start()/Stop().
  enum class State { kNew, kRunning, kStopped };
  State state = State::kNew;
  std::unique_ptr<zmq::context_t> context;
  std::thread sender;
  std::thread receiver_thread;

  // Receiver thread only.
  std::vector<tuple::WireTuple> decoded;  // every frame, reusing its storage
  std::vector<uint64_t> known_senders;    // a copy of peer_names...
  uint64_t known_as_of = ~uint64_t{0};    // ...as of this names_changed
  SteadyClock::time_point last_drop_log;
  uint64_t drops_not_logged = 0;
  SteadyClock::time_point last_stale_log;
  uint64_t stale_not_logged = 0;
  SteadyClock::time_point last_refusal_log;
  uint64_t refusals_not_logged = 0;

  std::atomic<uint64_t> frames_sent{0};
  std::atomic<uint64_t> frames_sent_by_callers{0};
  std::atomic<uint64_t> tuples_sent{0};
  std::atomic<uint64_t> frames_received{0};
  std::atomic<uint64_t> tuples_received{0};
  std::atomic<uint64_t> frames_dropped{0};
  std::atomic<uint64_t> frames_stale{0};
  std::atomic<uint64_t> connections_refused{0};
  std::atomic<uint64_t> tuples_retired{0};
};

// ---------------------------------------------------------------- Start/Stop

Status ZmqTransport::Impl::Start(Receiver& r) {
  if (state != State::kNew) return Status::Internal("transport already started or stopped");
  receiver = &r;
  if (options.port < 1 || options.port > 65535) {
    return Status::InvalidArgument("transport port " + std::to_string(options.port) +
                                   " is not in 1..65535");
  }
  if (options.batch_tuples == 0 || options.max_queued_tuples == 0) {
    return Status::InvalidArgument("transport batch_tuples and max_queued_tuples must be > 0");
  }
  for (const std::string& peer : options.peers) {
    std::string host;
    int port = 0;
    GALE_RETURN_IF_ERROR(ParsePeer(peer, host, port));
  }
  if (!options.peer_versions.empty() && options.peer_versions.size() != options.peers.size()) {
    return Status::InvalidArgument("transport has " + std::to_string(options.peers.size()) +
                                   " peers but " + std::to_string(options.peer_versions.size()) +
                                   " peer versions");
  }
  if (options.curve_public_key.size() != options.curve_secret_key.size() ||
      (curve && options.curve_secret_key.size() != 40)) {
    return Status::InvalidArgument(
        "transport CURVE keys must both be 40 Z85 characters, or both empty");
  }
  if (curve && !zmq_has("curve")) {
    return Status::Unavailable("this libzmq was built without CURVE; cannot encrypt links");
  }
  {
    std::lock_guard lock(mu);
    stopping = false;
  }
  stop_receiving = false;
  context = std::make_unique<zmq::context_t>(1);

  std::promise<Status> bound;
  std::future<Status> bind_result = bound.get_future();
  receiver_thread =
      std::thread([this, p = std::move(bound)]() mutable { ReceiveLoop(std::move(p)); });
  Status s = bind_result.get();
  if (!s.ok()) {
    receiver_thread.join();
    context.reset();
    return s;
  }

  std::promise<Status> connected;
  std::future<Status> connect_result = connected.get_future();
  sender = std::thread([this, p = std::move(connected)]() mutable { SendLoop(std::move(p)); });
  s = connect_result.get();
  if (!s.ok()) {
    sender.join();
    stop_receiving = true;
    receiver_thread.join();
    context.reset();
    return s;
  }
  state = State::kRunning;
  return Status::Ok();
}

void ZmqTransport::Impl::Stop() {
  {
    std::lock_guard lock(mu);
    if (stopping) return;
    stopping = true;
    stop_deadline = SteadyClock::now() + kStopFlushBudget;
    sender_woken = true;
  }
  wake_sender.notify_all();
  if (state != State::kRunning) {
    if (size_t left = queued.load(); left > 0) {
      GALE_LOG(kWarn) << "transport stopped before it started, dropping " << left << " tuples";
    }
    state = State::kStopped;
    return;
  }
  stop_receiving = true;
  receiver_thread.join();
  sender.join();
  context.reset();  // waits for the PUSH sockets' linger
  state = State::kStopped;
}

bool ZmqTransport::Impl::QueueLocked(size_t peer, EncodedTuples& batch) {
  if (peers[peer].address.empty()) {  // retired: its worker left the assignment
    tuples_retired.fetch_add(batch.size(), std::memory_order_relaxed);
    batch.clear();
    return false;
  }
  PeerQueue& q = queues[peer];
  queued.fetch_add(batch.size(), std::memory_order_relaxed);
  const bool first = q.tuples.empty();
  if (first) {
    // The caller gets back empty buffers that have capacity already: the
    // buffers go round between callers and the sender, not the allocator.
    q.oldest = SteadyClock::now();
    q.tuples.swap(batch);
  } else {
    q.tuples.Append(batch);
  }
  batch.clear();
  // The sender only needs waking when it sleeps with no deadline, when
  // this peer now has a full batch, or when these tuples found the link
  // idle (they go at once); otherwise its flush deadline covers us.
  if (sender_waiting && (sender_idle || q.tuples.size() >= options.batch_tuples ||
                         (first && q.SendsAtOnce(q.oldest, options.flush_delay)))) {
    sender_woken = true;
    return true;
  }
  return false;
}

bool ZmqTransport::Impl::QuietLocked(size_t peer, SteadyClock::time_point now) const {
  const PeerQueue& q = queues[peer];
  return !peers[peer].address.empty() && q.tuples.empty() &&
         q.SendsAtOnce(now, options.flush_delay);
}

bool ZmqTransport::Impl::ClaimLinkLocked(size_t peer, size_t tuples, SteadyClock::time_point now) {
  if (!links_up || peers_applied != peers_changed || peer >= links.size()) return false;
  const PeerLink& link = links[peer];
  if (link.retired || !link.pending.empty()) return false;
  queued.fetch_add(tuples, std::memory_order_relaxed);
  queues[peer].Sent(now, now, options.flush_delay, tuples);
  return true;
}

void ZmqTransport::Impl::SendNow(size_t peer, EncodedTuples& batch) {
  PeerLink& link = links[peer];
  bool progressed = false;
  bool blocked = false;
  try {
    Frame(batch, link.stamp, link.pending);
    const size_t framed = link.pending.size();
    blocked = SendLink(link, progressed);
    frames_sent_by_callers.fetch_add(framed - link.pending.size(), std::memory_order_relaxed);
  } catch (const zmq::error_t& e) { GALE_CHECK(false) << "transport send: " << e.what(); }
  if (!blocked) return;
  {
    std::lock_guard lock(mu);  // ZeroMQ's pipe is full: the sender retries
    sender_woken = true;
  }
  wake_sender.notify_one();
}

bool ZmqTransport::Impl::TrySend(int peer, EncodedTuples& batch) {
  GALE_CHECK(peer >= 0) << "TrySend to peer " << peer;
  return TrySendAll(std::span(&batch, 1), static_cast<size_t>(peer));
}

bool ZmqTransport::Impl::TrySendAll(std::span<EncodedTuples> by_peer, size_t first_peer) {
  // Taken only when some batch may go at once, and never waited for: if the
  // sender holds it, the batches are queued for the sender.
  std::unique_lock send_lock(send_mu, std::defer_lock);
  bool wake = false;
  uint64_t now_mine = 0;  // bit i: by_peer[i] is sent on this thread
  {
    std::lock_guard lock(mu);
    GALE_CHECK(first_peer <= queues.size() && by_peer.size() <= queues.size() - first_peer)
        << "TrySend to peers " << first_peer << ".." << first_peer + by_peer.size() << " of "
        << queues.size();
    if (stopping || queued.load(std::memory_order_relaxed) >= options.max_queued_tuples) {
      return false;
    }
    const auto now = SteadyClock::now();
    for (size_t i = 0; i < by_peer.size(); ++i) {
      if (by_peer[i].empty()) continue;
      const size_t p = first_peer + i;
      // try_lock under mu cannot deadlock: it never waits.
      if (i < 64 && QuietLocked(p, now) && (send_lock.owns_lock() || send_lock.try_lock()) &&
          ClaimLinkLocked(p, by_peer[i].size(), now)) {
        now_mine |= uint64_t{1} << i;
      } else {
        wake = QueueLocked(p, by_peer[i]) || wake;
      }
    }
  }
  for (size_t i = 0; now_mine != 0; ++i, now_mine >>= 1) {
    if (now_mine & 1) SendNow(first_peer + i, by_peer[i]);
  }
  if (send_lock.owns_lock()) send_lock.unlock();
  if (wake) wake_sender.notify_one();
  return true;
}

Status ZmqTransport::Impl::UpdatePeers(const std::vector<std::string>& addresses,
                                       const std::vector<int64_t>& versions) {
  if (addresses.size() != versions.size()) {
    return Status::InvalidArgument("UpdatePeers: " + std::to_string(addresses.size()) +
                                   " peers but " + std::to_string(versions.size()) + " versions");
  }
  for (const std::string& peer : addresses) {
    std::string host;
    int port = 0;
    if (!peer.empty()) GALE_RETURN_IF_ERROR(ParsePeer(peer, host, port));
  }
  uint64_t dropped = 0;
  {
    std::lock_guard lock(mu);
    if (addresses.size() < peers.size()) {
      return Status::InvalidArgument("UpdatePeers: " + std::to_string(addresses.size()) +
                                     " peers, but there were " + std::to_string(peers.size()));
    }
    for (size_t p = 0; p < peers.size(); ++p) {
      if (!addresses[p].empty() && addresses[p] != peers[p].address) {
        return Status::InvalidArgument(
            "UpdatePeers: peer " + std::to_string(p) + " is " +
            (peers[p].address.empty() ? std::string("retired") : "'" + peers[p].address + "'") +
            ", not '" + addresses[p] + "'");
      }
    }
    for (size_t p = 0; p < addresses.size(); ++p) {
      if (p == peers.size()) {
        peers.push_back({addresses[p], versions[p]});
        queues.emplace_back();
        continue;
      }
      peers[p] = {addresses[p], versions[p]};
      if (addresses[p].empty() && !queues[p].tuples.empty()) {
        dropped += queues[p].tuples.size();
        queued.fetch_sub(queues[p].tuples.size(), std::memory_order_relaxed);
        queues[p].tuples.clear();
      }
    }
    NamePeersLocked();
    ++peers_changed;
    sender_woken = true;
  }
  tuples_retired.fetch_add(dropped, std::memory_order_relaxed);
  wake_sender.notify_one();
  return Status::Ok();
}

// ---------------------------------------------------------------- receiver

void ZmqTransport::Impl::ReceiveLoop(std::promise<Status> bound) {
  pthread_setname_np(pthread_self(), "gale-zmq-recv");
  const std::string endpoint = TcpEndpoint(options.bind_host, options.port);
  std::unique_ptr<zmq::socket_t> socket;
  std::unique_ptr<zmq::socket_t> zap;
  try {
    if (curve) {
      // The handler must be bound before the first connection arrives.
      zap = std::make_unique<zmq::socket_t>(*context, zmq::socket_type::rep);
      zap->set(zmq::sockopt::linger, 0);
      zap->bind(kZapEndpoint);
    }
    socket = std::make_unique<zmq::socket_t>(*context, zmq::socket_type::pull);
    socket->set(zmq::sockopt::rcvhwm, options.recv_hwm);
    socket->set(zmq::sockopt::maxmsgsize,
                options.max_frame_bytes > 0 ? options.max_frame_bytes : int64_t{-1});
    socket->set(zmq::sockopt::linger, 0);
    socket->set(zmq::sockopt::rcvtimeo, curve ? 0 : kReceivePollMs);
    if (curve) {
      socket->set(zmq::sockopt::curve_server, true);
      socket->set(zmq::sockopt::curve_secretkey, options.curve_secret_key);
    }
    if (IsIpv6Literal(options.bind_host)) socket->set(zmq::sockopt::ipv6, true);
    socket->bind(endpoint);
  } catch (const zmq::error_t& e) {
    bound.set_value(Status::Unavailable("cannot bind " + endpoint + ": " + e.what()));
    return;
  }
  bound.set_value(Status::Ok());

  while (!stop_receiving.load(std::memory_order_relaxed)) {
    try {
      if (curve) {
        // Poll the PULL socket and the ZAP handler together; then read the
        // frames that are there without blocking.
        zmq::pollitem_t items[] = {{socket->handle(), 0, ZMQ_POLLIN, 0},
                                   {zap->handle(), 0, ZMQ_POLLIN, 0}};
        zmq::poll(items, 2, milliseconds(kReceivePollMs));
        if (items[1].revents & ZMQ_POLLIN) HandleZap(*zap);
        if (!(items[0].revents & ZMQ_POLLIN)) continue;
        for (int i = 0; i < kFramesPerPoll; ++i) {
          zmq::message_t message;
          if (!socket->recv(message, zmq::recv_flags::dontwait)) break;
          HandleMessage(message);
        }
        continue;
      }
      zmq::message_t message;
      if (!socket->recv(message)) continue;  // timed out: look at the stop flag
      HandleMessage(message);
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      GALE_CHECK(false) << "transport receiver on " << endpoint << ": " << e.what();
    }
  }
}

// ZAP (rfc.zeromq.org/spec/27): version, request id, domain, address,
// routing id, mechanism, then the client's 32-byte public key for CURVE.
void ZmqTransport::Impl::HandleZap(zmq::socket_t& zap) {
  std::vector<zmq::message_t> parts;
  while (true) {
    zmq::message_t part;
    if (!zap.recv(part, zmq::recv_flags::dontwait)) break;
    const bool more = part.more();
    parts.push_back(std::move(part));
    if (!more) break;
  }
  if (parts.empty()) return;
  auto text = [&](size_t i) { return i < parts.size() ? parts[i].to_string() : std::string(); };
  uint8_t expected[32];
  const bool ours = parts.size() >= 7 && text(5) == "CURVE" && parts[6].size() == 32 &&
                    zmq_z85_decode(expected, options.curve_public_key.c_str()) != nullptr &&
                    std::memcmp(parts[6].data(), expected, 32) == 0;
  if (!ours) {
    connections_refused.fetch_add(1, std::memory_order_relaxed);
    if (LogDue(last_refusal_log, refusals_not_logged)) {
      GALE_LOG(kWarn) << "transport on port " << options.port << " refused a connection from "
                      << (text(3).empty() ? "an unknown address" : text(3))
                      << ": it does not hold this topology's key"
                      << (refusals_not_logged > 0
                              ? " (and " + std::to_string(refusals_not_logged) + " more unlogged)"
                              : std::string());
      refusals_not_logged = 0;
    }
  }
  const std::string reply[] = {
      "1.0", text(1), ours ? "200" : "400", ours ? "OK" : "not this topology's key", "", ""};
  for (size_t i = 0; i < 6; ++i) {
    zap.send(zmq::buffer(reply[i]), i + 1 < 6 ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
}

bool ZmqTransport::Impl::LogDue(SteadyClock::time_point& last, uint64_t& skipped) {
  const auto now = SteadyClock::now();
  if (now - last < kDropLogPeriod) {
    ++skipped;
    return false;
  }
  last = now;
  return true;
}

void ZmqTransport::Impl::HandleMessage(zmq::message_t& message) {
  const char* data = static_cast<const char*>(message.data());
  if (message.size() < kStampBytes) {
    CountDroppedFrame(message,
                      Status::InvalidArgument("frame of " + std::to_string(message.size()) +
                                              " bytes is shorter than its stamp"));
    return;
  }
  if (std::memcmp(data, stamp.data(), kReceiverBytes) != 0 ||
      !KnownSender(LoadLittle64(data + kReceiverBytes))) {
    CountStaleFrame(message);
    return;
  }
  const std::string_view frame(data + kStampBytes, message.size() - kStampBytes);
  if (receiver->TakesFrames()) {
    const Result<size_t> taken = receiver->DeliverFrame(frame);
    if (!taken.ok()) {
      CountDroppedFrame(message, taken.status());
      return;
    }
    frames_received.fetch_add(1, std::memory_order_relaxed);
    tuples_received.fetch_add(*taken, std::memory_order_relaxed);
    return;
  }
  const Status s = tuple::DecodeFrameInto(frame, decoded);
  if (!s.ok()) {
    CountDroppedFrame(message, s);
    return;
  }
  frames_received.fetch_add(1, std::memory_order_relaxed);
  tuples_received.fetch_add(decoded.size(), std::memory_order_relaxed);
  DeliverAll(decoded);
}

// No new frame is read while the Receiver refuses tuples: the PULL pipe and
// then TCP fill up, and the senders' pipes push back on them.
void ZmqTransport::Impl::DeliverAll(std::span<tuple::WireTuple> tuples) {
  milliseconds retry = kFirstRetry;
  while (true) {
    const size_t taken = std::min(receiver->Deliver(tuples), tuples.size());
    tuples = tuples.subspan(taken);
    if (tuples.empty()) return;
    if (stop_receiving.load(std::memory_order_relaxed)) {
      GALE_LOG(kWarn) << "transport stopping: " << tuples.size()
                      << " received tuples were not taken by the receiver";
      return;
    }
    retry = taken > 0 ? kFirstRetry : NextRetry(retry);
    std::this_thread::sleep_for(retry);
  }
}

namespace {

// The peer's address, when ZeroMQ knows it.
std::string PeerAddress(zmq::message_t& message) {
  try {
    return message.gets("Peer-Address");
  } catch (const zmq::error_t&) { return "an unknown peer"; }
}

}  // namespace

void ZmqTransport::Impl::CountDroppedFrame(zmq::message_t& message, const Status& why) {
  frames_dropped.fetch_add(1, std::memory_order_relaxed);
  if (!LogDue(last_drop_log, drops_not_logged)) return;
  GALE_LOG(kWarn) << "transport on port " << options.port << " dropped a frame of "
                  << message.size() << " bytes from " << PeerAddress(message) << ": " << why
                  << (drops_not_logged > 0
                          ? " (and " + std::to_string(drops_not_logged) + " more unlogged)"
                          : std::string());
  drops_not_logged = 0;
}

bool ZmqTransport::Impl::KnownSender(uint64_t sender) {
  if (sender == 0) return true;
  if (const uint64_t now = names_changed.load(std::memory_order_acquire); now != known_as_of) {
    std::lock_guard lock(mu);
    known_senders = peer_names;
    known_as_of = names_changed.load(std::memory_order_relaxed);
  }
  return std::binary_search(known_senders.begin(), known_senders.end(), sender);
}

void ZmqTransport::Impl::NamePeersLocked() {
  peer_names.clear();
  for (const PeerSpec& p : peers) {
    if (!p.address.empty()) peer_names.push_back(SenderName(p.address, p.version));
  }
  std::sort(peer_names.begin(), peer_names.end());
  names_changed.fetch_add(1, std::memory_order_release);
}

void ZmqTransport::Impl::CountStaleFrame(zmq::message_t& message) {
  frames_stale.fetch_add(1, std::memory_order_relaxed);
  if (!LogDue(last_stale_log, stale_not_logged)) return;
  const char* data = static_cast<const char*>(message.data());
  const bool same_topology = std::memcmp(data, stamp.data(), 8) == 0;
  const bool same_layout = std::memcmp(data, stamp.data(), kReceiverBytes) == 0;
  const auto version = static_cast<int64_t>(LoadLittle64(data + 8));
  GALE_LOG(kWarn) << "transport on port " << options.port << " refused a frame of "
                  << message.size() << " bytes from " << PeerAddress(message) << ": "
                  << (!same_topology ? std::string("it is from another topology (or not a "
                                                   "Gale frame)")
                      : !same_layout
                          ? "it is stamped for assignment " + std::to_string(version) +
                                " of this topology, this worker's executors are those of "
                                "assignment " +
                                std::to_string(options.assignment_version)
                          : std::string("its sender is not one of this worker's peers now (a "
                                        "moved worker's old process still sending)"))
                  << (stale_not_logged > 0
                          ? " (and " + std::to_string(stale_not_logged) + " more unlogged)"
                          : std::string());
  stale_not_logged = 0;
}

// ---------------------------------------------------------------- sender

Status ZmqTransport::Impl::Connect(zmq::context_t& ctx, const PeerSpec& peer, PeerLink& link) {
  link.stamp = EncodeStamp(options.topology_id, peer.version, options.self_address,
                           options.assignment_version);
  {
    std::string host;
    int port = 0;
    GALE_RETURN_IF_ERROR(ParsePeer(peer.address, host, port));
    link.endpoint = TcpEndpoint(host, port);
    try {
      link.socket = std::make_unique<zmq::socket_t>(ctx, zmq::socket_type::push);
      link.socket->set(zmq::sockopt::sndhwm, options.send_hwm);
      link.socket->set(zmq::sockopt::linger, kPushLingerMs);
      // ZMQ_IMMEDIATE stays off: frames queue while a peer (re)starts.
      if (IsIpv6Literal(host)) link.socket->set(zmq::sockopt::ipv6, true);
      if (curve) {
        link.socket->set(zmq::sockopt::curve_serverkey, options.curve_public_key);
        link.socket->set(zmq::sockopt::curve_publickey, options.curve_public_key);
        link.socket->set(zmq::sockopt::curve_secretkey, options.curve_secret_key);
      }
      link.socket->connect(link.endpoint);
    } catch (const zmq::error_t& e) {
      return Status::Unavailable("cannot connect to " + link.endpoint + ": " + e.what());
    }
  }
  return Status::Ok();
}

void ZmqTransport::Impl::ApplyPeers(zmq::context_t& ctx) {
  std::vector<PeerSpec> now;
  {
    std::lock_guard lock(mu);
    if (peers_applied == peers_changed) return;
    peers_applied = peers_changed;
    now = peers;
  }
  for (size_t p = 0; p < now.size(); ++p) {
    if (p == links.size()) {
      PeerLink link;
      if (now[p].address.empty()) {
        link.retired = true;
      } else if (Status s = Connect(ctx, now[p], link); !s.ok()) {
        // The address parsed when it was given: only ZeroMQ can say no here
        // (a host name that does not resolve). The peer is retired, so
        // that its tuples do not fill the queue for good.
        GALE_LOG(kError) << "transport: new peer " << now[p].address << ": " << s
                         << "; retired, its tuples are dropped";
        link.socket.reset();
        link.retired = true;
        std::lock_guard lock(mu);
        PeerQueue& q = queues[p];
        tuples_retired.fetch_add(q.tuples.size(), std::memory_order_relaxed);
        queued.fetch_sub(q.tuples.size(), std::memory_order_relaxed);
        q.tuples.clear();
        peers[p].address.clear();
        NamePeersLocked();
      }
      links.push_back(std::move(link));
      continue;
    }
    PeerLink& link = links[p];
    if (link.retired) continue;
    if (now[p].address.empty()) {
      uint64_t dropped = 0;
      for (const PendingFrame& f : link.pending) dropped += f.tuples;
      dropped += taken[p].size();
      queued.fetch_sub(dropped);
      tuples_retired.fetch_add(dropped, std::memory_order_relaxed);
      taken[p].clear();
      link.pending.clear();
      link.socket->set(zmq::sockopt::linger, 0);
      link.socket.reset();
      link.retired = true;
      continue;
    }
    link.stamp = EncodeStamp(options.topology_id, now[p].version, options.self_address,
                             options.assignment_version);
  }
  taken.resize(links.size());
}

void ZmqTransport::Impl::SendLoop(std::promise<Status> connected) {
  pthread_setname_np(pthread_self(), "gale-zmq-send");
  std::unique_lock send_lock(send_mu);
  std::vector<PeerSpec> first;
  {
    std::lock_guard lock(mu);
    first = peers;
    peers_applied = peers_changed;
  }
  Status s;
  for (const PeerSpec& peer : first) {
    PeerLink& link = links.emplace_back();
    if (peer.address.empty()) {
      link.retired = true;
      continue;
    }
    s = Connect(*context, peer, link);
    if (!s.ok()) break;
  }
  const bool ok = s.ok();
  if (!ok) links.clear();  // the sockets close here, in their own thread
  links_up = ok;
  connected.set_value(std::move(s));
  if (!ok) return;

  taken.resize(links.size());
  milliseconds retry = kFirstRetry;
  try {
    while (true) {
      ApplyPeers(*context);
      const SenderView view = TakeDue();
      for (size_t p = 0; p < links.size(); ++p) {
        Frame(taken[p], links[p].stamp, links[p].pending);
      }
      bool progressed = false;
      const bool blocked = SendPending(progressed);
      retry = progressed ? kFirstRetry : (blocked ? NextRetry(retry) : kFirstRetry);
      if (view.stopping && NothingQueued()) break;
      if (view.stopping && SteadyClock::now() >= view.stop_deadline) break;
      WaitForWork(blocked, retry, send_lock);
    }
  } catch (const zmq::error_t& e) { GALE_CHECK(false) << "transport sender: " << e.what(); }
  if (size_t left = queued.load(); left > 0) {
    GALE_LOG(kWarn) << "transport stopped with " << left << " tuples not handed to ZeroMQ";
  }
  links_up = false;
  links.clear();  // close the PUSH sockets here: they linger kPushLingerMs
}

ZmqTransport::Impl::SenderView ZmqTransport::Impl::TakeDue() {
  const auto now = SteadyClock::now();
  std::lock_guard lock(mu);
  for (size_t p = 0; p < links.size(); ++p) {
    PeerQueue& q = queues[p];
    if (q.tuples.empty()) continue;
    const bool full = q.tuples.size() >= options.batch_tuples;
    // A blocked peer's partial batch keeps growing rather than being cut
    // into small frames that would only wait too.
    const bool due =
        (now - q.oldest >= options.flush_delay || q.SendsAtOnce(q.oldest, options.flush_delay)) &&
        links[p].pending.empty();
    if (stopping || full || due) {
      taken[p].swap(q.tuples);
      q.Sent(q.oldest, now, options.flush_delay, taken[p].size());
    }
  }
  return {stopping, stop_deadline};
}

// Frames hold up to batch_tuples tuples. A frame larger than
// max_frame_bytes would make the peer's PULL socket drop the connection
// (ZMQ_MAXMSGSIZE), losing whatever followed it, so a frame also ends before
// the tuple that would take it over the limit. A single tuple too large for
// any frame can never be delivered; it is dropped here, loudly.
void ZmqTransport::Impl::Frame(EncodedTuples& tuples, const std::string& link_stamp,
                               std::deque<PendingFrame>& out) {
  const size_t n = tuples.size();
  const uint64_t limit = options.max_frame_bytes > 0
                             ? static_cast<uint64_t>(options.max_frame_bytes)
                             : std::numeric_limits<uint64_t>::max();
  auto frame_bytes = [&](size_t first, size_t last) {  // tuples [first, last]
    header.assign(link_stamp);
    tuple::EncodeFrameHeader(last - first + 1, header);
    return header.size() + (tuples.end(last) - tuples.begin(first));
  };
  size_t i = 0;
  while (i < n) {
    size_t j = i;  // the frame is [i, j)
    while (j < n && j - i < options.batch_tuples && frame_bytes(i, j) <= limit) ++j;
    if (j == i) {
      GALE_LOG(kError) << "transport: dropping a tuple of " << tuples.end(i) - tuples.begin(i)
                       << " bytes encoded, above the frame limit of " << options.max_frame_bytes;
      queued.fetch_sub(1);
      ++i;
      continue;
    }
    header.assign(link_stamp);
    tuple::EncodeFrameHeader(j - i, header);
    const size_t body = tuples.end(j - 1) - tuples.begin(i);
    // One copy into a ZeroMQ-owned buffer; the batch keeps its capacity.
    zmq::message_t message(header.size() + body);
    char* data = static_cast<char*>(message.data());
    std::memcpy(data, header.data(), header.size());
    std::memcpy(data + header.size(), tuples.bytes().data() + tuples.begin(i), body);
    out.push_back({std::move(message), j - i});
    i = j;
  }
  tuples.clear();
}

bool ZmqTransport::Impl::SendPending(bool& progressed) {
  bool blocked = false;
  for (PeerLink& link : links) blocked = SendLink(link, progressed) || blocked;
  return blocked;
}

bool ZmqTransport::Impl::SendLink(PeerLink& link, bool& progressed) {
  while (!link.pending.empty() && link.socket) {
    PendingFrame& frame = link.pending.front();
    // On EAGAIN (the pipe is at its high-water mark) the message is left
    // intact and kept for a later retry.
    zmq::send_result_t sent;
    try {
      sent = link.socket->send(frame.message, zmq::send_flags::dontwait);
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) throw;
    }
    if (!sent) return true;
    frames_sent.fetch_add(1, std::memory_order_relaxed);
    tuples_sent.fetch_add(frame.tuples, std::memory_order_relaxed);
    queued.fetch_sub(frame.tuples);
    link.pending.pop_front();
    progressed = true;
  }
  return false;
}

void ZmqTransport::Impl::WaitForWork(bool blocked, milliseconds retry,
                                     std::unique_lock<std::mutex>& send_lock) {
  std::unique_lock lock(mu);
  // Stopping: everything queued was taken above; only a retry needs a wait.
  if (stopping && !blocked) return;
  if (peers_applied != peers_changed) return;
  auto deadline = SteadyClock::time_point::max();
  if (blocked) deadline = SteadyClock::now() + retry;
  for (size_t p = 0; p < links.size(); ++p) {
    const PeerQueue& q = queues[p];
    if (q.tuples.empty()) continue;
    if (q.tuples.size() >= options.batch_tuples) return;  // due now
    if (links[p].pending.empty() && q.SendsAtOnce(q.oldest, options.flush_delay)) return;
    if (links[p].pending.empty()) {
      const auto due =
          q.oldest + std::chrono::duration_cast<SteadyClock::duration>(options.flush_delay);
      deadline = std::min(deadline, due);
    }
  }
  if (stopping) deadline = std::min(deadline, stop_deadline);
  sender_waiting = true;
  sender_idle = deadline == SteadyClock::time_point::max();
  sender_woken = false;
  auto woken = [this] { return sender_woken; };
  // Callers may send on quiet links while the sender sleeps. A frame one of
  // them leaves with ZeroMQ's pipe full sets sender_woken.
  send_lock.unlock();
  if (sender_idle) {
    wake_sender.wait(lock, woken);
  } else {
    wake_sender.wait_until(lock, deadline, woken);
  }
  sender_waiting = false;
  sender_idle = false;
  lock.unlock();
  send_lock.lock();  // send_mu before mu
}

bool ZmqTransport::Impl::NothingQueued() {
  for (const PeerLink& link : links) {
    if (!link.pending.empty()) return false;
  }
  std::lock_guard lock(mu);
  for (const PeerQueue& q : queues) {
    if (!q.tuples.empty()) return false;
  }
  return true;
}

// ---------------------------------------------------------------- public

ZmqTransport::ZmqTransport(TransportOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

ZmqTransport::~ZmqTransport() { Stop(); }

Status ZmqTransport::Start(Receiver& receiver) { return impl_->Start(receiver); }

void ZmqTransport::Stop() { impl_->Stop(); }

bool ZmqTransport::TrySend(int peer, EncodedTuples& batch) { return impl_->TrySend(peer, batch); }

bool ZmqTransport::TrySendAll(std::span<EncodedTuples> by_peer) {
  return impl_->TrySendAll(by_peer);
}

Status ZmqTransport::UpdatePeers(const std::vector<std::string>& peers,
                                 const std::vector<int64_t>& versions) {
  return impl_->UpdatePeers(peers, versions);
}

bool ZmqTransport::TrySend(int peer, std::vector<tuple::WireTuple>& batch) {
  EncodedTuples encoded;
  for (const auto& t : batch) {
    tuple::EncodeTuple(t, encoded.bytes());
    encoded.EndTuple();
  }
  if (!impl_->TrySend(peer, encoded)) return false;
  batch.clear();
  return true;
}

double ZmqTransport::QueuedFill() const {
  return static_cast<double>(impl_->queued.load(std::memory_order_relaxed)) /
         static_cast<double>(impl_->options.max_queued_tuples);
}

TransportStats ZmqTransport::stats() const {
  TransportStats s;
  s.frames_sent = impl_->frames_sent.load(std::memory_order_relaxed);
  s.frames_sent_by_callers = impl_->frames_sent_by_callers.load(std::memory_order_relaxed);
  s.tuples_sent = impl_->tuples_sent.load(std::memory_order_relaxed);
  s.frames_received = impl_->frames_received.load(std::memory_order_relaxed);
  s.tuples_received = impl_->tuples_received.load(std::memory_order_relaxed);
  s.frames_dropped = impl_->frames_dropped.load(std::memory_order_relaxed);
  s.frames_stale = impl_->frames_stale.load(std::memory_order_relaxed);
  s.connections_refused = impl_->connections_refused.load(std::memory_order_relaxed);
  s.tuples_retired = impl_->tuples_retired.load(std::memory_order_relaxed);
  return s;
}

std::string EncodeStamp(const std::string& topology_id, int64_t assignment_version,
                        const std::string& sender_address, int64_t sender_version) {
  std::string stamp;
  PutLittle64(Fingerprint(topology_id), stamp);
  PutLittle64(static_cast<uint64_t>(assignment_version), stamp);
  PutLittle64(SenderName(sender_address, sender_version), stamp);
  return stamp;
}

Result<CurveKeys> NewCurveKeys() {
  char public_key[41] = {};
  char secret_key[41] = {};
  if (!zmq_has("curve") || zmq_curve_keypair(public_key, secret_key) != 0) {
    return Status::Unavailable("this libzmq was built without CURVE: cannot make keys");
  }
  return CurveKeys{public_key, secret_key};
}

}  // namespace gale::transport
