#include "core/http/server.h"

#include "core/common/logging.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace gale::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

constexpr auto kIoTimeout = std::chrono::seconds(30);
constexpr size_t kMaxBody = 64 * 1024;
constexpr size_t kMaxHeader = 16 * 1024;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpHandler& handler)
      : stream_(std::move(socket)), handler_(handler) {}

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->header_limit(kMaxHeader);
    parser_->body_limit(kMaxBody);
    stream_.expires_after(kIoTimeout);
    bhttp::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
      return Close();
    }
    if (ec) {
      // Too large or malformed: answer, then close (the stream's framing is
      // lost).
      const bool too_large = ec == bhttp::error::body_limit || ec == bhttp::error::header_limit ||
                             ec == bhttp::error::buffer_overflow;
      HttpResponse r;
      r.status = too_large ? 413 : 400;
      r.body = std::string("{\"error\":\"") + (too_large ? "Payload Too Large" : "Bad Request") +
               "\",\"errorMessage\":\"" +
               (too_large ? "request larger than 16 KiB of headers or 64 KiB of body"
                          : "malformed HTTP request") +
               "\"}";
      return Write(r, false, false);
    }
    const auto& req = parser_->get();
    HttpRequest in;
    in.method = std::string(req.method_string());
    in.target = std::string(req.target());
    in.host = std::string(req[bhttp::field::host]);
    in.origin = std::string(req[bhttp::field::origin]);
    in.sec_fetch_site = std::string(req["Sec-Fetch-Site"]);
    in.authorization = std::string(req[bhttp::field::authorization]);
    in.body = req.body();
    HttpResponse out;
    try {
      out = handler_(in);
    } catch (const std::exception& e) {
      GALE_LOG(kError) << "ui: " << in.method << " " << in.target << " failed: " << e.what();
      out.status = 500;
      out.body = "{\"error\":\"Internal Server Error\",\"errorMessage\":\"internal error\"}";
    }
    Write(out, req.keep_alive(), in.method == "HEAD");
  }

  void Write(const HttpResponse& r, bool keep_alive, bool head) {
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(r.status));
    res->set(bhttp::field::server, "gale-ui");
    res->set(bhttp::field::content_type, r.content_type);
    res->set(bhttp::field::cache_control, "no-store");
    res->set("X-Content-Type-Options", "nosniff");
    // Pages may not be framed by another site (clickjacking the buttons).
    res->set("X-Frame-Options", "DENY");
    res->set("Content-Security-Policy",
             "default-src 'self'; frame-ancestors 'none'; style-src 'self' 'unsafe-inline'");
    for (const auto& [name, value] : r.headers) res->set(name, value);
    res->keep_alive(keep_alive);
    if (head) {
      res->content_length(r.body.size());
    } else {
      res->body() = r.body;
      res->prepare_payload();
    }
    stream_.expires_after(kIoTimeout);
    bhttp::async_write(stream_, *res,
                       [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
                         if (ec || !keep_alive) return self->Close();
                         self->Read();
                       });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  const HttpHandler& handler_;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& io, tcp::acceptor acceptor, const HttpHandler& handler)
      : io_(io), acceptor_(std::move(acceptor)), handler_(handler) {}

  void Accept() {
    acceptor_.async_accept(asio::make_strand(io_), [self = shared_from_this()](beast::error_code ec,
                                                                               tcp::socket socket) {
      if (!ec) std::make_shared<Session>(std::move(socket), self->handler_)->Start();
      if (ec != asio::error::operation_aborted) self->Accept();
    });
  }

 private:
  asio::io_context& io_;
  tcp::acceptor acceptor_;
  const HttpHandler& handler_;
};

// Opens, binds and listens; starts accepting. The bound port.
Result<int> Listen(asio::io_context& io, const std::string& host, int port,
                   const HttpHandler& handler) {
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return Status::InvalidArgument("'" + host + "' is not an IP address");
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  tcp::acceptor acceptor(io);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Unavailable("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                               ec.message());
  }
  const int bound = acceptor.local_endpoint().port();
  std::make_shared<Listener>(io, std::move(acceptor), handler)->Accept();
  return bound;
}

}  // namespace

Status ServeHttp(const std::string& host, int port, int threads, const HttpHandler& handler,
                 const std::function<void(int port)>& on_listening) {
  asio::io_context io(threads);
  GALE_ASSIGN_OR_RETURN(const int bound, Listen(io, host, port, handler));
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const beast::error_code&, int sig) {
    GALE_LOG(kInfo) << "stopping (signal " << sig << ")";
    io.stop();
  });
  on_listening(bound);
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
  return Status::Ok();
}

struct BackgroundServer::Impl {
  explicit Impl(HttpHandler h) : handler(std::move(h)), io(1) {}
  HttpHandler handler;
  asio::io_context io;
  std::vector<std::thread> threads;
};

Result<std::unique_ptr<BackgroundServer>> BackgroundServer::Start(const std::string& host, int port,
                                                                  int threads,
                                                                  HttpHandler handler) {
  auto impl = std::make_unique<Impl>(std::move(handler));
  GALE_ASSIGN_OR_RETURN(const int bound, Listen(impl->io, host, port, impl->handler));
  for (int i = 0; i < threads; ++i) impl->threads.emplace_back([io = &impl->io] { io->run(); });
  return std::unique_ptr<BackgroundServer>(new BackgroundServer(std::move(impl), bound));
}

BackgroundServer::BackgroundServer(std::unique_ptr<Impl> impl, int port)
    : impl_(std::move(impl)), port_(port) {}

BackgroundServer::~BackgroundServer() {
  impl_->io.stop();
  for (auto& t : impl_->threads) t.join();
}

}  // namespace gale::http
