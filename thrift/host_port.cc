#include "thrift/host_port.h"

#include <gale/config.h>

#include <algorithm>
#include <cstdlib>

namespace gale::rpc {

Result<HostPort> ParseHostPort(const std::string& text) {
  HostPort hp;
  std::string port;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Status::InvalidArgument("'" + text + "' is not host:port (IPv6 is [addr]:port)");
    }
    hp.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      return Status::InvalidArgument("'" + text + "' is not host:port");
    }
    hp.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  char* end = nullptr;
  long p = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || p < 1 || p > 65535) {
    return Status::InvalidArgument("'" + text + "' has no valid port (1-65535)");
  }
  hp.port = static_cast<int>(p);
  return hp;
}

Result<std::vector<HostPort>> ParseHostPorts(const std::string& text, int default_port) {
  std::vector<HostPort> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (item.empty()) return Status::InvalidArgument("'" + text + "' has an empty address");
    // A host without a port: a name, an IPv4 address, or an IPv6 address
    // (two colons or more, no brackets).
    const size_t colons = static_cast<size_t>(std::count(item.begin(), item.end(), ':'));
    if (default_port != 0 && item.front() != '[' && colons != 1) {
      item = HostPort{item, default_port}.ToString();
    }
    GALE_ASSIGN_OR_RETURN(HostPort hp, ParseHostPort(item));
    out.push_back(std::move(hp));
    start = end + 1;
  }
  return out;
}

std::string ToString(const std::vector<HostPort>& list) {
  std::string out;
  for (const auto& hp : list) out += (out.empty() ? "" : ",") + hp.ToString();
  return out;
}

Result<std::vector<HostPort>> SeedsFromConfig(const Config& config, int port,
                                              const std::string& where) {
  if (config.Contains("nimbus.seeds")) {
    auto seeds = ParseHostPorts(config.GetString("nimbus.seeds", ""), port);
    if (!seeds.ok()) {
      return Status::InvalidArgument(where + ": nimbus.seeds: " + seeds.status().message());
    }
    return seeds;
  }
  const std::string host = config.GetString("nimbus.host", "127.0.0.1");
  if (host.empty()) return Status::InvalidArgument(where + ": nimbus.host is empty");
  return std::vector<HostPort>{HostPort{host, port}};
}

}  // namespace gale::rpc
