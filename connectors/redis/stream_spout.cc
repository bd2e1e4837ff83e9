// RedisStreamSpout: reads a Redis stream through a consumer group, one tuple
// per entry, XACKs an entry when its tuple tree completes, and XAUTOCLAIMs
// entries that another consumer (a dead worker) left pending longer than
// the message timeout. See connectors/redis/README.md.
#include "connectors/common/backoff.h"
#include "connectors/common/split_list.h"
#include "connectors/redis/redis_client.h"

#include <gale/gale.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <deque>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace gale::connectors::redis {
namespace {

using Clock = std::chrono::steady_clock;
using connectors::SplitList;

// A stream entry's id, "<ms>-<seq>", as two numbers: the spout's sets and
// lists of ids cost no string each.
struct StreamId {
  uint64_t ms = 0, seq = 0;
  bool operator==(const StreamId&) const = default;
};

struct StreamIdHash {
  size_t operator()(const StreamId& id) const {
    return std::hash<uint64_t>()(id.ms * 0x9e3779b97f4a7c15ULL ^ id.seq);
  }
};

bool ParseStreamId(std::string_view text, StreamId* id) {
  const size_t dash = text.find('-');
  if (dash == std::string_view::npos) return false;
  const char* end = text.data() + text.size();
  // from_chars refuses an empty side: "-5" and "5-" are not ids.
  auto ms = std::from_chars(text.data(), text.data() + dash, id->ms);
  auto seq = std::from_chars(text.data() + dash + 1, end, id->seq);
  return ms.ec == std::errc() && ms.ptr == text.data() + dash && seq.ec == std::errc() &&
         seq.ptr == end;
}

void AppendStreamId(Commands* out, const StreamId& id) {
  char text[48];
  char* p = std::to_chars(text, text + 20, id.ms).ptr;
  *p++ = '-';
  p = std::to_chars(p, text + sizeof text, id.seq).ptr;
  out->Arg(std::string_view(text, static_cast<size_t>(p - text)));
}

// A reply this task waits for: an XACK's (of `acks` ids) or a read's.
struct Expect {
  enum Kind { kAck, kRead } kind;
  size_t acks;
};

struct Entry {
  StreamId id;
  gale::Values values;  // values[0] is the id's text
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
    // waited redis.ack.delay.ms, or with the next read. Their replies are
    // read with the next read's.
    if (!to_ack_.empty() &&
        (static_cast<int64_t>(to_ack_.size()) >= count_ || now - first_ack_at_ >= ack_delay_) &&
        !SendAcks()) {
      return;
    }
    if (interval_.count() > 0) {
      if (now < next_emit_) {
        // Paced: nothing to emit until then, and the acks waiting go out
        // by their own deadline.
        collector_->WakeAt(to_ack_.empty() ? next_emit_
                                           : std::min(next_emit_, first_ack_at_ + ack_delay_));
        return;
      }
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
    if (buffer_.empty() && !Refill(now)) return;
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
    QueueAck(it->second.id);
    in_flight_.erase(it->second.id);
    pending_.erase(it);
  }

  void Fail(gale::MessageId id) override {
    if (pending_.count(id.value)) replay_.push_back(id.value);
  }

  // Deactivated (or closing), the task gets no NextTuple: the acks waiting
  // go out now, and every reply is read, so that no completed entry stays
  // pending for others to claim.
  void Deactivate() override { Settle(); }
  void Close() override { Settle(); }

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

  // An I/O error: reported, disconnected, retried after the backoff. Acks
  // sent whose reply did not come are sent again after the reconnect (XACK
  // of an acked id is a no-op); a read whose reply did not come left its
  // entries pending for this consumer, read again as its history.
  bool Lost(const std::string& error) {
    const auto delay = backoff_.Failed(Clock::now());
    Report("RedisStreamSpout " + error + " (retrying in " + std::to_string(delay.count()) + " ms)");
    Disconnect();
    return false;
  }

  void Disconnect() {
    client_->Disconnect();
    to_ack_.insert(to_ack_.end(), acks_sent_.begin(), acks_sent_.end());
    acks_sent_.clear();
    expect_.clear();
  }

  void Settle() {
    if (!client_ || !client_->connected()) return;
    if (!to_ack_.empty() && !SendAcks()) return;
    Drain();
  }

  // An entry to XACK: it goes out with the next read, or by itself once
  // redis.batch.size wait or the oldest has waited redis.ack.delay.ms.
  void QueueAck(const StreamId& id) {
    if (to_ack_.empty()) first_ack_at_ = Clock::now();
    to_ack_.push_back(id);
  }

  // A read is outstanding: sent ahead (at most one at a time).
  bool ReadAhead() const {
    for (const Expect& e : expect_) {
      if (e.kind == Expect::kRead) return true;
    }
    return false;
  }

  // Fills the buffer: a read sent ahead comes first, then this consumer's
  // pending entries after a (re)connect, due claims, and a read that
  // blocks up to redis.block.ms for new entries when nothing else came. A
  // read that filled its batch has the next one sent at once (without
  // BLOCK), so that Redis runs it while this task emits: the spout's thread
  // and Redis work side by side instead of taking turns.
  bool Refill(Clock::time_point now) {
    bool full = false;
    if (ReadAhead() && !Collect(&full)) return false;
    if (reading_history_) {
      if (!SendRead(history_from_, false) || !Collect(&full)) return false;
      full = false;
    } else if (now >= next_claim_) {
      next_claim_ = now + claim_every_;
      if (!Drain() || !Claim()) return false;
    }
    if (buffer_.empty() && !reading_history_) {
      if (!SendRead(">", true) || !Collect(&full)) return false;
    }
    if (full && !reading_history_ && !SendRead(">", false)) return false;
    return true;
  }

  // Sends XREADGROUP from `from` (">": new entries; else this consumer's
  // pending entries after that id), after the acks waiting, in one write.
  bool SendRead(const std::string& from, bool block) {
    out_.clear();
    const size_t acks = AddAcks();
    const bool blocks = block && block_ms_ > 0;
    out_.Begin(blocks ? 11 : 9);
    out_.Arg("XREADGROUP");
    out_.Arg("GROUP");
    out_.Arg(group_);
    out_.Arg(consumer_);
    out_.Arg("COUNT");
    out_.Arg(count_);
    if (blocks) {
      out_.Arg("BLOCK");
      out_.Arg(block_ms_);
      client_->SetTimeout(std::chrono::milliseconds(timeout_ms_ + block_ms_));
    }
    out_.Arg("STREAMS");
    out_.Arg(stream_);
    out_.Arg(from);
    if (!SendOut(acks)) return false;
    expect_.push_back({Expect::kRead, 0});
    return true;
  }

  // Sends the acks waiting, on their own.
  bool SendAcks() {
    out_.clear();
    return SendOut(AddAcks());
  }

  // Adds one XACK of every id in to_ack_ to out_ (nothing when none wait);
  // returns how many.
  size_t AddAcks() {
    if (to_ack_.empty()) return 0;
    out_.Begin(3 + to_ack_.size());
    out_.Arg("XACK");
    out_.Arg(stream_);
    out_.Arg(group_);
    for (const StreamId& id : to_ack_) AppendStreamId(&out_, id);
    return to_ack_.size();
  }

  // Sends out_, whose first command is an XACK of the `acks` ids waiting
  // when acks > 0: its reply is expected before what follows.
  bool SendOut(size_t acks) {
    std::string error;
    if (!client_->Send(out_, &error)) return Lost(error);
    if (acks > 0) {
      expect_.push_back({Expect::kAck, acks});
      acks_sent_.insert(acks_sent_.end(), to_ack_.begin(), to_ack_.end());
      to_ack_.clear();
    }
    return true;
  }

  // Reads replies in order up to and including the outstanding read's,
  // whose entries go to the buffer; `full` says whether it filled its batch.
  bool Collect(bool* full) {
    while (!expect_.empty()) {
      const Expect e = expect_.front();
      if (!ReceiveOne(e, full)) return false;
      if (e.kind == Expect::kRead) return true;
    }
    return true;
  }

  // Reads every outstanding reply (acks, and a read sent ahead).
  bool Drain() {
    bool full = false;
    while (!expect_.empty()) {
      if (!ReceiveOne(expect_.front(), &full)) return false;
    }
    return true;
  }

  // Reads the next reply, of the command `e` says; a read's entries go to
  // the buffer, and `full` says whether it filled its batch.
  bool ReceiveOne(Expect e, bool* full) {
    std::string error;
    // Acks and reads parse into replies of their own: each keeps its shape
    // (and storage) from one reply to the next.
    std::vector<Reply>& into = e.kind == Expect::kAck ? ack_reply_ : read_reply_;
    if (!client_->Receive(1, &into, &error)) return Lost(error);
    expect_.pop_front();
    const Reply& r = into[0];
    if (e.kind == Expect::kAck) {
      acks_sent_.erase(acks_sent_.begin(), acks_sent_.begin() + static_cast<ptrdiff_t>(e.acks));
      if (r.is_error()) {
        Report("RedisStreamSpout " + client_->where() + ": XACK " + stream_ + ": " + r.str);
      } else {
        acked_.Inc(r.integer);
      }
      return true;
    }
    if (r.is_error()) {
      // NOGROUP: the stream or group was deleted; the reconnect creates them again.
      return Lost(client_->where() + ": XREADGROUP " + stream_ + ": " + r.str);
    }
    size_t n = 0;
    if (r.type == Reply::Type::kArray && !r.elements.empty() &&
        r.elements[0].elements.size() == 2) {
      for (const auto& entry : r.elements[0].elements[1].elements) {
        Buffer(entry);
        ++n;
        if (reading_history_ && !entry.elements.empty()) history_from_ = entry.elements[0].str;
      }
    }
    *full = n >= static_cast<size_t>(count_);
    if (reading_history_ && !*full) reading_history_ = false;
    return true;
  }

  // Adds an entry [id, [field, value, ...]] to the buffer; an entry deleted
  // from the stream while pending (nil fields) is acked away.
  void Buffer(const Reply& entry) {
    if (entry.elements.size() != 2) return;
    const std::string& text = entry.elements[0].str;
    StreamId id;
    if (!ParseStreamId(text, &id)) {
      Report("RedisStreamSpout " + client_->where() + ": stream '" + stream_ +
             "' returned an entry id that is not <ms>-<seq>: '" + text + "'");
      return;
    }
    const Reply& kv = entry.elements[1];
    if (kv.is_nil()) {
      QueueAck(id);
      return;
    }
    Entry e;
    e.id = id;
    e.values.reserve(1 + fields_.size());
    e.values.emplace_back(text);
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

  // XAUTOCLAIM: entries of any consumer of the group idle longer than the
  // message timeout become ours and are emitted again. Runs with no reply
  // outstanding.
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
    // An entry emitted and in flight here, or read and still in the buffer
    // (a read ahead collected while the spout was held back longer than the
    // claim's idle time), is not taken twice.
    std::unordered_set<StreamId, StreamIdHash> buffered;
    if (!r.elements[1].elements.empty()) {
      for (const Entry& e : buffer_) buffered.insert(e.id);
    }
    for (const auto& entry : r.elements[1].elements) {
      StreamId id;
      if (entry.elements.size() == 2 && ParseStreamId(entry.elements[0].str, &id) &&
          (in_flight_.count(id) || buffered.count(id))) {
        continue;
      }
      Buffer(entry);
      claimed_.Inc();
    }
    if (r.elements.size() >= 3) {  // Redis 7: ids deleted from the stream
      for (const auto& deleted : r.elements[2].elements) {
        StreamId id;
        if (ParseStreamId(deleted.str, &id)) QueueAck(id);
      }
    }
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
  std::deque<Entry> buffer_;                              // read, not yet emitted
  std::unordered_map<uint64_t, Entry> pending_;           // message id -> entry in flight
  std::unordered_set<StreamId, StreamIdHash> in_flight_;  // their stream ids
  std::deque<uint64_t> replay_;                           // failed, emitted again first
  std::vector<StreamId> to_ack_;                          // acked, XACK not yet sent
  std::deque<StreamId> acks_sent_;  // in XACKs sent, their replies not read yet
  // The replies expected, in the order their commands were sent.
  std::deque<Expect> expect_;
  Commands out_;
  std::vector<Reply> ack_reply_, read_reply_;  // parsed into again and again
  uint64_t next_id_ = 1;
  Clock::time_point next_claim_{}, next_emit_{};
};

GALE_REGISTER_SPOUT(RedisStreamSpout);

}  // namespace gale::connectors::redis
