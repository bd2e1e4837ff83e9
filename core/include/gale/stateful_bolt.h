// core/include/gale/stateful_bolt.h
//
// A StatefulBolt keeps a KeyValueState that Gale checkpoints (Storm 2's
// IStatefulBolt / BaseStatefulBolt<KeyValueState>):
//
//   class WordCount : public gale::StatefulBolt {
//     void InitState(gale::KeyValueState& s) override { counts_ = &s; }
//     void Execute(const gale::Tuple& t) override {
//       const auto& w = t.GetString("word");
//       counts_->Put(w, counts_->Get(w, int64_t{0}).AsInt() + 1);
//       out_->Ack(t);
//     }
//     ...
//   };
//   GALE_REGISTER_BOLT(WordCount);
//
// With a stateful bolt in a topology, Gale adds a checkpoint spout
// ($checkpointspout) that every topology.state.checkpoint.interval.ms (1000)
// sends PREPARE then COMMIT on the $checkpoint stream through every bolt.
// A bolt saves its state once it has the checkpoint from all its inputs,
// then forwards it; a failed checkpoint rolls every stateful bolt back to
// the last committed state. Acks are held until the state that includes the
// input is committed, so a rollback fails (and replays) exactly the inputs
// not in the committed state. The state lives in topology.state.provider:
// memory, rocksdb (the worker's disk) or redis (core/state/README.md).
//
// Execute() runs only after InitState(); inputs that arrive before it wait.
#pragma once

#include <gale/config.h>
#include <gale/output_collector.h>
#include <gale/output_declarer.h>
#include <gale/state.h>
#include <gale/topology_context.h>
#include <gale/tuple.h>

#include <cstdint>

namespace gale {

class StatefulBolt {
 public:
  virtual ~StatefulBolt() = default;
  virtual void Prepare(const TopologyContext& context, OutputCollector& collector) {
    (void)context;
    (void)collector;
  }
  // The state as last committed (empty the first time). It stays valid for
  // the bolt's life; Gale rolls it back in place.
  virtual void InitState(KeyValueState& state) = 0;
  virtual void Execute(const Tuple& input) = 0;
  virtual void DeclareOutputFields(OutputDeclarer& declarer) const = 0;
  virtual void Cleanup() {}
  // Hooks around the checkpoint's phases (Storm's).
  virtual void PrePrepare(int64_t txid) { (void)txid; }
  virtual void PreCommit(int64_t txid) { (void)txid; }
  virtual void PreRollback() {}
  // As Bolt::ComponentConfiguration.
  virtual Config ComponentConfiguration() const { return {}; }
};

}  // namespace gale
