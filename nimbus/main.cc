// gale-nimbus: the master daemon. `gale-nimbus --help` lists the options.
#include "core/common/files.h"
#include "core/common/logging.h"
#include "nimbus/nimbus.h"
#include "nimbus/nimbus_config.h"
#include "nimbus/thrift_handler.h"

#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/server/TThreadedServer.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TSSLServerSocket.h>
#include <thrift/transport/TSSLSocket.h>
#include <thrift/transport/TServerSocket.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

// A connection closed on purpose: too slow, or over the frames' budget.
// Logged as such (LoggedProcessor), at a limited rate.
class ConnectionLimit : public apache::thrift::transport::TTransportException {
 public:
  explicit ConnectionLimit(const std::string& what)
      : TTransportException(TTransportException::UNKNOWN, what) {}
};

// What the frames being received on all connections hold together, in
// bytes: a connection takes its share as its frame's bytes arrive (not as
// its header claims) and gives it back when the message has been read.
class FrameBudget {
 public:
  explicit FrameBudget(int64_t limit) : limit_(limit) {}
  bool Take(int64_t n) {
    int64_t held = held_.load();
    do {
      if (held + n > limit_) return false;
    } while (!held_.compare_exchange_weak(held, held + n));
    return true;
  }
  void Give(int64_t n) { held_ -= n; }
  int64_t limit() const { return limit_; }

 private:
  const int64_t limit_;
  std::atomic<int64_t> held_{0};
};

// A framed transport that
// - bounds what a message may claim by the frame it came in: Thrift checks
//   every list, set and map size a message announces against the
//   transport's remaining message size, and by default that is 100 MB
//   whatever the frame holds, so a 40-byte frame could make nimbus allocate
//   a list of a million structs. Here it is the frame's own size;
// - holds only the bytes that came, not what the header claims: its buffer
//   grows (doubling from 64 KiB) as they arrive, from the FrameBudget shared
//   by all connections, and a frame that would go beyond the budget closes
//   its connection; the buffer of a large frame is freed once its message
//   is read, so an idle connection holds at most 64 KiB;
// - closes a connection whose frame does not arrive whole within `timeout`
//   of its header (a client trickling a byte every few seconds would pass
//   any per-read timeout). TLS reads ignore the socket's timeout: for those,
//   ConnectionProcessorFactory::Reap closes a connection that sent no whole
//   request for `timeout`.
class BoundedFramedTransport : public apache::thrift::transport::TFramedTransport {
 public:
  BoundedFramedTransport(std::shared_ptr<apache::thrift::transport::TTransport> trans,
                         FrameBudget& budget, std::chrono::milliseconds timeout)
      : TFramedTransport(std::move(trans)), budget_(budget), timeout_(timeout) {
    socket_ = std::dynamic_pointer_cast<apache::thrift::transport::TSocket>(transport_);
    if (std::dynamic_pointer_cast<apache::thrift::transport::TSSLSocket>(transport_)) {
      socket_ = nullptr;  // OpenSSL's reads do not heed the socket's timeout
    }
  }
  ~BoundedFramedTransport() override { budget_.Give(held_); }

  uint32_t readEnd() override {
    const uint32_t bytes = TFramedTransport::readEnd();
    if (rBufSize_ > kKeep) Resize(0, 0);
    return bytes;
  }

 protected:
  bool readFrame() override {
    using apache::thrift::transport::TTransportException;
    int32_t size = -1;
    uint32_t header = 0;
    while (header < sizeof size) {
      const uint32_t n = transport_->read(reinterpret_cast<uint8_t*>(&size) + header,
                                          static_cast<uint32_t>(sizeof size) - header);
      if (n == 0) {
        if (header == 0) return false;  // end of file between frames
        throw TTransportException(TTransportException::END_OF_FILE,
                                  "No more data to read after partial frame header.");
      }
      header += n;
    }
    size = static_cast<int32_t>(ntohl(static_cast<uint32_t>(size)));
    if (size < 0) {
      throw TTransportException(TTransportException::CORRUPTED_DATA,
                                "Frame size has negative value");
    }
    if (size > static_cast<int32_t>(maxFrameSize_)) {
      throw TTransportException(TTransportException::CORRUPTED_DATA, "Received an oversized frame");
    }
    const auto size_bytes = static_cast<uint32_t>(size);
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    uint32_t have = 0;
    while (have < size_bytes) {
      if (have == rBufSize_) {
        const uint32_t want = std::min(size_bytes, std::max(kKeep, 2 * rBufSize_));
        // The old buffer is copied into the new: both count until then.
        if (!budget_.Take(want)) {
          throw ConnectionLimit("a frame of " + std::to_string(size_bytes) +
                                " bytes would take frames being received beyond their budget "
                                "of " +
                                std::to_string(budget_.limit() >> 20) +
                                " MiB (nimbus.thrift.frames.budget.mb)");
        }
        Resize(want, have);
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) throw TooSlow(size_bytes, have);
      if (socket_) socket_->setRecvTimeout(static_cast<int>(left.count()));
      uint32_t n = 0;
      try {
        n = transport_->read(rBuf_.get() + have, std::min(rBufSize_, size_bytes) - have);
      } catch (const TTransportException& e) {
        if (e.getType() != TTransportException::TIMED_OUT) throw;
        throw TooSlow(size_bytes, have);
      }
      if (n == 0) {
        throw TTransportException(TTransportException::END_OF_FILE, "No more data to read.");
      }
      have += n;
    }
    if (socket_) socket_->setRecvTimeout(static_cast<int>(timeout_.count()));
    setReadBuffer(rBuf_.get(), size_bytes);
    resetConsumedMessageSize();  // it only shrinks: back to the maximum first
    resetConsumedMessageSize(static_cast<long>(size_bytes));
    return true;
  }

 private:
  static constexpr uint32_t kKeep = 64 << 10;

  ConnectionLimit TooSlow(uint32_t size, uint32_t have) const {
    std::ostringstream what;
    what << "a frame of " << size << " bytes was not whole within "
         << static_cast<double>(timeout_.count()) / 1000
         << " s (nimbus.thrift.client.timeout.secs): " << have << " bytes came";
    return ConnectionLimit(what.str());
  }

  // A buffer of `size` bytes (the first `keep` of the old one copied), its
  // budget already taken; the old one is freed and its budget given back.
  void Resize(uint32_t size, uint32_t keep) {
    boost::scoped_array<uint8_t> other(size ? new uint8_t[size] : nullptr);
    if (keep) std::memcpy(other.get(), rBuf_.get(), keep);
    rBuf_.swap(other);
    other.reset();
    rBufSize_ = size;
    if (size == 0) setReadBuffer(nullptr, 0);
    budget_.Give(held_);
    held_ = size;
  }

  FrameBudget& budget_;
  const std::chrono::milliseconds timeout_;
  std::shared_ptr<apache::thrift::transport::TSocket> socket_;  // null for TLS
  int64_t held_ = 0;                                            // of the budget
};

class BoundedFramedTransportFactory : public apache::thrift::transport::TTransportFactory {
 public:
  BoundedFramedTransportFactory(int64_t budget, std::chrono::milliseconds timeout)
      : budget_(budget), timeout_(timeout) {}
  std::shared_ptr<apache::thrift::transport::TTransport> getTransport(
      std::shared_ptr<apache::thrift::transport::TTransport> trans) override {
    return std::make_shared<BoundedFramedTransport>(trans, budget_, timeout_);
  }

 private:
  FrameBudget budget_;
  const std::chrono::milliseconds timeout_;
};

// The binary protocol, with the one gap of its size checks closed: Thrift
// counts a struct as 0 bytes when it checks a claimed list size, so a list
// of a million structs passed any frame. Every struct takes at least its
// stop byte.
class BoundedBinaryProtocol
    : public apache::thrift::protocol::TBinaryProtocolT<apache::thrift::transport::TTransport> {
 public:
  using Base = apache::thrift::protocol::TBinaryProtocolT<apache::thrift::transport::TTransport>;
  using Base::Base;
  void checkReadBytesAvailable(apache::thrift::protocol::TList& list) override {
    Check(list.size_, MinSize(list.elemType_));
  }
  void checkReadBytesAvailable(apache::thrift::protocol::TSet& set) override {
    Check(set.size_, MinSize(set.elemType_));
  }
  void checkReadBytesAvailable(apache::thrift::protocol::TMap& map) override {
    Check(map.size_, MinSize(map.keyType_) + MinSize(map.valueType_));
  }

 private:
  int MinSize(apache::thrift::protocol::TType t) {
    return t == apache::thrift::protocol::T_STRUCT ? 1 : getMinSerializedSize(t);
  }
  void Check(int64_t count, int64_t each) {
    getTransport()->checkReadBytesAvailable(static_cast<long>(count * each));
  }
};

class BoundedBinaryProtocolFactory : public apache::thrift::protocol::TProtocolFactory {
 public:
  std::shared_ptr<apache::thrift::protocol::TProtocol> getProtocol(
      std::shared_ptr<apache::thrift::transport::TTransport> trans) override {
    // Strings up to 5 MiB (plugin chunks are at most 4 MiB); containers up
    // to 2^20 elements, and never more than the frame could hold.
    return std::make_shared<BoundedBinaryProtocol>(trans, 5 << 20, 1 << 20, false, true);
  }
};

// Logs once the server socket listens.
class ServeEvents : public apache::thrift::server::TServerEventHandler {
 public:
  explicit ServeEvents(std::string where) : where_(std::move(where)) {}
  void preServe() override { GALE_LOG(kInfo) << "nimbus listening on " << where_; }

 private:
  std::string where_;
};

// The SSL object of a TSSLSocket, which keeps it protected: a pointer to a
// protected member formed in a derived class may be used on the base.
struct SslOf : apache::thrift::transport::TSSLSocket {
  static SSL* Get(apache::thrift::transport::TSSLSocket& s) { return s.*(&SslOf::ssl_); }
};

// The CN of the certificate the peer presented and the handshake verified
// against the CA; "" when none (token form) or not a TLS socket.
std::string PeerCommonName(const std::shared_ptr<apache::thrift::transport::TTransport>& t) {
  auto ssl_socket = std::dynamic_pointer_cast<apache::thrift::transport::TSSLSocket>(t);
  if (!ssl_socket) return "";
  SSL* ssl = SslOf::Get(*ssl_socket);
  if (!ssl || SSL_get_verify_result(ssl) != X509_V_OK) return "";
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (!cert) return "";
  char cn[256] = {0};
  const int n =
      X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  X509_free(cert);
  return n > 0 ? std::string(cn, static_cast<size_t>(n)) : "";
}

std::string PeerOf(const std::shared_ptr<apache::thrift::transport::TTransport>& t) {
  auto socket = std::dynamic_pointer_cast<apache::thrift::transport::TSocket>(t);
  if (!socket) return "?";
  try {
    return socket->getPeerAddress() + ":" + std::to_string(socket->getPeerPort());
  } catch (const std::exception&) { return "?"; }
}

// Lets through at most `burst` log lines per `period`; says how many it held
// back in the next line it lets through.
class LogThrottle {
 public:
  LogThrottle(int burst, std::chrono::seconds period) : burst_(burst), period_(period) {}
  // -1: do not log; else log, with how many were not logged before it.
  int64_t Allow() {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (now - since_ >= period_) {
      since_ = now;
      logged_ = 0;
    }
    if (logged_ >= burst_) {
      ++held_;
      return -1;
    }
    ++logged_;
    return std::exchange(held_, 0);
  }

 private:
  const int burst_;
  const std::chrono::seconds period_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point since_{};
  int logged_ = 0;
  int64_t held_ = 0;
};

// Connections closed for being slow or over the frames' budget: an attack or
// an overload can make thousands a second.
LogThrottle limits_log_(10, std::chrono::seconds(10));

// Runs one connection's calls, and logs once why a connection broke (a
// failed TLS handshake: unknown CA, expired certificate, a plaintext client
// on a TLS port or the other way round), without the stack Thrift would
// print. A client that just hangs up (with or without TLS's close_notify)
// or goes quiet is not logged.
class LoggedProcessor : public apache::thrift::TProcessor {
 public:
  LoggedProcessor(std::shared_ptr<apache::thrift::TProcessor> inner, std::string peer,
                  std::weak_ptr<apache::thrift::transport::TTransport> socket, bool tls)
      : inner_(std::move(inner)), peer_(std::move(peer)), socket_(std::move(socket)), tls_(tls) {}
  bool process(std::shared_ptr<apache::thrift::protocol::TProtocol> in,
               std::shared_ptr<apache::thrift::protocol::TProtocol> out, void* context) override {
    using apache::thrift::transport::TTransportException;
    try {
      return inner_->process(in, out, context);
    } catch (const ConnectionLimit& e) {
      if (const int64_t quiet = limits_log_.Allow(); quiet >= 0) {
        GALE_LOG(kWarn) << "closing connection from " << peer_ << ": " << e.what()
                        << (quiet ? " (and " + std::to_string(quiet) + " more not logged)" : "");
      }
      throw;
    } catch (const TTransportException& e) {
      const auto type = e.getType();
      // A client that went away without TLS's close_notify is a hang-up.
      const bool hung_up = std::string(e.what()).find("SSL_read: unexpected eof") == 0;
      if (type != TTransportException::END_OF_FILE && type != TTransportException::TIMED_OUT &&
          type != TTransportException::INTERRUPTED && !hung_up) {
        GALE_LOG(kWarn) << "dropped connection from " << peer_ << ": " << e.what() << Why();
        if (tls_) LingerBeforeClose();
      }
      throw;
    }
  }

 private:
  // Why the handshake failed, when the client's certificate did not verify.
  std::string Why() const {
    if (!tls_) return " (a TLS client on this plaintext port?)";
    auto ssl_socket =
        std::dynamic_pointer_cast<apache::thrift::transport::TSSLSocket>(socket_.lock());
    SSL* ssl = ssl_socket ? SslOf::Get(*ssl_socket) : nullptr;
    if (!ssl) return "";
    const long v = SSL_get_verify_result(ssl);
    if (v == X509_V_OK) return "";
    return std::string(" (client certificate: ") + X509_verify_cert_error_string(v) + ")";
  }

  // A TLS 1.3 client sends its first request right after its half of the
  // handshake, before nimbus has checked its certificate. Closing at once,
  // with that request unread, resets the connection, and a client whose
  // write or read then meets the reset never reads the alert nimbus sent
  // (certificate expired, unknown CA): it sees "broken pipe" or an EOF
  // instead, depending on timing. So nimbus closes its sending side and
  // reads what the client still sends, for at most 2 s, first: the client
  // gets the alert, then an orderly end of file.
  void LingerBeforeClose() const {
    auto socket = std::dynamic_pointer_cast<apache::thrift::transport::TSocket>(socket_.lock());
    const int fd = socket ? socket->getSocketFD() : -1;
    if (fd < 0 || ::shutdown(fd, SHUT_WR) != 0) return;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    char buffer[16384];
    for (size_t drained = 0; drained < (1u << 20);) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{fd, POLLIN, 0};
      if (left.count() <= 0) return;
      const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return;
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) return;  // the client's end of file, or its reset
      drained += static_cast<size_t>(n);
    }
  }

  std::shared_ptr<apache::thrift::TProcessor> inner_;
  std::string peer_;
  std::weak_ptr<apache::thrift::transport::TTransport> socket_;
  bool tls_;
};

// When a TLS connection last began waiting for a request (steady clock, ms),
// or -1 while nimbus runs one of its calls. Set by the processor's events.
struct ConnectionClock : apache::thrift::TProcessorEventHandler {
  std::atomic<int64_t> waiting_since{NowMs()};
  static int64_t NowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  void* getContext(const char*, void*) override {
    waiting_since = -1;
    return nullptr;
  }
  void freeContext(void*, const char*) override { waiting_since = NowMs(); }
};

// A handler per connection, so the identity a connection authenticated is
// its own (nimbus/thrift_handler.h).
class ConnectionProcessorFactory : public apache::thrift::TProcessorFactory {
 public:
  ConnectionProcessorFactory(gale::nimbus::Nimbus& nimbus, gale::rpc::AuthMode mode,
                             const gale::rpc::AuthTable* table)
      : nimbus_(nimbus), mode_(mode), table_(table) {}
  std::shared_ptr<apache::thrift::TProcessor> getProcessor(
      const apache::thrift::TConnectionInfo& info) override {
    gale::nimbus::ConnectionAuth auth;
    auth.mode = mode_;
    auth.table = table_;
    auth.peer = PeerOf(info.transport);
    std::weak_ptr<apache::thrift::transport::TTransport> socket = info.transport;
    auth.peer_cn = [socket] {
      auto s = socket.lock();
      return s ? PeerCommonName(s) : std::string();
    };
    auto handler = std::make_shared<gale::nimbus::NimbusHandler>(nimbus_, std::move(auth));
    auto processor = std::make_shared<gale::thrift::NimbusProcessor>(handler);
    if (mode_ != gale::rpc::AuthMode::kNone) {
      auto clock = std::make_shared<ConnectionClock>();
      processor->setEventHandler(clock);
      std::lock_guard lock(mu_);
      watched_.push_back({socket, clock, PeerOf(info.transport)});
    }
    return std::make_shared<LoggedProcessor>(processor, PeerOf(info.transport), socket,
                                             mode_ != gale::rpc::AuthMode::kNone);
  }

  // OpenSSL's reads in Thrift 0.17 wait without the socket's receive
  // timeout, so a TLS client that never finishes its handshake or stays
  // silent would hold its thread for ever. Called every tick: a TLS
  // connection waiting for a request longer than `idle` is shut down (its
  // thread then sees end of file and ends), as the plaintext port's receive
  // timeout does.
  void Reap(std::chrono::milliseconds idle) {
    const int64_t now = ConnectionClock::NowMs();
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < watched_.size();) {
      Watched& w = watched_[i];
      auto socket = std::dynamic_pointer_cast<apache::thrift::transport::TSocket>(w.socket.lock());
      const int64_t since = w.clock->waiting_since.load();
      if (socket && (since < 0 || now - since <= idle.count())) {
        ++i;
        continue;
      }
      if (socket && socket->getSocketFD() >= 0) {
        GALE_LOG(kInfo) << "closing connection from " << w.peer << ": no request for "
                        << idle.count() / 1000 << " s";
        ::shutdown(socket->getSocketFD(), SHUT_RDWR);
      }
      watched_[i] = std::move(watched_.back());
      watched_.pop_back();
    }
  }

 private:
  struct Watched {
    std::weak_ptr<apache::thrift::transport::TTransport> socket;
    std::shared_ptr<ConnectionClock> clock;
    std::string peer;
  };
  gale::nimbus::Nimbus& nimbus_;
  gale::rpc::AuthMode mode_;
  const gale::rpc::AuthTable* table_;
  std::mutex mu_;
  std::vector<Watched> watched_;
};

}  // namespace

int main(int argc, char** argv) {
  using namespace apache::thrift;
  const std::vector<std::string> args(argv, argv + argc);
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      std::cout << gale::nimbus::NimbusUsage();
      return 0;
    }
  }
  // OpenSSL writes with write(2): a client that hung up must not kill nimbus.
  ::signal(SIGPIPE, SIG_IGN);
  // Thrift's own messages (each failed handshake, with a repeat of the
  // reason) go to the debug log; LoggedProcessor logs one line instead.
  GlobalOutput.setOutputFunction([](const char* msg) { GALE_LOG(kDebug) << "thrift: " << msg; });
  auto options = gale::nimbus::NimbusConfig::FromArgs(args, gale::SelfExecutable(argv[0]));
  if (!options.ok()) {
    std::cerr << "gale-nimbus: " << options.status().message() << "\n";
    return 2;
  }
  gale::nimbus::Nimbus nimbus(options->nimbus, gale::SystemClock::Get());
  gale::Status s = nimbus.Recover();
  if (!s.ok()) {
    std::cerr << "gale-nimbus: " << s.message() << "\n";
    return 1;
  }

  const gale::rpc::ServerAuth& auth = options->auth;
  auto table = gale::rpc::AuthTable::Load(auth.tokens_file, auth.roles_file);
  if (!table.ok()) {
    std::cerr << "gale-nimbus: " << table.status().message() << "\n";
    return 2;
  }
  std::shared_ptr<transport::TServerSocket> socket;
  if (auth.mode == gale::rpc::AuthMode::kNone) {
    socket = std::make_shared<transport::TServerSocket>(options->host, options->port);
  } else {
    std::string step = "gale.tls.cert '" + auth.cert + "'";
    try {
      auto ssl = std::make_shared<transport::TSSLSocketFactory>();
      ssl->server(true);
      ssl->loadCertificate(auth.cert.c_str());
      step = "gale.tls.key '" + auth.key + "'";
      ssl->loadPrivateKey(auth.key.c_str());
      step = "gale.tls.ca '" + auth.ca + "'";
      ssl->loadTrustedCertificates(auth.ca.c_str());
      // tls: every client shows a certificate the CA signed; token: clients
      // check nimbus's certificate and then call authenticate().
      ssl->authenticate(auth.mode == gale::rpc::AuthMode::kTls);
      socket = std::make_shared<transport::TSSLServerSocket>(options->host, options->port, ssl);
    } catch (const std::exception& e) {
      std::cerr << "gale-nimbus: cannot load " << step << ": " << e.what() << "\n";
      return 2;
    }
  }
  GALE_LOG(kInfo) << "authentication: gale.auth.mode " << gale::rpc::AuthModeName(auth.mode);
  // A client that sends nothing for nimbus.thrift.client.timeout.secs (15 s;
  // stalled mid-call, or idle) is dropped; it costs one thread meanwhile and
  // blocks nobody else. Daemons call every second or so and reconnect when
  // dropped.
  const auto client_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(options->client_timeout);
  socket->setRecvTimeout(static_cast<int>(client_timeout.count()));
  socket->setSendTimeout(static_cast<int>(client_timeout.count()));
  // Frames are limited by the framed transport (16,384,000 bytes), all
  // frames being received together by the budget, sizes claimed inside a
  // message by the frame (BoundedFramedTransport and
  // BoundedBinaryProtocol).
  auto protocols = std::make_shared<BoundedBinaryProtocolFactory>();
  auto processors = std::make_shared<ConnectionProcessorFactory>(nimbus, auth.mode, &table.value());
  server::TThreadedServer server(
      processors, socket,
      std::make_shared<BoundedFramedTransportFactory>(options->frames_budget_bytes, client_timeout),
      protocols);
  // One thread per connection: stalled clients cost threads, not service.
  // Past this many connections, new ones wait; see README (known limits).
  server.setConcurrentClientLimit(4096);
  const std::string where = options->host + ":" + std::to_string(options->port);
  server.setServerEventHandler(std::make_shared<ServeEvents>(where));

  boost::asio::io_context io;
  std::atomic<int> exit_code{0};
  std::thread serving([&] {
    try {
      server.serve();
    } catch (const std::exception& e) {
      GALE_LOG(kError) << "cannot serve on " << where << ": " << e.what();
      exit_code = 1;
      io.stop();
    }
  });

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    GALE_LOG(kInfo) << "nimbus stopping (signal " << sig << ")";
    io.stop();
  });
  boost::asio::steady_timer timer(io);
  std::function<void()> tick = [&] {
    timer.expires_after(std::chrono::milliseconds(500));
    timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      nimbus.Tick();
      processors->Reap(client_timeout);
      tick();
    });
  };
  tick();
  io.run();
  server.stop();
  serving.join();
  return exit_code.load();
}
