// core/include/gale/basic_bolt.h
//
// BasicBolt is the simpler bolt, like Storm's IBasicBolt: every emit is
// anchored to the current input, the input is acked when Execute() returns,
// and failed when it throws. Throw FailedException to fail the input without
// reporting an error; any other exception fails it and reports its message.
#pragma once

#include <gale/bolt.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace gale {

class FailedException : public std::runtime_error {
 public:
  explicit FailedException(const std::string& why = "failed") : std::runtime_error(why) {}
};

// Emits anchored to the input being executed. Valid during Execute() only.
class BasicOutputCollector {
 public:
  BasicOutputCollector(OutputCollector& out, const Tuple& input) : out_(out), input_(input) {}
  TaskIds Emit(Values v) { return out_.Emit(input_, std::move(v)); }
  TaskIds Emit(Stream s, Values v) { return out_.Emit(s, input_, std::move(v)); }
  void EmitDirect(int32_t task, Values v) { out_.EmitDirect(task, input_, std::move(v)); }
  void EmitDirect(int32_t task, Stream s, Values v) {
    out_.EmitDirect(task, s, input_, std::move(v));
  }
  void ResetTimeout() { out_.ResetTimeout(input_); }
  void ReportError(std::string_view message) { out_.ReportError(message); }

 private:
  OutputCollector& out_;
  const Tuple& input_;
};

class BasicBolt {
 public:
  virtual ~BasicBolt() = default;
  virtual void Prepare(const TopologyContext& context) { (void)context; }
  virtual void Execute(const Tuple& input, BasicOutputCollector& collector) = 0;
  virtual void DeclareOutputFields(OutputDeclarer& declarer) const = 0;
  virtual void Cleanup() {}
  // As Bolt::ComponentConfiguration.
  virtual Config ComponentConfiguration() const { return {}; }
};

// Runs a BasicBolt as a Bolt. GALE_REGISTER_BOLT wraps BasicBolts in it.
class BasicBoltAdapter final : public Bolt {
 public:
  explicit BasicBoltAdapter(std::unique_ptr<BasicBolt> bolt) : bolt_(std::move(bolt)) {}
  void Prepare(const TopologyContext& context, OutputCollector& collector) override {
    collector_ = &collector;
    bolt_->Prepare(context);
  }
  void Execute(const Tuple& input) override {
    BasicOutputCollector basic(*collector_, input);
    try {
      bolt_->Execute(input, basic);
    } catch (const FailedException&) {
      if (!input.IsTick()) collector_->Fail(input);
      return;
    }
    // Any other exception propagates: the executor fails the input and
    // reports the error. Tick tuples are not acked: they are in no tree.
    if (!input.IsTick()) collector_->Ack(input);
  }
  void DeclareOutputFields(OutputDeclarer& declarer) const override {
    bolt_->DeclareOutputFields(declarer);
  }
  void Cleanup() override { bolt_->Cleanup(); }
  Config ComponentConfiguration() const override { return bolt_->ComponentConfiguration(); }

 private:
  std::unique_ptr<BasicBolt> bolt_;
  OutputCollector* collector_ = nullptr;
};

}  // namespace gale
