// core/runtime/spout_executor.h
//
// Runs the tasks of one spout component: calls NextTuple() while the
// topology is active, the executor is not blocked and fewer than
// `topology.max.spout.pending` trees per task are in flight; tracks every
// reliable emit until the acker reports it complete or failed, or its
// timeout expires (a 2-bucket RotatingMap rotated once per message timeout,
// so a tree fails between T and 2T after its last reset); then calls the
// spout's Ack() or Fail() with the message id.
//
// Threading: all spout callbacks run on this executor's thread.
#pragma once

#include "core/acking/acker_bolt.h"
#include "core/acking/rotating_map.h"
#include "core/runtime/executor.h"
#include "core/state/checkpoint.h"

#include <gale/spout.h>

#include <memory>
#include <vector>

namespace gale::runtime {

// An acker executor run on a spout executor's thread: one table per acker
// task, and the stats it reports as an executor of its own. Its execute
// time is measured per input batch and shared among the batch's envelopes
// (the acker's share: its envelopes', however many acks a pack held), so
// it includes the spout's Ack() for the trees it completes; it counts as
// executed the acks it applied; inits applied at the emit count as
// executed in no time.
struct HostedAcker {
  HostedAcker(const plan::ComponentPlan& component, const plan::ExecutorPlan& plan)
      : component(component),
        tasks(plan.tasks),
        tables(plan.tasks.size()),
        ack(component.FindOutput(acking::kAckAckStream)),
        fail(component.FindOutput(acking::kAckFailStream)),
        reset(component.FindOutput(acking::kAckResetTimeoutStream)) {}
  const plan::ComponentPlan& component;
  const std::vector<int32_t> tasks;        // contiguous, ascending
  std::vector<acking::AckerTable> tables;  // by task index
  // The acker's answer streams, for spout tasks of other executors.
  const plan::OutputStream* const ack;
  const plan::OutputStream* const fail;
  const plan::OutputStream* const reset;
  ExecutorStats stats;
  uint64_t batch_executed = 0;  // acker messages (a pack's acks) in the input batch being processed
  uint64_t batch_envelopes = 0;  // its envelopes in that batch
};

class SpoutExecutor final : public Executor {
 public:
  // `hosted`: acker executors run on this thread (owned by the caller,
  // outliving the executor).
  SpoutExecutor(WorkerShared& shared, const plan::ExecutorPlan& plan,
                std::vector<std::unique_ptr<Spout>> spouts, std::vector<HostedAcker*> hosted = {});
  ~SpoutExecutor() override;

  bool Finished() const override { return finished_.load(); }

  // For the collectors.
  struct Pending {
    uint32_t task_index;
    MessageId id;
    int64_t start_nanos;  // -1: complete latency not sampled for this tree
  };
  // Complete latency is measured for one tree in kLatencySample (two clock
  // reads each), as Storm samples it (topology.stats.sample.rate).
  static constexpr uint64_t kLatencySample = 8;
  void Track(uint64_t root, Pending p) { pending_.Put(root, p); }
  void AckAtOnce(uint32_t task_index, MessageId id);

 private:
  class Collector;

  void Run() override;
  // How long an idle round waits for input: 100 us for the first ten idle
  // rounds, then 1 ms, then (after kIdleLongAfter rounds, about a second)
  // topology.spout.idle.max.wait.ms.
  static constexpr int kIdleLongAfter = 1000;
  Nanos IdleWait(int idle) const;
  // A WakeAt time kSpinFrom or more away when first given is slept to
  // kWakeEarly before it, and spun the rest of the way.
  static constexpr Nanos kWakeEarly = std::chrono::microseconds(50);
  static constexpr Nanos kSpinFrom = 10 * kWakeEarly;
  // Spins until `wake`, an input or a stop (at most kWakeEarly).
  void SpinUntil(std::chrono::steady_clock::time_point wake);
  // The earliest WakeAt of the last round when all `asked` tasks (every
  // task) gave one, else max; forgets them all.
  std::chrono::steady_clock::time_point EarliestWake(size_t asked);
  void Process(Envelope& e);
  // A checkpoint for one of our StatefulSpouts: it acts, then the
  // checkpoint goes on to every task it feeds, after what it emitted before
  // (exactly once: core/state/README.md).
  void Checkpoint(int32_t task, const Tuple& input);
  void ProcessAcker(HostedAcker& h, Envelope& e);
  // An init for hosted acker task `acker`, applied at the emit: no message.
  void InitHere(HostedAcker& h, int32_t acker, uint64_t root, uint64_t val, int32_t spout_task);
  // Tells spout task out.spout_task what hosted acker task `acker` decided:
  // on the spot when the task is one of ours, else as the acker's message.
  void Answer(HostedAcker& h, int32_t acker, const acking::AckerTable::Outcome& out);
  // The hosted acker that runs `task`, or null.
  HostedAcker* HostedFor(int32_t task) const {
    return task > 0 && static_cast<size_t>(task) < hosted_by_task_.size()
               ? hosted_by_task_[static_cast<size_t>(task)]
               : nullptr;
  }
  // A new tree's root (NewRoot), drawn one tree ahead: the next one's
  // pending entry and its hosted acker's entry are prefetched now, while
  // this tree's tuples are built (roots are random: each entry is a cache
  // miss of its own).
  uint64_t TakeRoot();
  // Processes and recycles what PopAll() returned; true when it held anything.
  bool ProcessAll(std::vector<Batch>& input);
  void Complete(uint64_t root, bool acked);
  void ResetTimeout(uint64_t root);
  bool CanEmit() const {
    return active_ && !blocked() && (max_pending_ == 0 || pending_.size() < max_pending_);
  }
  void UpdateFinished();
  void SetActive(bool active);

  std::vector<std::unique_ptr<Spout>> spouts_;
  // By task index: the StatefulSpout's checkpoint side, or null. Their
  // emits are not tracked (a rollback replays them).
  std::vector<state::CheckpointedSpout*> checkpointed_;
  const StreamMeta* ack_meta_ = nullptr;   // __ack_pack, with stateful spouts
  const StreamMeta* fail_meta_ = nullptr;  // __ack_fail
  std::vector<int32_t> targets_;
  const std::vector<HostedAcker*> hosted_;
  std::vector<HostedAcker*> hosted_by_task_;  // by task id; null: not hosted here
  std::vector<std::unique_ptr<Collector>> collectors_;
  std::vector<std::unique_ptr<TopologyContext>> contexts_;
  acking::RotatingMap<uint64_t, Pending> pending_{2};
  uint64_t next_root_ = 0;
  bool has_next_root_ = false;
  size_t max_pending_ = 0;  // per executor; 0: no limit
  bool active_ = false;
  uint64_t emits_ = 0;  // reliable or not, counted by the collectors
  // The last WakeAt time slept to, and whether it was far enough to spin.
  std::chrono::steady_clock::time_point spin_wake_;
  bool spin_ = false;
  std::atomic<bool> finished_{false};
};

}  // namespace gale::runtime
