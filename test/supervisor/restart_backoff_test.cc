#include "supervisor/restart_backoff.h"

#include <catch2/catch.hpp>

namespace gale::supervisor {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST_CASE("RestartBackoff restarts the first death at once", "[supervisor]") {
  RestartBackoff backoff;
  REQUIRE(backoff.OnDeath(milliseconds(50)) == milliseconds(0));
}

TEST_CASE("RestartBackoff doubles from 1 s for deaths within 10 s of start, capped at 30 s",
          "[supervisor]") {
  RestartBackoff backoff;
  REQUIRE(backoff.OnDeath(seconds(1)) == seconds(0));
  REQUIRE(backoff.OnDeath(seconds(1)) == seconds(1));
  REQUIRE(backoff.OnDeath(seconds(9)) == seconds(2));
  REQUIRE(backoff.OnDeath(seconds(0)) == seconds(4));
  REQUIRE(backoff.OnDeath(seconds(0)) == seconds(8));
  REQUIRE(backoff.OnDeath(seconds(0)) == seconds(16));
  REQUIRE(backoff.OnDeath(seconds(0)) == seconds(30));
  for (int i = 0; i < 100; ++i) REQUIRE(backoff.OnDeath(seconds(0)) == seconds(30));
}

TEST_CASE("RestartBackoff forgets earlier deaths once a worker has run 10 s", "[supervisor]") {
  RestartBackoff backoff;
  backoff.OnDeath(seconds(0));
  backoff.OnDeath(seconds(0));
  REQUIRE(backoff.OnDeath(seconds(0)) == seconds(2));

  SECTION("a run of exactly 10 s counts as healthy") {
    REQUIRE(backoff.OnDeath(seconds(10)) == seconds(0));
    REQUIRE(backoff.OnDeath(seconds(1)) == seconds(1));
  }
  SECTION("a run just short of 10 s does not") {
    REQUIRE(backoff.OnDeath(milliseconds(9999)) == seconds(4));
  }
  SECTION("Reset() starts over, for a slot that runs something else") {
    backoff.Reset();
    REQUIRE(backoff.deaths() == 0);
    REQUIRE(backoff.OnDeath(seconds(0)) == seconds(0));
    REQUIRE(backoff.OnDeath(seconds(0)) == seconds(1));
  }
}

TEST_CASE("RestartBackoff restarts workers killed from outside at once, up to five in a row",
          "[supervisor]") {
  using Death = RestartBackoff::Death;
  RestartBackoff backoff;
  for (int i = 0; i < RestartBackoff::kFreeKills; ++i) {
    REQUIRE(backoff.OnDeath(seconds(2), Death::kKilled) == seconds(0));
  }
  REQUIRE(backoff.deaths() == 0);
  SECTION("more look like a loop (the OOM killer) and back off as crashes do") {
    REQUIRE(backoff.OnDeath(seconds(2), Death::kKilled) == seconds(0));
    REQUIRE(backoff.OnDeath(seconds(2), Death::kKilled) == seconds(1));
    REQUIRE(backoff.OnDeath(seconds(2), Death::kKilled) == seconds(2));
  }
  SECTION("a healthy run starts over") {
    REQUIRE(backoff.OnDeath(seconds(10), Death::kKilled) == seconds(0));
    for (int i = 1; i < RestartBackoff::kFreeKills; ++i) {
      REQUIRE(backoff.OnDeath(seconds(0), Death::kKilled) == seconds(0));
    }
  }
  SECTION("crashes in between still back off") {
    REQUIRE(backoff.OnDeath(seconds(0)) == seconds(0));
    REQUIRE(backoff.OnDeath(seconds(0)) == seconds(1));
    REQUIRE(backoff.OnDeath(seconds(0), Death::kKilled) == seconds(2));  // the sixth kill
  }
}

}  // namespace
}  // namespace gale::supervisor
