// gale-nimbus: the master daemon. `gale-nimbus --help` lists the options.
#include "core/common/files.h"
#include "core/common/logging.h"
#include "nimbus/leader_elector.h"
#include "nimbus/leadership.h"
#include "nimbus/meta_store.h"
#include "nimbus/nimbus.h"
#include "nimbus/nimbus_config.h"
#include "nimbus/rpc_server.h"

#include <thrift/TOutput.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace {

// Every connection is a file descriptor: take the hard limit (5 000 idle
// clients would not fit the usual soft 1 024).
void RaiseFileLimit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur >= r.rlim_max) return;
  r.rlim_cur = r.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &r);
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv, argv + argc);
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      std::cout << gale::nimbus::NimbusUsage();
      return 0;
    }
  }
  // A client that hung up must not kill nimbus.
  ::signal(SIGPIPE, SIG_IGN);
  // Thrift's own messages go to the debug log.
  apache::thrift::GlobalOutput.setOutputFunction(
      [](const char* msg) { GALE_LOG(kDebug) << "thrift: " << msg; });
  auto options = gale::nimbus::NimbusConfig::FromArgs(args, gale::SelfExecutable(argv[0]));
  if (!options.ok()) {
    std::cerr << "gale-nimbus: " << options.status().message() << "\n";
    return 2;
  }
  const gale::Clock& clock = gale::SystemClock::Get();
  gale::nimbus::PluginStore plugins(options->nimbus.state_dir);
  if (gale::Status s = plugins.Init(); !s.ok()) {
    std::cerr << "gale-nimbus: " << s.message() << "\n";
    return 1;
  }
  // One nimbus: its state directory, and it leads. HA: the nimbuses elect
  // a leader in ZooKeeper, which keeps the cluster's state.
  gale::nimbus::DirMetaStore dir_store(options->nimbus.state_dir);
  std::unique_ptr<gale::nimbus::Leadership> lead;
  if (options->zookeeper_servers.empty()) {
    auto nimbus =
        std::make_shared<gale::nimbus::Nimbus>(options->nimbus, clock, dir_store, plugins);
    if (gale::Status s = nimbus->Recover(); !s.ok()) {
      std::cerr << "gale-nimbus: " << s.message() << "\n";
      return 1;
    }
    lead = std::make_unique<gale::nimbus::SingleLeadership>(nimbus, plugins, options->host,
                                                            options->port);
  } else {
    gale::nimbus::HaOptions ha;
    ha.zookeeper_servers = options->zookeeper_servers;
    ha.root = options->zookeeper_root;
    ha.session_timeout = options->zookeeper_session_timeout;
    ha.host = options->host;
    ha.port = options->port;
    // Its calls to the other nimbuses (thrift/client.h) connect with these.
    gale::rpc::SetClientAuth(options->peer_auth);
    GALE_LOG(kInfo) << "HA: electing a leader in ZooKeeper " << ha.zookeeper_servers << " "
                    << ha.root << " as " << ha.host << ":" << ha.port;
    lead = std::make_unique<gale::nimbus::LeaderElector>(ha, options->nimbus, clock, plugins);
  }

  const gale::rpc::ServerAuth& auth = options->auth;
  auto table = gale::rpc::AuthTable::Load(auth.tokens_file, auth.roles_file);
  if (!table.ok()) {
    std::cerr << "gale-nimbus: " << table.status().message() << "\n";
    return 2;
  }
  GALE_LOG(kInfo) << "authentication: gale.auth.mode " << gale::rpc::AuthModeName(auth.mode);
  RaiseFileLimit();
  gale::nimbus::RpcServerOptions serve;
  serve.host = options->host;
  serve.port = options->port;
  serve.auth = auth;
  serve.table = &table.value();
  serve.client_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(options->client_timeout);
  serve.frames_budget_bytes = options->frames_budget_bytes;
  serve.call_threads = options->call_threads;
  auto server = gale::nimbus::RpcServer::Start(*lead, serve);
  if (!server.ok()) {
    std::cerr << "gale-nimbus: " << server.status().message() << "\n";
    GALE_LOG(kError) << server.status().message();
    return server.status().code() == gale::StatusCode::kInvalidArgument ? 2 : 1;
  }

  boost::asio::io_context io;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    GALE_LOG(kInfo) << "nimbus stopping (signal " << sig << ")";
    io.stop();
  });
  boost::asio::steady_timer timer(io);
  std::function<void()> tick = [&] {
    timer.expires_after(std::chrono::milliseconds(500));
    timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto nimbus = lead->Leader()) nimbus->Tick();
      plugins.ExpireUploads(clock.Now(), std::chrono::minutes(10));
      tick();
    });
  };
  tick();
  io.run();
  (*server)->Stop();
  server->reset();  // its connections' handlers hold the leading Nimbus
  lead.reset();     // HA: leaves the election at once
  return 0;
}
