#include "test/support/test_components.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <stdexcept>
#include <thread>

#include <unistd.h>

namespace gale::testing {

TestLog& TestLog::Get() {
  static TestLog log;
  return log;
}

void TestLog::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  feed_.clear();
  next_feed_ = 0;
  consumed_ = 0;
  acked_.clear();
  failed_.clear();
  counts_.clear();
}

void TestLog::Feed(Values values, std::optional<uint64_t> id) {
  std::lock_guard<std::mutex> lock(mu_);
  feed_.emplace_back(std::move(values), id);
}

std::vector<uint64_t> TestLog::FeedNumbers(uint64_t n) {
  std::vector<uint64_t> ids;
  for (uint64_t i = 1; i <= n; ++i) {
    Feed({static_cast<int64_t>(i)}, i);
    ids.push_back(i);
  }
  return ids;
}

bool TestLog::TakeFeed(Values* values, std::optional<uint64_t>* id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (next_feed_ == feed_.size()) return false;
  *values = feed_[next_feed_].first;
  *id = feed_[next_feed_].second;
  ++next_feed_;
  return true;
}

uint64_t TestLog::fed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return feed_.size();
}
uint64_t TestLog::consumed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return consumed_;
}
void TestLog::RecordAck(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  acked_.push_back(id);
}
void TestLog::RecordFail(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  failed_.push_back(id);
}
std::vector<uint64_t> TestLog::acked() const {
  std::lock_guard<std::mutex> lock(mu_);
  auto v = acked_;
  std::sort(v.begin(), v.end());
  return v;
}
std::vector<uint64_t> TestLog::failed() const {
  std::lock_guard<std::mutex> lock(mu_);
  auto v = failed_;
  std::sort(v.begin(), v.end());
  return v;
}
void TestLog::Count(const std::string& what, int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  counts_[what] += n;
}
void TestLog::Set(const std::string& what, int64_t v) {
  std::lock_guard<std::mutex> lock(mu_);
  counts_[what] = v;
}
void TestLog::Max(const std::string& what, int64_t v) {
  std::lock_guard<std::mutex> lock(mu_);
  counts_[what] = std::max(counts_[what], v);
}
int64_t TestLog::count(const std::string& what) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = counts_.find(what);
  return it == counts_.end() ? 0 : it->second;
}

namespace {

TestLog& Log() { return TestLog::Get(); }

// Waits until the count `what` is positive, at most 20 s.
void AwaitCount(const std::string& what) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (Log().count(what) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// The calling thread, as the kernel numbers it.
int64_t ThreadId() { return static_cast<int64_t>(gettid()); }

// Emits what the test feeds, with the fed message id (reliable) or none.
// Records acks and fails by id. Counts its NextTuple calls and the most
// trees it ever had pending. With `feeder.task.index` set, only that task
// of the component takes from the feed. With `feeder.hold.after` N, the
// NextTuple call after its N-th emit counts "spout_held" and stays in user
// code until "release_spout" (at most 20 s).
class FeederSpout : public Spout {
 public:
  void Open(const TopologyContext& ctx, SpoutOutputCollector& c) override {
    c_ = &c;
    Log().Set("thread " + ctx.component_id() + " " + std::to_string(ctx.task_index()), ThreadId());
    const int64_t only = ctx.config().GetInt("feeder.task.index", -1);
    feeds_ = only < 0 || only == ctx.task_index();
    hold_after_ = ctx.config().GetInt("feeder.hold.after", -1);
    ack_stream_ = ctx.config().GetString("feeder.ack.emit.stream", "");
    wake_after_ms_ = ctx.config().GetInt("feeder.wake.after.ms", -1);
    rows_ = ctx.config().GetBool("feeder.rows", false);
  }
  void NextTuple() override {
    if (!feeds_) return;
    if (emitted_ == hold_after_) {
      // Stuck in user code: the executor reads none of its input meanwhile.
      ++emitted_;
      Log().Count("spout_held");
      AwaitCount("release_spout");
    }
    Log().Count("next_tuple");
    Values v;
    std::optional<uint64_t> id;
    if (!Log().TakeFeed(&v, &id)) {
      // Nothing now: with feeder.wake.after.ms, nothing for that long either.
      if (wake_after_ms_ >= 0) {
        c_->WakeAt(std::chrono::steady_clock::now() + std::chrono::milliseconds(wake_after_ms_));
      }
      return;
    }
    if (rows_) {
      // EmitRow: one value as it is (the call that writes into a bound
      // batch), more as a Row.
      Row row;
      for (const Value& x : v) row.Add(x);
      if (id) {
        ++pending_;
        c_->EmitRow(row, MessageId{*id});
      } else if (v.size() == 1) {
        c_->EmitRow(v[0]);
      } else {
        c_->EmitRow(row);
      }
      ++emitted_;
      Log().Count("consumed");
      return;
    }
    try {
      if (id) {
        ++pending_;
        Log().Max("max_pending", pending_);
        const TaskIds to = c_->Emit(std::move(v), MessageId{*id});
        Log().Set("emit_returned_tasks", static_cast<int64_t>(to.size()));
      } else {
        c_->Emit(std::move(v));
      }
    } catch (...) {  // refused: no tree to wait for; the executor reports it
      if (id) --pending_;
      Log().Count("emit_threw");
      Log().Count("consumed");
      throw;
    }
    ++emitted_;
    Log().Count("consumed");
  }
  void Deactivate() override { Log().Count("deactivated"); }
  void Ack(MessageId id) override {
    --pending_;
    Log().RecordAck(id.value);
    // feeder.ack.emit.stream: the Ack emits the id on that stream (which
    // runs inside the Emit when there are no ackers).
    if (!ack_stream_.empty()) {
      const TaskIds to = c_->Emit(Stream{ack_stream_}, {static_cast<int64_t>(id.value)});
      Log().Set("ack_emit_returned_tasks", static_cast<int64_t>(to.size()));
    }
  }
  void Fail(MessageId id) override {
    --pending_;
    Log().RecordFail(id.value);
  }
  bool IsExhausted() const override { return Log().count("consumed") == int64_t(Log().fed()); }
  // One field, "value", or those listed in feeder.fields ("word,n").
  void DeclareOutputFields(OutputDeclarer& d) const override {
    std::vector<std::string> fields;
    std::string list = d.config().GetString("feeder.fields", "value");
    for (size_t at = 0; at <= list.size();) {
      size_t comma = std::min(list.find(',', at), list.size());
      fields.push_back(list.substr(at, comma - at));
      at = comma + 1;
    }
    d.Declare(Fields(std::move(fields)));
    const std::string ack_stream = d.config().GetString("feeder.ack.emit.stream", "");
    if (!ack_stream.empty()) d.DeclareStream(ack_stream, {"id"});
  }

 private:
  SpoutOutputCollector* c_ = nullptr;
  std::string ack_stream_;
  int64_t pending_ = 0;
  bool feeds_ = true;
  int64_t hold_after_ = -1, emitted_ = 0;
  int64_t wake_after_ms_ = -1;
  bool rows_ = false;  // feeder.rows: EmitRow instead of Emit
};

// Emits `branch.count` copies of each input, anchored to it, then acks it.
class BranchingBolt : public Bolt {
 public:
  void Prepare(const TopologyContext& ctx, OutputCollector& c) override {
    c_ = &c;
    n_ = ctx.config().GetInt("branch.count", 2);
  }
  void Execute(const Tuple& in) override {
    for (int64_t i = 0; i < n_; ++i) c_->Emit(in, {in.Get(0)});
    c_->Ack(in);
  }
  void DeclareOutputFields(OutputDeclarer& d) const override { d.Declare({"value"}); }

 private:
  OutputCollector* c_ = nullptr;
  int64_t n_ = 2;
};

// Holds inputs until it has `agg.count`, then emits one tuple anchored to
// all of them and acks them all (Storm's AggBolt).
class AggBolt : public Bolt {
 public:
  void Prepare(const TopologyContext& ctx, OutputCollector& c) override {
    c_ = &c;
    n_ = static_cast<size_t>(ctx.config().GetInt("agg.count", 3));
  }
  void Execute(const Tuple& in) override {
    held_.push_back(in);
    if (held_.size() < n_) return;
    std::vector<const Tuple*> anchors;
    for (const auto& t : held_) anchors.push_back(&t);
    c_->Emit(anchors, {Value("agg")});
    for (const auto& t : held_) c_->Ack(t);
    held_.clear();
  }
  void DeclareOutputFields(OutputDeclarer& d) const override { d.Declare({"value"}); }

 private:
  OutputCollector* c_ = nullptr;
  size_t n_ = 3;
  std::vector<Tuple> held_;
};

// Anchors one output to the same input twice.
class DupAnchorBolt : public Bolt {
 public:
  void Prepare(const TopologyContext&, OutputCollector& c) override { c_ = &c; }
  void Execute(const Tuple& in) override {
    c_->Emit({&in, &in}, {in.Get(0)});
    c_->Ack(in);
  }
  void DeclareOutputFields(OutputDeclarer& d) const override { d.Declare({"value"}); }

 private:
  OutputCollector* c_ = nullptr;
};

// Emits `arity.values` (default 2) copies of each input's first value,
// anchored to it, on its default stream, which declares [word, count] (as
// a direct stream with `arity.direct`: then to each task of `ack`), and
// acks the input.
class ArityBolt : public Bolt {
 public:
  void Prepare(const TopologyContext& ctx, OutputCollector& c) override {
    c_ = &c;
    n_ = ctx.config().GetInt("arity.values", 2);
    if (ctx.config().GetBool("arity.direct", false)) direct_to_ = ctx.GetComponentTasks("ack");
    undeclared_ = ctx.config().GetString("arity.undeclared.stream", "");
    rows_ = ctx.config().GetBool("arity.rows", false);
  }
  void Execute(const Tuple& in) override {
    Values v;
    for (int64_t i = 0; i < n_; ++i) v.push_back(in.Get(0));
    if (rows_) {
      // arity.rows: an unanchored row (the batched path's own checks).
      Row row;
      for (const Value& x : v) row.Add(x);
      c_->EmitRow(row);
    } else if (direct_to_.empty()) {
      c_->Emit(in, std::move(v));
    } else {
      for (int32_t task : direct_to_) c_->EmitDirect(task, in, v);
    }
    // arity.undeclared.stream: then an emit on a stream it did not declare.
    if (!undeclared_.empty()) c_->Emit(Stream{undeclared_}, in, {in.Get(0), in.Get(0)});
    c_->Ack(in);
  }
  void DeclareOutputFields(OutputDeclarer& d) const override {
    const bool direct = d.config().GetBool("arity.direct", false);
    d.Declare({"word", "count"}, direct ? Direct::kYes : Direct::kNo);
  }

 private:
  OutputCollector* c_ = nullptr;
  int64_t n_ = 2;
  std::vector<int32_t> direct_to_;
  std::string undeclared_;
  bool rows_ = false;
};

// Forwards each input anchored (a BasicBolt).
class IdentityBolt : public BasicBolt {
 public:
  void Execute(const Tuple& in, BasicOutputCollector& c) override { c.Emit({in.Get(0)}); }
  void DeclareOutputFields(OutputDeclarer& d) const override { d.Declare({"value"}); }
};

// Records the thread each task runs on ("thread <component> <task index>",
// set in Prepare), counts an Execute on another thread ("thread_changed"),
// its ticks ("ticks <component>") and inputs ("executed <component>"), and
// forwards each input's first value, anchored, then acks it.
class ThreadBolt : public Bolt {
 public:
  void Prepare(const TopologyContext& ctx, OutputCollector& c) override {
    c_ = &c;
    id_ = ctx.component_id();
    thread_ = ThreadId();
    Log().Set("thread " + id_ + " " + std::to_string(ctx.task_index()), thread_);
  }
  void Execute(const Tuple& in) override {
    if (ThreadId() != thread_) Log().Count("thread_changed");
    if (in.IsTick()) {
      Log().Count("ticks " + id_);
      return;
    }
    Log().Count("executed " + id_);
    c_->Emit(in, {in.Get(0)});
    c_->Ack(in);
  }
  void DeclareOutputFields(OutputDeclarer& d) const override { d.Declare({"value"}); }

 private:
  OutputCollector* c_ = nullptr;
  std::string id_;
  int64_t thread_ = 0;
};

// Acks everything it gets.
class AckBolt : public Bolt {
 public:
  void Prepare(const TopologyContext&, OutputCollector& c) override { c_ = &c; }
  void Execute(const Tuple& in) override {
    Log().Count("ack_bolt_executed");
    c_->Ack(in);
  }
  void DeclareOutputFields(OutputDeclarer&) const override {}

 private:
  OutputCollector* c_ = nullptr;
};

// Acks the 1st, 3rd, 5th... input and leaves the others alone.
class AckEveryOtherBolt : public Bolt {
 public:
  void Prepare(const TopologyContext&, OutputCollector& c) override { c_ = &c; }
  void Execute(const Tuple& in) override {
    if (n_++ % 2 == 0) c_->Ack(in);
  }
  void DeclareOutputFields(OutputDeclarer&) const override {}

 private:
  OutputCollector* c_ = nullptr;
  int n_ = 0;
};

// On every second input: acks the one before, emits `pair.emits` tuples
// anchored to this one, then acks this one. Two acks in one Execute with
// emits between them that can fill (and get refused) a batch.
class AckEmitAckBolt : public Bolt {
 public:
  void Prepare(const TopologyContext& ctx, OutputCollector& c) override {
    c_ = &c;
    n_ = ctx.config().GetInt("pair.emits", 4);
  }
  void Execute(const Tuple& in) override {
    if (!held_) {
      held_ = in;
      return;
    }
    c_->Ack(*held_);
    held_.reset();
    for (int64_t i = 0; i < n_; ++i) c_->Emit(in, {in.Get(0)});
    c_->Ack(in);
  }
  void DeclareOutputFields(OutputDeclarer& d) const override { d.Declare({"value"}); }

 private:
  OutputCollector* c_ = nullptr;
  int64_t n_ = 4;
  std::optional<Tuple> held_;
};

// Fails inputs whose first value is "fail", throws on "throw", acks others.
class FailValueBolt : public Bolt {
 public:
  void Prepare(const TopologyContext&, OutputCollector& c) override { c_ = &c; }
  void Execute(const Tuple& in) override {
    const Value& v = in.Get(0);
    if (v.type() == ValueType::kString && v.AsString() == "fail") {
      c_->Fail(in);
    } else if (v.type() == ValueType::kString && v.AsString() == "throw") {
      throw std::runtime_error("poison value 'throw'");
    } else {
      c_->Ack(in);
    }
  }
  void DeclareOutputFields(OutputDeclarer&) const override {}

 private:
  OutputCollector* c_ = nullptr;
};

// Holds every input. With `hold.reset.ticks` > 0 it calls ResetTimeout on
// what it holds at each tick and acks everything at that many ticks.
class HoldBolt : public Bolt {
 public:
  void Prepare(const TopologyContext& ctx, OutputCollector& c) override {
    c_ = &c;
    reset_ticks_ = ctx.config().GetInt("hold.reset.ticks", 0);
  }
  void Execute(const Tuple& in) override {
    if (!in.IsTick()) {
      held_.push_back(in);
      return;
    }
    if (reset_ticks_ == 0) return;
    if (++ticks_ < reset_ticks_) {
      for (const auto& t : held_) c_->ResetTimeout(t);
      Log().Count("resets");
    } else {
      for (const auto& t : held_) c_->Ack(t);
      held_.clear();
    }
  }
  void DeclareOutputFields(OutputDeclarer&) const override {}

 private:
  OutputCollector* c_ = nullptr;
  int64_t reset_ticks_ = 0, ticks_ = 0;
  std::vector<Tuple> held_;
};

// Works `linger.step.millis` at a time on each input, with a ResetTimeout
// after each of the first `linger.resets` steps (Storm's reset-timeout-bolt):
// resets + 1 steps in all, then acks. With `linger.fail` true it fails the
// input instead and stays in Execute until the spout has seen that fail (at
// most 10 s), counting "fail_seen_in_execute" when it did.
class LingerBolt : public Bolt {
 public:
  void Prepare(const TopologyContext& ctx, OutputCollector& c) override {
    c_ = &c;
    step_ = std::chrono::milliseconds(ctx.config().GetInt("linger.step.millis", 0));
    resets_ = ctx.config().GetInt("linger.resets", 0);
    fail_ = ctx.config().GetBool("linger.fail", false);
  }
  void Execute(const Tuple& in) override {
    if (in.IsTick()) return;
    for (int64_t i = 0; i < resets_; ++i) {
      std::this_thread::sleep_for(step_);
      c_->ResetTimeout(in);
      Log().Count("linger_resets");
    }
    std::this_thread::sleep_for(step_);
    if (!fail_) {
      c_->Ack(in);
      return;
    }
    c_->Fail(in);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (Log().failed().empty() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (!Log().failed().empty()) Log().Count("fail_seen_in_execute");
  }
  void DeclareOutputFields(OutputDeclarer&) const override {}

 private:
  OutputCollector* c_ = nullptr;
  std::chrono::milliseconds step_{0};
  int64_t resets_ = 0;
  bool fail_ = false;
};

// Waits for "spout_held", calls ResetTimeout `burst.resets` times in a
// row, counts "burst_done", then stays in Execute until "release_bolt" and
// acks.
class ResetBurstBolt : public Bolt {
 public:
  void Prepare(const TopologyContext& ctx, OutputCollector& c) override {
    c_ = &c;
    resets_ = ctx.config().GetInt("burst.resets", 1);
  }
  void Execute(const Tuple& in) override {
    if (in.IsTick()) return;
    AwaitCount("spout_held");
    for (int64_t i = 0; i < resets_; ++i) c_->ResetTimeout(in);
    Log().Count("burst_done");
    AwaitCount("release_bolt");
    c_->Ack(in);
  }
  void DeclareOutputFields(OutputDeclarer&) const override {}

 private:
  OutputCollector* c_ = nullptr;
  int64_t resets_ = 1;
};

// Acks every input; counts them ("order_seen") and the inputs whose first
// value, an int, is smaller than the one before ("order_violations").
class OrderBolt : public Bolt {
 public:
  void Prepare(const TopologyContext&, OutputCollector& c) override { c_ = &c; }
  void Execute(const Tuple& in) override {
    if (in.IsTick()) return;
    const int64_t v = in.GetInt(0);
    if (v < last_) Log().Count("order_violations");
    last_ = v;
    Log().Count("order_seen");
    c_->Ack(in);
  }
  void DeclareOutputFields(OutputDeclarer&) const override {}

 private:
  OutputCollector* c_ = nullptr;
  int64_t last_ = INT64_MIN;
};

// Emits each input unanchored, then acks the input.
class UnanchoredForwardBolt : public Bolt {
 public:
  void Prepare(const TopologyContext&, OutputCollector& c) override { c_ = &c; }
  void Execute(const Tuple& in) override {
    c_->Emit({in.Get(0)});
    c_->Ack(in);
  }
  void DeclareOutputFields(OutputDeclarer& d) const override { d.Declare({"value"}); }

 private:
  OutputCollector* c_ = nullptr;
};

// Fails everything it gets.
class FailAllBolt : public Bolt {
 public:
  void Prepare(const TopologyContext&, OutputCollector& c) override { c_ = &c; }
  void Execute(const Tuple& in) override {
    Log().Count("fail_all_executed");
    c_->Fail(in);
  }
  void DeclareOutputFields(OutputDeclarer&) const override {}

 private:
  OutputCollector* c_ = nullptr;
};

// Counts tick tuples (and records their value) and acks other input.
class TickCountBolt : public Bolt {
 public:
  void Prepare(const TopologyContext&, OutputCollector& c) override { c_ = &c; }
  void Execute(const Tuple& in) override {
    if (in.IsTick()) {
      Log().Count("ticks");
      Log().Max("tick_value", in.GetInt(0));
      return;
    }
    c_->Ack(in);
  }
  void DeclareOutputFields(OutputDeclarer&) const override {}

 private:
  OutputCollector* c_ = nullptr;
};

// A windowed bolt: records each window's values ("window:1,2,3") and emits
// their sum, which the runner anchors to every tuple of the window.
// "window_throws" makes Execute throw (counted as "window_threw").
class WindowRecorderBolt : public WindowedBolt {
 public:
  void Execute(const TupleWindow& w) override {
    if (Log().count("window_throws") > 0) {
      Log().Count("window_threw");
      throw std::runtime_error("window_throws is set");
    }
    std::string text;
    int64_t sum = 0;
    for (const Tuple* t : w.Get()) {
      text += (text.empty() ? "" : ",") + t->Get(0).ToString();
      sum += t->GetInt(0);
    }
    Log().Count("window:" + text);
    Log().Count("windows");
    out_->Emit({sum});
  }
  void Prepare(const TopologyContext&, OutputCollector& c) override { out_ = &c; }
  // recorder.late.stream: the late stream to declare, [value, ts] as its input.
  void DeclareOutputFields(OutputDeclarer& d) const override {
    d.Declare({"sum"});
    const std::string late = d.config().GetString("recorder.late.stream", "");
    if (!late.empty()) d.DeclareStream(late, {"value", "ts"});
  }

 private:
  OutputCollector* out_ = nullptr;
};

// A stateful bolt: counts each input's first value in its state and acks
// the input. Its committed state is recorded at each PreCommit as
// "state:<value>" (and "committed_txid"); "fail_prepare" makes PrePrepare
// throw (counted as "prepare_failed").
class StatefulCounterBolt : public StatefulBolt {
 public:
  void Prepare(const TopologyContext&, OutputCollector& c) override { out_ = &c; }
  void InitState(KeyValueState& s) override {
    state_ = &s;
    Log().Count("init_state");
  }
  void Execute(const Tuple& in) override {
    const Value key = in.Get(0);
    state_->Put(key, state_->Get(key, int64_t{0}).AsInt() + 1);
    Log().Count("stateful_executed");
    out_->Ack(in);
  }
  void PrePrepare(int64_t) override {
    if (Log().count("fail_prepare") > 0) {
      Log().Count("prepare_failed");
      throw std::runtime_error("told to fail PREPARE");
    }
  }
  void PreCommit(int64_t txid) override {
    state_->ForEach(
        [](const Value& k, const Value& v) { Log().Set("state:" + k.ToString(), v.AsInt()); });
    Log().Max("committed_txid", txid);
  }
  void PreRollback() override { Log().Count("rolled_back"); }
  void DeclareOutputFields(OutputDeclarer&) const override {}

 private:
  OutputCollector* out_ = nullptr;
  KeyValueState* state_ = nullptr;
};

// A StatefulSpout (exactly once): emits ["k<n % 5>"] for n = 0, 1, ...
// while n < the log's "spout_limit"; its position n is checkpointed, and a
// rollback takes it back there. Counts "spout_init" at each InitState.
class StatefulNumberSpout : public StatefulSpout {
 public:
  void Open(const TopologyContext&, SpoutOutputCollector& c) override { c_ = &c; }
  void InitState(KeyValueState& s) override {
    state_ = &s;
    next_ = s.Get("next", int64_t{0}).AsInt();
    Log().Count("spout_init");
  }
  void NextTuple() override {
    if (next_ >= Log().count("spout_limit")) return;
    c_->Emit({"k" + std::to_string(next_++ % 5)});
  }
  void PrePrepare(int64_t) override { state_->Put("next", next_); }
  void DeclareOutputFields(OutputDeclarer& d) const override { d.Declare({"value"}); }

 private:
  SpoutOutputCollector* c_ = nullptr;
  KeyValueState* state_ = nullptr;
  int64_t next_ = 0;
};

// Records every input's values but a windowEnd ("seen:a,7") and acks it.
class RecordBolt : public Bolt {
 public:
  void Prepare(const TopologyContext&, OutputCollector& c) override { c_ = &c; }
  void Execute(const Tuple& in) override {
    std::string text;
    for (size_t i = 0; i < in.size(); ++i) {
      if (in.fields()[i] == "windowEnd") continue;
      text += (text.empty() ? "" : ",") + in.Get(i).ToString();
    }
    Log().Count("seen:" + text);
    c_->Ack(in);
  }
  void DeclareOutputFields(OutputDeclarer&) const override {}

 private:
  OutputCollector* c_ = nullptr;
};

// Rows (gale/rows.h). RowEmitBolt: for each input [v] (an int), emits
// `rows.per.input` rows [v * 100 + k, "k<k>"] (default 3) with EmitRow,
// anchored to the input unless `rows.anchor` is false; with `rows.mixed`,
// each row's values also go as a tuple, on the same stream, just before it;
// then acks the input.
class RowEmitBolt : public Bolt {
 public:
  void Prepare(const TopologyContext& ctx, OutputCollector& c) override {
    c_ = &c;
    per_input_ = ctx.config().GetInt("rows.per.input", 3);
    anchor_ = ctx.config().GetBool("rows.anchor", true);
    mixed_ = ctx.config().GetBool("rows.mixed", false);
  }
  void Execute(const Tuple& in) override {
    for (int64_t k = 0; k < per_input_; ++k) {
      const int64_t key = in.GetInt(0) * 100 + k;
      const std::string name = "k" + std::to_string(k);
      if (mixed_) anchor_ ? c_->Emit(in, {key, name}) : c_->Emit({key, name});
      if (anchor_) {
        c_->EmitRow(in, {key, name});
      } else if (k % 2 == 0) {
        c_->EmitRow(key, name);  // the values as they are
      } else {
        c_->EmitRow({key, name});  // a Row
      }
    }
    c_->Ack(in);
  }
  void DeclareOutputFields(OutputDeclarer& d) const override { d.Declare({"key", "name"}); }

 private:
  OutputCollector* c_ = nullptr;
  int64_t per_input_ = 3;
  bool anchor_ = true, mixed_ = false;
};

// Reads batches of rows whole (ExecuteRows) and tuples (Execute), acking
// each: counts "row batches", "rows seen" and "tuples seen", and for each
// key (the first value, an int) "key <key> rows at <task index>" / "key
// <key> tuples at <task index>"; checks a RowEmitBolt row's name against
// its key ("row_mismatch").
class RowCountBolt : public Bolt {
 public:
  void Prepare(const TopologyContext& ctx, OutputCollector& c) override {
    c_ = &c;
    task_ = std::to_string(ctx.task_index());
  }
  bool ExecuteRows(const Rows& rows) override {
    Log().Count("row batches");
    for (RowView row : rows) {
      const int64_t key = row.GetInt(0);
      if (row.size() > 1 && row.GetString("name") != "k" + std::to_string(key % 100)) {
        Log().Count("row_mismatch");
      }
      Log().Count("key " + std::to_string(key) + " rows at " + task_);
      Log().Count("rows seen");
    }
    c_->Ack(rows.tuple());
    return true;
  }
  void Execute(const Tuple& in) override {
    if (in.IsTick()) return;
    Log().Count("key " + std::to_string(in.GetInt(0)) + " tuples at " + task_);
    Log().Count("tuples seen");
    c_->Ack(in);
  }
  void DeclareOutputFields(OutputDeclarer&) const override {}

 private:
  OutputCollector* c_ = nullptr;
  std::string task_;
};

// TickCountBolt asking for ticks every 5 s itself, as Storm's
// getComponentConfiguration does.
class SelfTickingBolt final : public TickCountBolt {
 public:
  Config ComponentConfiguration() const override {
    Config c;
    c.Set("topology.tick.tuple.freq.secs", int64_t{5});
    return c;
  }
};

template <typename T>
PluginClass SpoutClass(const char* name) {
  return plugin_internal::SpoutClass<T>(name);
}
template <typename T>
PluginClass BoltClass(const char* name) {
  return plugin_internal::BoltClass<T>(name);
}

}  // namespace

plugin::ClassRegistry TestClasses() {
  plugin::ClassRegistry r;
  for (const PluginClass& c : {
           SpoutClass<FeederSpout>("FeederSpout"),
           SpoutClass<StatefulNumberSpout>("StatefulNumberSpout"),
           BoltClass<BranchingBolt>("BranchingBolt"),
           BoltClass<AggBolt>("AggBolt"),
           BoltClass<DupAnchorBolt>("DupAnchorBolt"),
           BoltClass<ArityBolt>("ArityBolt"),
           BoltClass<IdentityBolt>("IdentityBolt"),
           BoltClass<ThreadBolt>("ThreadBolt"),
           BoltClass<AckBolt>("AckBolt"),
           BoltClass<AckEveryOtherBolt>("AckEveryOtherBolt"),
           BoltClass<AckEmitAckBolt>("AckEmitAckBolt"),
           BoltClass<FailValueBolt>("FailValueBolt"),
           BoltClass<HoldBolt>("HoldBolt"),
           BoltClass<LingerBolt>("LingerBolt"),
           BoltClass<ResetBurstBolt>("ResetBurstBolt"),
           BoltClass<OrderBolt>("OrderBolt"),
           BoltClass<RowEmitBolt>("RowEmitBolt"),
           BoltClass<RowCountBolt>("RowCountBolt"),
           BoltClass<UnanchoredForwardBolt>("UnanchoredForwardBolt"),
           BoltClass<FailAllBolt>("FailAllBolt"),
           BoltClass<TickCountBolt>("TickCountBolt"),
           BoltClass<SelfTickingBolt>("SelfTickingBolt"),
           BoltClass<WindowRecorderBolt>("WindowRecorderBolt"),
           BoltClass<RecordBolt>("RecordBolt"),
           BoltClass<StatefulCounterBolt>("StatefulCounterBolt"),
       }) {
    (void)r.Add(c, "test binary");
  }
  return r;
}

}  // namespace gale::testing
