#include "connectors/kafka/offset_manager.h"

#include <catch2/catch.hpp>

namespace gale::connectors::kafka {
namespace {

using std::chrono::milliseconds;
using Clock = OffsetManager::Clock;

TEST_CASE("OffsetManager commits up to the first offset not acked", "[connectors]") {
  OffsetManager m(10, {});
  for (int64_t o = 10; o < 15; ++o) m.Emitted(o);
  CHECK(m.uncommitted() == 5);
  CHECK_FALSE(m.NextCommit());
  m.Acked(11);
  m.Acked(12);
  CHECK_FALSE(m.NextCommit());  // 10 holds them back
  m.Acked(10);
  REQUIRE(m.NextCommit());
  CHECK(*m.NextCommit() == 13);
  m.Committed(13);
  CHECK(m.uncommitted() == 2);
  m.Acked(13);
  m.Acked(14);
  CHECK(*m.NextCommit() == 15);  // all acked: after the last emitted
}

TEST_CASE("OffsetManager steps over gaps in the offsets", "[connectors]") {
  OffsetManager m(-1, {});
  m.Emitted(100);
  m.Emitted(105);  // 101-104 compacted away
  CHECK(m.committed() == 100);
  m.Acked(100);
  CHECK(*m.NextCommit() == 105);
  m.Acked(105);
  CHECK(*m.NextCommit() == 106);
}

TEST_CASE("OffsetManager retries failed offsets with exponential backoff", "[connectors]") {
  OffsetManager m(0, {milliseconds(100), milliseconds(1000), -1});
  const auto t0 = Clock::time_point{} + std::chrono::hours(1);
  m.Emitted(0);
  m.Emitted(1);
  REQUIRE(m.Failed(1, t0));
  CHECK(m.DueRetries(t0 + milliseconds(99)).empty());
  CHECK(m.DueRetries(t0 + milliseconds(100)) == std::vector<int64_t>{1});
  CHECK(m.DueRetries(t0 + milliseconds(100)).empty());  // handed out once
  REQUIRE(m.Failed(1, t0));
  CHECK(m.DueRetries(t0 + milliseconds(199)).empty());
  CHECK(m.DueRetries(t0 + milliseconds(200)).size() == 1);
  for (int i = 0; i < 10; ++i) REQUIRE(m.Failed(1, t0));
  CHECK(m.DueRetries(t0 + milliseconds(999)).empty());  // capped at max
  CHECK(m.DueRetries(t0 + milliseconds(1000)).size() == 1);
  m.Acked(0);
  CHECK(*m.NextCommit() == 1);  // the failed one holds the commit point
}

TEST_CASE("OffsetManager drops an offset after max retries and commits past it", "[connectors]") {
  OffsetManager m(0, {milliseconds(0), milliseconds(10), 2});
  const auto now = Clock::now();
  m.Emitted(0);
  CHECK(m.Failed(0, now));
  CHECK(m.Failed(0, now));
  CHECK_FALSE(m.Failed(0, now));  // the third failure is one too many
  CHECK(m.in_flight() == 0);
  CHECK(*m.NextCommit() == 1);
  CHECK_FALSE(m.Failed(7, now));  // unknown offset
}

}  // namespace
}  // namespace gale::connectors::kafka
