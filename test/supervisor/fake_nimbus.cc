#include "test/supervisor/fake_nimbus.h"

#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/server/TThreadedServer.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TServerSocket.h>

#include <algorithm>
#include <future>
#include <mutex>
#include <stdexcept>

namespace gale::testing {

using apache::thrift::protocol::TBinaryProtocolFactory;
using apache::thrift::server::TServerEventHandler;
using apache::thrift::server::TThreadedServer;
using apache::thrift::transport::TFramedTransportFactory;
using apache::thrift::transport::TServerSocket;

class FakeNimbus::Handler : public thrift::NimbusNull {
 public:
  void supervisorHeartbeat(std::vector<thrift::SlotAssignment>& out,
                           const thrift::SupervisorHeartbeat& heartbeat) override {
    std::lock_guard<std::mutex> lock(mu_);
    heartbeats_.push_back(heartbeat);
    out = assignments_;
  }

  void downloadPluginChunk(std::string& out, const std::string& sha256, const int64_t offset,
                           const int32_t length) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++downloads_;
    auto it = plugins_.find(sha256);
    if (it == plugins_.end()) {
      thrift::PluginNotFoundException e;
      e.msg = "no plugin " + sha256;
      throw e;
    }
    const size_t from = std::min(static_cast<size_t>(offset), it->second.size());
    out = it->second.substr(from, static_cast<size_t>(length));
  }

  std::mutex mu_;
  std::vector<thrift::SlotAssignment> assignments_;
  std::map<std::string, std::string> plugins_;
  std::vector<thrift::SupervisorHeartbeat> heartbeats_;
  int downloads_ = 0;
};

namespace {

// Tells the constructor that the server socket listens (and on which port).
class ListeningSignal : public TServerEventHandler {
 public:
  explicit ListeningSignal(std::promise<void>* listening) : listening_(listening) {}
  void preServe() override { listening_->set_value(); }

 private:
  std::promise<void>* listening_;
};

}  // namespace

FakeNimbus::FakeNimbus(int port) : handler_(std::make_shared<Handler>()) {
  auto socket = std::make_shared<TServerSocket>("127.0.0.1", port);
  server_ = std::make_shared<TThreadedServer>(std::make_shared<thrift::NimbusProcessor>(handler_),
                                              socket, std::make_shared<TFramedTransportFactory>(),
                                              std::make_shared<TBinaryProtocolFactory>());
  server_->setServerEventHandler(std::make_shared<ListeningSignal>(&listening_));
  auto listening = listening_.get_future();
  auto served = served_.get_future();
  thread_ = std::thread([this] {
    try {
      server_->serve();
      served_.set_value("");
    } catch (const std::exception& e) { served_.set_value(e.what()); }
  });
  while (listening.wait_for(std::chrono::milliseconds(10)) != std::future_status::ready) {
    if (served.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      thread_.join();
      throw std::runtime_error("fake nimbus cannot listen: " + served.get());
    }
  }
  port_ = socket->getPort();
}

FakeNimbus::~FakeNimbus() {
  server_->stop();
  thread_.join();
}

void FakeNimbus::SetAssignments(std::vector<thrift::SlotAssignment> assignments) {
  std::lock_guard<std::mutex> lock(handler_->mu_);
  handler_->assignments_ = std::move(assignments);
}

void FakeNimbus::AddPlugin(const std::string& sha256, std::string bytes) {
  std::lock_guard<std::mutex> lock(handler_->mu_);
  handler_->plugins_[sha256] = std::move(bytes);
}

std::vector<thrift::SupervisorHeartbeat> FakeNimbus::Heartbeats() const {
  std::lock_guard<std::mutex> lock(handler_->mu_);
  return handler_->heartbeats_;
}

int FakeNimbus::DownloadCalls() const {
  std::lock_guard<std::mutex> lock(handler_->mu_);
  return handler_->downloads_;
}

thrift::SlotAssignment MakeSlot(int port, const std::string& topology_id, int64_t version,
                                const std::string& plugin_sha256) {
  thrift::SlotAssignment s;
  s.port = port;
  s.topology_id = topology_id;
  s.topology_name = topology_id + "-name";
  s.assignment_version = version;
  thrift::PluginRef ref;
  ref.name = "libtest.so";
  ref.sha256 = plugin_sha256;
  s.plugins.push_back(ref);
  return s;
}

}  // namespace gale::testing
