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

#include "core/acking/rotating_map.h"
#include "core/runtime/executor.h"

#include <gale/spout.h>

#include <memory>
#include <vector>

namespace gale::runtime {

class SpoutExecutor final : public Executor {
 public:
  SpoutExecutor(WorkerShared& shared, const ExecutorPlan& plan,
                std::vector<std::unique_ptr<Spout>> spouts);
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
  void Process(Envelope& e);
  // Processes and recycles what PopAll() returned; true when it held anything.
  bool ProcessAll(std::vector<Batch>& input);
  void Complete(uint64_t root, bool acked);
  bool CanEmit();
  void UpdateFinished();
  void SetActive(bool active);

  std::vector<std::unique_ptr<Spout>> spouts_;
  std::vector<std::unique_ptr<Collector>> collectors_;
  std::vector<std::unique_ptr<TopologyContext>> contexts_;
  acking::RotatingMap<uint64_t, Pending> pending_{2};
  size_t max_pending_ = 0;  // per executor; 0: no limit
  bool active_ = false;
  uint64_t emits_ = 0;      // reliable or not, counted by the collectors
  std::atomic<bool> finished_{false};
};

}  // namespace gale::runtime
