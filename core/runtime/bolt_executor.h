// core/runtime/bolt_executor.h
//
// Runs the tasks of one bolt component (or of the acker): takes batches of
// input, calls Execute() for each tuple, and implements the bolt side of
// acking in its collector: an anchored emit draws an edge id per (anchor,
// target task), XORs it into the anchor's ack value and into the new tuple's
// roots; Ack(input) sends (root, input edge XOR the children's edges) to the
// root's acker; Fail and ResetTimeout send the root. An exception thrown by
// Execute() fails the input and is reported; the executor carries on.
//
// Threading: all bolt callbacks run on this executor's thread.
#pragma once

#include "core/runtime/executor.h"
#include "core/runtime/polled.h"
#include "core/state/aligner.h"
#include "core/state/checkpoint.h"

#include <gale/bolt.h>

#include <chrono>
#include <memory>
#include <vector>

namespace gale::runtime {

class BoltExecutor final : public Executor {
 public:
  BoltExecutor(WorkerShared& shared, const plan::ExecutorPlan& plan,
               std::vector<std::unique_ptr<Bolt>> bolts);
  ~BoltExecutor() override;
  // False while a Polled bolt is Busy() (polled.h); true otherwise, as for
  // any bolt executor.
  bool Finished() const override;
  bool TakeInline(Batch& batch) override;

 private:
  class Collector;

  void Run() override;
  bool OpenOnHost() override { return PrepareAll(); }
  bool StepOnHost() override;
  void CloseOnHost() override { CleanupAll(); }
  bool PendingOnHost() const override { return blocked() || !input_.empty(); }
  // Prepare() of every task; false (Fatal recorded) when one threw.
  bool PrepareAll();
  void CleanupAll();
  // One pass of the loop once unblocked: pops its queue when nothing
  // popped is left (waiting up to `wait`), executes, polls, flushes. True
  // when it did any work.
  bool Pass(Nanos wait);
  // Executes what was popped and is left, until the end or a refusal.
  void ExecutePopped();
  // Executes input[from...] until the end or until a destination refuses
  // a batch (then after the input being executed); returns where it stopped.
  size_t DeliverBatch(Batch& input, size_t from);
  void Deliver(Envelope& e);
  // A batch of rows (gale/rows.h) for task `i`: to the bolt's ExecuteRows,
  // or row by row to Execute.
  void DeliverRows(size_t i, const Tuple& batch);
  void Execute(size_t task_index, const Tuple& input);
  // Execute() past the barrier aligner (exactly once).
  void ExecuteNow(size_t task_index, const Tuple& input);
  // The bolt's Execute(), guarded; fails the input when it throws.
  void RunBolt(size_t task_index, const Tuple& input);
  class AlignHandler;
  // A bolt that is not stateful passes the checkpoint on once it has it
  // from every input task (Storm's CheckpointTupleForwarder).
  void ForwardCheckpoint(size_t task_index, const Tuple& input);
  // When the input batch being executed started (process latency).
  std::chrono::steady_clock::time_point batch_start() const { return batch_start_; }

  std::vector<std::unique_ptr<Bolt>> bolts_;
  // The batches PopAll() took, and where to go on in them: once a
  // destination refuses a batch, the rest waits here, in order, until the
  // executor is unblocked. So the executor holds what it popped (at most a
  // queue's worth) plus the emits of one input, whatever its bolt's fan-out.
  std::vector<Batch> input_;
  size_t batch_ = 0, next_ = 0;
  std::chrono::steady_clock::time_point batch_start_{};
  // topology.stats.enabled: inputs of the batch being executed, per input.
  LineArray<uint64_t> batch_inputs_;
  std::vector<std::unique_ptr<Collector>> collectors_;
  std::vector<std::unique_ptr<TopologyContext>> contexts_;
  // The acker's executor: its "executed" counts the acks in each pack.
  const bool acker_ = component_.role == plan::Role::kAcker;
  // Per task, when this bolt forwards checkpoints (empty otherwise).
  std::vector<state::CheckpointBarrier> checkpoint_barriers_;
  // Exactly once (core/state/README.md): per task, the barrier aligner,
  // whether a data tuple failed since the last checkpoint (the next PREPARE
  // then fails, so everything rolls back and replays), and the count of
  // stale tuples dropped.
  bool exactly_once_ = false;
  bool stateful_ = false;
  std::vector<state::BarrierAligner<Tuple>> aligners_;
  std::vector<uint8_t> tainted_;
  std::vector<Counter> dropped_;
  // Bolts that get work from another thread too (polled.h), with their task index.
  std::vector<std::pair<size_t, Polled*>> polled_;
};

}  // namespace gale::runtime
