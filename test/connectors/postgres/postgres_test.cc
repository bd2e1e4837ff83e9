// PostgresSink in `gale local` against a real PostgreSQL server (and a real
// redis-server feeding it through RedisStreamSpout).
#include "connectors/postgres/pg_client.h"
#include "connectors/redis/redis_client.h"
#include "test/connectors/support/servers.h"
#include "test/support/cluster.h"
#include "test/support/process.h"

#include <catch2/catch.hpp>

#include <string>

namespace gale::testing {
namespace {

using connectors::postgres::PgClient;
using connectors::postgres::PgResult;
using connectors::redis::Command;
using connectors::redis::RedisClient;
using connectors::redis::Reply;
using std::chrono::seconds;

std::string Gale() { return BinDir() + "/gale"; }

PgResult Sql(PgClient& db, const std::string& sql) {
  PgResult r = db.Exec(sql);
  INFO(sql << ": " << r.message);
  REQUIRE(r.ok);
  return r;
}

int64_t Count(PgClient& db, const std::string& sql) {
  PgResult r = db.Exec(sql);
  if (!r.ok || r.rows.empty() || !r.rows[0][0]) return -1;
  return std::stoll(*r.rows[0][0]);
}

std::unique_ptr<PgClient> ConnectDb(const PostgresServer& server) {
  auto db = std::make_unique<PgClient>(server.conninfo());
  std::string error;
  INFO(error);
  REQUIRE(db->Connect(&error));
  return db;
}

std::unique_ptr<RedisClient> ConnectRedis(int port) {
  auto c = std::make_unique<RedisClient>("127.0.0.1", port);
  std::string error;
  INFO(error);
  REQUIRE(c->Connect(&error));
  return c;
}

// XADDs entries id=<i>, name=n-<i>, qty=<i % 7> for i in [first, first + n).
void Feed(RedisClient& c, int first, int n) {
  std::vector<Command> cmds;
  for (int i = first; i < first + n; ++i) {
    cmds.push_back({"XADD", "in", "*", "id", std::to_string(i), "name", "n-" + std::to_string(i),
                    "qty", std::to_string(i % 7)});
  }
  std::vector<Reply> replies;
  std::string error;
  INFO(error);
  REQUIRE(c.Pipeline(cmds, &replies, &error));
}

int64_t Pending(RedisClient& c) {
  Reply r;
  std::string error;
  if (!c.Run({"XPENDING", "in", "gale"}, &r, &error) || r.elements.empty()) return -1;
  return r.elements[0].integer;
}

std::string Topology(const TempDir& tmp, int redis_port, const std::string& conninfo,
                     const std::string& spout_config = "") {
  return tmp.Write(
      "pg.yaml",
      "name: pg-test\n"
      "config:\n"
      "  topology.max.spout.pending: 1000\n"
      "  topology.message.timeout.secs: 10\n"
      "plugins: [ libgale_redis.so, libgale_postgres.so ]\n"
      "spouts:\n"
      "  - id: in\n"
      "    className: RedisStreamSpout\n"
      "    config: { redis.port: " +
          std::to_string(redis_port) +
          ", redis.stream: in, redis.id.field: entry, redis.fields: 'id, name, qty'" +
          spout_config +
          " }\n"
          "bolts:\n"
          "  - id: db\n"
          "    className: PostgresSink\n"
          "    parallelism: 2\n"
          "    config:\n"
          "      postgres.conninfo: '" +
          conninfo +
          "'\n"
          "      postgres.table: items\n"
          "      postgres.columns: id, name, qty\n"
          "      postgres.conflict.columns: id\n"
          "      postgres.batch.size: 200\n"
          "      postgres.max.failures: 3\n"
          "      topology.tick.tuple.freq.secs: 0.1\n"
          "  - id: dlq\n"
          "    className: RedisSink\n"
          "    config: { redis.port: " +
          std::to_string(redis_port) +
          ", redis.command: XADD, redis.stream: dlq, topology.tick.tuple.freq.secs: 0.1 }\n"
          "streams:\n"
          "  - { from: in, to: db, grouping: { type: FIELDS, args: [id] } }\n"
          "  - { from: db, to: dlq, grouping: { type: SHUFFLE, streamId: dead_letter } }\n");
}

const char* kTable = "CREATE TABLE items (id integer PRIMARY KEY, name text, qty integer)";

TEST_CASE("PostgresSink upserts every record exactly once, across a database restart",
          "[integration][connectors]") {
  RedisServer redis;
  PostgresServer pg;
  auto db = ConnectDb(pg);
  Sql(*db, kTable);
  auto r = ConnectRedis(redis.port());
  Feed(*r, 0, 3000);
  Feed(*r, 0, 500);  // the same records again: the upsert keeps one row each
  TempDir tmp;
  Daemon run(
      {Gale(), "local", Topology(tmp, redis.port(), pg.conninfo(), ", redis.per.second: 1500")},
      tmp.path() + "/run.log");
  REQUIRE(OrShowLog(
      WaitFor([&] { return Count(*db, "SELECT count(*) FROM items") >= 500; }, seconds(30)),
      tmp.path() + "/run.log"));
  db.reset();
  pg.Stop();
  pg.Start();
  db = ConnectDb(pg);
  const bool complete =
      WaitFor([&] { return Count(*db, "SELECT count(*) FROM items") == 3000 && Pending(*r) == 0; },
              seconds(60));
  run.Stop();
  CHECK(OrShowLog(complete, tmp.path() + "/run.log"));
  CHECK(Count(*db, "SELECT count(DISTINCT id) FROM items") == 3000);
  int64_t qty = 0;
  for (int i = 0; i < 3000; ++i) qty += i % 7;
  CHECK(Count(*db, "SELECT sum(qty) FROM items") == qty);
  CHECK(Count(*db, "SELECT count(*) FROM items WHERE name <> 'n-' || id") == 0);
  // The restart was seen and survived.
  CHECK(ReadFile(tmp.path() + "/run.log")
            .find("PostgresSink postgres 127.0.0.1:" + std::to_string(pg.port()) + "/postgres") !=
        std::string::npos);
}

TEST_CASE(
    "A record the table rejects goes to the dead-letter stream after max.failures, with "
    "the database's message",
    "[integration][connectors]") {
  RedisServer redis;
  PostgresServer pg;
  auto db = ConnectDb(pg);
  Sql(*db, kTable);
  auto r = ConnectRedis(redis.port());
  Feed(*r, 0, 50);
  Reply reply;
  std::string error;
  REQUIRE(r->Run({"XADD", "in", "*", "id", "1000", "name", "bad", "qty", "lots"}, &reply, &error));
  Feed(*r, 50, 50);
  TempDir tmp;
  Daemon run({Gale(), "local", Topology(tmp, redis.port(), pg.conninfo())},
             tmp.path() + "/run.log");
  auto dlq_len = [&] {
    Reply len;
    std::string e;
    return r->Run({"XLEN", "dlq"}, &len, &e) ? len.integer : -1;
  };
  const bool complete = WaitFor(
      [&] {
        return Count(*db, "SELECT count(*) FROM items") == 100 && dlq_len() == 1 &&
               Pending(*r) == 0;
      },
      seconds(60));
  run.Stop();
  CHECK(OrShowLog(complete, tmp.path() + "/run.log"));
  CHECK(Count(*db, "SELECT count(*) FROM items WHERE id = 1000") == 0);
  REQUIRE(r->Run({"XRANGE", "dlq", "-", "+"}, &reply, &error));
  REQUIRE(reply.elements.size() == 1);
  std::map<std::string, std::string> letter;
  const auto& kv = reply.elements[0].elements[1].elements;
  for (size_t i = 0; i + 1 < kv.size(); i += 2) letter[kv[i].str] = kv[i + 1].str;
  CHECK(letter["record"] == R"({"id": "1000", "name": "bad", "qty": "lots"})");
  CHECK(letter["error"] == "invalid input syntax for type integer: \"lots\" (SQLSTATE 22P02)");
  CHECK(letter["failures"] == "3");
  CHECK(ReadFile(tmp.path() + "/run.log").find("sent to stream 'dead_letter'") !=
        std::string::npos);
}

TEST_CASE("An unreachable PostgreSQL is reported with its address and retried until it is up",
          "[integration][connectors]") {
  RedisServer redis;
  PostgresServer pg(0, /*start=*/false);
  auto r = ConnectRedis(redis.port());
  Feed(*r, 0, 100);
  TempDir tmp;
  Daemon run({Gale(), "local", Topology(tmp, redis.port(), pg.conninfo())},
             tmp.path() + "/run.log");
  const std::string expected = "PostgresSink postgres 127.0.0.1:" + std::to_string(pg.port()) +
                               "/postgres: connection to server at \"127.0.0.1\", port " +
                               std::to_string(pg.port()) + " failed: Connection refused";
  REQUIRE(
      WaitFor([&] { return ReadFile(tmp.path() + "/run.log").find(expected) != std::string::npos; },
              seconds(30)));
  CHECK(OrShowLog(run.Running(), tmp.path() + "/run.log"));
  pg.Start();
  auto db = ConnectDb(pg);
  Sql(*db, kTable);
  CHECK(OrShowLog(
      WaitFor([&] { return Count(*db, "SELECT count(*) FROM items") == 100; }, seconds(60)),
      tmp.path() + "/run.log"));
  run.Stop();
}

}  // namespace
}  // namespace gale::testing
