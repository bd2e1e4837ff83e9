// test/connectors/support/servers.h
//
// Real servers for the connector tests, each on a free loopback port with
// its files under a TempDir, started as processes and stopped by pid (also
// when the test fails, by the destructor).
#pragma once

#include "test/support/cluster.h"
#include "test/support/process.h"

#include <memory>
#include <string>

namespace gale::testing {

// The full path of a program: searched in $PATH, then in PostgreSQL's
// versioned bin folders (/usr/lib/postgresql/<v>/bin). "" if not found.
std::string FindProgram(const std::string& name);

// redis-server without persistence. Waits (bounded) until it answers PING.
class RedisServer {
 public:
  explicit RedisServer(int port = 0);
  int port() const { return port_; }
  void Stop();
  void Start();  // again, on the same port (after Stop)
  std::string Log() const;

 private:
  TempDir dir_;
  int port_;
  std::unique_ptr<Daemon> daemon_;
};

}  // namespace gale::testing
