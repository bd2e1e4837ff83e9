// A spout that emits `blocking.after` sentences (default 20), then blocks
// in NextTuple() for an hour, as a spout waiting on a dead source would:
// the stop deadline's tests. Before it blocks it writes
// "BlockingSpout task N blocks in NextTuple" to stderr, so that a test knows
// the executor is stuck before it asks the process to stop.
#include <gale/gale.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

class BlockingSpout : public gale::Spout {
 public:
  void Open(const gale::TopologyContext& context, gale::SpoutOutputCollector& collector) override {
    collector_ = &collector;
    after_ = context.config().GetInt("blocking.after", 20);
    task_ = context.task_id();
  }

  void NextTuple() override {
    if (emitted_ < after_) {
      collector_->Emit({"sentence number " + std::to_string(emitted_)},
                       gale::MessageId{static_cast<uint64_t>(emitted_)});
      ++emitted_;
      return;
    }
    std::fprintf(stderr, "BlockingSpout task %d blocks in NextTuple\n", static_cast<int>(task_));
    std::fflush(stderr);
    std::this_thread::sleep_for(std::chrono::hours(1));
  }

  void DeclareOutputFields(gale::OutputDeclarer& declarer) const override {
    declarer.Declare({"sentence"});
  }

 private:
  gale::SpoutOutputCollector* collector_ = nullptr;
  int64_t after_ = 20;
  int64_t emitted_ = 0;
  int32_t task_ = 0;
};
GALE_REGISTER_SPOUT(BlockingSpout);
