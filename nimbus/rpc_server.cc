#include "nimbus/rpc_server.h"

#include "core/common/logging.h"
#include "nimbus/nimbus.h"
#include "nimbus/thrift_handler.h"

#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/transport/TBufferTransports.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>

#include <arpa/inet.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace gale::nimbus {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using TlsStream = asio::ssl::stream<tcp::socket>;

namespace {

// Thrift's framed transport's largest frame, which clients keep to.
constexpr uint32_t kMaxFrame = 16384000;
// A frame's buffer starts at this, and one this small is kept between
// calls.
constexpr size_t kKeep = 64 << 10;

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

// Closed connections: an attack or an overload can make thousands a second.
// Connections closed for what they did (a bad frame, a failed handshake, too
// slow, over the budget) and idle ones are throttled apart, so that idle
// ones cannot hide the others.
LogThrottle closes_log(10, std::chrono::seconds(10));
LogThrottle idle_log(10, std::chrono::seconds(10));

std::string Quiet(int64_t n) {
  return n > 0 ? " (and " + std::to_string(n) + " more not logged)" : "";
}

// The binary protocol, with the one gap of its size checks closed: Thrift
// counts a struct as 0 bytes when it checks a claimed list size, so a list
// of a million structs passed any frame. Every struct takes at least its
// stop byte.
class BoundedBinaryProtocol
    : public apache::thrift::protocol::TBinaryProtocolT<apache::thrift::transport::TTransport> {
 public:
  using Base = apache::thrift::protocol::TBinaryProtocolT<apache::thrift::transport::TTransport>;
  // Strings up to 5 MiB (plugin chunks are at most 4 MiB); containers up to
  // 2^20 elements, and never more than the frame could hold.
  explicit BoundedBinaryProtocol(std::shared_ptr<apache::thrift::transport::TTransport> t)
      : Base(std::move(t), 5 << 20, 1 << 20, false, true) {}
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

// The CN of the certificate the peer presented and the handshake verified
// against the CA; "" when none (token form).
std::string PeerCommonName(SSL* ssl) {
  if (!ssl || SSL_get_verify_result(ssl) != X509_V_OK) return "";
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (!cert) return "";
  char cn[256] = {0};
  const int n =
      X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  X509_free(cert);
  return n > 0 ? std::string(cn, static_cast<size_t>(n)) : "";
}

// Why a handshake failed, when the client's certificate did not verify.
std::string CertificateWhy(SSL* ssl) {
  const long v = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
  if (v == X509_V_OK) return "";
  return std::string(" (client certificate: ") + X509_verify_cert_error_string(v) + ")";
}

// A client that hung up, or a connection nimbus closed itself: not logged.
bool HungUp(const boost::system::error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::operation_aborted || ec == asio::error::broken_pipe ||
         ec == asio::ssl::error::stream_truncated;
}

double Secs(std::chrono::milliseconds d) { return static_cast<double>(d.count()) / 1000; }

}  // namespace

struct RpcServer::Impl {
  Impl(Leadership& n, const RpcServerOptions& o, size_t max_connections)
      : lead(n),
        options(o),
        budget(o.frames_budget_bytes),
        max_connections(max_connections),
        calls(static_cast<size_t>(std::max(1, o.call_threads))) {}

  void Accept();
  // A connection opened or closed (network thread).
  void Opened(void* key, std::function<void()> close) { open[key] = std::move(close); }
  void Closed(void* key);

  Leadership& lead;
  const RpcServerOptions options;
  FrameBudget budget;  // before what may hold connections: they give to it
  // Past this many, nimbus stops accepting until some close: the rest of
  // its file descriptors are for its own files and children.
  const size_t max_connections;
  asio::io_context io;
  std::optional<asio::ssl::context> tls;
  tcp::acceptor acceptor{io};
  asio::steady_timer accept_retry{io};
  asio::thread_pool calls;
  std::thread network;
  // Network thread only: how to close each open connection, and whether
  // accepting waits for one to close.
  std::unordered_map<void*, std::function<void()>> open;
  bool accept_paused = false;
  bool stopped = false;
};

namespace {

// One client connection, on the network thread but for its calls, which run
// in the pool while no network work of its own is pending. Whatever it
// started holds a shared_ptr to it; it goes when the last of them is done.
template <class Stream>
class Connection : public std::enable_shared_from_this<Connection<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  Connection(RpcServer::Impl& server, Stream stream, std::string peer)
      : server_(server), stream_(std::move(stream)), timer_(server.io), peer_(std::move(peer)) {}
  ~Connection() { server_.budget.Give(held_); }

  void Start() {
    server_.Opened(this, [weak = this->weak_from_this()] {
      if (auto self = weak.lock()) self->Close();
    });
    if constexpr (kTls) {
      Arm(server_.options.client_timeout, Wait::kRequest);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](
                                  const boost::system::error_code& ec) { self->Handshaken(ec); });
    } else {
      Serve("");
    }
  }

 private:
  enum class Wait { kRequest, kFrame, kAnswerRead, kLinger };

  tcp::socket& Socket() {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  // A deadline for what the connection waits for now; a later Arm or
  // Disarm makes an earlier one moot.
  void Arm(std::chrono::milliseconds after, Wait what) {
    const uint64_t generation = ++generation_;
    timer_.expires_after(after);
    timer_.async_wait(
        [self = this->shared_from_this(), generation, what](const boost::system::error_code& ec) {
          if (ec || self->closed_ || generation != self->generation_) return;
          self->TimedOut(what);
        });
  }
  void Disarm() {
    ++generation_;
    timer_.cancel();
  }

  void TimedOut(Wait what) {
    const auto timeout = server_.options.client_timeout;
    switch (what) {
      case Wait::kRequest:
        if (const int64_t quiet = idle_log.Allow(); quiet >= 0) {
          GALE_LOG(kInfo) << "closing connection from " << peer_ << ": no request for "
                          << Secs(timeout) << " s" << Quiet(quiet);
        }
        break;
      case Wait::kFrame: {
        std::ostringstream what;
        what << "a frame of " << frame_size_ << " bytes was not whole within " << Secs(timeout)
             << " s (nimbus.thrift.client.timeout.secs): " << have_ << " bytes came";
        Closing(what.str());
        break;
      }
      case Wait::kAnswerRead: {
        std::ostringstream what;
        what << "it did not read its answer within " << Secs(timeout)
             << " s (nimbus.thrift.client.timeout.secs)";
        Closing(what.str());
        break;
      }
      case Wait::kLinger: break;
    }
    Close();
  }

  // Logs (throttled) why nimbus closes the connection.
  void Closing(const std::string& why, const char* verb = "closing") {
    if (const int64_t quiet = closes_log.Allow(); quiet >= 0) {
      GALE_LOG(kWarn) << verb << " connection from " << peer_ << ": " << why << Quiet(quiet);
    }
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    Disarm();
    boost::system::error_code ignored;
    Socket().shutdown(tcp::socket::shutdown_both, ignored);
    Socket().close(ignored);
    server_.Closed(this);
  }

  void Handshaken(const boost::system::error_code& ec) {
    if (closed_) return;
    if (!ec) {
      Disarm();
      Serve(PeerCommonName(stream_.native_handle()));
      return;
    }
    if (HungUp(ec)) return Close();
    // OpenSSL's first error of a failed check is a low-level one ("EVP
    // lib"): the verification's own result says what was wrong.
    std::string why = CertificateWhy(stream_.native_handle());
    why = why.empty() ? "TLS handshake: " + ec.message() : "certificate verify failed" + why;
    Closing(why, "dropped");
    Linger();
  }

  // A TLS 1.3 client sends its first request right after its half of the
  // handshake, before nimbus has checked its certificate. Closing at once,
  // with that request unread, resets the connection, and a client whose
  // write or read then meets the reset never reads the alert nimbus sent
  // (certificate expired, unknown CA): it sees "broken pipe" or an EOF
  // instead, depending on timing. So nimbus closes its sending side and
  // reads what the client still sends, for at most 2 s and 1 MiB, first:
  // the client gets the alert, then an orderly end of file.
  void Linger() {
    boost::system::error_code ignored;
    Socket().shutdown(tcp::socket::shutdown_send, ignored);
    Arm(std::chrono::milliseconds(2000), Wait::kLinger);
    buffer_.reset(new uint8_t[16 << 10]);
    Drain(0);
  }
  void Drain(size_t drained) {
    Socket().async_read_some(
        asio::buffer(buffer_.get(), 16 << 10),
        [self = this->shared_from_this(), drained](const boost::system::error_code& ec, size_t n) {
          if (self->closed_) return;
          if (ec || drained + n >= (1u << 20)) return self->Close();
          self->Drain(drained + n);
        });
  }

  void Serve(std::string peer_cn) {
    ConnectionAuth auth;
    auth.mode = server_.options.auth.mode;
    auth.table = server_.options.table;
    auth.peer = peer_;
    auth.peer_cn = [cn = std::move(peer_cn)] { return cn; };
    processor_ = std::make_shared<thrift::NimbusProcessor>(
        std::make_shared<NimbusHandler>(server_.lead, std::move(auth)));
    ReadHeader();
  }

  void ReadHeader() {
    Arm(server_.options.client_timeout, Wait::kRequest);
    asio::async_read(
        stream_, asio::buffer(header_),
        [self = this->shared_from_this()](const boost::system::error_code& ec, size_t) {
          if (self->closed_) return;
          if (ec) {
            if (!HungUp(ec)) self->Closing(ec.message(), "dropped");
            return self->Close();
          }
          self->HeaderRead();
        });
  }

  void HeaderRead() {
    uint32_t size = 0;
    std::memcpy(&size, header_.data(), sizeof size);
    size = ntohl(size);
    if (size > kMaxFrame) {
      std::string why = static_cast<int32_t>(size) < 0
                            ? "a frame header of negative size"
                            : "a frame of " + std::to_string(size) + " bytes, where " +
                                  std::to_string(kMaxFrame) + " is the largest";
      // A TLS handshake record starts 0x16 0x03.
      if (!kTls && header_[0] == 0x16 && header_[1] == 0x03) {
        why += " (a TLS client on this plaintext port?)";
      }
      Closing(why, "dropped");
      return Close();
    }
    frame_size_ = size;
    have_ = 0;
    Arm(server_.options.client_timeout, Wait::kFrame);
    ReadBody();
  }

  // Reads the frame as its bytes come, its buffer growing from kKeep,
  // doubling, from the budget shared by all connections.
  void ReadBody() {
    if (have_ == frame_size_) return Dispatch();
    if (have_ == buffer_size_) {
      const size_t want = std::min<size_t>(frame_size_, std::max(kKeep, 2 * buffer_size_));
      // The old buffer is copied into the new: both count until then.
      if (!server_.budget.Take(static_cast<int64_t>(want))) {
        Closing("a frame of " + std::to_string(frame_size_) +
                " bytes would take frames being received beyond their budget of " +
                std::to_string(server_.budget.limit() >> 20) +
                " MiB (nimbus.thrift.frames.budget.mb)");
        return Close();
      }
      std::unique_ptr<uint8_t[]> grown(new uint8_t[want]);
      if (have_) std::memcpy(grown.get(), buffer_.get(), have_);
      Resize(std::move(grown), want);
    }
    stream_.async_read_some(
        asio::buffer(buffer_.get() + have_, std::min<size_t>(buffer_size_, frame_size_) - have_),
        [self = this->shared_from_this()](const boost::system::error_code& ec, size_t n) {
          if (self->closed_) return;
          if (ec) {
            if (!HungUp(ec)) self->Closing(ec.message(), "dropped");
            return self->Close();
          }
          self->have_ += n;
          self->ReadBody();
        });
  }

  // The buffer becomes `b` of `size` bytes, its budget taken; the old one's
  // is given back.
  void Resize(std::unique_ptr<uint8_t[]> b, size_t size) {
    buffer_ = std::move(b);
    buffer_size_ = size;
    server_.budget.Give(held_);
    held_ = static_cast<int64_t>(size);
  }

  // The call runs in the pool; the connection waits for nothing meanwhile
  // (a call may take long: a submit describes its plugins).
  void Dispatch() {
    Disarm();
    if (server_.stopped) return Close();
    asio::post(server_.calls, [self = this->shared_from_this()] { self->Call(); });
  }

  void Call() {
    using apache::thrift::transport::TMemoryBuffer;
    std::string error;
    bool keep = true;
    reply_.assign(4, '\0');
    try {
      auto in = std::make_shared<TMemoryBuffer>(buffer_.get(), frame_size_, TMemoryBuffer::OBSERVE);
      // Sizes a message claims are bounded by its frame, not Thrift's
      // default 100 MB: a 40-byte frame cannot make nimbus allocate a list
      // of a million structs.
      in->updateKnownMessageSize(static_cast<long>(frame_size_));
      auto out = std::make_shared<TMemoryBuffer>();
      keep = processor_->process(std::make_shared<BoundedBinaryProtocol>(in),
                                 std::make_shared<BoundedBinaryProtocol>(out), nullptr);
      uint8_t* bytes = nullptr;
      uint32_t n = 0;
      out->getBuffer(&bytes, &n);
      const uint32_t be = htonl(n);
      std::memcpy(reply_.data(), &be, sizeof be);
      reply_.append(reinterpret_cast<const char*>(bytes), n);
    } catch (const std::exception& e) { error = e.what(); }
    // The message is read: its bytes go back to the budget (an idle
    // connection holds none of it).
    Resize(nullptr, 0);
    asio::post(server_.io, [self = this->shared_from_this(), error = std::move(error), keep] {
      self->Answered(error, keep);
    });
  }

  void Answered(const std::string& error, bool keep) {
    if (closed_) return;
    if (!error.empty()) {
      Closing("a bad request: " + error);
      return Close();
    }
    if (!keep) return Close();
    if (reply_.size() == 4) return ReadHeader();  // a oneway call
    Arm(server_.options.client_timeout, Wait::kAnswerRead);
    asio::async_write(
        stream_, asio::buffer(reply_),
        [self = this->shared_from_this()](const boost::system::error_code& ec, size_t) {
          if (self->closed_) return;
          if (ec) return self->Close();
          if (self->reply_.capacity() > kKeep) std::string().swap(self->reply_);
          self->ReadHeader();
        });
  }

  RpcServer::Impl& server_;
  Stream stream_;
  asio::steady_timer timer_;
  const std::string peer_;
  std::shared_ptr<thrift::NimbusProcessor> processor_;
  bool closed_ = false;
  uint64_t generation_ = 0;
  std::array<uint8_t, 4> header_{};
  uint32_t frame_size_ = 0;
  size_t have_ = 0;
  std::unique_ptr<uint8_t[]> buffer_;
  size_t buffer_size_ = 0;
  int64_t held_ = 0;  // of the budget
  std::string reply_;
};

std::string PeerOf(const tcp::socket& s) {
  boost::system::error_code ec;
  const tcp::endpoint e = s.remote_endpoint(ec);
  if (ec) return "?";
  return e.address().to_string() + ":" + std::to_string(e.port());
}

}  // namespace

void RpcServer::Impl::Accept() {
  if (open.size() >= max_connections) {
    if (!accept_paused) {
      GALE_LOG(kWarn) << "not accepting connections while " << open.size()
                      << " are open (the open-file limit less what nimbus keeps for itself)";
    }
    accept_paused = true;  // Closed() accepts again
    return;
  }
  acceptor.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (stopped || ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of file descriptors, most likely: those connections wait in the
      // backlog until some close.
      if (const int64_t quiet = closes_log.Allow(); quiet >= 0) {
        GALE_LOG(kWarn) << "cannot accept a connection: " << ec.message() << Quiet(quiet);
      }
      accept_retry.expires_after(std::chrono::milliseconds(100));
      accept_retry.async_wait([this](const boost::system::error_code& e) {
        if (!e && !stopped) Accept();
      });
      return;
    }
    try {
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::string peer = PeerOf(socket);
      if (tls) {
        std::make_shared<Connection<TlsStream>>(*this, TlsStream(std::move(socket), *tls),
                                                std::move(peer))
            ->Start();
      } else {
        std::make_shared<Connection<tcp::socket>>(*this, std::move(socket), std::move(peer))
            ->Start();
      }
    } catch (const std::exception& e) {  // out of memory, or OpenSSL could not make its state
      if (const int64_t quiet = closes_log.Allow(); quiet >= 0) {
        GALE_LOG(kWarn) << "cannot serve a connection: " << e.what() << Quiet(quiet);
      }
    }
    Accept();
  });
}

void RpcServer::Impl::Closed(void* key) {
  open.erase(key);
  if (accept_paused && !stopped && open.size() < max_connections) {
    accept_paused = false;
    GALE_LOG(kInfo) << "accepting connections again (" << open.size() << " open)";
    Accept();
  }
}

RpcServer::RpcServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RpcServer::~RpcServer() { Stop(); }

int RpcServer::port() const {
  boost::system::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

Result<std::unique_ptr<RpcServer>> RpcServer::Start(Leadership& lead,
                                                    const RpcServerOptions& options) {
  // Nimbus keeps 256 descriptors (half of a limit under 512) for its own
  // files, the plugin describer's pipes and what else it opens.
  rlimit files{};
  size_t max_connections = 1024 - 256;
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0) {
    const size_t limit =
        files.rlim_cur == RLIM_INFINITY ? size_t{1} << 20 : static_cast<size_t>(files.rlim_cur);
    max_connections = limit - std::min<size_t>(256, limit / 2);
  }
  auto impl = std::make_unique<Impl>(lead, options, max_connections);
  const rpc::ServerAuth& auth = options.auth;
  if (auth.mode != rpc::AuthMode::kNone) {
    std::string step = "gale.tls.cert '" + auth.cert + "'";
    try {
      impl->tls.emplace(asio::ssl::context::tls_server);
      asio::ssl::context& ctx = *impl->tls;
      ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3);
      ctx.use_certificate_chain_file(auth.cert);
      step = "gale.tls.key '" + auth.key + "'";
      ctx.use_private_key_file(auth.key, asio::ssl::context::pem);
      step = "gale.tls.ca '" + auth.ca + "'";
      ctx.load_verify_file(auth.ca);
      // tls: every client shows a certificate the CA signed; token: clients
      // check nimbus's certificate and then call authenticate().
      ctx.set_verify_mode(auth.mode == rpc::AuthMode::kTls
                              ? asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert
                              : asio::ssl::verify_none);
      static const unsigned char kContext[] = "gale-nimbus";
      SSL_CTX_set_session_id_context(ctx.native_handle(), kContext, sizeof kContext - 1);
    } catch (const std::exception& e) {
      return Status::InvalidArgument("cannot load " + step + ": " + e.what());
    }
  }
  const std::string where = options.host + ":" + std::to_string(options.port);
  try {
    tcp::resolver resolver(impl->io);
    const auto endpoints =
        resolver.resolve(options.host, std::to_string(options.port),
                         tcp::resolver::passive | tcp::resolver::numeric_service);
    if (endpoints.empty()) return Status::InvalidArgument("cannot listen on " + where);
    const tcp::endpoint endpoint = endpoints.begin()->endpoint();
    impl->acceptor.open(endpoint.protocol());
    impl->acceptor.set_option(tcp::acceptor::reuse_address(true));
    impl->acceptor.bind(endpoint);
    impl->acceptor.listen(asio::socket_base::max_listen_connections);
  } catch (const std::exception& e) {
    return Status::Unavailable("cannot listen on " + where + ": " + e.what());
  }
  impl->Accept();
  Impl* raw = impl.get();
  impl->network = std::thread([raw] {
    for (;;) {
      try {
        raw->io.run();
        return;
      } catch (const std::exception& e) {
        GALE_LOG(kError) << "nimbus's network thread: " << e.what() << "; going on";
      }
    }
  });
  GALE_LOG(kInfo) << "nimbus listening on " << where << " (" << options.call_threads
                  << " call threads)";
  return std::unique_ptr<RpcServer>(new RpcServer(std::move(impl)));
}

void RpcServer::Stop() {
  if (!impl_ || !impl_->network.joinable()) return;
  // On the network thread: no more accepts or calls, every connection
  // closed (a call that runs finishes; its answer is not sent).
  std::promise<void> closed;
  asio::post(impl_->io, [impl = impl_.get(), &closed] {
    impl->stopped = true;
    boost::system::error_code ignored;
    impl->acceptor.close(ignored);
    impl->accept_retry.cancel();
    std::vector<std::function<void()>> closes;
    for (auto& [key, close] : impl->open) closes.push_back(close);
    for (auto& close : closes) close();
    closed.set_value();
  });
  closed.get_future().wait();
  impl_->calls.join();
  impl_->io.stop();
  impl_->network.join();
}

}  // namespace gale::nimbus
