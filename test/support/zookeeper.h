// test/support/zookeeper.h
//
// A real ZooKeeper for tests (Debian's zookeeper package, run with its own
// java command, not the system service): one server, or an ensemble of
// three on free loopback ports, each with its own data folder under a
// TempDir. Every server is stopped by pid when the object goes away, also
// when the test fails.
#pragma once

#include "test/support/cluster.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace gale::testing {

class ZooKeeper {
 public:
  // Starts `servers` servers (1 or 3) and waits until each serves.
  explicit ZooKeeper(int servers = 1);
  ~ZooKeeper();

  // "127.0.0.1:p1,127.0.0.1:p2,..." for nimbus.zookeeper.servers.
  std::string servers() const;
  int size() const { return static_cast<int>(ports_.size()); }
  // SIGKILLs server `i` (0-based); Start(i) brings it back on its data.
  void Kill(int i);
  void Start(int i);
  // Waits up to `timeout` until server `i` serves (as leader, follower or
  // standalone).
  bool Serving(int i, std::chrono::seconds timeout) const;
  std::string Logs() const;

 private:
  TempDir dir_;
  struct Ports {
    int client, peer, election;
  };
  std::vector<Ports> ports_;
  std::vector<std::unique_ptr<Daemon>> servers_;
};

}  // namespace gale::testing
