// RedisStreamSpout: reads a Redis stream through a consumer group, one tuple
// per entry, XACKs an entry when its tuple tree completes, and XAUTOCLAIMs
// entries that another consumer (a dead worker) left pending longer than
// the message timeout. See connectors/redis/README.md.
#include "connectors/common/backoff.h"
#include "connectors/common/split_list.h"
#include "connectors/redis/redis_client.h"

#include <gale/gale.h>

#include <chrono>
#include <deque>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace gale::connectors::redis {
namespace {

using Clock = std::chrono::steady_clock;
using connectors::SplitList;

struct Entry {
  std::string id;
  gale::Values values;
};

}  // namespace

class RedisStreamSpout : public gale::Spout {
 public:
  void Open(const gale::TopologyContext& context, gale::SpoutOutputCollector& collector) override {
    collector_ = &collector;
    logger_ = &context.logger();
    const gale::Config& c = context.config();
    Configure(c);
    consumer_ =
        c.GetString("redis.consumer", context.topology_name() + "-" + context.component_id() + "-" +
                                          std::to_string(context.task_index()));
    client_ = std::make_unique<RedisClient>(host_, port_, password_,
                                            std::chrono::milliseconds(timeout_ms_));
    emitted_ = context.RegisterCounter("redis.entries.emitted");
    acked_ = context.RegisterCounter("redis.entries.acked");
    claimed_ = context.RegisterCounter("redis.entries.claimed");
    logger_->Info("reading ", client_->where(), " stream '", stream_, "' as ", group_, "/",
                  consumer_);
    next_emit_ = Clock::now();
  }

  void NextTuple() override {
    const auto now = Clock::now();
    if (!client_->connected() && !Connect(now)) return;
    // Acks go out in batches: when a batch is full, when the oldest has
    // waited redis.ack.delay.ms, or with the next read (one round trip).
    if (!to_ack_.empty() &&
        (static_cast<int64_t>(to_ack_.size()) >= count_ || now - first_ack_at_ >= ack_delay_) &&
        !FlushAcks()) {
      return;
    }
    if (interval_.count() > 0) {
      if (now < next_emit_) return;
      next_emit_ += interval_;
      if (next_emit_ < now - std::chrono::seconds(1)) next_emit_ = now;
    }
    if (!replay_.empty()) {
      const uint64_t id = replay_.front();
      replay_.pop_front();
      auto it = pending_.find(id);
      if (it != pending_.end()) Emit(id, it->second);
      return;
    }
    if (buffer_.empty()) {
      if (reading_history_) {
        if (!Read("0", false)) return;
      } else if (now >= next_claim_) {
        next_claim_ = now + claim_every_;
        if (!Claim()) return;
      }
      if (buffer_.empty() && !reading_history_ && !Read(">", true)) return;
    }
    if (buffer_.empty()) return;
    Entry e = std::move(buffer_.front());
    buffer_.pop_front();
    if (!in_flight_.insert(e.id).second) return;  // already emitted and pending here
    const uint64_t id = next_id_++;
    auto [it, _] = pending_.emplace(id, std::move(e));
    Emit(id, it->second);
  }

  void Ack(gale::MessageId id) override {
    auto it = pending_.find(id.value);
    if (it == pending_.end()) return;
    if (to_ack_.empty()) first_ack_at_ = Clock::now();
    to_ack_.push_back(it->second.id);
    in_flight_.erase(it->second.id);
    pending_.erase(it);
  }

  void Fail(gale::MessageId id) override {
    if (pending_.count(id.value)) replay_.push_back(id.value);
  }

  void Close() override {
    if (client_ && client_->connected() && !to_ack_.empty()) FlushAcks();
  }

  // Also checks the config: gale validate, submit and local refuse a bad one.
  void DeclareOutputFields(gale::OutputDeclarer& declarer) const override {
    RedisStreamSpout().Configure(declarer.config());
    std::vector<std::string> names = {declarer.config().GetString("redis.id.field", "id")};
    for (auto& f : SplitList(declarer.config().GetString("redis.fields", "value"))) {
      names.push_back(f);
    }
    declarer.Declare(gale::Fields(names));
  }

 private:
  // Reads the settings; throws std::invalid_argument on a missing or bad one.
  void Configure(const gale::Config& c) {
    stream_ = c.GetString("redis.stream", "");
    if (stream_.empty()) throw std::invalid_argument("RedisStreamSpout: redis.stream is not set");
    group_ = c.GetString("redis.group", "gale");
    create_ = c.GetBool("redis.create", true);
    start_id_ = c.GetString("redis.group.start.id", "0");
    fields_ = SplitList(c.GetString("redis.fields", "value"));
    count_ = c.GetInt("redis.batch.size", 100);
    block_ms_ = c.GetInt("redis.block.ms", 100);
    ack_delay_ = std::chrono::milliseconds(c.GetInt("redis.ack.delay.ms", 20));
    const int64_t timeout_secs = c.GetInt("topology.message.timeout.secs", 30);
    claim_idle_ms_ = c.GetInt("redis.claim.idle.ms", timeout_secs * 1000);
    claim_every_ = std::chrono::milliseconds(c.GetInt("redis.claim.interval.ms", 1000));
    const double rate = c.GetDouble("redis.per.second", 0);
    interval_ = rate > 0 ? std::chrono::nanoseconds(static_cast<int64_t>(1e9 / rate))
                         : std::chrono::nanoseconds(0);
    if (count_ <= 0 || block_ms_ < 0 || claim_idle_ms_ <= 0 || ack_delay_.count() < 0) {
      throw std::invalid_argument(
          "RedisStreamSpout: redis.batch.size and redis.claim.idle.ms must be > 0, "
          "redis.block.ms and redis.ack.delay.ms >= 0");
    }
    host_ = c.GetString("redis.host", "127.0.0.1");
    port_ = static_cast<int>(c.GetInt("redis.port", 6379));
    password_ = c.GetString("redis.password", "");
    timeout_ms_ = c.GetInt("redis.timeout.ms", 2000);
    if (timeout_ms_ <= 0)
      throw std::invalid_argument("RedisStreamSpout: redis.timeout.ms must be > 0");
  }

  void Emit(uint64_t id, const Entry& e) {
    collector_->Emit(gale::Values(e.values), gale::MessageId{id});
    emitted_.Inc();
  }

  void Report(const std::string& message) {
    logger_->Error(message);
    collector_->ReportError(message);
  }

  bool Connect(Clock::time_point now) {
    if (!backoff_.Ready(now)) return false;
    std::string error;
    if (client_->Connect(&error) && EnsureGroup(&error)) {
      if (backoff_.failures() > 0) logger_->Info("connected to ", client_->where());
      backoff_.Succeeded();
      // After a (re)connect, this consumer's own pending entries come first:
      // a restarted task takes its entries back at once, with no claim delay.
      reading_history_ = true;
      history_from_ = "0";
      return true;
    }
    const auto delay = backoff_.Failed(now);
    Report("RedisStreamSpout " + error + " (retrying in " + std::to_string(delay.count()) + " ms)");
    client_->Disconnect();
    return false;
  }

  bool EnsureGroup(std::string* error) {
    Reply r;
    if (create_) {
      if (!client_->Run({"XGROUP", "CREATE", stream_, group_, start_id_, "MKSTREAM"}, &r, error)) {
        return false;
      }
      if (r.is_error() && r.str.rfind("BUSYGROUP", 0) != 0) {
        *error = client_->where() + ": XGROUP CREATE " + stream_ + " " + group_ + ": " + r.str;
        return false;
      }
      return true;
    }
    // Not creating: the group must exist (XINFO GROUPS fails on a missing stream).
    if (!client_->Run({"XINFO", "GROUPS", stream_}, &r, error)) return false;
    if (r.is_error()) {
      *error = client_->where() + ": stream '" + stream_ + "': " + r.str;
      return false;
    }
    for (const auto& g : r.elements) {
      for (size_t i = 0; i + 1 < g.elements.size(); i += 2) {
        if (g.elements[i].str == "name" && g.elements[i + 1].str == group_) return true;
      }
    }
    *error = client_->where() + ": stream '" + stream_ + "' has no group '" + group_ +
             "' (and redis.create is false)";
    return false;
  }

  // An I/O error: reported, disconnected, retried after the backoff.
  bool Lost(const std::string& error) {
    const auto delay = backoff_.Failed(Clock::now());
    Report("RedisStreamSpout " + error + " (retrying in " + std::to_string(delay.count()) + " ms)");
    client_->Disconnect();
    return false;
  }

  // Adds an entry [id, [field, value, ...]] to the buffer; false for a
  // deleted entry (nil fields), which is acked away.
  void Buffer(const Reply& entry) {
    if (entry.elements.size() != 2) return;
    const std::string& id = entry.elements[0].str;
    const Reply& kv = entry.elements[1];
    if (kv.is_nil()) {
      to_ack_.push_back(id);  // deleted from the stream while pending
      return;
    }
    Entry e;
    e.id = id;
    e.values.push_back(gale::Value(id));
    for (const auto& f : fields_) {
      gale::Value v;  // null when the entry lacks the field
      for (size_t i = 0; i + 1 < kv.elements.size(); i += 2) {
        if (kv.elements[i].str == f) {
          v = gale::Value(kv.elements[i + 1].str);
          break;
        }
      }
      e.values.push_back(std::move(v));
    }
    buffer_.push_back(std::move(e));
  }

  // XREADGROUP from `from` ("0": this consumer's pending entries; ">": new).
  bool Read(const std::string& from, bool block) {
    Command cmd = {"XREADGROUP", "GROUP", group_, consumer_, "COUNT", std::to_string(count_)};
    if (block && block_ms_ > 0) {
      cmd.push_back("BLOCK");
      cmd.push_back(std::to_string(block_ms_));
      client_->SetTimeout(std::chrono::milliseconds(timeout_ms_ + block_ms_));
    }
    cmd.push_back("STREAMS");
    cmd.push_back(stream_);
    cmd.push_back(from == "0" ? history_from_ : from);
    Reply r;
    std::string error;
    if (to_ack_.empty()) {
      if (!client_->Run(cmd, &r, &error)) return Lost(error);
    } else {
      // The acks waiting, and the read, in one round trip.
      std::vector<Reply> replies;
      if (!client_->Pipeline({AckCommand(), cmd}, &replies, &error)) return Lost(error);
      if (replies.size() != 2) return Lost("pipeline of XACK and XREADGROUP lost a reply");
      AckDone(replies[0]);
      r = std::move(replies[1]);
    }
    if (r.is_error()) {
      // NOGROUP: the stream or group was deleted; create them again.
      Report("RedisStreamSpout " + client_->where() + ": XREADGROUP " + stream_ + ": " + r.str);
      client_->Disconnect();
      backoff_.Failed(Clock::now());
      return false;
    }
    size_t n = 0;
    if (r.type == Reply::Type::kArray && !r.elements.empty() &&
        r.elements[0].elements.size() == 2) {
      for (const auto& entry : r.elements[0].elements[1].elements) {
        Buffer(entry);
        ++n;
        if (!entry.elements.empty()) history_from_ = entry.elements[0].str;
      }
    }
    if (from == "0" && n < static_cast<size_t>(count_)) reading_history_ = false;
    return true;
  }

  // XAUTOCLAIM: entries of any consumer of the group idle longer than the
  // message timeout become ours and are emitted again.
  bool Claim() {
    Reply r;
    std::string error;
    if (!client_->Run({"XAUTOCLAIM", stream_, group_, consumer_, std::to_string(claim_idle_ms_),
                       claim_from_, "COUNT", std::to_string(count_)},
                      &r, &error)) {
      return Lost(error);
    }
    if (r.is_error() || r.elements.size() < 2) {
      Report("RedisStreamSpout " + client_->where() + ": XAUTOCLAIM " + stream_ + ": " + r.str);
      return true;
    }
    claim_from_ = r.elements[0].str;  // "0-0" once the whole PEL was scanned
    for (const auto& entry : r.elements[1].elements) {
      if (entry.elements.size() == 2 && in_flight_.count(entry.elements[0].str)) continue;
      Buffer(entry);
      claimed_.Inc();
    }
    if (r.elements.size() >= 3) {  // Redis 7: ids deleted from the stream
      for (const auto& id : r.elements[2].elements) to_ack_.push_back(id.str);
    }
    return true;
  }

  Command AckCommand() const {
    Command cmd = {"XACK", stream_, group_};
    cmd.insert(cmd.end(), to_ack_.begin(), to_ack_.end());
    return cmd;
  }

  void AckDone(const Reply& r) {
    if (r.is_error()) {
      Report("RedisStreamSpout " + client_->where() + ": XACK " + stream_ + ": " + r.str);
    } else {
      acked_.Inc(r.integer);
    }
    to_ack_.clear();
  }

  bool FlushAcks() {
    Reply r;
    std::string error;
    if (!client_->Run(AckCommand(), &r, &error)) return Lost(error);
    AckDone(r);
    return true;
  }

  gale::SpoutOutputCollector* collector_ = nullptr;
  const gale::Logger* logger_ = nullptr;
  gale::Counter emitted_, acked_, claimed_;

  std::string stream_, group_, consumer_, start_id_, host_, password_;
  int port_ = 6379;
  bool create_ = true;
  std::vector<std::string> fields_;
  int64_t count_ = 100, block_ms_ = 100, claim_idle_ms_ = 30000, timeout_ms_ = 2000;
  std::chrono::milliseconds claim_every_{1000};
  std::chrono::milliseconds ack_delay_{20};
  Clock::time_point first_ack_at_{};  // when the oldest ack in to_ack_ came
  std::chrono::nanoseconds interval_{0};

  std::unique_ptr<RedisClient> client_;
  Backoff backoff_;
  bool reading_history_ = true;
  std::string history_from_ = "0", claim_from_ = "0-0";
  std::deque<Entry> buffer_;                     // read, not yet emitted
  std::unordered_map<uint64_t, Entry> pending_;  // message id -> entry in flight
  std::unordered_set<std::string> in_flight_;    // their stream ids
  std::deque<uint64_t> replay_;                  // failed, emitted again first
  std::vector<std::string> to_ack_;              // acked, XACK not yet sent
  uint64_t next_id_ = 1;
  Clock::time_point next_claim_{}, next_emit_{};
};

GALE_REGISTER_SPOUT(RedisStreamSpout);

}  // namespace gale::connectors::redis
