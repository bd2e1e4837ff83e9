// The exclamation topology's plugin, after Storm's ExclamationTopology: a
// word spout and a bolt that appends "!!!".
#include <gale/gale.h>

#include <array>
#include <iostream>
#include <string>

namespace exclamation {

// Emits words from a fixed list, reliably. Config: words.count (0: forever).
class WordSpout : public gale::Spout {
 public:
  void Open(const gale::TopologyContext& context, gale::SpoutOutputCollector& collector) override {
    collector_ = &collector;
    limit_ = context.config().GetInt("words.count", 0);
  }
  void NextTuple() override {
    if (limit_ > 0 && emitted_ >= limit_) return;
    static constexpr std::array<const char*, 5> kWords = {"nathan", "mike", "jackson", "golda",
                                                          "bertels"};
    collector_->Emit({kWords[static_cast<size_t>(emitted_) % kWords.size()]},
                     gale::MessageId{static_cast<uint64_t>(emitted_)});
    ++emitted_;
  }
  void Ack(gale::MessageId) override { ++acked_; }
  void Fail(gale::MessageId) override { ++failed_; }
  bool IsExhausted() const override { return limit_ > 0 && acked_ + failed_ >= limit_; }
  void DeclareOutputFields(gale::OutputDeclarer& declarer) const override {
    declarer.Declare({"word"});
  }

 private:
  gale::SpoutOutputCollector* collector_ = nullptr;
  int64_t limit_ = 0, emitted_ = 0, acked_ = 0, failed_ = 0;
};

// Appends "!!!" to the first field. A BasicBolt: anchored and acked for us.
class ExclamationBolt : public gale::BasicBolt {
 public:
  void Execute(const gale::Tuple& input, gale::BasicOutputCollector& collector) override {
    collector.Emit({input.GetString(0) + "!!!"});
  }
  void DeclareOutputFields(gale::OutputDeclarer& declarer) const override {
    declarer.Declare({"word"});
  }
};

// Prints what it receives when `print.every` (default 1000) divides the count.
class PrinterBolt : public gale::BasicBolt {
 public:
  void Prepare(const gale::TopologyContext& context) override {
    every_ = context.config().GetInt("print.every", 1000);
  }
  void Execute(const gale::Tuple& input, gale::BasicOutputCollector&) override {
    if (every_ > 0 && ++seen_ % every_ == 0) {
      std::cout << seen_ << ": " << input.GetString(0) + "\n" << std::flush;
    }
  }
  void DeclareOutputFields(gale::OutputDeclarer&) const override {}

 private:
  int64_t every_ = 1000, seen_ = 0;
};

GALE_REGISTER_SPOUT(WordSpout);
GALE_REGISTER_BOLT(ExclamationBolt);
GALE_REGISTER_BOLT(PrinterBolt);

}  // namespace exclamation
