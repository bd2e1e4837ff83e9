#include "core/http/http.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace gale::http {

Result<HttpResponse> Get(const std::string& host, int port, const std::string& target,
                         std::chrono::milliseconds timeout, size_t max_body) {
  namespace asio = boost::asio;
  namespace beast = boost::beast;
  namespace bhttp = beast::http;
  using tcp = asio::ip::tcp;
  const std::string where = "http://" + host + ":" + std::to_string(port);

  asio::io_context io;
  beast::tcp_stream stream(io);
  tcp::resolver resolver(io);
  beast::error_code ec;
  const auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (ec) return Status::Unavailable("cannot resolve " + host + ": " + ec.message());

  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, target, 11};
  req.set(bhttp::field::host, host + ":" + std::to_string(port));
  req.set(bhttp::field::user_agent, "gale");
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(max_body);
  beast::error_code failure;
  std::string stage = "connect to";

  // Asynchronous operations so that the stream's deadline bounds each step.
  stream.expires_after(timeout);
  stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) {
    if (e) return void(failure = e);
    stage = "send to";
    stream.expires_after(timeout);
    bhttp::async_write(stream, req, [&](beast::error_code e2, size_t) {
      if (e2) return void(failure = e2);
      stage = "read from";
      stream.expires_after(timeout);
      bhttp::async_read(stream, buffer, parser,
                        [&](beast::error_code e3, size_t) { failure = e3; });
    });
  });
  io.run();
  if (failure) {
    return Status::Unavailable("cannot " + stage + " " + where + ": " + failure.message());
  }
  HttpResponse out;
  out.status = static_cast<int>(parser.get().result_int());
  out.content_type = std::string(parser.get()[bhttp::field::content_type]);
  for (const auto& field : parser.get()) {
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  out.body = std::move(parser.get().body());
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return out;
}

}  // namespace gale::http
