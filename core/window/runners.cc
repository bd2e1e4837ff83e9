#include "core/window/runners.h"

#include "core/runtime/polled.h"
#include "core/state/checkpoint.h"
#include "core/topology/topology_settings.h"
#include "core/topology/window_config.h"
#include "core/tuple/forwarding_collector.h"
#include "core/window/pane_reducer.h"
#include "core/window/tuple_windows.h"

#include <atomic>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace gale::window {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

topology::WindowConfig ReadOrThrow(const TopologyContext& context) {
  auto w = topology::ReadWindowConfig(context.config());
  if (!w.ok()) throw std::invalid_argument(w.status().message());
  if (!w->has_value()) {
    throw std::invalid_argument(
        "windowed bolt '" + context.component_id() +
        "' has no window: give it one in the topology file (window: { length: 30s, slide: "
        "10s }) or in its constructor (WithWindow)");
  }
  return **w;
}

// The user's collector: emits without anchors are anchored to the window
// being executed; acks are the runner's (a window's tuples are acked when
// they leave it).
class WindowCollector final : public ForwardingCollector {
 public:
  using ForwardingCollector::ForwardingCollector;
  void set_window(const std::vector<const Tuple*>* w) { window_ = w; }
  void Ack(const Tuple&) override {}

 protected:
  AnchorSpan DefaultAnchors() const override {
    return window_ ? AnchorSpan(window_->data(), window_->size()) : AnchorSpan();
  }

 private:
  const std::vector<const Tuple*>* window_ = nullptr;
};

// Late tuples and tuples without a usable timestamp: on the late tuple
// stream when there is one (unchanged, anchored to the tuple), counted,
// and acked; a bad timestamp is also reported as an error.
class LateHandler {
 public:
  void Prepare(const TopologyContext& context, const topology::WindowConfig& config,
               OutputCollector& out) {
    out_ = &out;
    stream_ = config.late_stream;
    late_ = context.RegisterCounter("window.late.tuples");
    bad_ = context.RegisterCounter("window.bad.timestamp");
  }
  void Handle(const Tuple& t, const std::string& why) {
    if (why.empty()) {
      late_.Inc();
    } else {
      bad_.Inc();
      out_->ReportError(why);
    }
    if (!stream_.empty()) out_->Emit(Stream{stream_}, t, t.values());
  }

 private:
  OutputCollector* out_ = nullptr;
  std::string stream_;
  Counter late_, bad_;
};

// The streams the window's watermark waits for: the inputs, not the
// checkpoints (the stateful runner takes those; they never reach a window).
size_t InputStreams(const TopologyContext& context) {
  size_t n = 0;
  for (const auto& s : context.sources()) n += s.stream != state::kCheckpointStream;
  return n;
}

// A runner whose window can be checkpointed (snapshot.h). Persistent, a
// runner acks each input as it enters the window (the stateful runner it
// runs in holds the ack until the checkpoint that saved it commits) and
// anchors nothing.
class WindowRunner : public Bolt {
 public:
  void set_persistent() { persistent_ = true; }
  // Called once prepared, persistent: the engine tracks what changes.
  virtual void Persist() {}
  virtual void Save(KeyValueState& state) = 0;
  virtual Status Load(const KeyValueState& state) = 0;
  // Why the user's code failed since the last call ("" when it did not):
  // persistent, that fails the next checkpoint, so that the window and
  // everything since roll back and are replayed.
  std::string TakeFailure() { return std::exchange(failure_, ""); }
  // Whether the window holds tuples that time alone will close a window
  // over (processing time, by duration): a finite run waits for them.
  virtual bool ClosesByTime() const = 0;
  // Whether it executed a window (emitted results) since the last call.
  bool TakeExecuted() { return std::exchange(executed_, false); }

 protected:
  bool persistent_ = false;
  bool executed_ = false;
  std::string failure_;
};

// Processing time, by duration (length and slide): every tuple leaves the
// window with time alone. A count length keeps its last tuples for ever.
bool ByProcessingTime(const topology::WindowConfig& c) {
  return !c.event_time() && !c.punctuation() && !c.slide.count() && !c.length.count();
}

class WindowedBoltRunner final : public WindowRunner, public TupleWindows::Sink {
 public:
  explicit WindowedBoltRunner(std::unique_ptr<WindowedBolt> bolt) : bolt_(std::move(bolt)) {}

  Config ComponentConfiguration() const override { return bolt_->ComponentConfiguration(); }

  void Prepare(const TopologyContext& context, OutputCollector& collector) override {
    out_ = &collector;
    const topology::WindowConfig config = ReadOrThrow(context);
    by_time_ = ByProcessingTime(config);
    windows_ = std::make_unique<TupleWindows>(config, InputStreams(context), *this);
    late_.Prepare(context, config, collector);
    user_out_ = std::make_unique<WindowCollector>(collector);
    bolt_->Prepare(context, *user_out_);
  }
  void Execute(const Tuple& input) override {
    if (input.IsTick()) {
      windows_->Tick(NowMs());
    } else {
      windows_->Add(input, NowMs());
      if (persistent_) out_->Ack(input);
    }
  }
  void DeclareOutputFields(OutputDeclarer& declarer) const override {
    bolt_->DeclareOutputFields(declarer);
  }
  void Cleanup() override { bolt_->Cleanup(); }
  void Save(KeyValueState& state) override { windows_->Save(state); }
  Status Load(const KeyValueState& state) override { return windows_->Load(state); }
  void Persist() override { windows_->Persist(); }
  bool ClosesByTime() const override { return by_time_ && windows_->size() > 0; }

 private:
  void Execute(const TupleWindow& window) override {
    executed_ = true;
    if (!persistent_) user_out_->set_window(&window.Get());
    try {
      bolt_->Execute(window);
    } catch (const std::exception& e) {
      const std::string why = std::string("Execute(window) threw: ") + e.what();
      out_->ReportError(why);
      if (persistent_) {
        failure_ = why;
      } else {
        for (const Tuple* t : window.GetNew()) out_->Fail(*t);
      }
    }
    user_out_->set_window(nullptr);
  }
  void Expire(const Tuple& t) override {
    if (!persistent_) out_->Ack(t);
  }
  void Late(const Tuple& t, const std::string& why) override {
    late_.Handle(t, why);
    if (!persistent_) out_->Ack(t);
  }

  std::unique_ptr<WindowedBolt> bolt_;
  OutputCollector* out_ = nullptr;
  std::unique_ptr<WindowCollector> user_out_;
  std::unique_ptr<TupleWindows> windows_;
  bool by_time_ = false;
  LateHandler late_;
};

std::string ConfigString(const Config& config, std::string_view key) {
  const Value* v = config.Find(key);
  return v && v->type() == ValueType::kString ? v->AsString() : "";
}

class WindowReduceRunner final : public WindowRunner, public PaneReducer::Sink {
 public:
  explicit WindowReduceRunner(std::unique_ptr<WindowReducer> f) : f_(std::move(f)) {
    code_config_.Set(std::string(topology::kWindowReduceMarker), true);
  }
  Config ComponentConfiguration() const override { return code_config_; }

  void Prepare(const TopologyContext& context, OutputCollector& collector) override {
    out_ = &collector;
    const topology::WindowConfig config = ReadOrThrow(context);
    by_time_ = ByProcessingTime(config);
    if (auto why = PaneReducer::Check(config); !why.empty()) {
      throw std::invalid_argument(context.component_id() + ": " + why);
    }
    std::string key, value;
    Fields(context.config(), &key, &value);
    f_->Prepare(context);
    reducer_ = std::make_unique<PaneReducer>(
        config, InputStreams(context), *f_,
        context.config().GetBool(topology::kWindowReduceInverse, true), key, value, *this);
    late_.Prepare(context, config, collector);
    slides_ = context.RegisterCounter("window.slides");
    slide_nanos_ = context.RegisterCounter("window.slide.nanos");
  }
  void Execute(const Tuple& input) override {
    const uint64_t slides = reducer_->slides(), nanos = reducer_->slide_nanos();
    if (input.IsTick()) {
      reducer_->Tick(NowMs());
    } else {
      reducer_->Add(input, NowMs());
      out_->Ack(input);
    }
    if (reducer_->slides() != slides) {
      slides_.Inc(reducer_->slides() - slides);
      slide_nanos_.Inc(reducer_->slide_nanos() - nanos);
    }
  }
  void DeclareOutputFields(OutputDeclarer& declarer) const override {
    std::string key, value;
    Fields(declarer.config(), &key, &value);
    declarer.Declare({key, value, "windowEnd"});
  }
  void Save(KeyValueState& state) override { reducer_->Save(state); }
  Status Load(const KeyValueState& state) override { return reducer_->Load(state); }
  void Persist() override { reducer_->Persist(); }
  bool ClosesByTime() const override { return by_time_ && reducer_->panes() > 0; }

 private:
  void Fields(const Config& config, std::string* key, std::string* value) const {
    *key = ConfigString(config, topology::kWindowKeyField);
    *value = ConfigString(config, topology::kWindowValueField);
    if (key->empty()) {
      throw std::invalid_argument(
          "a keyed window reduce needs its key field: window: { ..., key: <field> } (" +
          std::string(topology::kWindowKeyField) + ")");
    }
    if (value->empty()) {
      if (!f_->CountsTuples()) {
        throw std::invalid_argument(
            "a keyed window reduce needs its value field: window: { ..., value: <field> } (" +
            std::string(topology::kWindowValueField) + ")");
      }
      *value = "count";
    }
  }
  void Result(const Value& key, const Value& value, int64_t end_ms) override {
    executed_ = true;
    out_->Emit(Values{key, value, end_ms});
  }
  void Late(const Tuple& t, const std::string& why) override { late_.Handle(t, why); }

  std::unique_ptr<WindowReducer> f_;
  Config code_config_;
  OutputCollector* out_ = nullptr;
  std::unique_ptr<PaneReducer> reducer_;
  bool by_time_ = false;
  LateHandler late_;
  Counter slides_, slide_nanos_;
};

// A persistent window as a StatefulBolt, run by core/state's stateful
// runner: the window is saved at each PREPARE with the bolt's own state (a
// StatefulWindowedBolt's; `user` may be null) and read back at the start
// and after each rollback.
class PersistentWindow final : public StatefulBolt {
 public:
  PersistentWindow(std::unique_ptr<WindowRunner> runner, StatefulWindowedBolt* user)
      : runner_(std::move(runner)), user_(user) {}

  Config ComponentConfiguration() const override { return runner_->ComponentConfiguration(); }
  void Prepare(const TopologyContext& context, OutputCollector& collector) override {
    runner_->Prepare(context, collector);
    runner_->Persist();
  }
  void InitState(KeyValueState& state) override {
    state_ = &state;
    if (user_) {
      view_.emplace(state);
      user_->InitState(*view_);
    }
    reload_ = true;
    Load();
  }
  void Execute(const Tuple& input) override {
    if (reload_) Load();
    runner_->Execute(input);
  }
  void DeclareOutputFields(OutputDeclarer& declarer) const override {
    runner_->DeclareOutputFields(declarer);
  }
  void Cleanup() override { runner_->Cleanup(); }
  void PrePrepare(int64_t txid) override {
    if (reload_) Load();
    if (std::string why = runner_->TakeFailure(); !why.empty()) throw std::runtime_error(why);
    if (user_) user_->PrePrepare(txid);
    runner_->Save(*state_);
    prepared_ = unsaved_ || runner_->TakeExecuted();
    unsaved_ = false;
  }
  void PreCommit(int64_t txid) override {
    if (user_) user_->PreCommit(txid);
    prepared_ = false;
  }
  // Whether a finite run (`gale local`) should wait for it: it holds tuples
  // that time will close a window over, or executed windows whose results
  // are not in a committed checkpoint yet.
  bool Busy() {
    if (reload_ && state_) Load();  // after a rollback: what the window holds now
    unsaved_ = unsaved_ || runner_->TakeExecuted();
    return unsaved_ || prepared_ || runner_->ClosesByTime();
  }
  // The state goes back after this: the window follows it at the next call.
  void PreRollback() override {
    if (user_) user_->PreRollback();
    (void)runner_->TakeFailure();
    (void)runner_->TakeExecuted();
    unsaved_ = prepared_ = false;
    reload_ = true;
  }

 private:
  // Stays due until it succeeds: an error is reported (the executor catches
  // it) and the next call tries again, never going on from a half-read window.
  void Load() {
    if (Status s = runner_->Load(*state_); !s.ok()) throw std::runtime_error(s.message());
    reload_ = false;
  }

  std::unique_ptr<WindowRunner> runner_;
  StatefulWindowedBolt* user_;
  KeyValueState* state_ = nullptr;
  std::optional<UserStateView> view_;
  bool reload_ = false;
  bool unsaved_ = false, prepared_ = false;
};

// What the executor runs for a windowed component: the runner as it is, or,
// when its window is persistent (a StatefulWindowedBolt, `persistent: true`,
// an exactly-once topology: topology::IsStateful), inside core/state's
// stateful runner. Which one is known from the config, at Prepare.
//
// It is Polled only to say, persistent, when a finite run must wait for it
// (PersistentWindow::Busy).
class WindowBolt final : public Bolt, public runtime::Polled {
 public:
  WindowBolt(std::unique_ptr<WindowRunner> runner, StatefulWindowedBolt* user)
      : runner_(runner.get()), owned_(std::move(runner)), user_(user) {}

  void SetWaker(std::function<void()>) override {}
  // Everything that changes it (inputs, ticks, checkpoints) is an Execute.
  void Poll() override {}
  bool Busy() const override { return busy_.load(std::memory_order_relaxed); }

  Config ComponentConfiguration() const override {
    Config c = runner_->ComponentConfiguration();
    if (user_) c.Set(std::string(topology::kStatefulMarker), true);
    return c;
  }
  void DeclareOutputFields(OutputDeclarer& declarer) const override {
    runner_->DeclareOutputFields(declarer);
  }
  void Prepare(const TopologyContext& context, OutputCollector& collector) override {
    if (user_ || topology::IsStateful(context.config())) {
      runner_->set_persistent();
      auto persistent = std::make_unique<PersistentWindow>(std::move(owned_), user_);
      persistent_ = persistent.get();
      active_ = state::RunStateful(std::move(persistent));
    } else {
      active_ = std::move(owned_);
    }
    active_->Prepare(context, collector);
  }
  void Execute(const Tuple& input) override {
    active_->Execute(input);
    if (persistent_) busy_.store(persistent_->Busy(), std::memory_order_relaxed);
  }
  void Cleanup() override {
    if (active_) active_->Cleanup();
  }

 private:
  WindowRunner* runner_;
  PersistentWindow* persistent_ = nullptr;  // in active_, when persistent
  std::atomic<bool> busy_{false};
  std::unique_ptr<WindowRunner> owned_;  // until Prepare
  std::unique_ptr<Bolt> active_;
  StatefulWindowedBolt* user_;
};

// The built-in reducers. Sums and minimums of ints stay ints; a double
// anywhere makes the result a double.
Value Add(const Value& a, const Value& b, int sign) {
  if (a.type() == ValueType::kInt && b.type() == ValueType::kInt) {
    return sign > 0 ? a.AsInt() + b.AsInt() : a.AsInt() - b.AsInt();
  }
  auto num = [](const Value& v) {
    if (v.type() == ValueType::kInt) return static_cast<double>(v.AsInt());
    return v.AsDouble();  // throws naming the type for anything else
  };
  return sign > 0 ? num(a) + num(b) : num(a) - num(b);
}

class WindowSum : public WindowReducer {
 public:
  void Reduce(Value& acc, const Value& v) const override { acc = Add(acc, v, 1); }
  bool HasInverse() const override { return true; }
  void Inverse(Value& acc, const Value& out) const override { acc = Add(acc, out, -1); }
};

class WindowCount final : public WindowSum {
 public:
  bool CountsTuples() const override { return true; }
};

bool Less(const Value& a, const Value& b) {
  if (a.type() == ValueType::kInt && b.type() == ValueType::kInt) return a.AsInt() < b.AsInt();
  if (a.type() == ValueType::kString && b.type() == ValueType::kString) {
    return a.AsString() < b.AsString();
  }
  auto num = [](const Value& v) {
    if (v.type() == ValueType::kInt) return static_cast<double>(v.AsInt());
    return v.AsDouble();
  };
  return num(a) < num(b);
}

class WindowMin final : public WindowReducer {
 public:
  void Reduce(Value& acc, const Value& v) const override {
    if (Less(v, acc)) acc = v;
  }
};

class WindowMax final : public WindowReducer {
 public:
  void Reduce(Value& acc, const Value& v) const override {
    if (Less(acc, v)) acc = v;
  }
};

template <typename T>
std::unique_ptr<Bolt> MakeBuiltin() {
  return RunReducer(std::make_unique<T>());
}

}  // namespace

std::unique_ptr<Bolt> RunWindowed(std::unique_ptr<WindowedBolt> bolt) {
  return std::make_unique<WindowBolt>(std::make_unique<WindowedBoltRunner>(std::move(bolt)),
                                      nullptr);
}

std::unique_ptr<Bolt> RunStatefulWindowed(std::unique_ptr<StatefulWindowedBolt> bolt) {
  StatefulWindowedBolt* user = bolt.get();
  return std::make_unique<WindowBolt>(std::make_unique<WindowedBoltRunner>(std::move(bolt)), user);
}

std::unique_ptr<Bolt> RunReducer(std::unique_ptr<WindowReducer> reducer) {
  return std::make_unique<WindowBolt>(std::make_unique<WindowReduceRunner>(std::move(reducer)),
                                      nullptr);
}

const std::vector<PluginClass>& BuiltinClasses() {
  static const std::vector<PluginClass> classes = {
      {"gale.WindowSum", ComponentKind::kBolt, nullptr, &MakeBuiltin<WindowSum>},
      {"gale.WindowCount", ComponentKind::kBolt, nullptr, &MakeBuiltin<WindowCount>},
      {"gale.WindowMin", ComponentKind::kBolt, nullptr, &MakeBuiltin<WindowMin>},
      {"gale.WindowMax", ComponentKind::kBolt, nullptr, &MakeBuiltin<WindowMax>},
  };
  return classes;
}

}  // namespace gale::window
