#include <gale/gale.h>

#include <cctype>
#include <string>

// Emits each word of a small list, reliably, a fixed number of times.
class ListSpout : public gale::Spout {
 public:
  void Open(const gale::TopologyContext& ctx, gale::SpoutOutputCollector& out) override {
    out_ = &out;
    limit_ = ctx.config().GetInt("list.count", 100);
  }
  void NextTuple() override {
    if (emitted_ >= limit_) return;
    static const char* kWords[] = {"storm", "gale", "breeze"};
    out_->Emit({kWords[emitted_ % 3]}, gale::MessageId{static_cast<uint64_t>(emitted_)});
    ++emitted_;
  }
  void Ack(gale::MessageId) override { ++done_; }
  void Fail(gale::MessageId) override { ++done_; }
  bool IsExhausted() const override { return done_ >= limit_; }
  void DeclareOutputFields(gale::OutputDeclarer& d) const override { d.Declare({"word"}); }

 private:
  gale::SpoutOutputCollector* out_ = nullptr;
  int64_t limit_ = 0, emitted_ = 0, done_ = 0;
};

// Upper-cases words.
class ShoutBolt : public gale::BasicBolt {
 public:
  void Execute(const gale::Tuple& in, gale::BasicOutputCollector& out) override {
    std::string s = in.GetString("word");
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out.Emit({s});
  }
  void DeclareOutputFields(gale::OutputDeclarer& d) const override { d.Declare({"shout"}); }
};

GALE_REGISTER_SPOUT(ListSpout);
GALE_REGISTER_BOLT(ShoutBolt);
