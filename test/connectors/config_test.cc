// Every connector checks its config in DeclareOutputFields, so that
// `gale validate` (and submit, and local) refuses a bad key with the file,
// the component and the reason, before any worker runs it.
#include "test/support/process.h"

#include <catch2/catch.hpp>

#include <string>

namespace gale::testing {
namespace {

// Validates a topology of one spout (`spout`, a YAML flow map) into one bolt.
ProcessResult Validate(const TempDir& tmp, const std::string& spout, const std::string& bolt) {
  const std::string file = tmp.Write(
      "t.yaml",
      "name: config-test\n"
      "plugins: [ libgale_files.so, libgale_redis.so, libgale_postgres.so, libgale_kafka.so ]\n"
      "spouts:\n"
      "  - " +
          spout +
          "\n"
          "bolts:\n"
          "  - " +
          bolt +
          "\n"
          "streams:\n"
          "  - { from: s, to: b, grouping: { type: SHUFFLE } }\n");
  return RunProcess({BinDir() + "/gale", "validate", file}, std::chrono::seconds(60));
}

const char* kGoodSpout = "{ id: s, className: FileSpout, config: { filespout.dir: /tmp } }";
const char* kGoodBolt = "{ id: b, className: FileSink, config: { filesink.dir: /tmp/x } }";

TEST_CASE("gale validate refuses a connector's bad config, naming the component and the key",
          "[integration][connectors]") {
  TempDir tmp;
  SECTION("a good one passes") {
    auto r = Validate(tmp, kGoodSpout, kGoodBolt);
    INFO(r.err);
    CHECK(r.exit_code == 0);
  }
  struct Case {
    std::string spout, bolt, message;
  };
  const Case cases[] = {
      {"{ id: s, className: FileSpout }", kGoodBolt,
       "s (FileSpout): DeclareOutputFields() threw: FileSpout: filespout.dir is not set"},
      {"{ id: s, className: FileSpout, config: { filespout.dir: /tmp, filespout.poll.ms: "
       "fast } }",
       kGoodBolt, "config key 'filespout.poll.ms' is string (fast), expected an int"},
      {kGoodSpout,
       "{ id: b, className: FileSink, config: { filesink.dir: /x, "
       "filesink.batch.size: 0 } }",
       "FileSink: filesink.batch.size and filesink.rotate.bytes must be > 0"},
      {"{ id: s, className: RedisStreamSpout }", kGoodBolt,
       "RedisStreamSpout: redis.stream is not set"},
      {kGoodSpout, "{ id: b, className: RedisSink, config: { redis.command: DEL } }",
       "RedisSink: redis.command is 'DEL', expected XADD, SET or HINCRBY"},
      {kGoodSpout,
       "{ id: b, className: PostgresSink, config: { postgres.table: t, "
       "postgres.conflict.action: merge } }",
       "PostgresSink: postgres.conflict.action is 'merge', expected update or nothing"},
      {kGoodSpout,
       "{ id: b, className: PostgresSink, config: { postgres.table: t, postgres.conninfo: "
       "'hots=x' } }",
       "PostgresSink: postgres.conninfo: invalid connection option \"hots\""},
      {"{ id: s, className: KafkaSpout, config: { kafka.topic: t, "
       "kafka.first.poll.offset.strategy: NEWEST } }",
       kGoodBolt, "KafkaSpout: kafka.first.poll.offset.strategy is 'NEWEST'"},
      {"{ id: s, className: KafkaSpout, config: { kafka.topic: t, kafka.consumer.no.such.key: "
       "1 } }",
       kGoodBolt, "KafkaSpout: no.such.key=1: No such configuration property: \"no.such.key\""},
      {kGoodSpout, "{ id: b, className: KafkaSink }", "KafkaSink: kafka.topic is not set"},
  };
  for (const auto& c : cases) {
    auto r = Validate(tmp, c.spout, c.bolt);
    INFO(c.spout << " -> " << c.bolt << "\n" << r.err);
    CHECK(r.exit_code != 0);
    CHECK(r.err.find(c.message) != std::string::npos);
  }
}

}  // namespace
}  // namespace gale::testing
