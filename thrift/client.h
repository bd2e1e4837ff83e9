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
#include "thrift/host_port.h"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace gale::rpc {

class NimbusConnection {
 public:
  // Connects (a plain TCP connect, bounded by `timeout`); every later call
  // is bounded by `timeout` too.
  static Result<std::unique_ptr<NimbusConnection>> Connect(
      const HostPort& nimbus, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Connects to the leader among `seeds` (nimbus.seeds; one address for a
  // single nimbus): asks each seed in turn for the leader (getLeader) and
  // connects there. kUnavailable, naming every seed tried, when none leads.
  static Result<std::unique_ptr<NimbusConnection>> ConnectLeader(
      const std::vector<HostPort>& seeds,
      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~NimbusConnection();

  // Runs `call` against the client. Declared exceptions become Status codes:
  // AlreadyAlive -> kAlreadyExists, NotAlive / PluginNotFound -> kNotFound,
  // InvalidTopology / Upload -> kInvalidArgument, IllegalState ->
  // kFailedPrecondition; transport failures -> kUnavailable (and the
  // connection is closed: reconnect to retry); any other Thrift error (an
  // application exception, e.g. a method an older nimbus lacks) -> kInternal,
  // with the connection kept; except a follower's "not the leader nimbus"
  // -> kUnavailable, with the connection closed (ConnectLeader again).
  Status Call(const std::function<void(thrift::NimbusClient&)>& call);

  const HostPort& address() const { return address_; }

 private:
  struct Impl;
  explicit NimbusConnection(std::unique_ptr<Impl> impl, HostPort address);
  std::unique_ptr<Impl> impl_;
  HostPort address_;
};

}  // namespace gale::rpc
