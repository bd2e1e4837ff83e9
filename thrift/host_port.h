// thrift/host_port.h
//
// Nimbus addresses as clients name them: "host:port" ("[::1]:6627" for
// IPv6), and the seeds of an HA cluster, "host:port,host:port"
// (nimbus.seeds, Storm's key). No Thrift headers here.
#pragma once

#include "core/common/result.h"

#include <string>
#include <vector>

namespace gale {
class Config;
}

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

// Parses "host:port"; an error says what was wrong.
Result<HostPort> ParseHostPort(const std::string& text);
// Parses "host:port,host:port" (spaces around items allowed; at least one).
// An item without a port ("host", "10.0.0.1", "::1") gets `default_port`
// when it is not 0; with 0 every item needs its port.
Result<std::vector<HostPort>> ParseHostPorts(const std::string& text, int default_port = 0);
// "host:port,host:port".
std::string ToString(const std::vector<HostPort>& list);

// The nimbuses a daemon or client of this cluster config talks to:
// nimbus.seeds when set (items without a port get `port`), else nimbus.host
// (127.0.0.1) and `port` (the config's nimbus.thrift.port, parsed by the
// caller). Errors name `where` and the key.
Result<std::vector<HostPort>> SeedsFromConfig(const Config& config, int port,
                                              const std::string& where);

}  // namespace gale::rpc
