// Tests of ZmqTransport over TCP on loopback, on ports picked free. Every wait
// is bounded; nothing asserts on a fixed sleep.
#include "core/transport/zmq_transport.h"

#include "core/tuple/tuple_access.h"
#include "core/tuple/tuple_codec.h"
#include "test/support/ports.h"
#include "worker/cluster_transfer.h"

#include <catch2/catch.hpp>

// The garbage test needs a raw PUSH socket; it uses the C API (no cppzmq
// outside zmq_transport.cc).
#include <zmq.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace gale::transport {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using tuple::WireTuple;
using Clock = std::chrono::steady_clock;

using testing::FreePort;  // test/support/ports.h

bool WaitUntil(const std::function<bool()>& done, Clock::duration timeout = seconds(20)) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return true;
}

// Takes every tuple offered while open; refuses everything while closed.
class CollectingReceiver : public Receiver {
 public:
  // `takes_frames`: takes whole frames (DeliverFrame), as a worker does.
  explicit CollectingReceiver(bool open = true, bool takes_frames = false)
      : open_(open), takes_frames_(takes_frames) {}

  bool TakesFrames() const override { return takes_frames_; }
  Result<size_t> DeliverFrame(std::string_view frame) override {
    std::vector<WireTuple> tuples;
    GALE_RETURN_IF_ERROR(tuple::DecodeFrameInto(frame, tuples));
    std::lock_guard lock(mu_);
    for (WireTuple& t : tuples) got_.push_back(std::move(t));
    count_.fetch_add(tuples.size());
    return tuples.size();
  }

  size_t Deliver(std::span<WireTuple> tuples) override {
    offers_.fetch_add(1);
    if (!open_.load()) {
      if (!tuples.empty()) first_refused_.insert(tuples.front().values.at(0).AsInt());
      return 0;
    }
    std::lock_guard lock(mu_);
    for (WireTuple& t : tuples) got_.push_back(std::move(t));
    count_.fetch_add(tuples.size());
    return tuples.size();
  }

  void Open() { open_.store(true); }
  size_t count() const { return count_.load(); }
  size_t offers() const { return offers_.load(); }
  // The first field of the first tuple of each refused offer (receiver
  // thread only; read it once that thread is done refusing).
  const std::set<int64_t>& first_refused() const { return first_refused_; }
  std::vector<WireTuple> Take() {
    std::lock_guard lock(mu_);
    return got_;
  }

 private:
  std::atomic<bool> open_;
  const bool takes_frames_;
  std::atomic<size_t> count_{0};
  std::atomic<size_t> offers_{0};
  std::set<int64_t> first_refused_;
  std::mutex mu_;
  std::vector<WireTuple> got_;
};

// A tuple whose every field derives from (source, seq), so that what
// arrives can be checked against what was sent.
WireTuple MakeTuple(int source, int64_t seq, size_t payload_bytes = 16) {
  WireTuple t;
  t.target_task = 7;
  t.source_task = source;
  t.stream = static_cast<uint32_t>(seq % 3);
  t.roots = {{static_cast<uint64_t>(seq) * 0x9E3779B97F4A7C15ull, ~static_cast<uint64_t>(seq)}};
  if (seq % 2 == 0) t.roots.push_back({1, 2});
  std::string payload(payload_bytes, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>((seq + i) & 0xff);
  t.values = {Value(seq),
              Value("word-" + std::to_string(seq)),
              Value(Bytes{payload}),
              Value(-0.5 * static_cast<double>(seq)),
              Value(seq % 5 == 0),
              Value(nullptr)};
  return t;
}

struct Started {
  std::unique_ptr<ZmqTransport> transport;
  int port = 0;
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
};

// Starts a transport on a free port, trying another if the port was taken
// between picking and binding.
Started StartOnFreePort(TransportOptions options, Receiver& receiver) {
  Status last;
  for (int attempt = 0; attempt < 10; ++attempt) {
    options.port = FreePort();
    auto transport = std::make_unique<ZmqTransport>(options);
    last = transport->Start(receiver);
    if (last.ok()) return {std::move(transport), options.port};
  }
  FAIL("no free port: " << last);
  return {};
}

TransportOptions To(const std::vector<std::string>& peers) {
  TransportOptions options;
  options.peers = peers;
  return options;
}

// Sends tuples [first, last) of `source` to `peer` in batches of `batch`,
// retrying refused batches. False if the transport refused for 20 s.
bool SendRange(ZmqTransport& t, int peer, int source, int64_t first, int64_t last, size_t batch,
               size_t payload_bytes = 16) {
  std::vector<WireTuple> tuples;
  for (int64_t seq = first; seq < last;) {
    tuples.clear();
    for (size_t i = 0; i < batch && seq < last; ++i) {
      tuples.push_back(MakeTuple(source, seq++, payload_bytes));
    }
    if (!WaitUntil([&] { return t.TrySend(peer, tuples); })) return false;
  }
  return true;
}

// Checks that `got` holds, for each source, tuples 0..n-1 in order.
void CheckInOrder(const std::vector<WireTuple>& got, const std::map<int, int64_t>& expected,
                  size_t payload_bytes = 16) {
  std::map<int, int64_t> next;
  size_t bad = 0;
  for (const WireTuple& t : got) {
    const int64_t seq = next[t.source_task]++;
    if (!(t == MakeTuple(t.source_task, seq, payload_bytes)) && bad++ < 3) {
      FAIL_CHECK("source " << t.source_task << " tuple " << seq << " differs (got seq "
                           << t.values.at(0).ToString() << ")");
    }
  }
  CHECK(bad == 0);
  CHECK(next == expected);
}

// The C API, for a raw peer that sends whatever bytes it likes.
class RawPush {
 public:
  // With `server_key`, a CURVE client holding the key pair given.
  explicit RawPush(int port, const std::string& server_key = "", const std::string& public_key = "",
                   const std::string& secret_key = "")
      : context_(zmq_ctx_new()), socket_(zmq_socket(context_, ZMQ_PUSH)) {
    const int linger = 2000;
    zmq_setsockopt(socket_, ZMQ_LINGER, &linger, sizeof(linger));
    // A send waits for a connected peer at most this long (never forever).
    const int send_timeout = 10000;
    zmq_setsockopt(socket_, ZMQ_SNDTIMEO, &send_timeout, sizeof(send_timeout));
    if (!server_key.empty()) {
      REQUIRE(zmq_setsockopt(socket_, ZMQ_CURVE_SERVERKEY, server_key.c_str(), 40) == 0);
      REQUIRE(zmq_setsockopt(socket_, ZMQ_CURVE_PUBLICKEY, public_key.c_str(), 40) == 0);
      REQUIRE(zmq_setsockopt(socket_, ZMQ_CURVE_SECRETKEY, secret_key.c_str(), 40) == 0);
    }
    const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(port);
    REQUIRE(zmq_connect(socket_, endpoint.c_str()) == 0);
  }
  ~RawPush() {
    zmq_close(socket_);
    zmq_ctx_term(context_);
  }
  void Send(const std::string& bytes) {
    REQUIRE(zmq_send(socket_, bytes.data(), bytes.size(), 0) == static_cast<int>(bytes.size()));
  }
  // For a peer the transport refuses: once its handshake has failed, the
  // PUSH socket may have no pipe left to queue on, and a send waits for one
  // that never comes (seen under ThreadSanitizer's timing). Queued or not,
  // the refusal is what the caller checks.
  void Offer(const std::string& bytes) {
    zmq_send(socket_, bytes.data(), bytes.size(), ZMQ_DONTWAIT);
  }

 private:
  void* context_;
  void* socket_;
};

TEST_CASE("ZmqTransport moves 100k tuples intact and in order per sender", "[transport]") {
  CollectingReceiver at_b, at_a, at_c;
  Started b = StartOnFreePort(TransportOptions{}, at_b);
  Started a = StartOnFreePort(To({b.address()}), at_a);
  Started c = StartOnFreePort(To({b.address()}), at_c);

  constexpr int64_t kFromA = 100'000;
  constexpr int64_t kFromC = 20'000;
  const auto start = Clock::now();
  bool c_sent = false;  // Catch assertions only on this thread
  std::thread from_c([&] { c_sent = SendRange(*c.transport, 0, /*source=*/2, 0, kFromC, 37); });
  std::mt19937 rng(42);
  std::vector<WireTuple> batch;
  for (int64_t seq = 0; seq < kFromA;) {
    batch.clear();
    const int64_t n = std::uniform_int_distribution<int64_t>(1, 400)(rng);
    for (int64_t i = 0; i < n && seq < kFromA; ++i) batch.push_back(MakeTuple(1, seq++));
    REQUIRE(WaitUntil([&] { return a.transport->TrySend(0, batch); }));
  }
  from_c.join();
  REQUIRE(c_sent);
  REQUIRE(WaitUntil([&] { return at_b.count() == kFromA + kFromC; }));
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  INFO("120k tuples in " << secs << " s");

  CheckInOrder(at_b.Take(), {{1, kFromA}, {2, kFromC}});
  // Senders count what ZeroMQ took after it took it; the peer may be faster.
  REQUIRE(WaitUntil([&] {
    return a.transport->stats().tuples_sent == kFromA && c.transport->stats().tuples_sent == kFromC;
  }));
  const TransportStats sa = a.transport->stats();
  const TransportStats sc = c.transport->stats();
  const TransportStats sb = b.transport->stats();
  CHECK(sa.tuples_sent == kFromA);
  CHECK(sc.tuples_sent == kFromC);
  CHECK(sb.tuples_received == kFromA + kFromC);
  CHECK(sb.frames_received == sa.frames_sent + sc.frames_sent);
  CHECK(sb.frames_dropped == 0);
  CHECK(sa.frames_received == 0);
  // Frames are batches, not one per tuple.
  CHECK(sa.frames_sent < kFromA / 10);
  CHECK(at_a.count() == 0);
}

// Not run by default: `unit_tests "[transport_bench]"`. One sender, one
// receiver, tuples built before the clock starts.
TEST_CASE("ZmqTransport throughput, 1M small tuples", "[.][transport_bench]") {
  CollectingReceiver at_b, at_a;
  Started b = StartOnFreePort(TransportOptions{}, at_b);
  Started a = StartOnFreePort(To({b.address()}), at_a);
  constexpr int64_t kTuples = 1'000'000;
  constexpr size_t kBatch = 100;
  std::vector<std::vector<WireTuple>> batches;
  for (int64_t seq = 0; seq < kTuples; seq += kBatch) {
    std::vector<WireTuple>& batch = batches.emplace_back();
    for (size_t i = 0; i < kBatch; ++i) {
      WireTuple t;
      t.source_task = 1;
      t.values = {Value(seq + static_cast<int64_t>(i)), Value("a short string")};
      batch.push_back(std::move(t));
    }
  }
  const auto start = Clock::now();
  for (std::vector<WireTuple>& batch : batches) {
    while (!a.transport->TrySend(0, batch)) std::this_thread::yield();
  }
  REQUIRE(WaitUntil([&] { return at_b.count() == kTuples; }, seconds(60)));
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  WARN(kTuples / secs << " tuples/s (" << a.transport->stats().frames_sent << " frames)");
}

TEST_CASE("ZmqTransport: a caller hands a lone batch on a quiet link to ZeroMQ itself",
          "[transport]") {
  CollectingReceiver at_b, at_a;
  Started b = StartOnFreePort(TransportOptions{}, at_b);
  Started a = StartOnFreePort(To({b.address()}), at_a);
  // Until the sender thread first sleeps it holds the link, and a batch
  // then goes through it: send lone batches until one is in ZeroMQ when
  // TrySend returns.
  int64_t seq = 0;
  auto send_one = [&] {
    std::this_thread::sleep_for(milliseconds(2));  // quiet, not a timing assertion
    std::vector<WireTuple> batch = {MakeTuple(1, seq++)};
    REQUIRE(a.transport->TrySend(0, batch));
    return a.transport->stats().frames_sent == static_cast<uint64_t>(seq);
  };
  bool first = false;
  for (int i = 0; i < 1000 && !first; ++i) {
    REQUIRE(
        WaitUntil([&] { return a.transport->stats().frames_sent == static_cast<uint64_t>(seq); }));
    first = send_one();
  }
  REQUIRE(first);
  // From then on the sender sleeps with nothing to do, and each lone batch,
  // coming after the link was quiet for a tenth of the flush interval
  // (100 us), is in ZeroMQ when TrySend returns: no wake-up of the sender.
  constexpr int kLone = 20;
  int synchronous = 0;
  for (int i = 0; i < kLone; ++i) synchronous += send_one() ? 1 : 0;
  CHECK(synchronous == kLone);
  const TransportStats stats = a.transport->stats();
  CHECK(stats.frames_sent_by_callers >= static_cast<uint64_t>(kLone + 1));
  REQUIRE(WaitUntil([&] { return at_b.count() == static_cast<size_t>(seq); }));
  CheckInOrder(at_b.Take(), {{1, seq}});
}

TEST_CASE("ZmqTransport: a caller's frame that ZeroMQ refuses is sent by the sender, in order",
          "[transport]") {
  // The peer starts late and the pipe holds one frame: a caller's first
  // frame goes into it, its second is refused (EAGAIN) and left pending,
  // and only the sender, woken by that caller, can send it.
  CollectingReceiver at_a, at_b;
  const int b_port = FreePort();
  TransportOptions options = To({"127.0.0.1:" + std::to_string(b_port)});
  options.send_hwm = 1;
  Started a = StartOnFreePort(options, at_a);
  // The first frame fills the pipe, whoever sends it (the sender thread, if
  // it had not yet gone to sleep after Start).
  int64_t sent = 3;
  REQUIRE(SendRange(*a.transport, 0, 1, 0, sent, 3));
  REQUIRE(WaitUntil([&] { return a.transport->stats().frames_sent == 1; }));
  // The sender is asleep now: the next lone batch is the caller's to send,
  // and is refused.
  std::this_thread::sleep_for(milliseconds(2));  // quiet, not a timing assertion
  REQUIRE(SendRange(*a.transport, 0, 1, sent, sent + 3, 3));
  sent += 3;
  CHECK(a.transport->stats().frames_sent == 1);
  TransportOptions b_options;
  b_options.port = b_port;
  ZmqTransport b(b_options);
  REQUIRE(b.Start(at_b).ok());
  REQUIRE(WaitUntil([&] { return at_b.count() == static_cast<size_t>(sent); }, seconds(10)));
  // More behind it, in order.
  REQUIRE(SendRange(*a.transport, 0, 1, sent, sent + 60, 3));
  REQUIRE(WaitUntil([&] { return at_b.count() == static_cast<size_t>(sent + 60); }, seconds(10)));
  CheckInOrder(at_b.Take(), {{1, sent + 60}});
}

TEST_CASE(
    "ZmqTransport: callers sending on quiet links and the sender thread keep each "
    "sender's order",
    "[transport]") {
  CollectingReceiver at_b, at_c, at_a;
  Started b = StartOnFreePort(TransportOptions{}, at_b);
  Started c = StartOnFreePort(TransportOptions{}, at_c);
  Started a = StartOnFreePort(To({b.address(), c.address()}), at_a);
  // Four threads share A's two links. Each sends rounds of a burst (after
  // the first few batches the link is busy: the sender thread frames the
  // rest at the flush deadline) then a pause (the link goes quiet: whoever
  // finds it free sends), so both paths interleave on each link.
  constexpr int kThreads = 4;
  constexpr int kRounds = 40;
  constexpr int64_t kPerRound = 100;
  constexpr int64_t kEach = kRounds * kPerRound;
  std::atomic<int> refused_for_long{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(7 + t);
      const int peer = t % 2;
      std::vector<WireTuple> batch;
      for (int64_t seq = 0; seq < kEach;) {
        batch.clear();
        const int64_t n = std::uniform_int_distribution<int64_t>(1, 10)(rng);
        const int64_t round_end = (seq / kPerRound + 1) * kPerRound;
        for (int64_t i = 0; i < n && seq < round_end; ++i)
          batch.push_back(MakeTuple(10 + t, seq++));
        if (!WaitUntil([&] { return a.transport->TrySend(peer, batch); })) {
          refused_for_long.fetch_add(1);
          return;
        }
        if (seq == round_end) std::this_thread::sleep_for(milliseconds(3));
      }
    });
  }
  for (std::thread& th : threads) th.join();
  REQUIRE(refused_for_long == 0);
  REQUIRE(WaitUntil([&] { return at_b.count() + at_c.count() == kThreads * kEach; }));
  CheckInOrder(at_b.Take(), {{10, kEach}, {12, kEach}});
  CheckInOrder(at_c.Take(), {{11, kEach}, {13, kEach}});
  REQUIRE(WaitUntil([&] { return a.transport->stats().tuples_sent == kThreads * kEach; }));
  const TransportStats stats = a.transport->stats();
  INFO(stats.frames_sent << " frames, " << stats.frames_sent_by_callers << " by callers");
  CHECK(stats.frames_sent_by_callers > 0);
  CHECK(stats.frames_sent_by_callers < stats.frames_sent);
}

// Records how long each tuple took from its send time (its first field, in
// steady_clock nanoseconds) to Deliver.
class LatencyReceiver : public Receiver {
 public:
  size_t Deliver(std::span<WireTuple> tuples) override {
    const int64_t now = Clock::now().time_since_epoch().count();
    std::lock_guard lock(mu_);
    for (WireTuple& t : tuples) nanos_.push_back(now - t.values.at(0).AsInt());
    return tuples.size();
  }
  size_t count() {
    std::lock_guard lock(mu_);
    return nanos_.size();
  }
  std::vector<int64_t> Take() {
    std::lock_guard lock(mu_);
    return nanos_;
  }

 private:
  std::mutex mu_;
  std::vector<int64_t> nanos_;
};

// Not run by default: `unit_tests "[transport_bench]"`. A lone tuple every
// millisecond on a quiet link, as W4 at low load sends: its time from
// TrySend to Deliver, through the sender, ZeroMQ's two I/O threads and the
// receiver.
TEST_CASE("ZmqTransport latency of a lone tuple on a quiet link", "[.][transport_bench]") {
  LatencyReceiver at_b;
  CollectingReceiver at_a;
  Started b = StartOnFreePort(TransportOptions{}, at_b);
  Started a = StartOnFreePort(To({b.address()}), at_a);
  constexpr int kTuples = 3000;
  auto next = Clock::now();
  for (int i = 0; i < kTuples; ++i) {
    next += milliseconds(1);
    std::this_thread::sleep_until(next);
    WireTuple t;
    t.source_task = 1;
    t.values = {Value(static_cast<int64_t>(Clock::now().time_since_epoch().count()))};
    std::vector<WireTuple> one = {std::move(t)};
    REQUIRE(a.transport->TrySend(0, one));
  }
  REQUIRE(WaitUntil([&] { return at_b.count() == kTuples; }, seconds(10)));
  std::vector<int64_t> nanos = at_b.Take();
  std::sort(nanos.begin(), nanos.end());
  auto us = [&](double q) { return nanos[static_cast<size_t>(q * (nanos.size() - 1))] / 1e3; };
  WARN("TrySend to Deliver: p50 " << us(0.5) << " us, p90 " << us(0.9) << " us, p99 " << us(0.99)
                                  << " us; " << a.transport->stats().frames_sent << " frames");
}

TEST_CASE("ZmqTransport sends a lone tuple after the flush delay", "[transport]") {
  CollectingReceiver at_b, at_a;
  Started b = StartOnFreePort(TransportOptions{}, at_b);
  TransportOptions options = To({b.address()});
  options.batch_tuples = 256;
  options.flush_delay = milliseconds(5);
  Started a = StartOnFreePort(options, at_a);

  std::vector<WireTuple> one = {MakeTuple(1, 0)};
  REQUIRE(a.transport->TrySend(0, one));
  CHECK(one.empty());
  REQUIRE(WaitUntil([&] { return at_b.count() == 1; }, seconds(5)));
  CheckInOrder(at_b.Take(), {{1, 1}});
  // The sender counts a frame once ZeroMQ took it, which may be after the
  // peer already has it: wait for the count, then check it is exactly one.
  REQUIRE(WaitUntil([&] { return a.transport->stats().frames_sent > 0; }, seconds(5)));
  CHECK(a.transport->stats().frames_sent == 1);
}

TEST_CASE("ZmqTransport refuses frames of another topology or assignment, counts them, goes on",
          "[transport]") {
  TransportOptions mine;
  mine.topology_id = "wordcount-1-1764800000";
  mine.assignment_version = 3;
  CollectingReceiver at_b, at_old, at_new;
  Started b = StartOnFreePort(mine, at_b);
  RawPush raw(b.port);
  std::string body;
  tuple::EncodeFrame({MakeTuple(9, 0)}, body);
  raw.Send(EncodeStamp(mine.topology_id, 2) + body);          // an earlier assignment
  raw.Send(EncodeStamp("wordcount-2-1764800099", 3) + body);  // another topology
  raw.Send(EncodeStamp(mine.topology_id, 3) + body);          // b's own
  REQUIRE(WaitUntil([&] { return at_b.count() == 1; }, seconds(5)));
  CHECK(b.transport->stats().frames_stale == 2);
  CHECK(b.transport->stats().frames_dropped == 0);

  // A worker of the earlier assignment, still running, gets nothing in; one
  // of the current assignment does.
  TransportOptions old = To({b.address()});
  old.topology_id = mine.topology_id;
  old.assignment_version = 2;
  Started a_old = StartOnFreePort(old, at_old);
  REQUIRE(SendRange(*a_old.transport, 0, 1, 0, 100, 10));
  REQUIRE(WaitUntil([&] { return b.transport->stats().frames_stale > 2; }, seconds(10)));
  TransportOptions current = old;
  current.assignment_version = 3;
  Started a_new = StartOnFreePort(current, at_new);
  REQUIRE(SendRange(*a_new.transport, 0, 2, 0, 100, 10));
  REQUIRE(WaitUntil([&] { return at_b.count() == 101; }));
  CheckInOrder(at_b.Take(), {{9, 1}, {2, 100}});
}

TEST_CASE("ZmqTransport with CURVE takes frames only from peers holding the topology's key",
          "[transport]") {
  Result<CurveKeys> keys = NewCurveKeys();
  REQUIRE(keys.ok());
  REQUIRE(keys->public_key.size() == 40);
  TransportOptions secure;
  secure.curve_public_key = keys->public_key;
  secure.curve_secret_key = keys->secret_key;
  CollectingReceiver at_b, at_a;
  Started b = StartOnFreePort(secure, at_b);

  std::string frame = EncodeStamp("", 0);
  tuple::EncodeFrame({MakeTuple(9, 0)}, frame);
  // A plaintext peer, and a CURVE peer that knows b's public key but holds
  // a key pair of its own: neither gets a frame in.
  RawPush plain(b.port);
  Result<CurveKeys> other = NewCurveKeys();
  REQUIRE(other.ok());
  RawPush impostor(b.port, keys->public_key, other->public_key, other->secret_key);
  plain.Offer(frame);
  impostor.Offer(frame);
  REQUIRE(WaitUntil([&] { return b.transport->stats().connections_refused >= 1; }, seconds(10)));

  TransportOptions a_options = secure;
  a_options.peers = {b.address()};
  Started a = StartOnFreePort(a_options, at_a);
  REQUIRE(SendRange(*a.transport, 0, 1, 0, 1000, 50));
  REQUIRE(WaitUntil([&] { return at_b.count() == 1000; }));
  CheckInOrder(at_b.Take(), {{1, 1000}});
  CHECK(b.transport->stats().frames_dropped == 0);
  CHECK(b.transport->stats().frames_stale == 0);
}

// A TCP connection to 127.0.0.1:port, or -1.
int ConnectTcp(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
  if (fd >= 0) ::close(fd);
  return -1;
}

// A one-connection TCP proxy on a free port to `target`, keeping a copy of
// every byte the client sent: what an eavesdropper on the link records.
class RecordingProxy {
 public:
  explicit RecordingProxy(int target) : target_(target) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    REQUIRE(::listen(listener_, 1) == 0);
    thread_ = std::thread([this] { Run(); });
  }
  ~RecordingProxy() {
    stop_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    if (client_ >= 0) ::shutdown(client_, SHUT_RDWR);
    if (server_ >= 0) ::shutdown(server_, SHUT_RDWR);
    thread_.join();
    if (client_ >= 0) ::close(client_);
    if (server_ >= 0) ::close(server_);
  }
  int port() const { return port_; }
  std::string recorded() {
    std::lock_guard lock(mu_);
    return recorded_;
  }

 private:
  void Run() {
    client_ = ::accept(listener_, nullptr, nullptr);
    if (client_ < 0) return;
    server_ = ConnectTcp(target_);
    if (server_ < 0) return;
    std::thread back([this] { Copy(server_, client_, false); });
    Copy(client_, server_, true);
    ::shutdown(client_, SHUT_RDWR);
    ::shutdown(server_, SHUT_RDWR);
    back.join();
  }
  void Copy(int from, int to, bool record) {
    char buf[65536];
    while (!stop_) {
      const ssize_t n = ::read(from, buf, sizeof buf);
      if (n <= 0) return;
      if (record) {
        std::lock_guard lock(mu_);
        recorded_.append(buf, static_cast<size_t>(n));
      }
      if (::write(to, buf, static_cast<size_t>(n)) != n) return;
    }
  }

  int target_, listener_ = -1, port_ = 0, client_ = -1, server_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::string recorded_;
};

TEST_CASE("ZmqTransport with CURVE: a recorded session replayed to the worker gets nothing in",
          "[transport]") {
  Result<CurveKeys> keys = NewCurveKeys();
  REQUIRE(keys.ok());
  TransportOptions secure;
  secure.curve_public_key = keys->public_key;
  secure.curve_secret_key = keys->secret_key;
  CollectingReceiver at_b, at_a;
  Started b = StartOnFreePort(secure, at_b);
  {
    // A peer with the key, through the recording proxy.
    RecordingProxy proxy(b.port);
    TransportOptions a_options = secure;
    a_options.peers = {"127.0.0.1:" + std::to_string(proxy.port())};
    Started a = StartOnFreePort(a_options, at_a);
    REQUIRE(SendRange(*a.transport, 0, 1, 0, 500, 50));
    REQUIRE(WaitUntil([&] { return at_b.count() == 500; }));
    a.transport->Stop();
    const std::string recorded = proxy.recorded();
    REQUIRE(recorded.size() > 500);
    // The recording holds no tuple in clear: every value is encrypted.
    CHECK(recorded.find("word-1") == std::string::npos);

    // The eavesdropper replays the whole session on a connection of its own.
    const int fd = ConnectTcp(b.port);
    REQUIRE(fd >= 0);
    size_t written = 0;
    while (written < recorded.size()) {
      const ssize_t n = ::write(fd, recorded.data() + written, recorded.size() - written);
      if (n <= 0) break;  // the worker hung up on it
      written += static_cast<size_t>(n);
    }
    // The worker reads the replay and hangs up on it: the session's keys
    // were made for the recorded connection (its cookie no longer opens).
    bool hung_up = false;
    const auto deadline = Clock::now() + seconds(10);
    char buf[4096];
    while (!hung_up && Clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      hung_up = ::read(fd, buf, sizeof buf) <= 0;
    }
    ::close(fd);
    CHECK(hung_up);
  }
  CHECK(at_b.count() == 500);
  CheckInOrder(at_b.Take(), {{1, 500}});
  CHECK(b.transport->stats().frames_dropped == 0);
}

TEST_CASE("ZmqTransport refuses CURVE keys that are not 40 Z85 characters", "[transport]") {
  CollectingReceiver receiver;
  TransportOptions bad;
  bad.port = FreePort();
  bad.curve_public_key = "short";
  bad.curve_secret_key = "short";
  ZmqTransport t(bad);
  const Status s = t.Start(receiver);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("40 Z85 characters") != std::string::npos);
}

TEST_CASE("ZmqTransport routes each batch to its own peer", "[transport]") {
  CollectingReceiver at_b, at_c, at_a;
  Started b = StartOnFreePort(TransportOptions{}, at_b);
  Started c = StartOnFreePort(TransportOptions{}, at_c);
  Started a = StartOnFreePort(To({b.address(), c.address()}), at_a);
  REQUIRE(SendRange(*a.transport, 0, 1, 0, 500, 10));
  REQUIRE(SendRange(*a.transport, 1, 2, 0, 300, 7));
  REQUIRE(WaitUntil([&] { return at_b.count() == 500 && at_c.count() == 300; }));
  CheckInOrder(at_b.Take(), {{1, 500}});
  CheckInOrder(at_c.Take(), {{2, 300}});
}

TEST_CASE("ZmqTransport drops and counts frames that do not decode", "[transport]") {
  // Decoded by the transport, or taken whole by the receiver (as a worker's).
  const bool takes_frames = GENERATE(false, true);
  CAPTURE(takes_frames);
  CollectingReceiver at_b(true, takes_frames), at_a;
  Started b = StartOnFreePort(TransportOptions{}, at_b);
  RawPush raw(b.port);

  // Stamped as b's (no topology, version 0), so that they reach the codec.
  const std::string stamp = EncodeStamp("", 0);
  std::string valid = stamp;
  tuple::EncodeFrame({MakeTuple(9, 0), MakeTuple(9, 1), MakeTuple(9, 2)}, valid);
  std::string random_bytes(200, '\0');
  std::mt19937 rng(7);
  for (char& ch : random_bytes) ch = static_cast<char>(rng());
  random_bytes[0] = 'x';  // whatever the seed, not the magic
  random_bytes = stamp + random_bytes;
  std::string bad_magic = valid;
  bad_magic[stamp.size()] = 'X';
  std::string bad_version = valid;
  bad_version[stamp.size() + 2] = 99;

  raw.Send(random_bytes);
  raw.Send(valid.substr(0, valid.size() / 2));  // truncated
  raw.Send("");                                 // not even a stamp
  raw.Send(bad_magic);
  raw.Send(bad_version);
  raw.Send(valid + "trailing");
  raw.Send(valid);
  // The raw socket delivers in order: once the valid frame is in, every
  // garbage frame before it has been looked at.
  REQUIRE(WaitUntil([&] { return at_b.count() == 3; }, seconds(5)));
  CHECK(b.transport->stats().frames_dropped == 6);
  CHECK(b.transport->stats().frames_received == 1);
  CHECK(b.transport->stats().tuples_received == 3);
  CheckInOrder(at_b.Take(), {{9, 3}});

  // Still receiving from a well-behaved peer afterwards.
  Started a = StartOnFreePort(To({b.address()}), at_a);
  REQUIRE(SendRange(*a.transport, 0, 1, 0, 1000, 50));
  REQUIRE(WaitUntil([&] { return at_b.count() == 1003; }, seconds(10)));
  CHECK(b.transport->stats().frames_dropped == 6);
}

TEST_CASE("ZmqTransport pushes back on the sender and loses nothing", "[transport]") {
  // 4 KB per tuple fills the socket buffers of loopback TCP quickly.
  constexpr size_t kPayload = 4096;
  CollectingReceiver at_b(/*open=*/false), at_a;
  TransportOptions b_options;
  b_options.recv_hwm = 2;
  Started b = StartOnFreePort(b_options, at_b);
  TransportOptions options = To({b.address()});
  options.send_hwm = 2;
  options.batch_tuples = 64;
  options.max_queued_tuples = 1000;
  Started a = StartOnFreePort(options, at_a);

  // Send until the transport refuses for a whole second: the bound holds
  // once ZeroMQ's pipes and the TCP buffers are full.
  int64_t accepted = 0;
  bool refused = false;
  std::vector<WireTuple> batch;
  const auto deadline = Clock::now() + seconds(60);
  while (!refused && Clock::now() < deadline) {
    batch.clear();
    for (int64_t i = 0; i < 50; ++i) batch.push_back(MakeTuple(1, accepted + i, kPayload));
    if (WaitUntil([&] { return a.transport->TrySend(0, batch); }, seconds(1))) {
      accepted += 50;
    } else {
      refused = true;
      CHECK(batch.size() == 50);  // all or nothing
    }
  }
  REQUIRE(refused);
  INFO("accepted " << accepted << " tuples before refusing");
  CHECK(a.transport->QueuedFill() >= 1.0);  // what the load-aware shuffle reads of this link
  CHECK(at_b.count() == 0);
  CHECK(a.transport->stats().tuples_sent < static_cast<uint64_t>(accepted));
  // While it refuses, the receiver is offered the first frame again and
  // again, and no later one.
  REQUIRE(WaitUntil([&] { return at_b.offers() >= 2; }, seconds(5)));
  at_b.Open();
  CHECK(at_b.first_refused() == std::set<int64_t>{0});

  const int64_t total = accepted + 3000;
  REQUIRE(SendRange(*a.transport, 0, 1, accepted, total, 50, kPayload));
  REQUIRE(WaitUntil([&] { return at_b.count() >= static_cast<size_t>(total); }));
  CHECK(at_b.count() == static_cast<size_t>(total));
  CHECK(WaitUntil([&] { return a.transport->QueuedFill() == 0.0; }));
  CheckInOrder(at_b.Take(), {{1, total}}, kPayload);
  CHECK(a.transport->stats().tuples_sent == static_cast<uint64_t>(total));
}

TEST_CASE("ZmqTransport splits frames above the frame size limit", "[transport]") {
  CollectingReceiver at_b, at_a;
  TransportOptions options;
  options.max_frame_bytes = 20'000;
  Started b = StartOnFreePort(options, at_b);
  options.peers = {b.address()};
  Started a = StartOnFreePort(options, at_a);

  // 100 tuples of 1 KB: one batch, five frames or more.
  REQUIRE(SendRange(*a.transport, 0, 1, 0, 100, 100, 1000));
  REQUIRE(WaitUntil([&] { return at_b.count() == 100; }, seconds(5)));
  CheckInOrder(at_b.Take(), {{1, 100}}, 1000);
  REQUIRE(WaitUntil([&] { return a.transport->stats().tuples_sent == 100; }, seconds(5)));
  CHECK(a.transport->stats().frames_sent >= 5);

  // A tuple that cannot fit any frame is dropped at the sender, not sent to
  // break the connection; what follows still arrives.
  std::vector<WireTuple> huge = {MakeTuple(5, 0, 50'000)};
  REQUIRE(a.transport->TrySend(0, huge));
  REQUIRE(SendRange(*a.transport, 0, 1, 100, 110, 10, 1000));
  REQUIRE(WaitUntil([&] { return at_b.count() == 110; }, seconds(5)));
  CHECK(b.transport->stats().frames_dropped == 0);
}

TEST_CASE("ZmqTransport reports a port in use with its address", "[transport]") {
  CollectingReceiver at_b, other;
  Started b = StartOnFreePort(TransportOptions{}, at_b);
  TransportOptions options;
  options.port = b.port;
  ZmqTransport second(options);
  const Status s = second.Start(other);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("127.0.0.1:" + std::to_string(b.port)));
}

TEST_CASE("ZmqTransport refuses bad options at Start", "[transport]") {
  CollectingReceiver r;
  TransportOptions options;
  SECTION("no port") {
    ZmqTransport t(options);
    CHECK(t.Start(r).code() == StatusCode::kInvalidArgument);
  }
  SECTION("a peer that is not host:port") {
    options.port = FreePort();
    options.peers = {"127.0.0.1"};
    ZmqTransport t(options);
    const Status s = t.Start(r);
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK_THAT(s.message(), Catch::Contains("127.0.0.1"));
  }
}

TEST_CASE("ZmqTransport delivers what is queued when stopped", "[transport]") {
  CollectingReceiver at_b, at_a;
  Started b = StartOnFreePort(TransportOptions{}, at_b);
  TransportOptions options = To({b.address()});
  options.flush_delay = seconds(600);
  options.batch_tuples = 1000;
  Started a = StartOnFreePort(options, at_a);

  // A link never used is quiet: its first tuple goes at once (adaptive
  // flush), and so do the next three, a burst after a quiet spell (four
  // batches in all; quiet means 60 s here). Each is sent alone, whichever
  // thread sends it.
  for (int64_t seq = 0; seq < 4; ++seq) {
    REQUIRE(SendRange(*a.transport, 0, 1, seq, seq + 1, 1));
    REQUIRE(WaitUntil([&] { return at_b.count() == static_cast<size_t>(seq + 1); }, seconds(5)));
  }
  REQUIRE(WaitUntil([&] { return a.transport->stats().frames_sent == 4; }, seconds(5)));
  // Now the link is busy: these wait for company, for the 600 s flush
  // delay, or, here, for Stop().
  REQUIRE(SendRange(*a.transport, 0, 1, 4, 41, 8));
  CHECK(a.transport->stats().frames_sent == 4);
  CHECK(at_b.count() == 4);
  const auto start = Clock::now();
  a.transport->Stop();
  CHECK(Clock::now() - start < seconds(3));
  REQUIRE(WaitUntil([&] { return at_b.count() == 41; }, seconds(5)));
  CheckInOrder(at_b.Take(), {{1, 41}});

  a.transport->Stop();  // twice is fine
  std::vector<WireTuple> late = {MakeTuple(1, 41)};
  CHECK_FALSE(a.transport->TrySend(0, late));
  CHECK(late.size() == 1);
}

TEST_CASE("ZmqTransport: a large batch after a quiet spell goes at once and ends the burst",
          "[transport]") {
  CollectingReceiver at_b, at_a;
  Started b = StartOnFreePort(TransportOptions{}, at_b);
  TransportOptions options = To({b.address()});
  options.flush_delay = seconds(600);  // quiet means 60 s
  options.batch_tuples = 1000;
  Started a = StartOnFreePort(options, at_a);
  // 100 tuples (64 or more) on a link never used: they go at once...
  REQUIRE(SendRange(*a.transport, 0, 1, 0, 100, 100));
  REQUIRE(WaitUntil([&] { return at_b.count() == 100; }, seconds(5)));
  REQUIRE(WaitUntil([&] { return a.transport->stats().frames_sent == 1; }, seconds(5)));
  // ...but a busy source's next batches should fill a frame: a lone tuple
  // after them waits for company, the flush delay, or Stop().
  REQUIRE(SendRange(*a.transport, 0, 1, 100, 101, 1));
  CHECK(a.transport->stats().frames_sent == 1);
  CHECK(at_b.count() == 100);
  a.transport->Stop();
  REQUIRE(WaitUntil([&] { return at_b.count() == 101; }, seconds(5)));
  CheckInOrder(at_b.Take(), {{1, 101}});
}

TEST_CASE("ZmqTransport stops in bounded time when a peer is down", "[transport]") {
  CollectingReceiver at_a;
  TransportOptions options = To({"127.0.0.1:" + std::to_string(FreePort())});
  options.send_hwm = 4;
  options.batch_tuples = 10;
  Started a = StartOnFreePort(options, at_a);
  // More than the pipe holds, so some frames wait in the transport.
  REQUIRE(SendRange(*a.transport, 0, 1, 0, 200, 10));
  const auto start = Clock::now();
  a.transport->Stop();
  CHECK(Clock::now() - start < seconds(4));
}

TEST_CASE("ZmqTransport queues frames for a peer that starts late", "[transport]") {
  CollectingReceiver at_a, at_b;
  const int b_port = FreePort();
  Started a = StartOnFreePort(To({"127.0.0.1:" + std::to_string(b_port)}), at_a);
  REQUIRE(SendRange(*a.transport, 0, 1, 0, 500, 25));

  TransportOptions b_options;
  b_options.port = b_port;
  ZmqTransport b(b_options);
  REQUIRE(b.Start(at_b).ok());
  REQUIRE(WaitUntil([&] { return at_b.count() == 500; }, seconds(10)));
  CheckInOrder(at_b.Take(), {{1, 500}});
}

TEST_CASE("ZmqTransport queues batches given before Start", "[transport]") {
  CollectingReceiver at_a, at_b;
  Started b = StartOnFreePort(TransportOptions{}, at_b);
  TransportOptions options = To({b.address()});
  options.port = FreePort();
  ZmqTransport a(options);
  std::vector<WireTuple> batch = {MakeTuple(1, 0), MakeTuple(1, 1)};
  REQUIRE(a.TrySend(0, batch));
  REQUIRE(a.Start(at_a).ok());
  REQUIRE(WaitUntil([&] { return at_b.count() == 2; }, seconds(5)));
}

TEST_CASE("ZmqTransport works over IPv6 loopback", "[transport]") {
  const int port = FreePort(AF_INET6);
  if (port < 0) {
    WARN("no IPv6 loopback here; skipped");
    return;
  }
  CollectingReceiver at_a, at_b;
  TransportOptions b_options;
  b_options.bind_host = "::1";
  b_options.port = port;
  ZmqTransport b(b_options);
  REQUIRE(b.Start(at_b).ok());
  TransportOptions options = To({"[::1]:" + std::to_string(port)});
  options.bind_host = "::1";
  options.port = FreePort(AF_INET6);
  ZmqTransport a(options);
  REQUIRE(a.Start(at_a).ok());
  REQUIRE(SendRange(a, 0, 1, 0, 100, 10));
  REQUIRE(WaitUntil([&] { return at_b.count() == 100; }, seconds(5)));
}

TEST_CASE("ZmqTransport needs no Start to be stopped or destroyed", "[transport]") {
  CollectingReceiver r;
  { ZmqTransport never_started(TransportOptions{}); }
  ZmqTransport t(TransportOptions{});
  t.Stop();
  t.Stop();
  CHECK(t.stats().frames_sent == 0);
}

TEST_CASE("ClusterTransfer: a refused batch that grows is sent once, in order", "[transport]") {
  // A peer that is not up yet and a one-frame ZeroMQ pipe: the transport
  // soon holds max_queued_tuples and refuses. The executor's way is to keep
  // its batch, append to it and offer it again; ClusterTransfer encodes only
  // what was appended, and every tuple must arrive exactly once, in order.
  const int port_b = FreePort();
  TransportOptions options = To({"127.0.0.1:" + std::to_string(port_b)});
  options.send_hwm = 1;
  options.max_queued_tuples = 40;
  options.batch_tuples = 10;
  CollectingReceiver at_a, at_b;
  Started a = StartOnFreePort(options, at_a);
  std::vector<int> task_peer(8, -1);
  task_peer[7] = 0;  // MakeTuple's target task
  worker::ClusterTransfer transfer(task_peer, *a.transport, 1);

  const std::vector<StreamMeta> metas = {{"c", "s0", Fields{}, false, 0},
                                         {"c", "s1", Fields{}, false, 1},
                                         {"c", "s2", Fields{}, false, 2}};
  int64_t seq = 0;
  std::vector<runtime::Envelope> batch;
  auto append = [&](int n) {
    for (int i = 0; i < n; ++i, ++seq) {
      const WireTuple w = MakeTuple(1, seq);
      Tuple t(&metas[w.stream], w.source_task, w.values);
      auto& roots = internal::TupleAccess::mutable_roots(t);
      for (const auto& [root, edge] : w.roots) roots.XorInto(root, edge);
      batch.emplace_back(w.target_task, std::move(t));
    }
  };
  // Offer batches until one is refused and still refused once the sender
  // has settled: a refusal can come just before the sender moves its first
  // frame into the ZeroMQ pipe, which makes room again (seen when this test
  // ran after the others in one process). With the peer down the pipe
  // never drains, so once the sender stops sending, a refusal holds.
  auto settle = [&] {
    const auto deadline = Clock::now() + seconds(5);
    uint64_t last = a.transport->stats().tuples_sent;
    for (int same = 0; same < 3 && Clock::now() < deadline;) {
      std::this_thread::sleep_for(milliseconds(20));  // the sender retries every 1-10 ms
      const uint64_t now = a.transport->stats().tuples_sent;
      same = now == last ? same + 1 : 0;
      last = now;
    }
  };
  bool refused = false;
  for (int i = 0; i < 1000 && !refused; ++i) {
    append(10);
    if (transfer.TryDeliver(0, batch)) continue;
    settle();
    refused = !transfer.TryDeliver(0, batch);
  }
  REQUIRE(refused);
  const size_t kept = batch.size();
  append(5);  // more envelopes at the end of the refused batch
  CHECK_FALSE(transfer.TryDeliver(0, batch));
  CHECK(batch.size() == kept + 5);
  append(5);

  TransportOptions b_options;
  b_options.port = port_b;
  ZmqTransport b(b_options);
  REQUIRE(b.Start(at_b).ok());  // the port was free a moment ago
  REQUIRE(WaitUntil([&] { return transfer.TryDeliver(0, batch); }));
  CHECK(batch.empty());
  // Everything the transport sent has arrived, and that is each tuple once.
  REQUIRE(WaitUntil([&] { return at_b.count() >= static_cast<size_t>(seq); }, seconds(10)));
  REQUIRE(WaitUntil([&] { return a.transport->stats().tuples_sent == at_b.count(); }, seconds(10)));
  CHECK(at_b.count() == static_cast<size_t>(seq));
  CheckInOrder(at_b.Take(), {{1, seq}});
}

TEST_CASE("ZmqTransport follows new peers in place: new ones get tuples, retired ones drop theirs",
          "[transport]") {
  const std::string topology = "wordcount-1-1764800000";
  TransportOptions b_options, c_options;
  b_options.topology_id = c_options.topology_id = topology;
  b_options.assignment_version = 3;  // b's executors last changed at 3, c's at 5
  c_options.assignment_version = 5;
  CollectingReceiver at_a, at_b, at_c;
  Started b = StartOnFreePort(b_options, at_b);
  Started c = StartOnFreePort(c_options, at_c);
  const std::string gone = "127.0.0.1:" + std::to_string(FreePort());  // nobody listens

  TransportOptions options = To({b.address(), gone});
  options.topology_id = topology;
  options.assignment_version = 4;
  options.peer_versions = {3, 4};
  options.send_hwm = 1;  // frames for the absent peer wait in the transport
  options.batch_tuples = 10;
  Started a = StartOnFreePort(options, at_a);
  REQUIRE(SendRange(*a.transport, 0, 1, 0, 100, 10));
  REQUIRE(SendRange(*a.transport, 1, 2, 0, 50, 10));
  REQUIRE(WaitUntil([&] { return at_b.count() == 100; }));

  // Errors change nothing.
  auto refused = [&](const std::vector<std::string>& peers, const std::vector<int64_t>& versions) {
    const Status s = a.transport->UpdatePeers(peers, versions);
    CHECK(s.code() == StatusCode::kInvalidArgument);
    return s.message();
  };
  CHECK(refused({b.address()}, {3}) == "UpdatePeers: 1 peers, but there were 2");
  CHECK(refused({c.address(), gone}, {5, 4}) ==
        "UpdatePeers: peer 0 is '" + b.address() + "', not '" + c.address() + "'");
  CHECK(refused({b.address(), gone}, {3}) == "UpdatePeers: 2 peers but 1 versions");
  CHECK(refused({b.address(), gone, "nohost"}, {3, 4, 5}) == "peer 'nohost' is not host:port");

  // The absent peer leaves, c joins: what waited for the absent one is
  // dropped and counted, the rest was sent.
  REQUIRE(a.transport->UpdatePeers({b.address(), "", c.address()}, {3, 0, 5}).ok());
  REQUIRE(WaitUntil([&] {
    const TransportStats st = a.transport->stats();
    return st.tuples_sent + st.tuples_retired == 150;
  }));
  CHECK(a.transport->stats().tuples_retired > 0);
  // c's frames carry c's version, b's still b's: both take them.
  REQUIRE(SendRange(*a.transport, 2, 3, 0, 100, 10));
  REQUIRE(SendRange(*a.transport, 0, 1, 100, 200, 10));
  REQUIRE(WaitUntil([&] { return at_c.count() == 100 && at_b.count() == 200; }));
  CheckInOrder(at_c.Take(), {{3, 100}});
  CheckInOrder(at_b.Take(), {{1, 200}});
  CHECK(b.transport->stats().frames_stale == 0);
  CHECK(c.transport->stats().frames_stale == 0);
  // A send to the retired peer is taken and dropped, counted.
  const uint64_t retired = a.transport->stats().tuples_retired;
  std::vector<WireTuple> late = {MakeTuple(2, 50), MakeTuple(2, 51)};
  CHECK(a.transport->TrySend(1, late));
  CHECK(late.empty());
  CHECK(a.transport->stats().tuples_retired == retired + 2);
  // A retired peer is never named again: it comes back as a new one.
  CHECK(refused({b.address(), gone, c.address()}, {3, 6, 5}) ==
        "UpdatePeers: peer 1 is retired, not '" + gone + "'");
}

TEST_CASE("ZmqTransport takes frames that name a sender only from its peers as they are now",
          "[transport]") {
  // a runs the slot 127.0.0.1:<port_a> at layout 4; an old process of that
  // slot (layout 2, its executors since moved) still runs and sends too.
  const std::string topology = "wordcount-1-1764800000";
  const int port_a = FreePort();
  const std::string name_a = "127.0.0.1:" + std::to_string(port_a);
  TransportOptions b_options = To({name_a});
  b_options.topology_id = topology;
  b_options.assignment_version = 3;
  b_options.peer_versions = {4};
  CollectingReceiver at_a, at_old, at_b;
  Started b = StartOnFreePort(b_options, at_b);

  TransportOptions a_options = To({b.address()});
  a_options.topology_id = topology;
  a_options.assignment_version = 4;
  a_options.peer_versions = {3};
  a_options.self_address = name_a;
  a_options.port = port_a;
  ZmqTransport a(a_options);
  REQUIRE(a.Start(at_a).ok());  // the port was free a moment ago
  TransportOptions old_options = a_options;
  old_options.assignment_version = 2;
  Started old = StartOnFreePort(old_options, at_old);  // names itself as a, layout 2

  REQUIRE(SendRange(a, 0, 1, 0, 10, 10));
  REQUIRE(WaitUntil([&] { return at_b.count() == 10; }));
  REQUIRE(SendRange(*old.transport, 0, 2, 0, 10, 10));
  REQUIRE(WaitUntil([&] { return b.transport->stats().frames_stale == 1; }));
  CHECK(at_b.count() == 10);

  // b follows an assignment in which the slot is at layout 2 again: now
  // the old process is the peer, and a is not.
  REQUIRE(b.transport->UpdatePeers({name_a}, {2}).ok());
  REQUIRE(SendRange(*old.transport, 0, 2, 10, 20, 10));
  REQUIRE(WaitUntil([&] { return at_b.count() == 20; }));
  REQUIRE(SendRange(a, 0, 1, 10, 20, 10));
  REQUIRE(WaitUntil([&] { return b.transport->stats().frames_stale == 2; }));
  CHECK(at_b.count() == 20);
  // A retired peer's frames are refused too.
  REQUIRE(b.transport->UpdatePeers({""}, {0}).ok());
  REQUIRE(SendRange(*old.transport, 0, 2, 20, 30, 10));
  REQUIRE(WaitUntil([&] { return b.transport->stats().frames_stale == 3; }));
  CHECK(at_b.count() == 20);
}

TEST_CASE("ClusterTransfer after a reroute sorts each batch by where its tasks run now",
          "[transport]") {
  CollectingReceiver at_a, at_b, at_c;
  Started b = StartOnFreePort(TransportOptions{}, at_b);
  Started c = StartOnFreePort(TransportOptions{}, at_c);
  Started a = StartOnFreePort(To({b.address()}), at_a);
  // Tasks 7 and 8 run on b; the executors batch both for destination 0.
  std::vector<int> task_peer(9, -1);
  task_peer[7] = task_peer[8] = 0;
  worker::ClusterTransfer transfer(task_peer, *a.transport, 1,
                                   worker::PeerLocality({"127.0.0.1:1"}, "127.0.0.1:2"));
  CHECK(transfer.LocalityOfTask(7) == grouping::Locality::kHost);
  const StreamMeta meta{"c", "s0", Fields{}, false, 0};
  std::vector<runtime::Envelope> batch;
  auto append = [&](int32_t task, int64_t seq) {
    batch.emplace_back(task, Tuple(&meta, 1, Values{Value(seq)}));
  };
  for (int64_t i = 0; i < 10; ++i) append(i % 2 == 0 ? 7 : 8, i);
  REQUIRE(transfer.TryDeliver(0, batch));
  REQUIRE(WaitUntil([&] { return at_b.count() == 10; }));

  // Task 7 moves to c (transport peer 1); task 8 stays on b.
  REQUIRE(a.transport->UpdatePeers({b.address(), c.address()}, {0, 0}).ok());
  task_peer[7] = 1;
  transfer.Reroute(task_peer, 2,
                   worker::PeerLocality({"127.0.0.1:1", "10.0.0.9:1"}, "127.0.0.1:2"));
  CHECK(transfer.DestinationOf(7) == 0);  // the executors' destinations do not change
  // The load-aware shuffle sees where a task runs now: 7 on another host.
  CHECK(transfer.LocalityOfTask(7) == grouping::Locality::kEverywhere);
  CHECK(transfer.LocalityOfTask(8) == grouping::Locality::kHost);
  for (int64_t i = 10; i < 30; ++i) append(i % 2 == 0 ? 7 : 8, i);
  REQUIRE(transfer.TryDeliver(0, batch));
  CHECK(batch.empty());
  REQUIRE(WaitUntil([&] { return at_b.count() == 20 && at_c.count() == 10; }));
  for (const WireTuple& t : at_c.Take()) CHECK(t.target_task == 7);
  std::vector<int64_t> on_b;
  for (const WireTuple& t : at_b.Take()) on_b.push_back(t.values.at(0).AsInt());
  CHECK(on_b ==
        std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29});
  // A task the table does not place is dropped and counted.
  task_peer[8] = -1;
  transfer.Reroute(task_peer, 2);
  append(8, 99);
  REQUIRE(transfer.TryDeliver(0, batch));
  CHECK(transfer.unroutable() == 1);
}

}  // namespace
}  // namespace gale::transport
