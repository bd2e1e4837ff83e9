// The ZooKeeper side of HA nimbus against a real ZooKeeper server: a
// session's calls, and the fence that keeps a nimbus that lost its session
// from writing the cluster's state.
#include "nimbus/zk.h"

#include "test/support/zookeeper.h"

#include <catch2/catch.hpp>

namespace gale::nimbus {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::unique_ptr<ZkSession> Open(const testing::ZooKeeper& zk) {
  auto s = ZkSession::Open(zk.servers(), milliseconds(4000), [] {});
  REQUIRE(s.ok());
  REQUIRE((*s)->WaitConnected(milliseconds(20000)));
  return std::move(s).value();
}

TEST_CASE("ZooKeeper: nodes are written whole and read back and listed", "[nimbus][zookeeper]") {
  testing::ZooKeeper zk;
  auto s = Open(zk);
  REQUIRE(s->EnsurePath("/gale/topologies").ok());
  REQUIRE(s->EnsurePath("/gale/topologies").ok());  // again: fine
  CHECK(s->Get("/gale/topologies/none")->has_value() == false);
  const std::string big(300000, 'x');
  REQUIRE(s->Put("/gale/topologies/a", big).ok());
  REQUIRE(s->Put("/gale/topologies/b", std::string("\0b", 2)).ok());
  REQUIRE(s->Put("/gale/topologies/a", "second").ok());  // replaced
  CHECK(**s->Get("/gale/topologies/a") == "second");
  CHECK(**s->Get("/gale/topologies/b") == std::string("\0b", 2));
  auto children = s->Children("/gale/topologies");
  REQUIRE(children.ok());
  std::sort(children->begin(), children->end());
  CHECK(*children == std::vector<std::string>{"a", "b"});
  REQUIRE(s->Delete("/gale/topologies/a").ok());
  REQUIRE(s->Delete("/gale/topologies/a").ok());  // absent: fine
  CHECK(s->Children("/gale/topologies")->size() == 1);
  // Too big for one node: refused before it is sent, saying why.
  const Status too_big = s->Put("/gale/huge", std::string(ZkSession::kMaxNodeBytes + 1, 'x'));
  CHECK(too_big.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(too_big.message(), Catch::Contains("/gale/huge") && Catch::Contains("at most"));
  CHECK(s->Get("/gale/huge")->has_value() == false);
}

TEST_CASE("ZooKeeper: a write fenced by a node of an ended session changes nothing",
          "[nimbus][zookeeper]") {
  testing::ZooKeeper zk;
  auto leader = Open(zk);
  auto other = Open(zk);
  REQUIRE(leader->EnsurePath("/gale/leader").ok());
  auto fence = leader->CreateEphemeralSequential("/gale/leader/n_", "127.0.0.1:1 0 1");
  REQUIRE(fence.ok());
  CHECK(fence->rfind("/gale/leader/n_", 0) == 0);
  REQUIRE(leader->Put("/gale/stats", "v1", *fence).ok());
  REQUIRE(leader->Put("/gale/stats", "v2", *fence).ok());
  CHECK(**other->Get("/gale/stats") == "v2");
  // The leader's session ends (closed here; expired is the same to
  // ZooKeeper): its node goes, and with it every write fenced by it.
  leader.reset();
  CHECK(other->Children("/gale/leader")->empty());
  const Status put = other->Put("/gale/stats", "stale", *fence);
  CHECK(put.code() == StatusCode::kFailedPrecondition);
  CHECK_THAT(put.message(), Catch::Contains("no longer the leader"));
  const Status del = other->Delete("/gale/stats", *fence);
  CHECK(del.code() == StatusCode::kFailedPrecondition);
  CHECK(**other->Get("/gale/stats") == "v2");
}

TEST_CASE("ZooKeeper: calls while the server is down fail as unavailable and work again after",
          "[nimbus][zookeeper]") {
  testing::ZooKeeper zk;
  auto s = Open(zk);
  REQUIRE(s->Put("/kept", "yes").ok());
  zk.Kill(0);
  const Status down = s->Put("/kept", "no");
  CHECK(down.code() == StatusCode::kUnavailable);
  CHECK_THAT(down.message(), Catch::Contains(zk.servers()) && Catch::Contains("/kept"));
  zk.Start(0);
  REQUIRE(zk.Serving(0, seconds(60)));
  REQUIRE(s->WaitConnected(milliseconds(20000)));
  CHECK(**s->Get("/kept") == "yes");
  CHECK(s->Put("/kept", "again").ok());
}

}  // namespace
}  // namespace gale::nimbus
