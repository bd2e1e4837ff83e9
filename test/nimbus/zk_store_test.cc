// The ZooKeeper side of HA nimbus against a real ZooKeeper server: a
// session's calls, the fence that keeps a nimbus that lost its session
// from writing the cluster's state, and the election.
#include "nimbus/zk.h"

#include "nimbus/leader_elector.h"
#include "nimbus/stored.h"

#include "core/common/sha256.h"

#include "test/support/zookeeper.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <iostream>
#include <thread>

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

// ------------------------------------------------------------ the election

namespace gale::nimbus {
namespace {

// A topology "gone-1-1" whose kill is due: a leader's next tick deletes
// its record.
void PutDueKill(ZkSession& admin) {
  thrift::StoredTopology t;
  t.id = "gone-1-1";
  t.topology.name = "gone";
  t.status = thrift::TopologyStatus::KILLED;
  t.__set_action_time_millis(0);
  t.assignment.topology_id = t.id;
  REQUIRE(admin.EnsurePath("/gale/topologies").ok());
  REQUIRE(admin.Put("/gale/topologies/gone-1-1", Serialize(t)).ok());
}

// One nimbus of an HA cluster, without its Thrift server: the elector, its
// plugin store and state directory.
struct Elected {
  Elected(const testing::ZooKeeper& zk, int port,
          std::chrono::milliseconds session_timeout = milliseconds(4000))
      : plugins(dir.path()),
        elector(Ha(zk, port, session_timeout), Options(), SystemClock::Get(), plugins) {}
  static HaOptions Ha(const testing::ZooKeeper& zk, int port,
                      std::chrono::milliseconds session_timeout) {
    HaOptions ha;
    ha.zookeeper_servers = zk.servers();
    ha.host = "127.0.0.1";
    ha.port = port;
    ha.session_timeout = session_timeout;
    return ha;
  }
  NimbusOptions Options() const {
    NimbusOptions o;
    o.state_dir = dir.path();
    return o;
  }
  testing::TempDir dir;
  PluginStore plugins;
  LeaderElector elector;
};

// The Nimbus `a`'s elector leads with once it is another than `held` (one
// read afresh), or null after `timeout`.
std::shared_ptr<Nimbus> NextLeader(Elected& a, const std::shared_ptr<Nimbus>& held,
                                   std::chrono::seconds timeout) {
  std::shared_ptr<Nimbus> again;
  const bool led = testing::WaitFor(
      [&] {
        again = a.elector.Leader();
        return again != nullptr && again != held;
      },
      timeout);
  return led ? again : nullptr;
}

TEST_CASE("HA election: the first nimbus leads and the next leads at once when it stops",
          "[nimbus][zookeeper]") {
  testing::ZooKeeper zk;
  auto a = std::make_unique<Elected>(zk, 7001);
  REQUIRE(testing::WaitFor([&] { return a->elector.Leader() != nullptr; }, seconds(20)));
  Elected b(zk, 7002);
  REQUIRE(testing::WaitFor([&] { return b.elector.Nimbuses().size() == 2; }, seconds(20)));
  CHECK(b.elector.Leader() == nullptr);
  CHECK(b.elector.NotLeader() == "not the leader nimbus: the leader is 127.0.0.1:7001");
  const auto summary = b.elector.LeaderSummary();
  CHECK(summary.port == 7001);
  CHECK(summary.is_leader);
  CHECK(!summary.answering);  // b is not the leader it names
  CHECK(a->elector.LeaderSummary().answering);
  const auto all = b.elector.Nimbuses();
  CHECK(all[0].port == 7001);
  CHECK(all[0].is_leader);
  CHECK(all[1].port == 7002);
  CHECK(!all[1].is_leader);
  // A clean stop closes the session: its node goes at once, well within the
  // 4 s session timeout that a SIGKILLed leader's node waits for.
  a.reset();
  CHECK(testing::WaitFor([&] { return b.elector.Leader() != nullptr; }, seconds(3)));
  CHECK(b.elector.Nimbuses().size() == 1);
}

TEST_CASE(
    "HA election: a leader whose node is gone writes nothing and leads again from "
    "ZooKeeper",
    "[nimbus][zookeeper]") {
  testing::ZooKeeper zk;
  auto other = ZkSession::Open(zk.servers(), milliseconds(4000), [] {});
  REQUIRE(other.ok());
  REQUIRE((*other)->WaitConnected(milliseconds(20000)));
  ZkSession& admin = **other;
  PutDueKill(admin);

  Elected a(zk, 7001);
  REQUIRE(testing::WaitFor([&] { return a.elector.Leader() != nullptr; }, seconds(20)));
  const std::shared_ptr<Nimbus> held = a.elector.Leader();  // as a call holds it
  CHECK(held->GetClusterSummary().topologies.size() == 1);
  // Its node goes (as when ZooKeeper ends a session it had lost).
  auto nodes = admin.Children("/gale/leader");
  REQUIRE(nodes.ok());
  REQUIRE(nodes->size() == 1);
  REQUIRE(admin.Delete("/gale/leader/" + nodes->front()).ok());
  // The Nimbus a call still holds cannot write: the topology stays.
  held->Tick();
  CHECK(admin.Get("/gale/topologies/gone-1-1")->has_value());
  // The elector stands again and, alone, leads with a Nimbus read afresh.
  const std::shared_ptr<Nimbus> again = NextLeader(a, held, seconds(20));
  REQUIRE(again != nullptr);
  CHECK(again->GetClusterSummary().topologies.size() == 1);
  again->Tick();
  CHECK(!admin.Get("/gale/topologies/gone-1-1")->has_value());
}

// A Nimbus the elector dropped (its connection to ZooKeeper lost) may
// still be held by a call, e.g. one copying state to the other nimbuses for
// minutes. When the same session comes back, the same election node leads
// again, so the fence alone would let that old Nimbus write: its store is
// retired instead.
TEST_CASE(
    "HA election: a Nimbus dropped on a lost connection writes nothing when its node leads again",
    "[nimbus][zookeeper]") {
  testing::ZooKeeper zk;
  const auto session = Open(zk);
  ZkSession& admin = *session;
  PutDueKill(admin);

  // A session that outlives the server's restart.
  Elected a(zk, 7001, seconds(30));
  REQUIRE(testing::WaitFor([&] { return a.elector.Leader() != nullptr; }, seconds(20)));
  const std::shared_ptr<Nimbus> held = a.elector.Leader();  // as a call holds it
  const auto nodes_before = admin.Children("/gale/leader");
  REQUIRE(nodes_before.ok());
  zk.Kill(0);
  // It steps down (and forgets who leads).
  REQUIRE(testing::WaitFor([&] { return a.elector.Nimbuses().empty(); }, seconds(20)));
  zk.Start(0);
  REQUIRE(zk.Serving(0, seconds(60)));
  const std::shared_ptr<Nimbus> again = NextLeader(a, held, seconds(30));
  REQUIRE(again != nullptr);
  // The same election node: the fence would pass. (The admin session is
  // back from the restart too, but a call may still time out while it
  // settles: ask again, bounded, instead of aborting on the first timeout.)
  bool same_node = false;
  REQUIRE(testing::WaitFor(
      [&] {
        const auto nodes = admin.Children("/gale/leader");
        if (!nodes.ok()) return false;
        same_node = *nodes == *nodes_before;
        return true;
      },
      seconds(20)));
  REQUIRE(same_node);
  held->Tick();
  CHECK(admin.Get("/gale/topologies/gone-1-1")->has_value());
  again->Tick();
  CHECK(!admin.Get("/gale/topologies/gone-1-1")->has_value());
}

// Plugin fetches run on a thread of their own: a follower busy fetching
// from a nimbus that never answers (each fetch waits out its 3 s) takes
// over as soon as the leader goes, not after the fetches.
TEST_CASE(
    "HA election: a follower fetching plugins from a nimbus that never answers takes over at once",
    "[nimbus][zookeeper]") {
  testing::ZooKeeper zk;
  const auto session = Open(zk);
  ZkSession& admin = *session;
  // A listening socket that never accepts: connects succeed (the kernel's
  // backlog), calls wait for their timeout.
  const int silent = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(silent >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  REQUIRE(::bind(silent, reinterpret_cast<sockaddr*>(&addr), len) == 0);
  REQUIRE(::listen(silent, 64) == 0);
  REQUIRE(::getsockname(silent, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{silent};
  // Four plugins indexed that only the leader has (it fetches none), which
  // serves no calls here (no Thrift server on its port): b tries it, then
  // the silent one.
  auto a = std::make_unique<Elected>(zk, 7001);
  REQUIRE(a->plugins.Init().ok());
  REQUIRE(admin.EnsurePath("/gale/plugins").ok());
  for (char c : std::string("abcd")) {
    const std::string bytes(100, c);
    REQUIRE(a->plugins.Store(Sha256Hex(bytes), bytes, SystemClock::Get().Now()).ok());
    REQUIRE(admin.Put("/gale/plugins/" + Sha256Hex(bytes), "").ok());
  }
  REQUIRE(testing::WaitFor([&] { return a->elector.Leader() != nullptr; }, seconds(20)));
  Elected b(zk, 7002);
  REQUIRE(testing::WaitFor([&] { return b.elector.Nimbuses().size() == 2; }, seconds(20)));
  // The silent one joins, after both.
  auto silent_node = admin.CreateEphemeralSequential(
      "/gale/leader/n_", "127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + " 0");
  REQUIRE(silent_node.ok());
  REQUIRE(testing::WaitFor([&] { return b.elector.Nimbuses().size() == 3; }, seconds(20)));
  // Within 10 s (its fetch round) b fetches from the silent one: 3 s per
  // plugin. Its first connection shows that it does, now.
  pollfd waiting{silent, POLLIN, 0};
  REQUIRE(::poll(&waiting, 1, 15000) == 1);
  const int fetching = ::accept(silent, nullptr, nullptr);
  REQUIRE(fetching >= 0);
  Closer closer_fetching{fetching};
  const auto stopped = std::chrono::steady_clock::now();
  a.reset();
  REQUIRE(testing::WaitFor([&] { return b.elector.Leader() != nullptr; }, seconds(30)));
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - stopped).count();
  std::cerr << "[measure] takeover while fetching plugins from a silent nimbus: " << took << " s\n";
  CHECK(took < 5.0);  // a fetch round takes 12 s
}

}  // namespace
}  // namespace gale::nimbus
