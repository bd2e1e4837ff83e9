// thrift/client.h
//
// A connection to nimbus for Gale's daemons and the `gale` command: framed
// transport, binary protocol, connect/send/receive timeouts. Call() runs one
// RPC and turns every exception (declared ones, transport failures) into a
// Status, so callers never see Thrift exceptions. Includes the generated
// Nimbus.h: include it only from files that talk to nimbus.
//
// Threading: one connection per thread.
#pragma once

#include "core/common/result.h"
#include "thrift/gen-cpp/Nimbus.h"

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace gale::rpc {

struct HostPort {
  std::string host;
  int port = 0;
  // "host:port", or "[addr]:port" for an IPv6 address.
  std::string ToString() const {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  }
};

// Parses "host:port" ("[::1]:6627" for IPv6); an error says what was wrong.
Result<HostPort> ParseHostPort(const std::string& text);

class NimbusConnection {
 public:
  // Connects (a plain TCP connect, bounded by `timeout`); every later call
  // is bounded by `timeout` too.
  static Result<std::unique_ptr<NimbusConnection>> Connect(
      const HostPort& nimbus, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~NimbusConnection();

  // Runs `call` against the client. Declared exceptions become Status codes:
  // AlreadyAlive -> kAlreadyExists, NotAlive / PluginNotFound -> kNotFound,
  // InvalidTopology / Upload -> kInvalidArgument, IllegalState ->
  // kFailedPrecondition; transport failures -> kUnavailable (and the
  // connection is closed: reconnect to retry); any other Thrift error (an
  // application exception, e.g. a method an older nimbus lacks) -> kInternal,
  // with the connection kept.
  Status Call(const std::function<void(thrift::NimbusClient&)>& call);

  const HostPort& address() const { return address_; }

 private:
  struct Impl;
  explicit NimbusConnection(std::unique_ptr<Impl> impl, HostPort address);
  std::unique_ptr<Impl> impl_;
  HostPort address_;
};

}  // namespace gale::rpc
