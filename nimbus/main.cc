// gale-nimbus: the master daemon. `gale-nimbus --help` lists the options.
#include "core/common/files.h"
#include "core/common/logging.h"
#include "nimbus/nimbus.h"
#include "nimbus/nimbus_config.h"
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

// A framed transport that bounds what a message may claim by the frame it
// came in: Thrift checks every list, set and map size a message announces
// against the transport's remaining message size, and by default that is
// 100 MB whatever the frame holds, so a 40-byte frame could make nimbus
// allocate a list of a million structs. Here it is the frame's own size.
class BoundedFramedTransport : public apache::thrift::transport::TFramedTransport {
 public:
  using TFramedTransport::TFramedTransport;

 protected:
  bool readFrame() override {
    if (!TFramedTransport::readFrame()) return false;
    resetConsumedMessageSize();  // it only shrinks: back to the maximum first
    resetConsumedMessageSize(static_cast<long>(rBound_ - rBase_));
    return true;
  }
};

class BoundedFramedTransportFactory : public apache::thrift::transport::TTransportFactory {
 public:
  std::shared_ptr<apache::thrift::transport::TTransport> getTransport(
      std::shared_ptr<apache::thrift::transport::TTransport> trans) override {
    return std::make_shared<BoundedFramedTransport>(trans);
  }
};

// The binary protocol, with the one gap of its size checks closed: Thrift
// counts a struct as 0 bytes when it checks a claimed list size, so a list
// of a million structs passed any frame. Every struct takes at least its
// stop byte.
class BoundedBinaryProtocol
    : public apache::thrift::protocol::TBinaryProtocolT<apache::thrift::transport::TTransport> {
 public:
  using Base = apache::thrift::protocol::TBinaryProtocolT<apache::thrift::transport::TTransport>;
  using Base::Base;
  void checkReadBytesAvailable(apache::thrift::protocol::TList& list) override {
    Check(list.size_, MinSize(list.elemType_));
  }
  void checkReadBytesAvailable(apache::thrift::protocol::TSet& set) override {
    Check(set.size_, MinSize(set.elemType_));
  }
  void checkReadBytesAvailable(apache::thrift::protocol::TMap& map) override {
    Check(map.size_, MinSize(map.keyType_) + MinSize(map.valueType_));
  }

 private:
  int MinSize(apache::thrift::protocol::TType t) {
    return t == apache::thrift::protocol::T_STRUCT ? 1 : getMinSerializedSize(t);
  }
  void Check(int64_t count, int64_t each) {
    getTransport()->checkReadBytesAvailable(static_cast<long>(count * each));
  }
};

class BoundedBinaryProtocolFactory : public apache::thrift::protocol::TProtocolFactory {
 public:
  std::shared_ptr<apache::thrift::protocol::TProtocol> getProtocol(
      std::shared_ptr<apache::thrift::transport::TTransport> trans) override {
    // Strings up to 5 MiB (plugin chunks are at most 4 MiB); containers up
    // to 2^20 elements, and never more than the frame could hold.
    return std::make_shared<BoundedBinaryProtocol>(trans, 5 << 20, 1 << 20, false, true);
  }
};

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
  const std::vector<std::string> args(argv, argv + argc);
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      std::cout << gale::nimbus::NimbusUsage();
      return 0;
    }
  }
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

  auto handler = std::make_shared<gale::nimbus::NimbusHandler>(nimbus);
  auto processor = std::make_shared<gale::thrift::NimbusProcessor>(handler);
  auto socket = std::make_shared<transport::TServerSocket>(options->host, options->port);
  // A client that sends nothing for 15 s (stalled mid-call, or idle) is
  // dropped; it costs one thread meanwhile and blocks nobody else. Daemons
  // call every second or so and reconnect when dropped.
  socket->setRecvTimeout(15000);
  socket->setSendTimeout(15000);
  // Frames are limited by the framed transport (16,384,000 bytes), sizes
  // claimed inside a message by the frame (BoundedFramedTransport and
  // BoundedBinaryProtocol).
  auto protocols = std::make_shared<BoundedBinaryProtocolFactory>();
  server::TThreadedServer server(processor, socket,
                                 std::make_shared<BoundedFramedTransportFactory>(), protocols);
  // One thread per connection: stalled clients cost threads, not service.
  // Past this many connections, new ones wait; see README (known limits).
  server.setConcurrentClientLimit(4096);
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
