// KafkaSpout and KafkaSink in `gale local` against librdkafka's mock
// cluster (the Kafka protocol served from this test process on loopback
// ports; Debian has no Kafka broker), with broker errors injected.
#include "test/connectors/support/servers.h"
#include "test/support/cluster.h"
#include "test/support/process.h"

#include <catch2/catch.hpp>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>

namespace gale::testing {
namespace {

using std::chrono::seconds;
namespace fs = std::filesystem;

constexpr int kPartitions = 4;

std::string Gale() { return BinDir() + "/gale"; }

// A mock cluster of three brokers with topics "in" (4 partitions) and "out".
class MockKafka {
 public:
  MockKafka() {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);  // no "no bootstrap.servers"
    host_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    REQUIRE(host_);
    cluster_ = rd_kafka_mock_cluster_new(host_, 3);
    REQUIRE(cluster_);
    bootstraps_ = rd_kafka_mock_cluster_bootstraps(cluster_);
    REQUIRE(rd_kafka_mock_topic_create(cluster_, "in", kPartitions, 1) == 0);
    REQUIRE(rd_kafka_mock_topic_create(cluster_, "out", kPartitions, 1) == 0);
  }
  ~MockKafka() {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(host_);
  }
  const std::string& bootstraps() const { return bootstraps_; }
  rd_kafka_mock_cluster_t* cluster() { return cluster_; }

  // Produces value "r-<i>" with key "k-<i>" for i in [0, n).
  void Produce(int n) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps_.c_str(), err, sizeof err);
    rd_kafka_t* p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    REQUIRE(p);
    for (int i = 0; i < n; ++i) {
      const std::string k = "k-" + std::to_string(i), v = "r-" + std::to_string(i);
      REQUIRE(rd_kafka_producev(p, RD_KAFKA_V_TOPIC("in"), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_KEY(k.data(), k.size()),
                                RD_KAFKA_V_VALUE(const_cast<char*>(v.data()), v.size()),
                                RD_KAFKA_V_END) == 0);
      rd_kafka_poll(p, 0);
    }
    REQUIRE(rd_kafka_flush(p, 30000) == 0);
    rd_kafka_destroy(p);
  }

  // The group's committed offset per partition of "in" (-1: none).
  std::map<int, int64_t> Committed(const std::string& group) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps_.c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", group.c_str(), err, sizeof err);
    rd_kafka_t* c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(kPartitions);
    for (int p = 0; p < kPartitions; ++p) rd_kafka_topic_partition_list_add(list, "in", p);
    std::map<int, int64_t> out;
    if (rd_kafka_committed(c, list, 10000) == 0) {
      for (int i = 0; i < list->cnt; ++i) out[list->elems[i].partition] = list->elems[i].offset;
    }
    rd_kafka_topic_partition_list_destroy(list);
    rd_kafka_destroy(c);
    return out;
  }

  // The values in "out" (read from the start of each partition until
  // `want` distinct ones came, or 30 s passed), with how often each occurs.
  std::map<std::string, int> ReadOut(size_t want) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps_.c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", "reader", err, sizeof err);
    rd_kafka_t* c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(kPartitions);
    for (int p = 0; p < kPartitions; ++p) {
      rd_kafka_topic_partition_list_add(list, "out", p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(c, list);
    rd_kafka_topic_partition_list_destroy(list);
    std::map<std::string, int> values;
    const auto deadline = std::chrono::steady_clock::now() + seconds(30);
    while (values.size() < want && std::chrono::steady_clock::now() < deadline) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(c, 200);
      if (!m) continue;
      if (!m->err) { ++values[std::string(static_cast<const char*>(m->payload), m->len)]; }
      rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    return values;
  }

 private:
  rd_kafka_t* host_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstraps_;
};

// "in<TAB>partition<TAB>offset<TAB>key<TAB>value" lines the file sink wrote.
struct Line {
  int partition;
  int64_t offset;
  std::string value;
};
std::vector<Line> Output(const std::string& dir) {
  std::vector<Line> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::ifstream in(e.path());
    std::string line;
    while (std::getline(in, line)) {
      std::stringstream s(line);
      std::string topic, partition, offset, key, value;
      std::getline(s, topic, '\t');
      std::getline(s, partition, '\t');
      std::getline(s, offset, '\t');
      std::getline(s, key, '\t');
      std::getline(s, value, '\t');
      if (!value.empty()) out.push_back({std::stoi(partition), std::stoll(offset), value});
    }
  }
  return out;
}

std::string Topology(const TempDir& tmp, const std::string& name, const MockKafka& kafka,
                     const std::string& out, const std::string& spout_config) {
  return tmp.Write(
      name,
      "name: kafka-test\n"
      "config:\n"
      "  topology.max.spout.pending: 500\n"
      "  topology.message.timeout.secs: 10\n"
      "  kafka.bootstrap.servers: '" +
          kafka.bootstraps() +
          "'\n"
          "plugins: [ libgale_kafka.so, libgale_files.so ]\n"
          "spouts:\n"
          "  - id: in\n"
          "    className: KafkaSpout\n"
          "    parallelism: 2\n"
          "    config: { kafka.topic: in, kafka.group.id: g, "
          "kafka.offset.commit.period.ms: 200, kafka.consumer.session.timeout.ms: 6000, "
          "kafka.consumer.heartbeat.interval.ms: 500" +
          spout_config +
          " }\n"
          "bolts:\n"
          "  - id: file\n"
          "    className: FileSink\n"
          "    config: { filesink.dir: " +
          out +
          ", filesink.batch.size: 50, topology.tick.tuple.freq.secs: 0.1 }\n"
          "  - id: out\n"
          "    className: KafkaSink\n"
          "    config: { kafka.topic: out, topology.tick.tuple.freq.secs: 0.1 }\n"
          "streams:\n"
          "  - { from: in, to: file, grouping: { type: SHUFFLE } }\n"
          "  - { from: in, to: out, grouping: { type: SHUFFLE } }\n");
}

TEST_CASE(
    "Kafka (mock cluster): every record reaches both sinks and committed offsets account "
    "for all of them, across a SIGKILL and injected broker errors",
    "[integration][connectors]") {
  constexpr int kRecords = 4000;
  MockKafka kafka;
  kafka.Produce(kRecords);
  TempDir tmp;
  const std::string out1 = tmp.path() + "/out1", out2 = tmp.path() + "/out2";
  {
    Daemon run(
        {Gale(), "local", Topology(tmp, "run1.yaml", kafka, out1, ", kafka.per.second: 300")},
        tmp.path() + "/run1.log");
    // Killed once some offsets are committed, long before the end.
    auto total = [&] {
      int64_t sum = 0;
      for (const auto& [p, o] : kafka.Committed("g")) sum += std::max<int64_t>(o, 0);
      return sum;
    };
    REQUIRE(
        OrShowLog(WaitFor([&] { return total() >= 500; }, seconds(60)), tmp.path() + "/run1.log"));
    run.Kill(SIGKILL);
    run.Wait(seconds(10));
  }
  const auto committed = kafka.Committed("g");
  int64_t committed_total = 0;
  for (const auto& [p, o] : committed) committed_total += std::max<int64_t>(o, 0);
  std::cerr << "[kafka] committed at the kill: " << committed_total << "\n";
  CHECK(OrShowLog(committed_total > 0, tmp.path() + "/run1.log"));
  CHECK(committed_total < kRecords);
  // Broker errors for the second run: produce requests refused a few times
  // (the idempotent producer retries them), a commit refused once.
  rd_kafka_mock_push_request_errors(
      kafka.cluster(), 0 /* Produce */, 3, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
      RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
  rd_kafka_mock_push_request_errors(kafka.cluster(), 8 /* OffsetCommit */, 1,
                                    RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS);

  Daemon run({Gale(), "local", Topology(tmp, "run2.yaml", kafka, out2, "")},
             tmp.path() + "/run2.log");
  const bool complete = WaitFor(
      [&] {
        int64_t total = 0;
        for (const auto& [p, o] : kafka.Committed("g")) total += std::max<int64_t>(o, 0);
        return total == kRecords;
      },
      seconds(60));
  run.Stop();
  CHECK(OrShowLog(complete, tmp.path() + "/run2.log"));

  // Every record in the file sink at least once, and no record below the
  // offsets committed at the kill read again.
  std::set<std::string> seen;
  for (const auto& l : Output(out1)) seen.insert(l.value);
  for (const auto& l : Output(out2)) {
    seen.insert(l.value);
    auto c = committed.find(l.partition);
    INFO(l.partition << "@" << l.offset);
    CHECK((c == committed.end() || l.offset >= c->second));
  }
  CHECK(seen.size() == kRecords);
  // And in topic "out", at least once each.
  const auto out = kafka.ReadOut(kRecords);
  CHECK(out.size() == kRecords);
}

TEST_CASE("KafkaSpout reports an unreachable broker with its address and keeps running",
          "[integration][connectors]") {
  const int port = FreePort();
  TempDir tmp;
  const std::string yaml =
      tmp.Write("k.yaml",
                "name: kafka-down\n"
                "plugins: [ libgale_kafka.so, libgale_files.so ]\n"
                "spouts:\n"
                "  - id: in\n"
                "    className: KafkaSpout\n"
                "    config: { kafka.topic: in, kafka.bootstrap.servers: '127.0.0.1:" +
                    std::to_string(port) +
                    "' }\n"
                    "bolts:\n"
                    "  - id: file\n"
                    "    className: FileSink\n"
                    "    config: { filesink.dir: " +
                    tmp.path() +
                    "/out }\n"
                    "streams:\n"
                    "  - { from: in, to: file, grouping: { type: SHUFFLE } }\n");
  Daemon run({Gale(), "local", yaml}, tmp.path() + "/run.log");
  const std::string expected = "127.0.0.1:" + std::to_string(port);
  CHECK(OrShowLog(WaitFor(
                      [&] {
                        const std::string log = ReadFile(tmp.path() + "/run.log");
                        return log.find("KafkaSpout 127.0.0.1:") != std::string::npos &&
                               log.find("Connection refused") != std::string::npos;
                      },
                      seconds(30)),
                  tmp.path() + "/run.log"));
  CHECK(run.Running());
  run.Stop();
}

TEST_CASE(
    "KafkaSpout: a second member joining takes partitions over and the group still "
    "commits every offset",
    "[integration][connectors]") {
  constexpr int kRecords = 3000;
  MockKafka kafka;
  kafka.Produce(kRecords);
  TempDir tmp;
  const std::string out_a = tmp.path() + "/a", out_b = tmp.path() + "/b";
  auto total = [&] {
    int64_t sum = 0;
    for (const auto& [p, o] : kafka.Committed("g")) sum += std::max<int64_t>(o, 0);
    return sum;
  };
  Daemon a({Gale(), "local", Topology(tmp, "a.yaml", kafka, out_a, ", kafka.per.second: 300")},
           tmp.path() + "/a.log");
  REQUIRE(OrShowLog(WaitFor([&] { return total() >= 300; }, seconds(60)), tmp.path() + "/a.log"));
  Daemon b({Gale(), "local", Topology(tmp, "b.yaml", kafka, out_b, ", kafka.per.second: 300")},
           tmp.path() + "/b.log");
  const bool complete = WaitFor([&] { return total() == kRecords; }, seconds(60));
  a.Stop();
  b.Stop();
  CHECK(OrShowLog(complete, tmp.path() + "/b.log"));
  CHECK(OrShowLog(ReadFile(tmp.path() + "/a.log").find("revoked") != std::string::npos,
                  tmp.path() + "/a.log"));
  CHECK(!Output(out_b).empty());  // b got partitions and read from them
  std::set<std::string> seen;
  for (const auto& l : Output(out_a)) seen.insert(l.value);
  for (const auto& l : Output(out_b)) seen.insert(l.value);
  CHECK(seen.size() == kRecords);
}

}  // namespace
}  // namespace gale::testing
