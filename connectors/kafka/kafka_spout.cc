// KafkaSpout: a consumer-group member that emits one tuple per record and
// commits, per partition, only offsets whose tuples (and all before them)
// are acked, with Storm's KafkaSpout semantics. See connectors/kafka/README.md.
#include "connectors/kafka/offset_manager.h"

#include <gale/gale.h>

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace gale::connectors::kafka {
namespace {

using Clock = std::chrono::steady_clock;

// A record kept until its tree completes, for retries.
struct Record {
  int32_t partition;
  int64_t offset;
  gale::Values values;
  uint64_t generation;  // the assignment it came from: stale after a revoke
};

enum class FirstPoll { kEarliest, kLatest, kUncommittedEarliest, kUncommittedLatest };

FirstPoll ParseFirstPoll(const std::string& s) {
  if (s == "EARLIEST") return FirstPoll::kEarliest;
  if (s == "LATEST") return FirstPoll::kLatest;
  if (s == "UNCOMMITTED_EARLIEST") return FirstPoll::kUncommittedEarliest;
  if (s == "UNCOMMITTED_LATEST") return FirstPoll::kUncommittedLatest;
  throw std::invalid_argument("KafkaSpout: kafka.first.poll.offset.strategy is '" + s +
                              "', expected EARLIEST, LATEST, UNCOMMITTED_EARLIEST or "
                              "UNCOMMITTED_LATEST");
}

}  // namespace

class KafkaSpout : public gale::Spout {
 public:
  ~KafkaSpout() override { Destroy(); }

  void Open(const gale::TopologyContext& context, gale::SpoutOutputCollector& collector) override {
    collector_ = &collector;
    logger_ = &context.logger();
    const gale::Config& c = context.config();
    Configure(c);
    next_emit_ = Clock::now();
    const std::string group = c.GetString("kafka.group.id", context.topology_name());
    rd_kafka_conf_t* conf = BuildConf(c, group,
                                      context.topology_name() + "-" + context.component_id() + "-" +
                                          std::to_string(context.task_index()));
    char err[512];
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_error_cb(conf, &KafkaSpout::OnError);
    rd_kafka_conf_set_rebalance_cb(conf, &KafkaSpout::OnRebalance);
    rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk_) throw std::runtime_error(std::string("KafkaSpout: cannot create a consumer: ") + err);
    rd_kafka_poll_set_consumer(rk_);
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, topic_.c_str(), RD_KAFKA_PARTITION_UA);
    const rd_kafka_resp_err_t e = rd_kafka_subscribe(rk_, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (e)
      throw std::runtime_error("KafkaSpout: subscribe to " + topic_ + ": " + rd_kafka_err2str(e));
    emitted_ = context.RegisterCounter("kafka.records.emitted");
    retried_ = context.RegisterCounter("kafka.records.retried");
    dropped_ = context.RegisterCounter("kafka.records.dropped");
    logger_->Info("consuming ", topic_, " from ", brokers_, " in group ", group);
  }

  void NextTuple() override {
    const auto now = Clock::now();
    ReportErrors();
    if (now - last_commit_ >= commit_every_) Commit(now);
    if (interval_.count() > 0) {
      if (now < next_emit_) return;
      next_emit_ += interval_;
      if (next_emit_ < now - std::chrono::seconds(1)) next_emit_ = now;
    }
    // Retries first, then what waited for room under max.uncommitted.offsets.
    if (!due_.empty() || (now >= next_retry_scan_ && ScanRetries(now))) {
      const uint64_t id = due_.front();
      due_.pop_front();
      auto it = pending_.find(id);
      if (it != pending_.end()) {
        collector_->Emit(gale::Values(it->second.values), gale::MessageId{id});
        retried_.Inc();
      }
      return;
    }
    if (!held_.empty() && Room(held_.front().partition)) {
      Record r = std::move(held_.front());
      held_.pop_front();
      if (r.generation == generation_) EmitNew(std::move(r));
      return;
    }
    if (!held_.empty()) return;  // a partition is full: wait for acks and commits
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, 0);
    ReportErrors();
    if (!m) return;
    if (m->err) {
      if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        Report("KafkaSpout " + brokers_ + " " + topic_ + ": " + rd_kafka_message_errstr(m));
      }
      rd_kafka_message_destroy(m);
      return;
    }
    Record r{m->partition, m->offset, {}, generation_};
    r.values.push_back(gale::Value(topic_));
    r.values.push_back(gale::Value(static_cast<int64_t>(m->partition)));
    r.values.push_back(gale::Value(static_cast<int64_t>(m->offset)));
    r.values.push_back(m->key
                           ? gale::Value(std::string(static_cast<const char*>(m->key), m->key_len))
                           : gale::Value());
    r.values.push_back(m->payload
                           ? gale::Value(std::string(static_cast<const char*>(m->payload), m->len))
                           : gale::Value());
    rd_kafka_message_destroy(m);
    if (!Room(r.partition)) {
      held_.push_back(std::move(r));
      return;
    }
    EmitNew(std::move(r));
  }

  void Ack(gale::MessageId id) override {
    auto it = pending_.find(id.value);
    if (it == pending_.end()) return;
    if (it->second.generation == generation_) {
      auto p = partitions_.find(it->second.partition);
      if (p != partitions_.end()) p->second->Acked(it->second.offset);
    }
    pending_.erase(it);
  }

  void Fail(gale::MessageId id) override {
    auto it = pending_.find(id.value);
    if (it == pending_.end()) return;
    auto p = partitions_.find(it->second.partition);
    if (it->second.generation != generation_ || p == partitions_.end()) {
      pending_.erase(it);  // its partition was revoked: another member reads it now
      return;
    }
    if (!p->second->Failed(it->second.offset, Clock::now())) {
      logger_->Warn("dropping ", topic_, "/", it->second.partition, "@", it->second.offset,
                    " after kafka.max.retries failures");
      dropped_.Inc();
      pending_.erase(it);
      return;
    }
    by_offset_[{it->second.partition, it->second.offset}] = id.value;
  }

  void Close() override {
    if (rk_) {
      Commit(Clock::now());
      rd_kafka_consumer_close(rk_);
    }
    Destroy();
  }

  // Also checks the config (librdkafka's keys included): gale validate,
  // submit and local refuse a bad one.
  void DeclareOutputFields(gale::OutputDeclarer& declarer) const override {
    KafkaSpout probe;
    probe.Configure(declarer.config());
    rd_kafka_conf_destroy(probe.BuildConf(declarer.config(), "probe", "probe"));
    declarer.Declare({"topic", "partition", "offset", "key", "value"});
  }

 private:
  // The consumer's librdkafka config; throws std::invalid_argument naming a
  // key librdkafka refuses.
  rd_kafka_conf_t* BuildConf(const gale::Config& c, const std::string& group,
                             const std::string& client_id) const {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    auto set = [&](const std::string& k, const std::string& v) {
      if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        throw std::invalid_argument("KafkaSpout: " + k + "=" + v + ": " + err);
      }
    };
    set("bootstrap.servers", brokers_);
    set("group.id", group);
    set("enable.auto.commit", "false");
    set("enable.auto.offset.store", "false");
    set("auto.offset.reset", first_poll_ == FirstPoll::kUncommittedLatest ? "latest" : "earliest");
    set("client.id", client_id);
    // Anything else, passed through: kafka.consumer.<librdkafka key>.
    for (const auto& [key, value] : c.entries()) {
      if (key.rfind("kafka.consumer.", 0) == 0) set(key.substr(15), value.ToString());
    }
    return conf;
  }

  // Reads the settings; throws std::invalid_argument on a missing or bad one.
  void Configure(const gale::Config& c) {
    topic_ = c.GetString("kafka.topic", "");
    if (topic_.empty()) throw std::invalid_argument("KafkaSpout: kafka.topic is not set");
    brokers_ = c.GetString("kafka.bootstrap.servers", "127.0.0.1:9092");
    first_poll_ =
        ParseFirstPoll(c.GetString("kafka.first.poll.offset.strategy", "UNCOMMITTED_EARLIEST"));
    policy_.initial = std::chrono::milliseconds(c.GetInt("kafka.retry.initial.ms", 0));
    policy_.max = std::chrono::milliseconds(c.GetInt("kafka.retry.max.ms", 10000));
    policy_.max_retries = static_cast<int>(c.GetInt("kafka.max.retries", -1));
    max_uncommitted_ = c.GetInt("kafka.max.uncommitted.offsets", 10000000);
    commit_every_ = std::chrono::milliseconds(c.GetInt("kafka.offset.commit.period.ms", 1000));
    const double rate = c.GetDouble("kafka.per.second", 0);
    interval_ = rate > 0 ? std::chrono::nanoseconds(static_cast<int64_t>(1e9 / rate))
                         : std::chrono::nanoseconds(0);

    if (commit_every_.count() < 0 || max_uncommitted_ <= 0) {
      throw std::invalid_argument(
          "KafkaSpout: kafka.offset.commit.period.ms must be >= 0, "
          "kafka.max.uncommitted.offsets > 0");
    }
  }

  void Destroy() {
    if (rk_) rd_kafka_destroy(rk_);
    rk_ = nullptr;
  }

  bool Room(int32_t partition) const {
    auto p = partitions_.find(partition);
    return p == partitions_.end() || p->second->uncommitted() < max_uncommitted_;
  }

  void EmitNew(Record r) {
    auto p = partitions_.find(r.partition);
    if (p == partitions_.end()) return;  // not ours (any more)
    p->second->Emitted(r.offset);
    const uint64_t id = next_id_++;
    auto [it, _] = pending_.emplace(id, std::move(r));
    collector_->Emit(gale::Values(it->second.values), gale::MessageId{id});
    emitted_.Inc();
  }

  bool ScanRetries(Clock::time_point now) {
    next_retry_scan_ = now + std::chrono::milliseconds(10);
    for (auto& [partition, m] : partitions_) {
      for (int64_t offset : m->DueRetries(now)) {
        auto it = by_offset_.find({partition, offset});
        if (it == by_offset_.end()) continue;
        due_.push_back(it->second);
        by_offset_.erase(it);
      }
    }
    return !due_.empty();
  }

  void Commit(Clock::time_point now) {
    last_commit_ = now;
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(4);
    std::vector<std::pair<OffsetManager*, int64_t>> moved;
    for (auto& [partition, m] : partitions_) {
      if (auto next = m->NextCommit()) {
        rd_kafka_topic_partition_list_add(list, topic_.c_str(), partition)->offset = *next;
        moved.emplace_back(m.get(), *next);
      }
    }
    if (list->cnt > 0) {
      const rd_kafka_resp_err_t e = rd_kafka_commit(rk_, list, 0);
      if (e) {
        Report("KafkaSpout " + brokers_ + " " + topic_ + ": commit failed: " + rd_kafka_err2str(e) +
               " (retried at the next commit)");
      } else {
        for (auto& [m, offset] : moved) m->Committed(offset);
      }
    }
    rd_kafka_topic_partition_list_destroy(list);
  }

  void Report(const std::string& message) {
    logger_->Error(message);
    collector_->ReportError(message);
  }

  void ReportErrors() {
    for (auto& e : errors_) Report(e);
    errors_.clear();
  }

  // librdkafka calls these from rd_kafka_consumer_poll, on this thread.
  static void OnError(rd_kafka_t*, int err, const char* reason, void* opaque) {
    auto* self = static_cast<KafkaSpout*>(opaque);
    self->errors_.push_back("KafkaSpout " + self->brokers_ + ": " +
                            rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(err)) + ": " +
                            reason);
  }

  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* parts, void* opaque) {
    auto* self = static_cast<KafkaSpout*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      self->Assigned(rk, parts);
    } else {
      self->Revoked(rk);
    }
  }

  void Assigned(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* parts) {
    std::string names;
    for (int i = 0; i < parts->cnt; ++i) {
      rd_kafka_topic_partition_t& p = parts->elems[i];
      // EARLIEST / LATEST override the committed offset the first time this
      // task gets the partition; the UNCOMMITTED_ ones start from it.
      if (!seen_.count(p.partition)) {
        if (first_poll_ == FirstPoll::kEarliest) p.offset = RD_KAFKA_OFFSET_BEGINNING;
        if (first_poll_ == FirstPoll::kLatest) p.offset = RD_KAFKA_OFFSET_END;
        seen_[p.partition] = true;
      }
      partitions_[p.partition] = std::make_unique<OffsetManager>(-1, policy_);
      names += (i ? "," : "") + std::to_string(p.partition);
    }
    rd_kafka_assign(rk, parts);
    logger_->Info("assigned ", topic_, " partitions [", names, "]");
  }

  // Revoked partitions: commit what is acked, then forget their tuples in
  // flight (their late acks and fails are ignored) so they are never
  // committed twice; the new owner replays from the committed offsets.
  void Revoked(rd_kafka_t* rk) {
    Commit(Clock::now());
    ++generation_;
    partitions_.clear();
    by_offset_.clear();
    due_.clear();
    held_.clear();
    rd_kafka_assign(rk, nullptr);
    logger_->Info("partitions of ", topic_, " revoked");
  }

  gale::SpoutOutputCollector* collector_ = nullptr;
  const gale::Logger* logger_ = nullptr;
  gale::Counter emitted_, retried_, dropped_;

  std::string topic_, brokers_;
  FirstPoll first_poll_ = FirstPoll::kUncommittedEarliest;
  RetryPolicy policy_;
  int64_t max_uncommitted_ = 10000000;
  std::chrono::milliseconds commit_every_{1000};
  std::chrono::nanoseconds interval_{0};

  rd_kafka_t* rk_ = nullptr;
  uint64_t generation_ = 0;
  std::map<int32_t, std::unique_ptr<OffsetManager>> partitions_;  // assigned now
  std::map<int32_t, bool> seen_;                                  // ever assigned
  std::unordered_map<uint64_t, Record> pending_;                  // message id -> record
  std::map<std::pair<int32_t, int64_t>, uint64_t> by_offset_;     // failed: awaiting retry
  std::deque<uint64_t> due_;                                      // retries to emit now
  std::deque<Record> held_;  // polled while its partition was at max.uncommitted.offsets
  std::vector<std::string> errors_;
  uint64_t next_id_ = 1;
  Clock::time_point last_commit_{}, next_retry_scan_{}, next_emit_{};
};

GALE_REGISTER_SPOUT(KafkaSpout);

}  // namespace gale::connectors::kafka
