#include "test/connectors/support/servers.h"

#include "connectors/redis/redis_client.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

namespace gale::testing {

namespace fs = std::filesystem;

std::string FindProgram(const std::string& name) {
  std::stringstream path(std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(path, dir, ':')) {
    if (!dir.empty() && fs::exists(dir + "/" + name)) return dir + "/" + name;
  }
  std::error_code ec;
  for (fs::directory_iterator it("/usr/lib/postgresql", ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const auto candidate = it->path() / "bin" / name;
    if (fs::exists(candidate)) return candidate.string();
  }
  return "";
}

bool OrShowLog(bool ok, const std::string& log) {
  if (!ok) std::cerr << "---- " << log << " ----\n" << ReadFile(log) << "----\n";
  return ok;
}

RedisServer::RedisServer(int port, bool persist)
    : port_(port ? port : FreePort()), persist_(persist) {
  Start();
}

void RedisServer::Start() {
  const std::string exe = FindProgram("redis-server");
  REQUIRE(!exe.empty());
  daemon_ = std::make_unique<Daemon>(
      std::vector<std::string>{exe, "--port", std::to_string(port_), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", persist_ ? "yes" : "no",
                               "--appendfsync", "always", "--dir", dir_.path()},
      dir_.path() + "/redis.log");
  connectors::redis::RedisClient client("127.0.0.1", port_);
  const bool up = WaitFor(
      [&] {
        std::string error;
        connectors::redis::Reply r;
        return client.Connect(&error) && client.Run({"PING"}, &r, &error) && r.str == "PONG";
      },
      std::chrono::seconds(15));
  INFO(Log());
  REQUIRE(up);
}

void RedisServer::Stop() {
  if (daemon_) daemon_->Stop();
  daemon_.reset();
}

std::string RedisServer::Log() const { return ReadFile(dir_.path() + "/redis.log"); }

}  // namespace gale::testing

#include "connectors/postgres/pg_client.h"

#include <signal.h>
#include <unistd.h>

namespace gale::testing {

PostgresServer::PostgresServer(int port, bool start) : port_(port ? port : FreePort()) {
  REQUIRE(::chown(dir_.path().c_str(), 65534, 65534) == 0);  // nobody:nogroup
  const std::string initdb = FindProgram("initdb");
  REQUIRE(!initdb.empty());
  auto r = RunProcess(AsNobody({initdb, "-D", dir_.path() + "/data", "-U", "postgres", "-A",
                                "trust", "-E", "UTF8", "--no-sync"}),
                      std::chrono::seconds(60));
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  if (start) Start();
}

PostgresServer::~PostgresServer() { Stop(); }

std::vector<std::string> PostgresServer::AsNobody(std::vector<std::string> argv) const {
  std::vector<std::string> out = {
      FindProgram("setpriv"), "--reuid=65534", "--regid=65534",      "--clear-groups", "--",
      FindProgram("env"),     "LC_ALL=C",      "HOME=" + dir_.path()};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

std::string PostgresServer::conninfo() const {
  return "host=127.0.0.1 port=" + std::to_string(port_) +
         " dbname=postgres user=postgres connect_timeout=5";
}

void PostgresServer::Start() {
  const std::string postgres = FindProgram("postgres");
  REQUIRE(!postgres.empty());
  daemon_ = std::make_unique<Daemon>(
      AsNobody({postgres, "-D", dir_.path() + "/data", "-p", std::to_string(port_), "-k",
                dir_.path(), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"}),
      dir_.path() + "/postgres.log");
  connectors::postgres::PgClient client(conninfo());
  const bool up = WaitFor(
      [&] {
        std::string error;
        return client.Connect(&error) && client.Exec("SELECT 1").ok;
      },
      std::chrono::seconds(30));
  INFO(Log());
  REQUIRE(up);
}

void PostgresServer::Stop() {
  if (!daemon_) return;
  daemon_->Kill(SIGINT);
  if (daemon_->Wait(std::chrono::seconds(20)) == -1) daemon_->Stop();
  daemon_.reset();
}

std::string PostgresServer::Log() const { return ReadFile(dir_.path() + "/postgres.log"); }

}  // namespace gale::testing
