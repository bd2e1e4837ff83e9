// Nimbus's liveness rules on the injected FakeClock: no daemons, no sockets.
#include "nimbus/nimbus.h"

#include "test/support/process.h"

#include <catch2/catch.hpp>

namespace gale::nimbus {
namespace {

using namespace std::chrono_literals;

thrift::SupervisorHeartbeat Beat(const std::string& id) {
  thrift::SupervisorHeartbeat hb;
  hb.supervisor_id = id;
  hb.host = "10.0.0.1";
  hb.ports = {6700, 6701};
  return hb;
}

size_t AliveSupervisors(Nimbus& n) { return n.GetClusterSummary().supervisors.size(); }

TEST_CASE("A stall of nimbus itself is not counted against the supervisors' heartbeats",
          "[nimbus]") {
  testing::TempDir dir;
  FakeClock clock;
  NimbusOptions options;
  options.state_dir = dir.path() + "/nimbus";
  options.supervisor_timeout = 5s;
  Nimbus n(options, clock);
  REQUIRE(n.Recover().ok());
  n.SupervisorHeartbeat(Beat("s1"));
  n.Tick();
  clock.Advance(500ms);
  n.Tick();
  REQUIRE(AliveSupervisors(n) == 1);

  // 20 s in which nimbus did not run (its lock held by a long call, the
  // process stopped): the supervisor's heartbeats could not be processed.
  clock.Advance(20s);
  n.Tick();
  CHECK(AliveSupervisors(n) == 1);

  // Silence once nimbus runs again does count: 6 s of ticks, no heartbeat.
  for (int i = 0; i < 12; ++i) {
    clock.Advance(500ms);
    n.Tick();
  }
  CHECK(AliveSupervisors(n) == 0);
  // And it comes back with its next heartbeat.
  n.SupervisorHeartbeat(Beat("s1"));
  CHECK(AliveSupervisors(n) == 1);
}

}  // namespace
}  // namespace gale::nimbus
