// A plugin for the log tests: plugin code that logs a lot.
//
// CountSpout: emits [n] for n = 1, 2, ... at most `chatty.per.second`
//   (default 200) a second, unreliably.
// ChattyBolt: logs one line per input through its logger, "tuple <n>"
//   followed by `chatty.line.bytes` (default 200) characters of padding;
//   and counts its inputs in user metrics: counter "tuples", gauge "last_n",
//   histogram "n_mod_100" (bounds 10, 50, 90).
#include <gale/gale.h>

#include <chrono>
#include <string>
#include <thread>

class CountSpout : public gale::Spout {
 public:
  void Open(const gale::TopologyContext& ctx, gale::SpoutOutputCollector& c) override {
    c_ = &c;
    const double rate = ctx.config().GetDouble("chatty.per.second", 200);
    interval_ = std::chrono::microseconds(static_cast<int64_t>(1e6 / (rate > 0 ? rate : 1)));
    ctx.logger().Info("counting at ", rate, " a second");
  }
  void NextTuple() override {
    const auto now = std::chrono::steady_clock::now();
    if (now < next_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return;
    }
    next_ = now + interval_;
    c_->Emit({gale::Value(++n_)});
  }
  void DeclareOutputFields(gale::OutputDeclarer& d) const override { d.Declare({"n"}); }

 private:
  gale::SpoutOutputCollector* c_ = nullptr;
  std::chrono::microseconds interval_{0};
  std::chrono::steady_clock::time_point next_{};
  int64_t n_ = 0;
};
GALE_REGISTER_SPOUT(CountSpout);

class ChattyBolt : public gale::BasicBolt {
 public:
  void Prepare(const gale::TopologyContext& ctx) override {
    log_ = &ctx.logger();
    tuples_ = ctx.RegisterCounter("tuples");
    last_ = ctx.RegisterGauge("last_n");
    mod_ = ctx.RegisterHistogram("n_mod_100", {10, 50, 90});
    padding_ = std::string(static_cast<size_t>(ctx.config().GetInt("chatty.line.bytes", 200)), '.');
  }
  void Execute(const gale::Tuple& input, gale::BasicOutputCollector&) override {
    const int64_t n = input.GetInt(0);
    log_->Info("tuple ", n, " ", padding_);
    tuples_.Inc();
    last_.Set(static_cast<double>(n));
    mod_.Record(static_cast<double>(n % 100));
  }
  void DeclareOutputFields(gale::OutputDeclarer&) const override {}

 private:
  const gale::Logger* log_ = nullptr;
  std::string padding_;
  gale::Counter tuples_;
  gale::Gauge last_;
  gale::Histogram mod_;
};
GALE_REGISTER_BOLT(ChattyBolt);
