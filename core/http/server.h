// core/http/server.h
//
// The HTTP/1.1 server of gale-ui and the supervisors' log server, on Boost.Beast: keep-alive,
// requests bounded (headers 16 KiB, bodies 64 KiB: larger is 413), every read and write bounded by
// 30 s, several threads so a slow nimbus call does not stall other clients. Beast stays inside
// server.cc.
#pragma once

#include "core/common/status.h"
#include "core/http/http.h"

#include <functional>
#include <memory>
#include <string>

namespace gale::http {

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// Listens on host:port and serves until SIGINT or SIGTERM. `on_listening`
// runs once the socket listens (with the port, useful when `port` is 0).
// An error when it cannot listen.
Status ServeHttp(const std::string& host, int port, int threads, const HttpHandler& handler,
                 const std::function<void(int port)>& on_listening);

// A server that runs on threads of its own until it is destroyed (the
// supervisor's log server, beside the supervisor's own event loop).
class BackgroundServer {
 public:
  // Listens on host:port (0: a free port); an error when it cannot.
  static Result<std::unique_ptr<BackgroundServer>> Start(const std::string& host, int port,
                                                         int threads, HttpHandler handler);
  ~BackgroundServer();
  int port() const { return port_; }

 private:
  struct Impl;
  BackgroundServer(std::unique_ptr<Impl> impl, int port);
  std::unique_ptr<Impl> impl_;
  int port_;
};

}  // namespace gale::http
