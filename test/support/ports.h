// test/support/ports.h
//
// Ports for the daemons that tests and benchmarks start on loopback.
//
// A port found by binding port 0 and closing the socket lies in the
// kernel's ephemeral range: until the daemon binds it, any bind to port 0
// or outgoing connection on the machine may be handed the same port. In CI
// a supervisor's log server (--logviewer-port 0) was given a worker slot
// port chosen a moment before; the slot's worker could then not bind it,
// and the topology never started. So these ports come from below the
// ephemeral range, which the kernel hands to nobody, and in turn from a
// counter that every process of the machine shares (a file under /tmp,
// taken with flock): tests running at once never get the same port, and a
// port comes round again only after the whole range (from 10000 to the
// ephemeral range: 22 768 ports with Linux's default) has been handed out.
// Each is checked free (bound and closed) before it is handed out. What
// these guarantees leave out: a process that cannot open the counter's file
// goes on from a place of its own (a hash of its pid), and on a machine
// whose ephemeral range leaves under 1000 ports outside it the ports lie in
// that range (Range()).
//
// Header-only and light, for the test support, the unit tests and
// gale-bench-probe (whose free-ports command the scripts use).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace gale::testing {

namespace ports_detail {

// The counter's file; GALE_TEST_PORTS_FILE overrides it.
inline std::string CounterFile() {
  const char* f = std::getenv("GALE_TEST_PORTS_FILE");
  return f != nullptr && *f != '\0' ? f : "/tmp/gale-test-ports";
}

// True when a TCP socket of `family` can bind `port` on loopback now.
inline bool Bindable(int port, int family) {
  const int fd = ::socket(family, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_storage addr{};
  socklen_t len;
  if (family == AF_INET6) {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&addr);
    a6->sin6_family = AF_INET6;
    a6->sin6_addr = in6addr_loopback;
    a6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof(sockaddr_in6);
  } else {
    auto* a4 = reinterpret_cast<sockaddr_in*>(&addr);
    a4->sin_family = AF_INET;
    a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof(sockaddr_in);
  }
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0;
  ::close(fd);
  return ok;
}

// The ports to hand out, [first, last]: below the kernel's ephemeral range
// (from 10000: above the ports of most services), or above it when too
// little is below. A machine whose ephemeral range leaves under 1000 ports
// on either side gets 10000-65535: the counter and the bind check still
// hold there, only a bind to port 0 elsewhere may then take a port.
inline std::pair<int, int> Range() {
  int low = 32768, high = 60999;  // Linux's default
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  in >> low >> high;
  constexpr int kFloor = 10000, kEnough = 1000;
  if (low - kFloor >= kEnough) return {kFloor, low - 1};
  if (65535 - high >= kEnough) return {high + 1, 65535};
  return {kFloor, 65535};
}

}  // namespace ports_detail

// `n` distinct TCP ports on loopback (of `family`: AF_INET or AF_INET6),
// free now and handed to no other caller of this function on this machine
// until the whole range has gone round (the header's comment). -1 in place
// of a port when none is free.
inline std::vector<int> FreePorts(int n, int family = AF_INET) {
  using namespace ports_detail;
  std::vector<int> out;
  const auto [first, last] = Range();
  const int span = last - first + 1;
  // Where this process goes on when the counter's file cannot be had.
  static std::mutex mu;
  static int local_next = -1;
  std::lock_guard<std::mutex> lock(mu);
  // The counter, locked for the whole choice. A file another user made can
  // still be opened without O_CREAT (/tmp's protected_regular refuses
  // O_CREAT on it, even to root).
  const std::string file = CounterFile();
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0 && errno == EACCES) fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
  if (fd >= 0) {
    ::fchmod(fd, 0666);  // the umask would keep other users out
    int locked;
    while ((locked = ::flock(fd, LOCK_EX)) != 0 && errno == EINTR) {}
    if (locked != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  int next = local_next;
  if (fd >= 0) {
    char buf[16] = {};
    if (::pread(fd, buf, sizeof buf - 1, 0) > 0) next = std::atoi(buf);
  }
  if (next < first || next > last) {
    // No counter yet: start at a place of this process's own, spread over
    // the range (pids a few apart must not start a few ports apart).
    next = first + static_cast<int>((static_cast<uint64_t>(::getpid()) * 2654435761u) %
                                    static_cast<uint64_t>(span));
  }
  for (int i = 0; i < n; ++i) {
    int port = -1;
    for (int tried = 0; tried < span && port < 0; ++tried) {
      const int candidate = next;
      next = next == last ? first : next + 1;
      if (Bindable(candidate, family)) port = candidate;
    }
    out.push_back(port);
  }
  local_next = next;
  if (fd >= 0) {
    char buf[16];
    const int len = std::snprintf(buf, sizeof buf, "%d\n", next);
    if (::pwrite(fd, buf, static_cast<size_t>(len), 0) == len) { (void)::ftruncate(fd, len); }
    ::flock(fd, LOCK_UN);
    ::close(fd);
  }
  return out;
}

// One port, as FreePorts(1).
inline int FreePort(int family = AF_INET) { return FreePorts(1, family).front(); }

}  // namespace gale::testing
