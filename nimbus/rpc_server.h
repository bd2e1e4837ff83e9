// nimbus/rpc_server.h
//
// Nimbus's Thrift server: Thrift's framed binary protocol over TCP, plain or
// TLS, on Boost.Asio. One thread does the network work of every connection
// (accepting, TLS handshakes, reading frames, writing answers), so an idle or
// slow connection costs a socket and a little memory, not a thread; a pool of
// `call_threads` runs the calls (NimbusHandler, one per connection), one call
// at a time per connection. What a connection may hold, and for how long:
// nimbus/README.md, "Connections".
//
// No Thrift, Boost or OpenSSL headers here. Threading: Start and Stop from
// one thread (nimbus's main).
#pragma once

#include "core/common/result.h"
#include "thrift/auth.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace gale::nimbus {

class Leadership;

struct RpcServerOptions {
  std::string host = "127.0.0.1";
  int port = 6627;  // 0: any free port (port() says which)
  rpc::ServerAuth auth;
  const rpc::AuthTable* table = nullptr;  // tokens and certificate roles
  // A connection that sends no request (or does not finish its TLS
  // handshake), sends a frame that is not whole, or does not read its
  // answer, for this long is closed.
  std::chrono::milliseconds client_timeout{15000};
  // What the frames being received on all connections hold together.
  int64_t frames_budget_bytes = int64_t{256} << 20;
  int call_threads = 64;
};

class RpcServer {
 public:
  // Listening; an error names the address, or the TLS file it could not
  // load.
  static Result<std::unique_ptr<RpcServer>> Start(Leadership& lead,
                                                  const RpcServerOptions& options);
  ~RpcServer();  // Stop()

  // Stops accepting, closes every connection, and waits for the calls that
  // run.
  void Stop();
  int port() const;

  struct Impl;

 private:
  explicit RpcServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gale::nimbus
