// nimbus/ui/http_server.h
//
// The HTTP/1.1 server of gale-ui, on Boost.Beast: keep-alive, requests
// bounded (headers 16 KiB, bodies 64 KiB: larger is 413), every read and
// write bounded by 30 s, several threads so a slow nimbus call does not stall
// other clients. Beast stays inside http_server.cc.
#pragma once

#include "core/common/status.h"
#include "nimbus/ui/rest_api.h"

#include <functional>
#include <string>

namespace gale::ui {

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// Listens on host:port and serves until SIGINT or SIGTERM. `on_listening`
// runs once the socket listens (with the port, useful when `port` is 0).
// An error when it cannot listen.
Status ServeHttp(const std::string& host, int port, int threads, const HttpHandler& handler,
                 const std::function<void(int port)>& on_listening);

}  // namespace gale::ui
