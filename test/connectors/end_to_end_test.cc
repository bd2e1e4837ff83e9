// The connectors end to end on a real cluster while processes die: Redis
// Streams -> Gale (2 workers) -> PostgreSQL upsert, a worker SIGKILLed every
// few seconds and the database restarted once. At the end every record is in
// the table exactly once and the group has nothing pending: every entry was
// XACKed after its row committed.
#include "connectors/postgres/pg_client.h"
#include "connectors/redis/redis_client.h"
#include "test/connectors/support/servers.h"
#include "test/support/cluster.h"

#include <catch2/catch.hpp>

#include <signal.h>

#include <iostream>
#include <thread>

namespace gale::testing {
namespace {

using connectors::postgres::PgClient;
using connectors::redis::Command;
using connectors::redis::RedisClient;
using connectors::redis::Reply;
using std::chrono::seconds;

int64_t Count(PgClient& db, const std::string& sql) {
  auto r = db.Exec(sql);
  if (!r.ok || r.rows.empty() || !r.rows[0][0]) return -1;
  return std::stoll(*r.rows[0][0]);
}

int64_t Pending(RedisClient& c) {
  Reply r;
  std::string error;
  if (!c.Run({"XPENDING", "in", "gale"}, &r, &error) || r.elements.empty()) return -1;
  return r.elements[0].integer;
}

TEST_CASE(
    "Redis stream to PostgreSQL on a cluster: worker SIGKILLs and a database restart lose "
    "nothing and duplicate nothing",
    "[integration][faults][connectors]") {
  constexpr int kRecords = 200000;
  RedisServer redis;
  PostgresServer pg;
  auto db = std::make_unique<PgClient>(pg.conninfo());
  std::string error;
  REQUIRE(db->Connect(&error));
  REQUIRE(db->Exec("CREATE TABLE items (id integer PRIMARY KEY, name text, qty integer)").ok);
  RedisClient r("127.0.0.1", redis.port());
  REQUIRE(r.Connect(&error));
  for (int first = 0; first < kRecords; first += 1000) {
    std::vector<Command> cmds;
    for (int i = first; i < first + 1000; ++i) {
      cmds.push_back({"XADD", "in", "*", "id", std::to_string(i), "name", "n-" + std::to_string(i),
                      "qty", std::to_string(i % 7)});
    }
    std::vector<Reply> replies;
    REQUIRE(r.Pipeline(cmds, &replies, &error));
  }

  TestCluster cluster;
  const std::string yaml = cluster.dir().Write(
      "e2e.yaml",
      "name: e2e\n"
      "config:\n"
      "  topology.workers: 2\n"
      "  topology.max.spout.pending: 500\n"
      "  topology.message.timeout.secs: 5\n"
      "plugins: [ libgale_redis.so, libgale_postgres.so ]\n"
      "spouts:\n"
      "  - id: in\n"
      "    className: RedisStreamSpout\n"
      "    parallelism: 2\n"
      "    config: { redis.port: " +
          std::to_string(redis.port()) +
          ", redis.stream: in, redis.id.field: entry, redis.fields: 'id, name, qty', "
          "redis.per.second: 5000 }\n"
          "bolts:\n"
          "  - id: db\n"
          "    className: PostgresSink\n"
          "    parallelism: 2\n"
          "    config:\n"
          "      postgres.conninfo: '" +
          pg.conninfo() +
          "'\n"
          "      postgres.table: items\n"
          "      postgres.conflict.columns: id\n"
          "      postgres.columns: id, name, qty\n"
          "      postgres.batch.size: 200\n"
          "      topology.tick.tuple.freq.secs: 0.1\n"
          "streams:\n"
          "  - { from: in, to: db, grouping: { type: FIELDS, args: [id] } }\n");
  auto submitted = cluster.Gale({"submit", yaml});
  INFO(submitted.out << submitted.err);
  REQUIRE(submitted.exit_code == 0);
  REQUIRE(OrShowLog(WaitFor(
                        [&] {
                          return Count(*db, "SELECT count(*) FROM items") > 1000 &&
                                 cluster.Workers().size() == 2;
                        },
                        seconds(60)),
                    cluster.dir().path() + "/nimbus.log"));

  // A worker SIGKILLed every 3 s, six times; the database restarted once.
  for (int round = 0; round < 6; ++round) {
    const auto workers = cluster.Workers();
    if (!workers.empty()) ::kill(workers[round % workers.size()].pid, SIGKILL);
    std::this_thread::sleep_for(seconds(3));
    if (round == 2) {
      db.reset();
      pg.Stop();
      pg.Start();
      db = std::make_unique<PgClient>(pg.conninfo());
      REQUIRE(db->Connect(&error));
    }
  }
  const int64_t before = Count(*db, "SELECT count(*) FROM items");
  // The database's restart shows in `gale info` as the sink's error, naming the server.
  const std::string where = "PostgresSink postgres 127.0.0.1:" + std::to_string(pg.port());
  CHECK(WaitFor(
      [&] {
        return cluster.Gale({"info", "e2e"}).out.find(where) != std::string::npos;
      },
      seconds(30)));
  const bool complete = WaitFor(
      [&] { return Count(*db, "SELECT count(*) FROM items") == kRecords && Pending(r) == 0; },
      seconds(240));
  std::cerr << "[e2e] rows after the kills " << before << ", at the end "
            << Count(*db, "SELECT count(*) FROM items") << ", pending " << Pending(r) << "\n";
  INFO(cluster.Logs());
  CHECK(complete);
  CHECK(before < kRecords);  // the kills came while records were still flowing
  CHECK(Count(*db, "SELECT count(DISTINCT id) FROM items") == kRecords);
  CHECK(Count(*db, "SELECT count(*) FROM items WHERE name <> 'n-' || id OR qty <> id % 7") == 0);
  CHECK(Pending(r) == 0);
  // Every entry was delivered to the group and acked: nothing left unread.
  Reply groups;
  REQUIRE(r.Run({"XINFO", "GROUPS", "in"}, &groups, &error));
  REQUIRE(groups.elements.size() == 1);
  for (size_t i = 0; i + 1 < groups.elements[0].elements.size(); i += 2) {
    if (groups.elements[0].elements[i].str == "lag") {
      CHECK(groups.elements[0].elements[i + 1].integer == 0);
    }
  }
  cluster.Gale({"kill", "e2e", "--wait", "0"});
}

}  // namespace
}  // namespace gale::testing
