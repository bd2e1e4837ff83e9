// A plugin for the tests of what users see when components fail.
//
// SteadySpout: emits [n] with message id n, at most `faulty.per.second`
//   (default 100) a second; failed trees are not replayed.
// NoFileSpout: its Open throws, as a spout whose input file is missing.
// SegfaultBolt: its `faulty.after`-th input (default 1) makes it write
//   through a null pointer: a real SIGSEGV.
// MissingFieldBolt: reads a field its input does not have, so every Execute
//   throws (the classic bolt that floods the log).
#include <gale/gale.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <thread>

class SteadySpout : public gale::Spout {
 public:
  void Open(const gale::TopologyContext& ctx, gale::SpoutOutputCollector& c) override {
    c_ = &c;
    const double rate = ctx.config().GetDouble("faulty.per.second", 100);
    interval_ = std::chrono::microseconds(static_cast<int64_t>(1e6 / (rate > 0 ? rate : 1)));
  }
  void NextTuple() override {
    const auto now = std::chrono::steady_clock::now();
    if (now < next_) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      return;
    }
    next_ = now + interval_;
    ++n_;
    c_->Emit({gale::Value(n_)}, gale::MessageId{static_cast<uint64_t>(n_)});
  }
  void DeclareOutputFields(gale::OutputDeclarer& d) const override { d.Declare({"n"}); }

 private:
  gale::SpoutOutputCollector* c_ = nullptr;
  std::chrono::microseconds interval_{0};
  std::chrono::steady_clock::time_point next_{};
  int64_t n_ = 0;
};
GALE_REGISTER_SPOUT(SteadySpout);

class NoFileSpout : public gale::Spout {
 public:
  void Open(const gale::TopologyContext& ctx, gale::SpoutOutputCollector&) override {
    const std::string file = ctx.config().GetString("lines.file", "/nonexistent/lines.txt");
    throw std::runtime_error("cannot open lines.file '" + file + "': No such file or directory");
  }
  void NextTuple() override {}
  void DeclareOutputFields(gale::OutputDeclarer& d) const override { d.Declare({"line"}); }
};
GALE_REGISTER_SPOUT(NoFileSpout);

class SegfaultBolt : public gale::BasicBolt {
 public:
  void Prepare(const gale::TopologyContext& ctx) override {
    after_ = ctx.config().GetInt("faulty.after", 1);
    // From the config, so that the compiler cannot see it is null.
    target_ = reinterpret_cast<volatile int*>(
        static_cast<uintptr_t>(ctx.config().GetInt("faulty.address", 0)));
  }
  void Execute(const gale::Tuple&, gale::BasicOutputCollector&) override {
    if (++seen_ >= after_) *target_ = 42;
  }
  void DeclareOutputFields(gale::OutputDeclarer&) const override {}

 private:
  int64_t after_ = 1, seen_ = 0;
  volatile int* target_ = nullptr;
};
GALE_REGISTER_BOLT(SegfaultBolt);

class MissingFieldBolt : public gale::BasicBolt {
 public:
  void Execute(const gale::Tuple& input, gale::BasicOutputCollector&) override {
    (void)input.GetString("user");
  }
  void DeclareOutputFields(gale::OutputDeclarer&) const override {}
};
GALE_REGISTER_BOLT(MissingFieldBolt);
