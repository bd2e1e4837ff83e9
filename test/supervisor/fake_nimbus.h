// test/supervisor/fake_nimbus.h
//
// A scripted nimbus for supervisor tests: a real Thrift server (framed
// transport, binary protocol) on a loopback port, in this process. It
// records every supervisor heartbeat, answers with the assignments the test
// set, and serves plugin bytes under whatever hash the test chose (so a test
// can serve bytes that do not match their hash).
//
// Threading: the server runs its own threads; every method is thread-safe.
#pragma once

#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "thrift/gen-cpp/Nimbus.h"

namespace apache::thrift::server {
class TThreadedServer;
}

namespace gale::testing {

class FakeNimbus {
 public:
  // Listens on 127.0.0.1:`port`; 0 picks a free port.
  explicit FakeNimbus(int port = 0);
  ~FakeNimbus();  // stops the server
  FakeNimbus(const FakeNimbus&) = delete;
  FakeNimbus& operator=(const FakeNimbus&) = delete;

  int port() const { return port_; }

  void SetAssignments(std::vector<thrift::SlotAssignment> assignments);
  void AddPlugin(const std::string& sha256, std::string bytes);

  std::vector<thrift::SupervisorHeartbeat> Heartbeats() const;
  int DownloadCalls() const;

  class Handler;

 private:
  std::shared_ptr<Handler> handler_;
  std::shared_ptr<apache::thrift::server::TThreadedServer> server_;
  std::promise<void> listening_;
  std::promise<std::string> served_;  // what serve() threw, "" when it returned
  std::thread thread_;
  int port_ = 0;
};

thrift::SlotAssignment MakeSlot(int port, const std::string& topology_id, int64_t version,
                                const std::string& plugin_sha256);

}  // namespace gale::testing
