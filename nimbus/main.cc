// gale-nimbus: the master daemon. `gale-nimbus --help` lists the options.
#include "core/common/files.h"
#include "core/common/logging.h"
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
  gale::nimbus::Nimbus nimbus(options->nimbus, gale::SystemClock::Get());
  gale::Status s = nimbus.Recover();
  if (!s.ok()) {
    std::cerr << "gale-nimbus: " << s.message() << "\n";
    return 1;
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
  auto server = gale::nimbus::RpcServer::Start(nimbus, serve);
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
      nimbus.Tick();
      tick();
    });
  };
  tick();
  io.run();
  (*server)->Stop();
  return 0;
}
