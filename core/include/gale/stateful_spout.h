// core/include/gale/stateful_spout.h
//
// A StatefulSpout keeps its position (a line number, an offset, a stream id)
// in a KeyValueState that Gale checkpoints with the stateful bolts' state.
// When every spout of a topology is a StatefulSpout, the topology runs
// exactly once (core/state/README.md): checkpoints are barriers that start
// at the spouts, in order with their data; every bolt aligns them; and after
// any failure every task goes back to the last committed checkpoint, the
// spouts to the positions saved with it. Nothing is acked per tuple: a
// StatefulSpout's emits carry no message id (an id given is ignored).
//
//   class Lines : public gale::StatefulSpout {
//     void InitState(gale::KeyValueState& s) override {
//       state_ = &s;
//       next_ = s.Get("next", int64_t{0}).AsInt();   // rewind
//     }
//     void NextTuple() override { if (next_ < n) out_->Emit({line(next_++)}); }
//     void PrePrepare(int64_t) override { state_->Put("next", next_); }
//     ...
//   };
//   GALE_REGISTER_SPOUT(Lines);
//
// InitState() runs before the first NextTuple() and again after every
// rollback: the spout must then go on from what the state holds.
#pragma once

#include <gale/config.h>
#include <gale/output_collector.h>
#include <gale/output_declarer.h>
#include <gale/state.h>
#include <gale/topology_context.h>

#include <cstdint>

namespace gale {

class StatefulSpout {
 public:
  virtual ~StatefulSpout() = default;
  virtual void Open(const TopologyContext& context, SpoutOutputCollector& collector) {
    (void)context;
    (void)collector;
  }
  // The state as last committed (empty the first time); valid for the
  // spout's life. Called again after each rollback.
  virtual void InitState(KeyValueState& state) = 0;
  // As Spout::NextTuple; called only once InitState() has run.
  virtual void NextTuple() = 0;
  virtual void DeclareOutputFields(OutputDeclarer& declarer) const = 0;
  // Hooks around the checkpoint's phases (as StatefulBolt's). PrePrepare is
  // where a spout writes its position into the state: what it emitted
  // before is in the checkpoint, what it emits after is not.
  virtual void PrePrepare(int64_t txid) { (void)txid; }
  virtual void PreCommit(int64_t txid) { (void)txid; }
  virtual void PreRollback() {}
  virtual void Activate() {}
  virtual void Deactivate() {}
  virtual void Close() {}
  // As Spout::IsExhausted; Gale adds that the checkpoint after the last
  // emit has committed.
  virtual bool IsExhausted() const { return false; }
  virtual Config ComponentConfiguration() const { return {}; }
};

}  // namespace gale
