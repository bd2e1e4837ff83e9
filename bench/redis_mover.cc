// W7's plain baselines (scripts/bench-connectors.sh): the commands Gale's
// RedisStreamSpout and its sink send for each record, from one plain client
// and no Gale. It reads the input stream through a consumer group
// (XREADGROUP COUNT batch), writes the batch as the sink does, and
// acknowledges it (XACK), until `records` entries have moved: what the
// servers sustain for this work from one client. The sink is
//   RedisSink (default): an XADD per entry (the entry id and its fields),
//     pipelined with the XACK;
//   PostgresSink (--postgres CONNINFO): one INSERT ... ON CONFLICT (KEY) DO
//     UPDATE of the batch's rows, built by PostgresSink's own BuildInsert,
//     committed, then the XACK.
// Prints
//   moved N records in S s: R records/s
//
//   gale-bench-redis-mover --port P --records N [--batch 500] [--in in]
//                          [--out out] [--group mover]
//                          [--postgres CONNINFO --table T --columns a,b,c --key a]
#include "connectors/common/split_list.h"
#include "connectors/postgres/pg_client.h"
#include "connectors/postgres/upsert.h"
#include "connectors/redis/redis_client.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace {

using gale::connectors::redis::Command;
using gale::connectors::redis::RedisClient;
using gale::connectors::redis::Reply;
namespace pg = gale::connectors::postgres;

int Usage(const char* why) {
  std::fprintf(stderr,
               "gale-bench-redis-mover: %s\nusage: gale-bench-redis-mover --port P --records N "
               "[--batch 500] [--in in] [--out out] [--group mover] [--postgres CONNINFO --table T "
               "--columns a,b,c --key a]\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  long long records = 0, batch = 500;
  std::string in = "in", out = "out", group = "mover", conninfo;
  pg::UpsertSpec spec;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--port") port = std::atoi(v.c_str());
    else if (k == "--records") records = std::atoll(v.c_str());
    else if (k == "--batch") batch = std::atoll(v.c_str());
    else if (k == "--in") in = v;
    else if (k == "--out") out = v;
    else if (k == "--group") group = v;
    else if (k == "--postgres") conninfo = v;
    else if (k == "--table") spec.table = v;
    else if (k == "--columns") spec.columns = gale::connectors::SplitList(v);
    else if (k == "--key") spec.conflict = gale::connectors::SplitList(v);
    else return Usage(("unknown option '" + k + "'").c_str());
  }
  if (argc % 2 == 0) return Usage("options come in pairs");
  if (port <= 0 || records <= 0 || batch <= 0) return Usage("--port, --records, --batch > 0");
  if (!conninfo.empty() && (spec.table.empty() || spec.columns.empty())) {
    return Usage("--postgres needs --table and --columns");
  }
  if (!conninfo.empty() && static_cast<size_t>(batch) > pg::MaxRows(spec.columns.size())) {
    return Usage("--batch is more rows than one statement may carry");
  }
  std::optional<pg::PgClient> db;
  std::string error;
  if (!conninfo.empty()) {
    db.emplace(conninfo);
    if (!db->Connect(&error)) {
      std::fprintf(stderr, "gale-bench-redis-mover: %s\n", error.c_str());
      return 1;
    }
  }

  RedisClient redis("127.0.0.1", port, "", std::chrono::milliseconds(5000));
  Reply r;
  if (!redis.Connect(&error) ||
      !redis.Run({"XGROUP", "CREATE", in, group, "0", "MKSTREAM"}, &r, &error)) {
    std::fprintf(stderr, "gale-bench-redis-mover: %s\n", error.c_str());
    return 1;
  }
  const auto start = std::chrono::steady_clock::now();
  long long moved = 0;
  std::vector<Command> pipeline;
  std::vector<Reply> replies;
  std::vector<pg::Param> params;
  while (moved < records) {
    if (!redis.Run({"XREADGROUP", "GROUP", group, "mover", "COUNT", std::to_string(batch), "BLOCK",
                    "1000", "STREAMS", in, ">"},
                   &r, &error)) {
      std::fprintf(stderr, "gale-bench-redis-mover: %s\n", error.c_str());
      return 1;
    }
    if (r.type != Reply::Type::kArray || r.elements.empty()) {
      std::fprintf(stderr, "gale-bench-redis-mover: %s ran dry after %lld of %lld records\n",
                   in.c_str(), moved, records);
      return 1;
    }
    pipeline.clear();
    params.clear();
    Command ack = {"XACK", in, group};
    const auto& entries = r.elements[0].elements[1].elements;
    for (const Reply& entry : entries) {
      const auto& fields = entry.elements[1].elements;
      if (db) {
        // The row the sink writes: the spout's fields by column name.
        for (const std::string& column : spec.columns) {
          pg::Param value;
          for (size_t i = 0; i + 1 < fields.size(); i += 2) {
            if (fields[i].str == column) value = fields[i + 1].str;
          }
          params.push_back(std::move(value));
        }
      } else {
        // What RedisSink writes: the spout's tuple (the entry id as
        // "entry", then the entry's fields).
        Command xadd = {"XADD", out, "*", "entry", entry.elements[0].str};
        for (const Reply& f : fields) xadd.push_back(f.str);
        pipeline.push_back(std::move(xadd));
      }
      ack.push_back(entry.elements[0].str);
      ++moved;
    }
    if (db) {
      const pg::PgResult w = db->Exec(pg::BuildInsert(spec, entries.size()), params);
      if (!w.ok) {
        std::fprintf(stderr, "gale-bench-redis-mover: %s: %s\n", db->where().c_str(),
                     w.message.c_str());
        return 1;
      }
    }
    pipeline.push_back(std::move(ack));
    if (!redis.Pipeline(pipeline, &replies, &error)) {
      std::fprintf(stderr, "gale-bench-redis-mover: %s\n", error.c_str());
      return 1;
    }
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("moved %lld records in %.3f s: %.0f records/s\n", moved, secs, moved / secs);
  return 0;
}
