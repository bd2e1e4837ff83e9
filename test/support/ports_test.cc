// The ports the tests' daemons listen on (ports.h): free, distinct, from
// below the kernel's ephemeral range, and never the same twice in a row.
#include "test/support/ports.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <set>

namespace gale::testing {
namespace {

TEST_CASE("Test ports are free, distinct, outside the ephemeral range, and handed out in turn",
          "[transport]") {
  int low = 0, high = 0;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low >> high;
  REQUIRE(low > 0);
  const std::vector<int> first = FreePorts(5);
  const std::vector<int> second = FreePorts(5);
  std::set<int> all;
  for (const auto* ports : {&first, &second}) {
    for (int port : *ports) {
      INFO("port " << port << ", ephemeral range " << low << "-" << high);
      CHECK((port < low || port > high));
      CHECK(port >= 1024);
      CHECK(ports_detail::Bindable(port, AF_INET));
      all.insert(port);
    }
  }
  CHECK(all.size() == 10);  // a second call gets none of the first's
  // The IPv6 loopback too, where the transport tests use it.
  const int v6 = FreePort(AF_INET6);
  CHECK((v6 < low || v6 > high));
  CHECK(all.count(v6) == 0);
}

TEST_CASE("Without the counter's file, test ports still differ from call to call", "[transport]") {
  ::setenv("GALE_TEST_PORTS_FILE", "/nonexistent-gale-dir/ports", 1);
  const std::vector<int> first = FreePorts(3);
  const std::vector<int> second = FreePorts(3);
  ::unsetenv("GALE_TEST_PORTS_FILE");
  std::set<int> all(first.begin(), first.end());
  all.insert(second.begin(), second.end());
  CHECK(all.size() == 6);
  CHECK(all.count(-1) == 0);
}

}  // namespace
}  // namespace gale::testing
