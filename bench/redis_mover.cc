// W7's plain baseline for Redis -> Redis (scripts/bench-connectors.sh): the
// commands Gale's RedisStreamSpout and RedisSink send for each record, from
// one plain client and no Gale. It reads the input stream through a consumer
// group (XREADGROUP COUNT batch), writes each entry to the output stream as
// the sink does (XADD of the entry id and fields, pipelined) and acknowledges
// the batch (XACK, in the same pipeline), until `records` entries have
// moved: what the server sustains for this work from one client. Prints
//   moved N records in S s: R records/s
//
//   gale-bench-redis-mover --port P --records N [--batch 500] [--in in]
//                          [--out out] [--group mover]
#include "connectors/redis/redis_client.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using gale::connectors::redis::Command;
using gale::connectors::redis::RedisClient;
using gale::connectors::redis::Reply;

int Usage(const char* why) {
  std::fprintf(stderr,
               "gale-bench-redis-mover: %s\nusage: gale-bench-redis-mover --port P --records N "
               "[--batch 500] [--in in] [--out out] [--group mover]\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  long long records = 0, batch = 500;
  std::string in = "in", out = "out", group = "mover";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--port") port = std::atoi(v.c_str());
    else if (k == "--records") records = std::atoll(v.c_str());
    else if (k == "--batch") batch = std::atoll(v.c_str());
    else if (k == "--in") in = v;
    else if (k == "--out") out = v;
    else if (k == "--group") group = v;
    else return Usage(("unknown option '" + k + "'").c_str());
  }
  if (argc % 2 == 0) return Usage("options come in pairs");
  if (port <= 0 || records <= 0 || batch <= 0) return Usage("--port, --records, --batch > 0");

  RedisClient redis("127.0.0.1", port, "", std::chrono::milliseconds(5000));
  std::string error;
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
    Command ack = {"XACK", in, group};
    for (const Reply& entry : r.elements[0].elements[1].elements) {
      // What the sink writes: the spout's tuple (the entry id as "entry",
      // then the entry's fields).
      Command xadd = {"XADD", out, "*", "entry", entry.elements[0].str};
      for (const Reply& f : entry.elements[1].elements) xadd.push_back(f.str);
      pipeline.push_back(std::move(xadd));
      ack.push_back(entry.elements[0].str);
      ++moved;
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
