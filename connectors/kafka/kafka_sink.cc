// KafkaSink: an idempotent producer (acks=all) that acks each input when
// its delivery report says the record is written, and fails it when the
// report is an error. See connectors/kafka/README.md.
#include "connectors/common/ticks.h"

#include <gale/gale.h>

#include <librdkafka/rdkafka.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace gale::connectors::kafka {

class KafkaSink : public gale::Bolt {
 public:
  // Ticks, so that delivery reports are served even when no input comes
  // (a topology.tick.tuple.freq.secs in the topology file wins).
  gale::Config ComponentConfiguration() const override { return connectors::TicksEvery(0.1); }
  ~KafkaSink() override {
    if (rk_) rd_kafka_destroy(rk_);
  }

  void Prepare(const gale::TopologyContext& context, gale::OutputCollector& collector) override {
    collector_ = &collector;
    logger_ = &context.logger();
    const gale::Config& c = context.config();
    rd_kafka_conf_t* conf = Configure(c);
    char err[512];
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_dr_msg_cb(conf, &KafkaSink::OnDelivery);
    rd_kafka_conf_set_error_cb(conf, &KafkaSink::OnError);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk_) throw std::runtime_error(std::string("KafkaSink: cannot create a producer: ") + err);
    connectors::WarnWithoutTicks(c, *logger_, "delivery reports are read only when inputs come");
    delivered_ = context.RegisterCounter("kafka.records.delivered");
    logger_->Info("producing to ", topic_, " at ", brokers_);
  }

  void Execute(const gale::Tuple& input) override {
    if (input.IsTick()) {
      Serve();
      return;
    }
    const gale::Value& key = input.Get(key_field_);
    const gale::Value& value = input.Get(value_field_);
    const std::string k = key.is_null() ? "" : Text(key);
    const std::string v = Text(value);
    const uint64_t id = next_id_++;
    pending_.emplace(id, input);
    rd_kafka_resp_err_t e;
    for (int attempt = 0;; ++attempt) {
      e = rd_kafka_producev(rk_, RD_KAFKA_V_TOPIC(topic_.c_str()),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                            RD_KAFKA_V_KEY(key.is_null() ? nullptr : k.data(), k.size()),
                            RD_KAFKA_V_VALUE(const_cast<char*>(v.data()), v.size()),
                            RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(id)), RD_KAFKA_V_END);
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || attempt >= 50) break;
      rd_kafka_poll(rk_, 100);  // the local queue is full: wait for deliveries
    }
    if (e) {
      pending_.erase(id);
      collector_->Fail(input);
      Report("KafkaSink " + brokers_ + " " + topic_ + ": " + rd_kafka_err2str(e));
    }
    Serve();
  }

  void Cleanup() override {
    if (!rk_) return;
    rd_kafka_flush(rk_, 5000);
    Serve();
  }

  // Checks the config (librdkafka's keys included): gale validate, submit
  // and local refuse a bad one.
  void DeclareOutputFields(gale::OutputDeclarer& declarer) const override {
    rd_kafka_conf_destroy(KafkaSink().Configure(declarer.config()));
  }

 private:
  // Reads the settings and builds the producer's librdkafka config; throws
  // std::invalid_argument on a missing or bad setting.
  rd_kafka_conf_t* Configure(const gale::Config& c) {
    topic_ = c.GetString("kafka.topic", "");
    if (topic_.empty()) throw std::invalid_argument("KafkaSink: kafka.topic is not set");
    brokers_ = c.GetString("kafka.bootstrap.servers", "127.0.0.1:9092");
    key_field_ = c.GetString("kafka.key.field", "key");
    value_field_ = c.GetString("kafka.value.field", "value");
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    auto set = [&](const std::string& k, const std::string& v) {
      if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        throw std::invalid_argument("KafkaSink: " + k + "=" + v + ": " + err);
      }
    };
    set("bootstrap.servers", brokers_);
    set("enable.idempotence", "true");
    set("acks", "all");
    set("linger.ms", "5");
    for (const auto& [key, value] : c.entries()) {
      if (key.rfind("kafka.producer.", 0) == 0) set(key.substr(15), value.ToString());
    }
    return conf;
  }

  static std::string Text(const gale::Value& v) {
    if (v.type() == gale::ValueType::kBytes) return v.AsBytes().data;
    return v.type() == gale::ValueType::kString ? v.AsString() : v.ToString();
  }

  // Runs the delivery callbacks (and error callbacks) on this thread.
  void Serve() {
    rd_kafka_poll(rk_, 0);
    for (auto& e : errors_) Report(e);
    errors_.clear();
  }

  void Report(const std::string& message) {
    logger_->Error(message);
    collector_->ReportError(message);
  }

  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* self = static_cast<KafkaSink*>(opaque);
    auto it = self->pending_.find(reinterpret_cast<uint64_t>(m->_private));
    if (it == self->pending_.end()) return;
    if (m->err) {
      self->collector_->Fail(it->second);
      self->errors_.push_back("KafkaSink " + self->brokers_ + " " + self->topic_ +
                              ": delivery failed: " + rd_kafka_err2str(m->err));
    } else {
      self->collector_->Ack(it->second);
      self->delivered_.Inc();
    }
    self->pending_.erase(it);
  }

  static void OnError(rd_kafka_t*, int err, const char* reason, void* opaque) {
    auto* self = static_cast<KafkaSink*>(opaque);
    self->errors_.push_back("KafkaSink " + self->brokers_ + ": " +
                            rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(err)) + ": " +
                            reason);
  }

  gale::OutputCollector* collector_ = nullptr;
  const gale::Logger* logger_ = nullptr;
  gale::Counter delivered_;
  std::string topic_, brokers_, key_field_, value_field_;
  rd_kafka_t* rk_ = nullptr;
  std::unordered_map<uint64_t, gale::Tuple> pending_;  // awaiting a delivery report
  std::vector<std::string> errors_;
  uint64_t next_id_ = 1;
};

GALE_REGISTER_BOLT(KafkaSink);

}  // namespace gale::connectors::kafka
