#include "connectors/files/line_offsets.h"

#include <catch2/catch.hpp>

namespace gale::connectors::files {
namespace {

TEST_CASE("LineOffsets commits only the prefix of lines that are all acked", "[connectors]") {
  LineOffsets o;
  REQUIRE(o.Emitted(0, 10));
  REQUIRE(o.Emitted(10, 25));
  REQUIRE(o.Emitted(25, 26));
  CHECK(o.pending() == 3);
  CHECK(o.read() == 26);

  SECTION("acks in order move the commit point line by line") {
    CHECK(o.Acked(0));
    CHECK(o.committed() == 10);
    CHECK(o.Acked(10));
    CHECK(o.committed() == 25);
    CHECK(o.Acked(25));
    CHECK(o.committed() == 26);
    CHECK(o.idle());
  }
  SECTION("a later ack waits for the earlier line") {
    CHECK(o.Acked(25));
    CHECK(o.Acked(10));
    CHECK(o.committed() == 0);
    CHECK(o.pending() == 1);
    CHECK(o.Acked(0));
    CHECK(o.committed() == 26);
    CHECK(o.pending() == 0);
  }
  SECTION("a failed line (never acked) holds the prefix back") {
    CHECK(o.Acked(0));
    CHECK(o.Acked(25));
    CHECK(o.committed() == 10);
    CHECK_FALSE(o.idle());
    // Its replay is acked later.
    CHECK(o.Acked(10));
    CHECK(o.committed() == 26);
  }
}

TEST_CASE("LineOffsets ignores duplicate and unknown acks", "[connectors]") {
  LineOffsets o(100);
  REQUIRE(o.Emitted(100, 110));
  CHECK_FALSE(o.Acked(0));
  CHECK_FALSE(o.Acked(105));
  CHECK(o.Acked(100));
  CHECK_FALSE(o.Acked(100));
  CHECK(o.committed() == 110);
  CHECK(o.pending() == 0);
}

TEST_CASE("LineOffsets starts at a committed offset and refuses ranges out of order",
          "[connectors]") {
  LineOffsets o(50);
  CHECK(o.committed() == 50);
  CHECK(o.read() == 50);
  CHECK_FALSE(o.Emitted(0, 10));   // before the start
  CHECK_FALSE(o.Emitted(60, 70));  // a gap
  CHECK_FALSE(o.Emitted(50, 50));  // empty
  CHECK(o.Emitted(50, 51));
  CHECK(o.pending() == 1);
}

}  // namespace
}  // namespace gale::connectors::files
