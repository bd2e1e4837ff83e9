// The state stores (core/state): the same two-phase contract for the memory,
// RocksDB and Redis backends, RocksDB on a temporary directory and Redis on a
// real redis-server this test starts on a free loopback port and stops by
// pid. And KeyValueState over them.
#include "core/state/state_store.h"
#include "core/state/key_value_state.h"
#include "test/connectors/support/servers.h"
#include "test/support/cluster.h"
#include "test/support/process.h"

#include <catch2/catch.hpp>

#include <functional>

namespace gale::state {
namespace {

using testing::RedisServer;
using testing::TempDir;

using Opener = std::function<std::unique_ptr<StateStore>(const std::string& ns)>;

std::unique_ptr<StateStore> Must(Result<std::unique_ptr<StateStore>> r) {
  INFO(r.status().message());
  REQUIRE(r.ok());
  return std::move(r).value();
}

// What every backend must do.
void CheckContract(const Opener& open) {
  auto store = open("t/count/1");
  REQUIRE(store->Clear().ok());
  auto empty = store->Load();
  REQUIRE(empty.ok());
  CHECK(empty->txid == kNoTxid);
  CHECK(empty->entries.empty());

  // A prepared txid is not committed state, but it is found again.
  REQUIRE(store->Prepare(1, {{"a", "1"}, {"b", "2"}}).ok());
  auto prepared = open("t/count/1")->Load();
  REQUIRE(prepared.ok());
  CHECK(prepared->entries.empty());
  CHECK(prepared->prepared_txid == 1);

  REQUIRE(store->Commit(1).ok());
  auto one = open("t/count/1")->Load();  // as a restarted task sees it
  REQUIRE(one.ok());
  CHECK(one->txid == 1);
  CHECK(one->prepared_txid == kNoTxid);
  CHECK(one->entries == std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}});
  CHECK(store->Commit(1).ok());  // redone after a crash: a no-op

  // A change and a deletion, binary keys and values included.
  const std::string binary("\0\1\xff", 3);
  REQUIRE(store->Prepare(2, {{"a", "10"}, {"b", std::nullopt}, {binary, binary}}).ok());
  REQUIRE(store->Commit(2).ok());
  auto two = store->Load();
  REQUIRE(two.ok());
  CHECK(two->entries == std::map<std::string, std::string>{{"a", "10"}, {binary, binary}});

  // Rolled back: as if never prepared.
  REQUIRE(store->Prepare(3, {{"a", "99"}}).ok());
  REQUIRE(store->Rollback().ok());
  auto rolled = store->Load();
  REQUIRE(rolled.ok());
  CHECK(rolled->txid == 2);
  CHECK(rolled->prepared_txid == kNoTxid);
  CHECK(rolled->entries.at("a") == "10");
  Status wrong = store->Commit(3);
  CHECK(wrong.code() == StatusCode::kFailedPrecondition);

  // Namespaces do not see each other.
  auto other = open("t/count/2")->Load();
  REQUIRE(other.ok());
  CHECK(other->entries.empty());
  REQUIRE(store->Clear().ok());
  CHECK(store->Load()->entries.empty());
}

TEST_CASE("The memory store keeps the two-phase contract", "[state]") {
  CheckContract([](const std::string& ns) { return OpenMemoryStore(ns); });
}

TEST_CASE("The RocksDB store keeps the two-phase contract, across openings", "[state]") {
  TempDir dir;
  CheckContract([&](const std::string& ns) { return Must(OpenRocksDbStore(dir.path(), ns)); });
}

TEST_CASE("The Redis store keeps the two-phase contract on a real server", "[state]") {
  RedisServer redis;
  CheckContract(
      [&](const std::string& ns) { return Must(OpenRedisStore("127.0.0.1", redis.port(), ns)); });
}

TEST_CASE("An unreachable Redis is an error naming host and port", "[state]") {
  const int port = testing::FreePort();
  auto r = OpenRedisStore("127.0.0.1", port, "t");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().rfind("redis 127.0.0.1:" + std::to_string(port) + ": ", 0) == 0);
}

TEST_CASE("A Redis that goes away fails the commit, and the next call reconnects", "[state]") {
  RedisServer server(0, /*persist=*/true);
  const int port = server.port();
  auto store = Must(OpenRedisStore("127.0.0.1", port, "t/c/1"));
  REQUIRE(store->Prepare(1, {{"k", "v"}}).ok());
  REQUIRE(store->Commit(1).ok());
  server.Stop();
  Status down = store->Prepare(2, {{"k", "w"}});
  CHECK(down.code() == StatusCode::kUnavailable);
  CHECK(down.message().find("redis 127.0.0.1:" + std::to_string(port)) == 0);
  server.Start();
  REQUIRE(testing::WaitFor([&] { return store->Load().ok(); }, std::chrono::seconds(10)));
  auto back = store->Load();
  REQUIRE(back.ok());
  CHECK(back->txid == 1);  // committed state survived the restart (appendonly)
  CHECK(back->entries.at("k") == "v");
}

TEST_CASE("The provider is chosen by config, with clear errors", "[state]") {
  Config c;
  CHECK(OpenStateStore(c, "ns").ok());  // memory by default
  c.Set("topology.state.provider", "rocksdb");
  auto no_dir = OpenStateStore(c, "ns");
  REQUIRE_FALSE(no_dir.ok());
  CHECK(no_dir.status().message().find("topology.state.rocksdb.dir") != std::string::npos);
  c.Set("topology.state.provider", "hbase");
  CHECK(OpenStateStore(c, "ns").status().message() ==
        "topology.state.provider must be memory, rocksdb or redis, got 'hbase'");
  c.Set("topology.state.provider", "org.apache.storm.state.InMemoryKeyValueStateProvider");
  CHECK(OpenStateStore(c, "ns").ok());
}

TEST_CASE("KeyValueState keeps any Value, and rolls back to the committed state", "[state]") {
  TempDir dir;
  auto open = [&] {
    auto s = KeyValueStateImpl::Open(Must(OpenRocksDbStore(dir.path(), "t/wc/3")));
    REQUIRE(s.ok());
    return std::move(s).value();
  };
  {
    auto state = open();
    state->Put("apple", int64_t{3});
    state->Put(int64_t{7}, "seven");
    state->Put(Bytes{std::string("\0x", 2)}, 1.5);
    CHECK(state->Get("apple") == Value(int64_t{3}));
    CHECK(state->Get("pear", int64_t{0}) == Value(int64_t{0}));
    REQUIRE(state->PrepareCommit(1).ok());
    REQUIRE(state->Commit(1).ok());
    state->Put("apple", int64_t{4});
    CHECK(state->Delete(int64_t{7}));
    state->Put("pear", int64_t{1});
    CHECK(state->uncommitted_changes() == 3);
    REQUIRE(state->PrepareCommit(2).ok());
    REQUIRE(state->Rollback().ok());
    CHECK(state->Get("apple") == Value(int64_t{3}));
    CHECK(state->Get(int64_t{7}) == Value("seven"));
    CHECK_FALSE(state->Get("pear").has_value());
    state->Put("apple", int64_t{5});  // uncommitted when the task dies
  }
  auto reopened = open();
  CHECK(reopened->committed_txid() == 1);
  CHECK(reopened->size() == 3);
  CHECK(reopened->Get("apple") == Value(int64_t{3}));
  CHECK(reopened->Get(Bytes{std::string("\0x", 2)}) == Value(1.5));
}

}  // namespace
}  // namespace gale::state

namespace gale::state {
namespace {

TEST_CASE("Changes between a PREPARE and its COMMIT belong to the next txid", "[state]") {
  TempDir dir;
  auto open = [&] {
    auto s = KeyValueStateImpl::Open(Must(OpenRocksDbStore(dir.path(), "t/wc/1")));
    REQUIRE(s.ok());
    return std::move(s).value();
  };
  auto state = open();
  state->Put("a", int64_t{1});
  REQUIRE(state->PrepareCommit(1).ok());
  state->Put("a", int64_t{2});  // inputs keep running while the checkpoint goes round
  state->Put("b", int64_t{1});
  REQUIRE(state->Commit(1).ok());
  CHECK(state->uncommitted_changes() == 2);
  {
    auto stored = open();
    CHECK(stored->Get("a") == Value(int64_t{1}));
    CHECK_FALSE(stored->Get("b").has_value());
  }
  REQUIRE(state->PrepareCommit(2).ok());
  REQUIRE(state->Commit(2).ok());
  {
    auto stored = open();
    CHECK(stored->Get("a") == Value(int64_t{2}));
    CHECK(stored->Get("b") == Value(int64_t{1}));
  }
  // And a rollback after such changes goes back to the last commit.
  state->Put("a", int64_t{3});
  REQUIRE(state->PrepareCommit(3).ok());
  state->Put("c", int64_t{1});
  REQUIRE(state->Rollback().ok());
  CHECK(state->Get("a") == Value(int64_t{2}));
  CHECK_FALSE(state->Get("c").has_value());
  CHECK(state->uncommitted_changes() == 0);
}

}  // namespace
}  // namespace gale::state

namespace gale::state {
namespace {

// What moves a task's RocksDB state to another machine: everything,
// committed and prepared, through bytes, into another store that had other
// state, which it replaces; and bytes that are not a snapshot are refused.
TEST_CASE("A store's snapshot moves its committed and prepared state to another store", "[state]") {
  TempDir from_dir, to_dir;
  auto from = Must(OpenRocksDbStore(from_dir.path(), "t/count/1"));
  const std::string binary("\0\1\xff", 3);
  REQUIRE(from->Prepare(4, {{"a", "1"}, {binary, binary}}).ok());
  REQUIRE(from->Commit(4).ok());
  REQUIRE(from->Prepare(5, {{"a", "2"}, {binary, std::nullopt}}).ok());
  auto snapshot = from->Export();
  REQUIRE(snapshot.ok());
  const std::string bytes = EncodeSnapshot(*snapshot);

  auto to = Must(OpenRocksDbStore(to_dir.path(), "t/count/1"));
  REQUIRE(to->Prepare(9, {{"stale", "x"}}).ok());
  REQUIRE(to->Commit(9).ok());
  auto decoded = DecodeSnapshot(bytes);
  REQUIRE(decoded.ok());
  REQUIRE(to->Import(*decoded).ok());
  to.reset();
  auto reopened = Must(OpenRocksDbStore(to_dir.path(), "t/count/1"));
  auto c = reopened->Load();
  REQUIRE(c.ok());
  CHECK(c->txid == 4);
  CHECK(c->prepared_txid == 5);
  CHECK(c->entries == std::map<std::string, std::string>{{"a", "1"}, {binary, binary}});
  // The prepared txid commits where it arrived, as it would have where it was.
  REQUIRE(reopened->Commit(5).ok());
  CHECK(reopened->Load()->entries == std::map<std::string, std::string>{{"a", "2"}});

  // An empty store moves as empty state.
  auto empty = Must(OpenRocksDbStore(from_dir.path(), "t/count/2"))->Export();
  REQUIRE(empty.ok());
  REQUIRE(reopened->Import(*DecodeSnapshot(EncodeSnapshot(*empty))).ok());
  CHECK(reopened->Load()->txid == kNoTxid);
  CHECK(reopened->Load()->entries.empty());

  CHECK(DecodeSnapshot("hello").status().message().find("not a snapshot") != std::string::npos);
  CHECK(DecodeSnapshot(bytes.substr(0, bytes.size() - 3)).status().message() ==
        "state snapshot: truncated or corrupt at byte " + std::to_string(bytes.size() - 9) +
            " of " + std::to_string(bytes.size() - 3));  // at the last value's length
  CHECK(DecodeSnapshot(bytes + "x").status().message() == "state snapshot: 1 bytes after its end");
}

}  // namespace
}  // namespace gale::state
