// gale-ui: the web UI, Storm's REST API and Prometheus metrics, as a daemon
// that is a Thrift client of nimbus (as Storm's UI is). `gale-ui --help`
// lists the options; README.md says what it serves.
#include "core/common/files.h"
#include "core/common/logging.h"
#include "core/http/server.h"
#include "core/topology/cluster_config.h"
#include "nimbus/ui/rest_api.h"
#include "thrift/auth.h"
#include "thrift/client.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using gale::Result;
using gale::Status;
using gale::topology::ClusterConfigFile;
using gale::topology::DaemonFlags;

const char kUsage[] = R"(usage: gale-ui [options]

The web UI of a Gale cluster: pages, Storm's REST API under /api/v1/ and
Prometheus metrics under /metrics, answered from nimbus's Thrift API.

  --config FILE        cluster config (YAML); flags override it
  --nimbus HOST:PORT   nimbus, or HOST:PORT,HOST:PORT for an HA cluster's nimbuses
                       (default: nimbus.seeds, or nimbus.host and nimbus.thrift.port of
                       --config, else 127.0.0.1:6627)
  --host ADDR          address to listen on (ui.host; default 127.0.0.1)
  --port N             port to listen on (ui.port; default 8080; 0 picks a free one)
  --allowed-hosts H,.. further names the UI is reached by, as host:port
                       (ui.allowed.hosts); POSTs from pages of any other
                       origin are refused
  --www DIR            the pages' files (default: <prefix>/share/gale/ui/www when
                       installed, else the source tree's nimbus/ui/www)
  --threads N          HTTP threads (ui.threads; default 4)

With gale.auth.mode tls or token in --config (README.md) the UI connects to
nimbus with the gale.tls.* / gale.auth.* keys and is read-only, except for
POSTs with 'Authorization: Bearer USER:TOKEN'. A --host that is not loopback
needs authentication, or 'gale.auth.insecure.allow: true'.
)";

struct UiConfig {
  std::vector<gale::rpc::HostPort> nimbus;  // one, or an HA cluster's seeds
  std::string host = "127.0.0.1";
  int port = 8080;
  int threads = 4;
  std::string www = GALE_UI_WWW_DIR;
  std::vector<std::string> allowed_hosts;
  gale::rpc::ClientAuth auth;  // gale.auth.* / gale.tls.*: how it connects to nimbus
};

Result<int> PortFlag(const DaemonFlags& flags, const ClusterConfigFile& file, const char* flag,
                     const char* key, int fallback) {
  if (auto it = flags.find(flag); it != flags.end()) {
    if (it->second == "0") return 0;
    auto port = gale::topology::ParsePositiveInt(std::string("--") + flag, it->second);
    if (!port.ok() || *port > 65535) {
      return Status::InvalidArgument(std::string("--") + flag +
                                     " must be a port, an integer from 0 to 65535, not '" +
                                     it->second + "'");
    }
    return static_cast<int>(*port);
  }
  return file.Port(key, fallback);
}

Result<UiConfig> Assemble(const DaemonFlags& flags, const ClusterConfigFile& file) {
  UiConfig c;
  c.host = gale::topology::FlagOrConfig(flags, "host", file.values, "ui.host", c.host);
  GALE_ASSIGN_OR_RETURN(c.port, PortFlag(flags, file, "port", "ui.port", c.port));
  if (auto it = flags.find("nimbus"); it != flags.end()) {
    auto hp = gale::rpc::ParseHostPorts(it->second);
    if (!hp.ok()) return Status::InvalidArgument("--nimbus: " + hp.status().message());
    c.nimbus = *hp;
  } else {
    GALE_ASSIGN_OR_RETURN(const int port, file.Port("nimbus.thrift.port", 6627));
    GALE_ASSIGN_OR_RETURN(c.nimbus, gale::rpc::SeedsFromConfig(file.values, port, file.path));
  }
  const std::string threads =
      gale::topology::FlagOrConfig(flags, "threads", file.values, "ui.threads", "4");
  GALE_ASSIGN_OR_RETURN(const int64_t n, gale::topology::ParsePositiveInt("--threads", threads));
  if (n > 64) return Status::InvalidArgument("--threads must be at most 64, not " + threads);
  c.threads = static_cast<int>(n);
  if (auto it = flags.find("www"); it != flags.end()) {
    c.www = it->second;
  } else {
    // Installed (cmake --install, the .deb): <prefix>/share/gale/ui/www.
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    const auto installed = exe.parent_path().parent_path() / "share" / "gale" / "ui" / "www";
    if (!ec && std::filesystem::is_directory(installed, ec)) c.www = installed.string();
  }
  std::stringstream hosts(
      gale::topology::FlagOrConfig(flags, "allowed-hosts", file.values, "ui.allowed.hosts", ""));
  for (std::string h; std::getline(hosts, h, ',');) {
    if (!h.empty()) c.allowed_hosts.push_back(h);
  }
  GALE_ASSIGN_OR_RETURN(c.auth, gale::rpc::ClientAuthFromConfig(file.values, file.path));
  // Secure by default, as nimbus: the UI drives the cluster.
  gale::rpc::ServerAuth serving;
  serving.mode = c.auth.mode;
  serving.insecure_allow = file.values.GetBool("gale.auth.insecure.allow", false);
  GALE_RETURN_IF_ERROR(gale::rpc::CheckListenAllowed(c.host, serving));
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv, argv + argc);
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
  }
  auto config = gale::topology::ReadDaemonOptions(
      args, {"config", "nimbus", "host", "port", "allowed-hosts", "www", "threads"}, Assemble);
  if (!config.ok()) {
    std::cerr << "gale-ui: " << config.status().message() << "\n";
    return 2;
  }
  if (!std::ifstream(config->www + "/index.html")) {
    std::cerr << "gale-ui: no index.html in --www " << config->www << "\n";
    return 2;
  }

  gale::rpc::SetClientAuth(config->auth);
  gale::ui::UiOptions options;
  options.auth_required = config->auth.mode != gale::rpc::AuthMode::kNone;
  options.www_dir = config->www;
  options.nimbus_host = config->nimbus.front().host;
  options.nimbus_port = config->nimbus.front().port;
  options.ui_host = config->host;
  std::unique_ptr<gale::ui::RestApi> api;
  const Status s = gale::http::ServeHttp(
      config->host, config->port, config->threads,
      [&](const gale::http::HttpRequest& r) { return api->Handle(r); },
      [&](int port) {
        options.ui_port = port;
        const std::string p = std::to_string(port);
        const bool v6 = config->host.find(':') != std::string::npos;
        options.own_hosts = {(v6 ? "[" + config->host + "]" : config->host) + ":" + p,
                             "localhost:" + p, "127.0.0.1:" + p, "[::1]:" + p};
        for (const auto& h : config->allowed_hosts) options.own_hosts.push_back(h);
        api = std::make_unique<gale::ui::RestApi>(config->nimbus, options);
        GALE_LOG(kInfo) << "gale-ui listening on http://" << options.own_hosts[0] << "/ (nimbus "
                        << gale::rpc::ToString(config->nimbus) << ")";
      });
  if (!s.ok()) {
    std::cerr << "gale-ui: " << s.message() << "\n";
    return 1;
  }
  return 0;
}
