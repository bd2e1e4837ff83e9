#include "test/connectors/support/servers.h"

#include "connectors/redis/redis_client.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
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

RedisServer::RedisServer(int port) : port_(port ? port : FreePort()) { Start(); }

void RedisServer::Start() {
  const std::string exe = FindProgram("redis-server");
  REQUIRE(!exe.empty());
  daemon_ = std::make_unique<Daemon>(
      std::vector<std::string>{exe, "--port", std::to_string(port_), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no", "--dir", dir_.path()},
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
