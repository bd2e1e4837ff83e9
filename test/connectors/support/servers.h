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

// `ok`, after printing the file `log` to stderr when it is false: the log of
// the process a failed check waited for. (Catch's INFO reads its message at
// once, before the process wrote anything.)
bool OrShowLog(bool ok, const std::string& log);

// redis-server, without persistence unless `persist` (then every write is
// in its append-only file, fsynced, and survives Stop/Start). Waits
// (bounded) until it answers PING. Also used by the state tests.
class RedisServer {
 public:
  explicit RedisServer(int port = 0, bool persist = false);
  int port() const { return port_; }
  void Stop();
  void Start();  // again, on the same port (after Stop)
  std::string Log() const;

 private:
  TempDir dir_;
  int port_;
  bool persist_;
  std::unique_ptr<Daemon> daemon_;
};

}  // namespace gale::testing

namespace gale::testing {

// A PostgreSQL cluster: initdb into a temp dir and `postgres` on a free
// loopback port, both run as the unprivileged user `nobody` (setpriv; the
// tests run as root in CI, and postgres refuses root). Superuser
// `postgres`, trust authentication, fsync off.
class PostgresServer {
 public:
  explicit PostgresServer(int port = 0, bool start = true);
  ~PostgresServer();
  int port() const { return port_; }
  std::string conninfo() const;
  void Start();
  // Fast shutdown (SIGINT: sessions are ended), waited for.
  void Stop();
  std::string Log() const;

 private:
  std::vector<std::string> AsNobody(std::vector<std::string> argv) const;

  TempDir dir_;
  int port_;
  std::unique_ptr<Daemon> daemon_;
};

}  // namespace gale::testing
