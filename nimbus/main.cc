// gale-nimbus: the master daemon. `gale-nimbus --help` lists the options.
#include "core/common/logging.h"
#include "core/topology/cluster_config.h"
#include "nimbus/nimbus.h"
#include "nimbus/thrift_handler.h"

#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/server/TThreadedServer.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TServerSocket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr const char* kUsage = R"(usage: gale-nimbus [options]
  --config FILE                 cluster config (YAML); options below override it
  --host ADDR                   address to listen on (nimbus.host; default 127.0.0.1)
  --port N                      Thrift port (nimbus.thrift.port; default 6627)
  --state-dir DIR               where topologies and plugins are kept
                                (default: gale.local.dir/nimbus)
  --supervisor-timeout-secs S   a silent supervisor is dead after S (nimbus.supervisor.timeout.secs; 5)
  --worker-timeout-secs S       a silent worker is dead after S (nimbus.task.timeout.secs; 10)
  --worker-start-timeout-secs S time a new worker has to report in (nimbus.task.launch.secs; 30)
)";

struct Options {
  std::string host = "127.0.0.1";
  int port = 6627;
  gale::nimbus::NimbusOptions nimbus;
};

bool ParseSeconds(const std::string& text, gale::Nanos* out) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || v <= 0) return false;
  *out = gale::Nanos(static_cast<int64_t>(v * 1e9));
  return true;
}

gale::Result<Options> Parse(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  Options o;
  // The config file first, so that flags override it.
  for (size_t i = 0; i + 1 < a.size(); ++i) {
    if (a[i] != "--config") continue;
    GALE_ASSIGN_OR_RETURN(gale::Config c, gale::topology::LoadClusterConfig(a[i + 1]));
    o.host = c.GetString("nimbus.host", o.host);
    o.port = static_cast<int>(c.GetInt("nimbus.thrift.port", o.port));
    if (c.Contains("gale.local.dir")) o.nimbus.state_dir = c.GetString("gale.local.dir", "") + "/nimbus";
    const double sup = c.GetDouble("nimbus.supervisor.timeout.secs", 5);
    const double task = c.GetDouble("nimbus.task.timeout.secs", 10);
    const double launch = c.GetDouble("nimbus.task.launch.secs", 30);
    o.nimbus.supervisor_timeout = gale::Nanos(static_cast<int64_t>(sup * 1e9));
    o.nimbus.worker_timeout = gale::Nanos(static_cast<int64_t>(task * 1e9));
    o.nimbus.worker_start_timeout = gale::Nanos(static_cast<int64_t>(launch * 1e9));
  }
  for (size_t i = 0; i < a.size(); ++i) {
    const std::string& k = a[i];
    if (k == "--help" || k == "-h") return gale::Status::NotFound("help");
    if (i + 1 >= a.size()) return gale::Status::InvalidArgument(k + " needs a value");
    const std::string& v = a[++i];
    if (k == "--config") continue;
    if (k == "--host") {
      o.host = v;
    } else if (k == "--port") {
      o.port = std::atoi(v.c_str());
      if (o.port < 1 || o.port > 65535) return gale::Status::InvalidArgument("bad --port '" + v + "'");
    } else if (k == "--state-dir") {
      o.nimbus.state_dir = v;
    } else if (k == "--supervisor-timeout-secs") {
      if (!ParseSeconds(v, &o.nimbus.supervisor_timeout)) return gale::Status::InvalidArgument("bad " + k);
    } else if (k == "--worker-timeout-secs") {
      if (!ParseSeconds(v, &o.nimbus.worker_timeout)) return gale::Status::InvalidArgument("bad " + k);
    } else if (k == "--worker-start-timeout-secs") {
      if (!ParseSeconds(v, &o.nimbus.worker_start_timeout)) return gale::Status::InvalidArgument("bad " + k);
    } else {
      return gale::Status::InvalidArgument("unknown option '" + k + "'");
    }
  }
  if (o.nimbus.state_dir.empty()) {
    return gale::Status::InvalidArgument("no state directory: give --state-dir or gale.local.dir");
  }
  return o;
}

// Logs once the server socket listens.
class ServeEvents : public apache::thrift::server::TServerEventHandler {
 public:
  explicit ServeEvents(std::string where) : where_(std::move(where)) {}
  void preServe() override { GALE_LOG(kInfo) << "nimbus listening on " << where_; }

 private:
  std::string where_;
};

}  // namespace

int main(int argc, char** argv) {
  using namespace apache::thrift;
  auto options = Parse(argc, argv);
  if (!options.ok()) {
    if (options.status().code() == gale::StatusCode::kNotFound) {
      std::cout << kUsage;
      return 0;
    }
    std::cerr << "gale-nimbus: " << options.status().message() << "\n" << kUsage;
    return 2;
  }
  gale::nimbus::Nimbus nimbus(options->nimbus, gale::SystemClock::Get());
  gale::Status s = nimbus.Recover();
  if (!s.ok()) {
    std::cerr << "gale-nimbus: " << s.message() << "\n";
    return 1;
  }

  auto handler = std::make_shared<gale::nimbus::NimbusHandler>(nimbus);
  auto processor = std::make_shared<gale::thrift::NimbusProcessor>(handler);
  auto socket = std::make_shared<transport::TServerSocket>(options->host, options->port);
  // A client that sends nothing for 30 s (stalled mid-call, or idle) is
  // dropped; it costs one thread meanwhile and blocks nobody else.
  socket->setRecvTimeout(30000);
  socket->setSendTimeout(30000);
  // Frames are limited by the framed transport (16 MB); strings and
  // containers inside a message are limited here.
  auto protocols = std::make_shared<protocol::TBinaryProtocolFactory>(16 << 20, 1 << 20, false, true);
  server::TThreadedServer server(processor, socket,
                                 std::make_shared<transport::TFramedTransportFactory>(), protocols);
  server.setConcurrentClientLimit(256);
  const std::string where = options->host + ":" + std::to_string(options->port);
  server.setServerEventHandler(std::make_shared<ServeEvents>(where));

  boost::asio::io_context io;
  std::atomic<int> exit_code{0};
  std::thread serving([&] {
    try {
      server.serve();
    } catch (const std::exception& e) {
      GALE_LOG(kError) << "cannot serve on " << where << ": " << e.what();
      exit_code = 1;
      io.stop();
    }
  });

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
  server.stop();
  serving.join();
  return exit_code.load();
}
