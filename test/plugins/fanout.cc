// A plugin for the memory-under-backpressure test: a spout of short lines
// as fast as it is allowed, a bolt that emits many words per line, and a
// slow last bolt. Unreliable throughout (no message ids).
//
// LineSpout: emits ["the quick brown fox jumps over the lazy dog"] on every
//   NextTuple.
// FanOutBolt: emits `fanout.words` (default 1000) words per input, the
//   line's words in turn, unanchored.
// BusyBolt: busy-waits `busy.micros` (default 2) per input, reading only
//   the steady clock, and emits nothing.
// SleepBolt: sleeps `sleep.micros` (default 1000) per input, then acks it
//   and emits nothing: a bolt that is always busy without using the CPU
//   (the load-aware shuffle's cluster test).
#include <gale/gale.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

class LineSpout : public gale::Spout {
 public:
  void Open(const gale::TopologyContext&, gale::SpoutOutputCollector& c) override { c_ = &c; }
  void NextTuple() override {
    c_->Emit({gale::Value("the quick brown fox jumps over the lazy dog")});
  }
  void DeclareOutputFields(gale::OutputDeclarer& d) const override { d.Declare({"line"}); }

 private:
  gale::SpoutOutputCollector* c_ = nullptr;
};
GALE_REGISTER_SPOUT(LineSpout);

class FanOutBolt : public gale::Bolt {
 public:
  void Prepare(const gale::TopologyContext& ctx, gale::OutputCollector& c) override {
    c_ = &c;
    words_ = ctx.config().GetInt("fanout.words", 1000);
  }
  void Execute(const gale::Tuple& input) override {
    const std::string& line = input.GetString(0);
    split_.clear();
    for (size_t start = 0; start < line.size();) {
      size_t end = line.find(' ', start);
      if (end == std::string::npos) end = line.size();
      if (end > start) split_.push_back(line.substr(start, end - start));
      start = end + 1;
    }
    if (split_.empty()) return;
    for (int64_t i = 0; i < words_; ++i) {
      c_->Emit({gale::Value(split_[static_cast<size_t>(i) % split_.size()])});
    }
  }
  void DeclareOutputFields(gale::OutputDeclarer& d) const override { d.Declare({"word"}); }

 private:
  gale::OutputCollector* c_ = nullptr;
  int64_t words_ = 1000;
  std::vector<std::string> split_;
};
GALE_REGISTER_BOLT(FanOutBolt);

class BusyBolt : public gale::Bolt {
 public:
  void Prepare(const gale::TopologyContext& ctx, gale::OutputCollector&) override {
    busy_ = std::chrono::microseconds(ctx.config().GetInt("busy.micros", 2));
  }
  void Execute(const gale::Tuple&) override {
    const auto until = std::chrono::steady_clock::now() + busy_;
    while (std::chrono::steady_clock::now() < until) {}
  }
  void DeclareOutputFields(gale::OutputDeclarer&) const override {}

 private:
  std::chrono::microseconds busy_{2};
};
GALE_REGISTER_BOLT(BusyBolt);

class SleepBolt : public gale::Bolt {
 public:
  void Prepare(const gale::TopologyContext& ctx, gale::OutputCollector& c) override {
    c_ = &c;
    sleep_ = std::chrono::microseconds(ctx.config().GetInt("sleep.micros", 1000));
  }
  void Execute(const gale::Tuple& input) override {
    std::this_thread::sleep_for(sleep_);
    c_->Ack(input);
  }
  void DeclareOutputFields(gale::OutputDeclarer&) const override {}

 private:
  gale::OutputCollector* c_ = nullptr;
  std::chrono::microseconds sleep_{1000};
};
GALE_REGISTER_BOLT(SleepBolt);
