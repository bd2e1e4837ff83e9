// The audit topology's plugin: proves at-least-once delivery. A spout emits
// the ids 0..N-1 reliably, replaying on Fail and, after a restart, every id
// it had not seen acked; bolts pass them on over a shuffle hop and a fields
// hop; a sink records every id it receives before acking it. Every record is
// appended to a file under `audit.dir` with one write(2) per line, so a
// process killed at any moment loses nothing it acked.
// scripts/audit-check.sh reads the files and reports what went missing.
#include <gale/gale.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <deque>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_set>

namespace audit {
namespace {

// An append-only log of ids: one line per record, one write per line.
class IdLog {
 public:
  IdLog() = default;
  IdLog(const IdLog&) = delete;
  IdLog& operator=(const IdLog&) = delete;
  ~IdLog() {
    if (fd_ >= 0) ::close(fd_);
  }
  void Open(const std::string& path, bool sync) {
    path_ = path;
    sync_ = sync;
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::runtime_error("cannot open audit log '" + path + "'");
  }
  void Append(uint64_t id) {
    const std::string line = std::to_string(id) + "\n";
    if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
      throw std::runtime_error("cannot append to '" + path_ + "'");
    }
    if (sync_) ::fdatasync(fd_);
  }

 private:
  int fd_ = -1;
  std::string path_;
  bool sync_ = false;
};

std::string Dir(const gale::TopologyContext& ctx) {
  const std::string dir = ctx.config().GetString("audit.dir", "");
  if (dir.empty()) throw std::invalid_argument("audit.dir is not set");
  return dir;
}

std::string TaskFile(const gale::TopologyContext& ctx, const std::string& kind) {
  return Dir(ctx) + "/" + kind + "-" + ctx.component_id() + "-" + std::to_string(ctx.task_index()) +
         ".log";
}

}  // namespace

// Emits the ids i < audit.count with i % tasks == this task's index, each
// with message id i, at most audit.per.second a second (0: no limit).
// Acked ids go to acked-<component>-<index>.log; on Open it reads that log
// and emits again every id of its share not in it.
class AuditSpout : public gale::Spout {
 public:
  void Open(const gale::TopologyContext& ctx, gale::SpoutOutputCollector& out) override {
    out_ = &out;
    const int64_t n = ctx.config().GetInt("audit.count", 10000);
    const auto tasks = static_cast<int64_t>(ctx.component_tasks().size());
    const int64_t me = ctx.task_index();
    const std::string acked_file = TaskFile(ctx, "acked");
    std::set<uint64_t> done;
    {
      std::ifstream in(acked_file);
      uint64_t id;
      while (in >> id) done.insert(id);
    }
    for (int64_t i = me; i < n; i += tasks) {
      if (!done.count(static_cast<uint64_t>(i))) todo_.push_back(static_cast<uint64_t>(i));
    }
    const bool sync = ctx.config().GetBool("audit.fsync", false);
    acked_.Open(acked_file, sync);
    emitted_.Open(TaskFile(ctx, "emitted"), false);
    const double rate = ctx.config().GetDouble("audit.per.second", 0);
    interval_ = rate > 0 ? std::chrono::nanoseconds(static_cast<int64_t>(1e9 / rate))
                         : std::chrono::nanoseconds(0);
    next_ = std::chrono::steady_clock::now();
  }

  void NextTuple() override {
    if (todo_.empty()) return;
    if (interval_.count() > 0) {
      const auto now = std::chrono::steady_clock::now();
      if (now < next_) return;
      next_ = std::max(next_ + interval_, now - std::chrono::milliseconds(100));
    }
    const uint64_t id = todo_.front();
    todo_.pop_front();
    pending_.insert(id);
    emitted_.Append(id);
    out_->Emit({static_cast<int64_t>(id)}, gale::MessageId{id});
  }

  void Ack(gale::MessageId id) override {
    if (pending_.erase(id.value)) acked_.Append(id.value);
  }
  void Fail(gale::MessageId id) override {
    if (pending_.erase(id.value)) todo_.push_back(id.value);
  }
  bool IsExhausted() const override { return todo_.empty() && pending_.empty(); }
  void DeclareOutputFields(gale::OutputDeclarer& d) const override { d.Declare({"id"}); }

 private:
  gale::SpoutOutputCollector* out_ = nullptr;
  std::deque<uint64_t> todo_;
  std::unordered_set<uint64_t> pending_;
  IdLog acked_, emitted_;
  std::chrono::nanoseconds interval_{0};
  std::chrono::steady_clock::time_point next_;
};

// Passes ids on, anchored. With audit.throw.every K > 0 it throws on an id
// divisible by K the first time this process sees it: the tuple fails, the
// error is reported, the spout replays it.
class AuditForward : public gale::BasicBolt {
 public:
  void Prepare(const gale::TopologyContext& ctx) override {
    throw_every_ = ctx.config().GetInt("audit.throw.every", 0);
  }
  void Execute(const gale::Tuple& in, gale::BasicOutputCollector& out) override {
    const int64_t id = in.GetInt("id");
    if (throw_every_ > 0 && id % throw_every_ == 0 && thrown_.insert(id).second) {
      throw std::runtime_error("audit: refusing id " + std::to_string(id) + " once");
    }
    out.Emit({id});
  }
  void DeclareOutputFields(gale::OutputDeclarer& d) const override { d.Declare({"id"}); }

 private:
  int64_t throw_every_ = 0;
  std::unordered_set<int64_t> thrown_;
};

// The fields hop. With audit.crash.id X it crashes the whole worker process
// (SIGSEGV) when it gets id X, the first audit.crash.times times (counted in
// a file, so across restarts): a poison tuple.
class AuditKeyed : public gale::BasicBolt {
 public:
  void Prepare(const gale::TopologyContext& ctx) override {
    crash_id_ = ctx.config().GetInt("audit.crash.id", -1);
    crash_times_ = ctx.config().GetInt("audit.crash.times", 0);
    if (crash_id_ >= 0) crash_file_ = Dir(ctx) + "/crashes-" + std::to_string(crash_id_) + ".log";
  }
  void Execute(const gale::Tuple& in, gale::BasicOutputCollector& out) override {
    const int64_t id = in.GetInt("id");
    if (id == crash_id_ && Crashes() < crash_times_) {
      IdLog log;
      log.Open(crash_file_, true);
      log.Append(static_cast<uint64_t>(id));
      std::raise(SIGSEGV);
    }
    out.Emit({id});
  }
  void DeclareOutputFields(gale::OutputDeclarer& d) const override { d.Declare({"id"}); }

 private:
  int64_t Crashes() const {
    std::ifstream in(crash_file_);
    int64_t n = 0;
    std::string line;
    while (std::getline(in, line)) ++n;
    return n;
  }
  int64_t crash_id_ = -1, crash_times_ = 0;
  std::string crash_file_;
};

// Records every id it receives in sink-<component>-<index>.log, then acks.
class AuditSink : public gale::Bolt {
 public:
  void Prepare(const gale::TopologyContext& ctx, gale::OutputCollector& out) override {
    out_ = &out;
    log_.Open(TaskFile(ctx, "sink"), ctx.config().GetBool("audit.fsync", false));
  }
  void Execute(const gale::Tuple& in) override {
    log_.Append(static_cast<uint64_t>(in.GetInt("id")));  // before the ack
    out_->Ack(in);
  }
  void DeclareOutputFields(gale::OutputDeclarer&) const override {}

 private:
  gale::OutputCollector* out_ = nullptr;
  IdLog log_;
};

GALE_REGISTER_SPOUT(AuditSpout);
GALE_REGISTER_BOLT(AuditForward);
GALE_REGISTER_BOLT(AuditKeyed);
GALE_REGISTER_BOLT(AuditSink);

}  // namespace audit
