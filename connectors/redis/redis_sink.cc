// RedisSink: writes each input to Redis as XADD, SET or HINCRBY, in
// pipelined batches, and acks an input only after its reply came back.
// See connectors/redis/README.md.
#include "connectors/common/backoff.h"
#include "connectors/common/split_list.h"
#include "connectors/common/ticks.h"
#include "connectors/redis/redis_client.h"

#include <gale/gale.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace gale::connectors::redis {
namespace {

using Clock = std::chrono::steady_clock;
using connectors::SplitList;

std::string Text(const gale::Value& v) {
  return v.type() == gale::ValueType::kString ? v.AsString() : v.ToString();
}

// A value as one argument: strings as they are, integers in decimal, the
// rest in their readable form.
void AddValue(Commands* out, const gale::Value& v) {
  switch (v.type()) {
    case gale::ValueType::kString: out->Arg(v.AsString()); break;
    case gale::ValueType::kInt: out->Arg(v.AsInt()); break;
    default: out->Arg(v.ToString()); break;
  }
}

enum class Op { kXAdd, kSet, kHIncrBy };

}  // namespace

class RedisSink : public gale::Bolt {
 public:
  // Ticks, so that a partial batch is written once it is redis.batch.ms (50) old
  // even when no input comes (a topology.tick.tuple.freq.secs in the
  // topology file wins).
  gale::Config ComponentConfiguration() const override { return connectors::TicksEvery(0.025); }
  void Prepare(const gale::TopologyContext& context, gale::OutputCollector& collector) override {
    collector_ = &collector;
    logger_ = &context.logger();
    const gale::Config& c = context.config();
    Configure(c);
    client_ = std::make_unique<RedisClient>(host_, port_, password_,
                                            std::chrono::milliseconds(timeout_ms_));
    connectors::WarnWithoutTicks(c, *logger_,
                                 "a partial batch is written only when the next input comes, "
                                 "and every batch is answered before the next input is taken");
    // A full batch's replies are read when the next batch goes or at the
    // next tick: only with ticks at least every redis.batch.ms, or a task
    // held back by max.spout.pending could wait long for its acks.
    const double tick_secs = c.GetDouble(connectors::kTickKey, 0);
    overlap_ = tick_secs > 0 && tick_secs * 1000 <= static_cast<double>(batch_age_.count());
    written_ = context.RegisterCounter("redis.writes");
    logger_->Info("writing ", op_name_, " to ", client_->where());
  }

  void Execute(const gale::Tuple& input) override {
    const auto now = Clock::now();
    if (input.IsTick()) {
      // A batch sent earlier is surely answered by now; a partial batch old
      // enough is written and answered before the tick returns.
      Complete();
      if (!batch_.empty() && now - batch_start_ >= batch_age_) {
        Flush(now);
        Complete();
      }
      return;
    }
    AddCommand(input);  // throws (failing the input) on a missing field
    if (batch_.empty()) batch_start_ = now;
    batch_.push_back(input);
    if (batch_.size() >= batch_size_) {
      Flush(now);  // its replies are read when the next batch goes, or at the next tick
      if (!overlap_) Complete();
    } else if (now - batch_start_ >= batch_age_) {
      Flush(now);  // light load: written and acked now
      Complete();
    }
  }

  void Cleanup() override {
    if (!batch_.empty()) Flush(Clock::now());
    Complete();
  }

  // Checks the config: gale validate, submit and local refuse a bad one.
  void DeclareOutputFields(gale::OutputDeclarer& declarer) const override {
    RedisSink().Configure(declarer.config());
  }

 private:
  // Reads the settings; throws std::invalid_argument on a missing or bad one.
  void Configure(const gale::Config& c) {
    op_name_ = c.GetString("redis.command", "XADD");
    const std::string& op = op_name_;
    if (op == "XADD") {
      op_ = Op::kXAdd;
      stream_ = c.GetString("redis.stream", "");
      if (stream_.empty()) throw std::invalid_argument("RedisSink: XADD needs redis.stream");
      fields_ = SplitList(c.GetString("redis.fields", ""));
      maxlen_ = c.GetInt("redis.maxlen", 0);
    } else if (op == "SET") {
      op_ = Op::kSet;
    } else if (op == "HINCRBY") {
      op_ = Op::kHIncrBy;
    } else {
      throw std::invalid_argument("RedisSink: redis.command is '" + op +
                                  "', expected XADD, SET or HINCRBY");
    }
    key_ = c.GetString("redis.key", "");
    key_field_ = c.GetString("redis.key.field", "key");
    key_prefix_ = c.GetString("redis.key.prefix", "");
    value_field_ = c.GetString("redis.value.field", "value");
    hash_field_ = c.GetString("redis.hash.field", "field");
    increment_field_ = c.GetString("redis.increment.field", "");
    const int64_t batch = c.GetInt("redis.batch.size", 100);
    batch_age_ = std::chrono::milliseconds(c.GetInt("redis.batch.ms", 50));
    if (batch <= 0) throw std::invalid_argument("RedisSink: redis.batch.size must be > 0");
    batch_size_ = static_cast<size_t>(batch);
    host_ = c.GetString("redis.host", "127.0.0.1");
    port_ = static_cast<int>(c.GetInt("redis.port", 6379));
    password_ = c.GetString("redis.password", "");
    timeout_ms_ = c.GetInt("redis.timeout.ms", 2000);
    if (timeout_ms_ <= 0) throw std::invalid_argument("RedisSink: redis.timeout.ms must be > 0");
  }

  std::string Key(const gale::Tuple& t) const {
    return key_.empty() ? key_prefix_ + Text(t.Get(key_field_)) : key_;
  }

  // Appends the input's command to the batch's pipeline; a missing field
  // throws (failing the input) and leaves the pipeline as it was.
  void AddCommand(const gale::Tuple& t) {
    const Commands::Mark mark = out_.mark();
    try {
      switch (op_) {
        case Op::kXAdd: {
          const size_t pairs = fields_.empty() ? t.size() : fields_.size();
          out_.Begin(3 + (maxlen_ > 0 ? 3 : 0) + 2 * pairs);
          out_.Arg("XADD");
          out_.Arg(stream_);
          if (maxlen_ > 0) {
            out_.Arg("MAXLEN");
            out_.Arg("~");
            out_.Arg(maxlen_);
          }
          out_.Arg("*");
          if (fields_.empty()) {
            for (size_t i = 0; i < t.size(); ++i) {
              out_.Arg(t.fields()[i]);
              AddValue(&out_, t.Get(i));
            }
          } else {
            for (const auto& f : fields_) {
              const gale::Value& v = t.Get(f);
              out_.Arg(f);
              AddValue(&out_, v);
            }
          }
          break;
        }
        case Op::kSet: {
          const std::string key = Key(t);
          const gale::Value& v = t.Get(value_field_);
          out_.Begin(3);
          out_.Arg("SET");
          out_.Arg(key);
          AddValue(&out_, v);
          break;
        }
        case Op::kHIncrBy: {
          const std::string key = Key(t);
          const gale::Value& field = t.Get(hash_field_);
          out_.Begin(4);
          out_.Arg("HINCRBY");
          out_.Arg(key);
          AddValue(&out_, field);
          if (increment_field_.empty()) {
            out_.Arg("1");
          } else {
            AddValue(&out_, t.Get(increment_field_));
          }
          break;
        }
      }
    } catch (...) {
      out_.Rewind(mark);
      throw;
    }
  }

  // What a refused input's command was, for the report: "XADD out", "SET k".
  std::string Describe(const gale::Tuple& t) const {
    try {
      return op_name_ + " " + (op_ == Op::kXAdd ? stream_ : Key(t));
    } catch (const std::exception&) { return op_name_; }
  }

  // Sends the batch's pipeline without waiting for its replies: the bolt
  // builds the next batch while Redis writes this one. One batch at most is
  // in flight; Complete() reads its replies and acks its inputs.
  void Flush(Clock::time_point now) {
    Complete();
    std::string error;
    if (!client_->connected()) {
      if (!backoff_.Ready(now)) {
        FailBatch();
        return;
      }
      if (!client_->Connect(&error)) {
        const auto delay = backoff_.Failed(now);
        Report("RedisSink " + error + " (retrying in " + std::to_string(delay.count()) + " ms)");
        FailBatch();
        return;
      }
    }
    if (!client_->Send(out_, &error)) {
      const auto delay = backoff_.Failed(now);
      Report("RedisSink " + error + " (retrying in " + std::to_string(delay.count()) + " ms)");
      FailBatch();
      return;
    }
    sent_.swap(batch_);
    batch_.clear();
    out_.clear();
  }

  // Reads the replies of the batch in flight: each input is acked once its
  // reply came back, failed with Redis's message when the reply is an error,
  // and every input of the batch fails when the connection is lost.
  void Complete() {
    if (sent_.empty()) return;
    std::string error;
    if (!client_->Receive(sent_.size(), &replies_, &error)) {
      const auto delay = backoff_.Failed(Clock::now());
      Report("RedisSink " + error + " (retrying in " + std::to_string(delay.count()) + " ms)");
      for (const auto& t : sent_) collector_->Fail(t);
      sent_.clear();
      return;
    }
    backoff_.Succeeded();
    for (size_t i = 0; i < sent_.size(); ++i) {
      if (replies_[i].is_error()) {
        // The server refused this command (e.g. WRONGTYPE): the input fails
        // with its message, the others of the batch are written.
        Report("RedisSink " + client_->where() + ": " + Describe(sent_[i]) + ": " +
               replies_[i].str);
        collector_->Fail(sent_[i]);
      } else {
        collector_->Ack(sent_[i]);
        written_.Inc();
      }
    }
    sent_.clear();
  }

  void FailBatch() {
    for (const auto& t : batch_) collector_->Fail(t);
    batch_.clear();
    out_.clear();
  }

  void Report(const std::string& message) {
    logger_->Error(message);
    collector_->ReportError(message);
  }

  gale::OutputCollector* collector_ = nullptr;
  const gale::Logger* logger_ = nullptr;
  gale::Counter written_;

  Op op_ = Op::kXAdd;
  std::string op_name_, host_, password_;
  int port_ = 6379;
  int64_t timeout_ms_ = 2000;
  std::string stream_, key_, key_field_, key_prefix_, value_field_, hash_field_, increment_field_;
  std::vector<std::string> fields_;
  int64_t maxlen_ = 0;
  size_t batch_size_ = 100;
  std::chrono::milliseconds batch_age_{50};

  std::unique_ptr<RedisClient> client_;
  Backoff backoff_;
  std::vector<gale::Tuple> batch_;  // copies, acked or failed after the replies
  Commands out_;                    // their commands
  bool overlap_ = true;             // a full batch is answered later (see Prepare)
  std::vector<gale::Tuple> sent_;   // the batch sent, its replies not read yet
  std::vector<Reply> replies_;      // parsed into again and again
  Clock::time_point batch_start_{};
};

GALE_REGISTER_BOLT(RedisSink);

}  // namespace gale::connectors::redis
