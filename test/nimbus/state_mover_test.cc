// Moving RocksDB state with its tasks (nimbus/state_mover.h): which tasks'
// state moves, who may send, fetch and claim it, and that what nimbus
// knows survives a restart. The whole move on a cluster is in
// test/state/exactly_once_test.cc.
#include "nimbus/state_mover.h"

#include "core/common/sha256.h"

#include "test/support/process.h"

#include <catch2/catch.hpp>

#include <filesystem>

namespace gale::nimbus {
namespace {

using testing::ReadFile;
using testing::TempDir;

topology::ComponentSpec Component(const std::string& id, ComponentKind kind, int parallelism) {
  topology::ComponentSpec c;
  c.id = id;
  c.class_name = "X";
  c.kind = kind;
  c.parallelism = parallelism;
  c.outputs = {StreamDeclaration{"default", Fields{"v"}, Direct::kNo}};
  c.outputs_known = true;
  return c;
}

// A spout, a stateless bolt "split" and a stateful bolt "count" (2 tasks).
std::unique_ptr<plan::TopologyPlan> Plan(const Config& config) {
  topology::TopologySpec spec;
  spec.name = "wc";
  spec.config = config;
  spec.spouts.push_back(Component("lines", ComponentKind::kSpout, 1));
  spec.bolts.push_back(Component("split", ComponentKind::kBolt, 1));
  spec.bolts.push_back(Component("count", ComponentKind::kBolt, 2));
  spec.bolts.back().config.Set("topology.state.stateful", true);
  for (auto [from, to] : {std::pair{"lines", "split"}, std::pair{"split", "count"}}) {
    topology::StreamSpec s;
    s.from = from;
    s.to = to;
    spec.streams.push_back(s);
  }
  auto plan = plan::TopologyPlan::Build(spec);
  INFO(plan.status().message());
  REQUIRE(plan.ok());
  return std::move(plan).value();
}

// Every executor on worker 0 (supervisor s1), but those of `on_second`
// (s2).
thrift::Assignment Assign(const plan::TopologyPlan& plan, const std::set<std::string>& on_second) {
  thrift::Assignment a;
  a.topology_id = "wc-1-100";
  a.version = 1;
  a.workers.resize(2);
  a.workers[0].supervisor_id = "s1";
  a.workers[1].supervisor_id = "s2";
  for (const auto& e : plan.executors()) {
    thrift::ExecutorAssignment ea;
    ea.task_start = e.tasks.front();
    ea.task_end = e.tasks.back();
    ea.worker = on_second.count(plan.components()[static_cast<size_t>(e.component)].id) ? 1 : 0;
    a.executors.push_back(ea);
  }
  return a;
}

TEST_CASE("Only stateful tasks with RocksDB state in the supervisor's directory move", "[nimbus]") {
  Config config;
  config.Set("topology.state.provider", "rocksdb");
  auto plan = Plan(config);
  const auto placement = StateMover::PlacementOf(*plan, "wc-1-100", Assign(*plan, {"count"}));
  // count's two tasks and the checkpoint spout, named as the worker names them.
  std::map<std::string, std::string> names;
  for (const auto& [ns, s] : placement) names[ns.substr(0, ns.rfind('/'))] = s;
  CHECK(names == std::map<std::string, std::string>{{"wc-1-100/$checkpointspout", "s1"},
                                                    {"wc-1-100/count", "s2"}});
  CHECK(placement.size() == 3);
  // By worker: the checkpoint spout's on s1 (worker 0), count's two on s2.
  const auto by_worker = StateMover::ByWorker(*plan, "wc-1-100", Assign(*plan, {"count"}));
  REQUIRE(by_worker.size() == 2);
  CHECK(by_worker[0].size() == 1);
  CHECK(by_worker[1].size() == 2);
  for (const std::string& ns : by_worker[1]) CHECK(placement.at(ns) == "s2");

  config.Set("topology.state.namespace", "mine");
  for (const auto& [ns, s] :
       StateMover::PlacementOf(*Plan(config), "wc-1-100", Assign(*plan, {}))) {
    CHECK(ns.rfind("mine/", 0) == 0);
  }
  config.Set("topology.state.rocksdb.dir", "/shared/state");  // every machine mounts it
  CHECK(StateMover::PlacementOf(*Plan(config), "x", Assign(*plan, {})).empty());
  Config redis;
  redis.Set("topology.state.provider", "redis");
  CHECK(StateMover::PlacementOf(*Plan(redis), "x", Assign(*plan, {})).empty());
}

TEST_CASE("State moves from its holder through nimbus to its task's new supervisor", "[nimbus]") {
  TempDir dir;
  DirMetaStore store_mover(dir.path());
  StateMover mover(dir.path(), store_mover);
  REQUIRE(mover.Recover().ok());
  const std::string ns = "wc-1-100/count/3";
  mover.Assigned({{ns, "s1"}});
  CHECK(mover.HolderOf(ns) == "s1");
  mover.Ran("s1", {ns});         // its worker reported the task
  mover.Assigned({{ns, "s2"}});  // moved: s1 still holds it
  CHECK(mover.HolderOf(ns) == "s1");
  const StateMover::Placement now{{ns, "s2"}};
  CHECK(mover.ExportsFor("s1", now) == std::vector<std::string>{ns});
  CHECK(mover.ExportsFor("s2", now).empty());

  // The new supervisor waits, naming the holder.
  auto wait = mover.Read("s2", ns, 0, 100, true);
  CHECK(wait.status == thrift::StateFetchStatus::WAIT);
  CHECK(wait.message.find("supervisor s1") != std::string::npos);
  CHECK(wait.holder_alive);  // the worker waits for a holder that heartbeats
  CHECK(mover.Read("s2", ns, 0, 100, false).message.find("does not hear from") !=
        std::string::npos);
  CHECK_FALSE(mover.Read("s2", ns, 0, 100, false).holder_alive);

  // Only the holder sends, from offset 0, in order.
  CHECK(mover.Upload("s2", ns, 0, "x").code() == StatusCode::kFailedPrecondition);
  REQUIRE(mover.Upload("s1", ns, 0, "hello ").ok());
  CHECK(mover.Upload("s1", ns, 3, "lo").code() == StatusCode::kFailedPrecondition);
  REQUIRE(mover.Upload("s1", ns, 6, "state").ok());
  CHECK(mover.FinishUpload("s1", ns, 99, true).status().code() == StatusCode::kFailedPrecondition);
  CHECK(mover.HolderOf(ns) == "s1");  // a short upload changes nothing
  REQUIRE(mover.Upload("s1", ns, 0, "hello ").ok());
  REQUIRE(mover.Upload("s1", ns, 6, "state").ok());
  using Finish = StateMover::Finish;
  auto whole = mover.FinishUpload("s1", ns, 11, true);
  REQUIRE(whole.ok());
  CHECK(*whole == Finish::kShare);
  // Kept on disk, but s1 holds it until Hold (HA copies it meanwhile).
  CHECK(ReadFile(mover.files().PathOf(ns, ".bin")) == "hello state");
  CHECK(mover.HolderOf(ns) == "s1");
  CHECK(mover.Read("s2", ns, 0, 100, true).status == thrift::StateFetchStatus::WAIT);
  auto taken = mover.Hold("s1", ns, 11, Sha256Hex("hello state"), true);
  REQUIRE(taken.ok());
  CHECK(*taken);
  CHECK(mover.HolderOf(ns) == "");
  CHECK(mover.ExportsFor("s1", now).empty());
  // s1 did not hear the answer and asks again: taken, so it empties its copy.
  auto again_taken = mover.FinishUpload("s1", ns, 11, true);
  REQUIRE(again_taken.ok());
  CHECK(*again_taken == Finish::kHeld);
  CHECK(mover.FinishUpload("s3", ns, 11, true).status().code() == StatusCode::kFailedPrecondition);

  // Nimbus restarted: it still holds it.
  DirMetaStore store_again(dir.path());
  StateMover again(dir.path(), store_again);
  REQUIRE(again.Recover().ok());
  CHECK(again.HolderOf(ns) == "");
  auto first = again.Read("s2", ns, 0, 6, true);
  CHECK(first.status == thrift::StateFetchStatus::READY);
  CHECK(first.chunk == "hello ");
  CHECK(first.total_size == 11);
  CHECK(again.Read("s2", ns, 6, 100, true).chunk == "state");
  // HA: a nimbus that leads later with a copy that is not the one taken
  // (an earlier move's, or written by someone else) serves nothing, and
  // keeps it aside.
  {
    testing::TempDir other;
    StateFiles copies(other.path());
    REQUIRE(copies.Append(ns, 0, "hello stale").ok());
    REQUIRE(copies.Keep(ns, 11).ok());
    DirMetaStore shared(dir.path());  // the same record
    StateMover follower(other.path(), shared);
    REQUIRE(follower.Recover().ok());
    CHECK(follower.HolderOf(ns) == "");
    const auto stale = follower.Read("s2", ns, 0, 100, true);
    CHECK(stale.status == thrift::StateFetchStatus::WAIT);
    CHECK(stale.chunk.empty());
    CHECK(ReadFile(copies.PathOf(ns, ".bin") + ".stale") == "hello stale");
  }
  REQUIRE(again.Claim("s2", ns).ok());
  CHECK(again.HolderOf(ns) == "s2");
  CHECK(again.Read("s2", ns, 0, 100, true).status == thrift::StateFetchStatus::NONE);

  // A task that came back before its holder sent it: nothing is taken.
  again.Assigned({{"wc-1-100/count/4", "s1"}});
  REQUIRE(again.Upload("s1", "wc-1-100/count/4", 0, "x").ok());
  auto kept = again.FinishUpload("s1", "wc-1-100/count/4", 1, false);
  REQUIRE(kept.ok());
  CHECK(*kept == StateMover::Finish::kNotNeeded);
  CHECK(again.HolderOf("wc-1-100/count/4") == "s1");
  // The same when the task comes back while the state is being copied to
  // the other nimbuses (between FinishUpload and Hold).
  REQUIRE(again.Upload("s1", "wc-1-100/count/4", 0, "x").ok());
  REQUIRE(again.FinishUpload("s1", "wc-1-100/count/4", 1, true).value() == Finish::kShare);
  auto back = again.Hold("s1", "wc-1-100/count/4", 1, Sha256Hex("x"), false);
  REQUIRE(back.ok());
  CHECK_FALSE(*back);
  CHECK(again.HolderOf("wc-1-100/count/4") == "s1");
  CHECK_FALSE(std::filesystem::exists(again.files().PathOf("wc-1-100/count/4", ".bin")));

  // A topology killed: its own namespaces are forgotten, a named one kept.
  again.Assigned({{"mine/count/3", "s2"}});
  again.Forget("wc-1-100");
  CHECK_FALSE(again.HolderOf(ns).has_value());
  CHECK_FALSE(again.HolderOf("wc-1-100/count/4").has_value());
  CHECK(again.HolderOf("mine/count/3") == "s2");
}

// A task assigned to a supervisor whose worker never ran it (the
// supervisor died first, or the task moved on before its worker started)
// has no state there: it follows its task, nobody waits for it.
TEST_CASE("State not run where it was assigned follows its task without a move", "[nimbus]") {
  TempDir dir;
  DirMetaStore store_mover(dir.path());
  StateMover mover(dir.path(), store_mover);
  REQUIRE(mover.Recover().ok());
  const std::string ns = "wc-1-100/count/index-0";
  mover.Assigned({{ns, "s1"}});
  mover.Assigned({{ns, "s2"}});  // s1 never ran it
  CHECK(mover.HolderOf(ns) == "s2");
  CHECK(mover.ExportsFor("s1", {{ns, "s2"}}).empty());
  CHECK(mover.Read("s2", ns, 0, 100, false).status == thrift::StateFetchStatus::NONE);
  // Another supervisor's report does not count for s2.
  mover.Ran("s3", {ns});
  mover.Assigned({{ns, "s3"}});
  CHECK(mover.HolderOf(ns) == "s3");

  // Once s3's worker runs it, the state is there, also after a restart.
  mover.Ran("s3", {ns});
  DirMetaStore store_again(dir.path());
  StateMover again(dir.path(), store_again);
  REQUIRE(again.Recover().ok());
  again.Assigned({{ns, "s4"}});
  CHECK(again.HolderOf(ns) == "s3");
  CHECK(again.ExportsFor("s3", {{ns, "s4"}}) == std::vector<std::string>{ns});
  // Not run where it was assigned is kept across a restart too.
  const std::string other = "wc-1-100/count/index-1";
  again.Assigned({{other, "s1"}});
  DirMetaStore store_third(dir.path());
  StateMover third(dir.path(), store_third);
  REQUIRE(third.Recover().ok());
  third.Assigned({{other, "s2"}});
  CHECK(third.HolderOf(other) == "s2");

  // A recovered topology nobody was recorded to hold may have run: its
  // state moves from where it was.
  const std::string old = "wc-1-100/count/index-2";
  third.Recovered({{old, "s1"}});
  third.Assigned({{old, "s2"}});
  CHECK(third.HolderOf(old) == "s1");
  CHECK(third.ExportsFor("s1", {{old, "s2"}}) == std::vector<std::string>{old});
}

// HA: a follower keeps the leader's copies of the state it holds
// (copyState), the same way nimbus keeps a supervisor's upload.
TEST_CASE(
    "Copies of state are written in order and kept whole and go once nimbus holds them no more",
    "[nimbus]") {
  TempDir dir;
  StateFiles files(dir.path());
  const std::string ns = "wc-1-100/count/3";
  REQUIRE(files.Append(ns, 0, "hel").ok());
  CHECK(files.Append(ns, 9, "x").code() == StatusCode::kFailedPrecondition);
  REQUIRE(files.Append(ns, 3, "lo").ok());
  const Status short_copy = files.Keep(ns, 99);
  CHECK(short_copy.code() == StatusCode::kFailedPrecondition);
  CHECK(short_copy.message().find("99 bytes sent, 5 arrived") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(files.PathOf(ns, ".part")));
  CHECK_FALSE(std::filesystem::exists(files.PathOf(ns, ".bin")));
  REQUIRE(files.Append(ns, 0, "hello").ok());
  REQUIRE(files.Keep(ns, 5).ok());
  CHECK(ReadFile(files.PathOf(ns, ".bin")) == "hello");
  CHECK(files.dir() == dir.path() + "/state-moves");

  // Held by nimbus: kept. Not held, but recent: kept (the leader writes
  // its record only after every copy). Not held and old enough: gone.
  files.Prune({ns}, std::chrono::seconds(0));
  CHECK(std::filesystem::exists(files.PathOf(ns, ".bin")));
  files.Prune({}, std::chrono::seconds(600));
  CHECK(std::filesystem::exists(files.PathOf(ns, ".bin")));
  files.Prune({}, std::chrono::seconds(0));
  CHECK_FALSE(std::filesystem::exists(files.PathOf(ns, ".bin")));
}

}  // namespace
}  // namespace gale::nimbus
