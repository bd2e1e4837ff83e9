#include "core/window/runners.h"

#include "core/topology/window_config.h"
#include "core/tuple/forwarding_collector.h"
#include "core/window/pane_reducer.h"
#include "core/window/tuple_windows.h"

#include <chrono>
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

size_t InputStreams(const TopologyContext& context) { return context.sources().size(); }

class WindowedBoltRunner final : public Bolt, public TupleWindows::Sink {
 public:
  explicit WindowedBoltRunner(std::unique_ptr<WindowedBolt> bolt) : bolt_(std::move(bolt)) {}

  Config ComponentConfiguration() const override { return bolt_->ComponentConfiguration(); }

  void Prepare(const TopologyContext& context, OutputCollector& collector) override {
    out_ = &collector;
    const topology::WindowConfig config = ReadOrThrow(context);
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
    }
  }
  void DeclareOutputFields(OutputDeclarer& declarer) const override {
    bolt_->DeclareOutputFields(declarer);
  }
  void Cleanup() override { bolt_->Cleanup(); }

 private:
  void Execute(const TupleWindow& window) override {
    user_out_->set_window(&window.Get());
    try {
      bolt_->Execute(window);
    } catch (const std::exception& e) {
      out_->ReportError(std::string("Execute(window) threw: ") + e.what());
      for (const Tuple* t : window.GetNew()) out_->Fail(*t);
    }
    user_out_->set_window(nullptr);
  }
  void Expire(const Tuple& t) override { out_->Ack(t); }
  void Late(const Tuple& t, const std::string& why) override {
    late_.Handle(t, why);
    out_->Ack(t);
  }

  std::unique_ptr<WindowedBolt> bolt_;
  OutputCollector* out_ = nullptr;
  std::unique_ptr<WindowCollector> user_out_;
  std::unique_ptr<TupleWindows> windows_;
  LateHandler late_;
};

std::string ConfigString(const Config& config, std::string_view key) {
  const Value* v = config.Find(key);
  return v && v->type() == ValueType::kString ? v->AsString() : "";
}

class WindowReduceRunner final : public Bolt, public PaneReducer::Sink {
 public:
  explicit WindowReduceRunner(std::unique_ptr<WindowReducer> f) : f_(std::move(f)) {
    code_config_.Set(std::string(topology::kWindowReduceMarker), true);
  }
  Config ComponentConfiguration() const override { return code_config_; }

  void Prepare(const TopologyContext& context, OutputCollector& collector) override {
    out_ = &collector;
    const topology::WindowConfig config = ReadOrThrow(context);
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
    out_->Emit(Values{key, value, end_ms});
  }
  void Late(const Tuple& t, const std::string& why) override { late_.Handle(t, why); }

  std::unique_ptr<WindowReducer> f_;
  Config code_config_;
  OutputCollector* out_ = nullptr;
  std::unique_ptr<PaneReducer> reducer_;
  LateHandler late_;
  Counter slides_, slide_nanos_;
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
  return std::make_unique<WindowedBoltRunner>(std::move(bolt));
}

std::unique_ptr<Bolt> RunReducer(std::unique_ptr<WindowReducer> reducer) {
  return std::make_unique<WindowReduceRunner>(std::move(reducer));
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
