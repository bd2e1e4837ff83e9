#include "test/support/zookeeper.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

namespace gale::testing {
namespace {

// ZooKeeper's "srvr" four-letter word (allowed by default): its answer
// names the server's mode once it serves.
std::string Srvr(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::write(fd, "srvr", 4) == 4) {
    char buf[1024];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace

ZooKeeper::ZooKeeper(int servers) {
  if (servers != 1 && servers != 3) throw std::invalid_argument("1 or 3 ZooKeeper servers");
  for (int i = 0; i < servers; ++i) ports_.push_back({FreePort(), FreePort(), FreePort()});
  for (int i = 0; i < servers; ++i) {
    const std::string data = dir_.path() + "/zk" + std::to_string(i + 1);
    std::filesystem::create_directories(data);
    dir_.Write("zk" + std::to_string(i + 1) + "/myid", std::to_string(i + 1) + "\n");
    // tickTime 500 ms: sessions of 1 to 10 s, and expiries noticed within
    // half a second of their timeout.
    std::string cfg = "tickTime=500\ninitLimit=20\nsyncLimit=10\ndataDir=" + data +
                      "\nclientPort=" + std::to_string(ports_[i].client) +
                      "\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n"
                      "maxClientCnxns=0\n";
    if (servers > 1) {
      for (int j = 0; j < servers; ++j) {
        cfg += "server." + std::to_string(j + 1) + "=127.0.0.1:" + std::to_string(ports_[j].peer) +
               ":" + std::to_string(ports_[j].election) + "\n";
      }
    }
    dir_.Write("zk" + std::to_string(i + 1) + ".cfg", cfg);
  }
  for (int i = 0; i < servers; ++i) {
    servers_.emplace_back();
    Start(i);
  }
  for (int i = 0; i < servers; ++i) {
    if (!Serving(i, std::chrono::seconds(60))) {
      throw std::runtime_error("ZooKeeper server " + std::to_string(i + 1) + " did not come up:\n" +
                               Logs());
    }
  }
}

ZooKeeper::~ZooKeeper() {
  for (auto& s : servers_) {
    if (s) s->Stop();
  }
}

std::string ZooKeeper::servers() const {
  std::string out;
  for (const auto& p : ports_)
    out += (out.empty() ? "" : ",") + ("127.0.0.1:" + std::to_string(p.client));
  return out;
}

void ZooKeeper::Start(int i) {
  const std::string n = std::to_string(i + 1);
  auto& slot = servers_.at(static_cast<size_t>(i));
  if (slot) slot->Stop();  // reaps a killed one
  slot = std::make_unique<Daemon>(
      std::vector<std::string>{
          "/usr/bin/java", "-Xmx256m", "-XX:+UseSerialGC", "-Dzookeeper.log.dir=" + dir_.path(),
          "-Dzookeeper.4lw.commands.whitelist=srvr", "-cp", "/usr/share/java/zookeeper.jar",
          "org.apache.zookeeper.server.quorum.QuorumPeerMain", dir_.path() + "/zk" + n + ".cfg"},
      dir_.path() + "/zk" + n + ".log");
}

void ZooKeeper::Kill(int i) {
  auto& slot = servers_.at(static_cast<size_t>(i));
  slot->Kill(SIGKILL);
  slot->Wait(std::chrono::seconds(10));
}

bool ZooKeeper::Serving(int i, std::chrono::seconds timeout) const {
  const int port = ports_.at(static_cast<size_t>(i)).client;
  return WaitFor([&] { return Srvr(port).find("Mode: ") != std::string::npos; }, timeout);
}

std::string ZooKeeper::Logs() const {
  std::string out;
  for (size_t i = 0; i < servers_.size(); ++i) {
    out += "--- zk" + std::to_string(i + 1) + ".log\n" +
           ReadFile(dir_.path() + "/zk" + std::to_string(i + 1) + ".log");
  }
  return out;
}

}  // namespace gale::testing
