// core/runtime/worker_runtime.h
//
// WorkerRuntime runs a set of a topology's executors in this process: it
// creates the spout and bolt instances (one per task) from the plugins, one
// thread per executor, routes tuples between them through their queues, and
// sends tick tuples from one timer thread. Local mode runs every executor of
// the topology in one WorkerRuntime; a cluster worker runs those assigned to
// its slot.
//
// Threading: Start(), Stop() and the destructor on one controlling thread;
// SetActive(), Quiescent() and Stats() from any thread.
#pragma once

#include "core/common/clock.h"
#include "core/common/result.h"
#include "core/plugin/loader.h"
#include "core/runtime/executor.h"
#include "core/runtime/stats.h"
#include "core/runtime/topology_plan.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gale::runtime {

struct ComponentStats {
  std::string component;
  Role role;
  int executors = 0;
  int tasks = 0;
  StatsSnapshot stats;
};

class WorkerRuntime final : public Transfer {
 public:
  // Runs every executor of `plan`. `plan`, `classes` and `clock` outlive it.
  static Result<std::unique_ptr<WorkerRuntime>> Create(const TopologyPlan& plan,
                                                       const plugin::ClassRegistry& classes,
                                                       const Clock& clock);
  ~WorkerRuntime() override;

  void Start();
  // Stops every executor (spouts Close(), bolts Cleanup() on their own
  // threads) and the timer. Idempotent.
  void Stop();

  // Activate / deactivate the spouts (NextTuple is called only while active).
  void SetActive(bool active) { shared_->active.store(active); }

  // True when every spout says it is exhausted, no tree is pending and no
  // tuple is queued or being processed anywhere in this worker.
  bool Quiescent() const;
  // True when no tuple is queued or being processed (ticks aside); spouts
  // may still emit more.
  bool Idle() const;

  // The timer's loop count; a test that moves an injected clock waits for
  // two more rounds to know the timer has seen the new time.
  uint64_t timer_rounds() const { return timer_rounds_.load(); }
  void PokeTimer() { timer_cv_.notify_all(); }

  // Per component, in plan order (sorted by id, `__acker` included).
  std::vector<ComponentStats> Stats() const;

  // Transfer
  int destination_count() const override { return static_cast<int>(plan_.executors().size()); }
  int DestinationOf(int32_t task) const override {
    return task > 0 && static_cast<size_t>(task) < task_executor_.size()
               ? task_executor_[static_cast<size_t>(task)]
               : -1;
  }
  bool TryDeliver(int destination, std::vector<Envelope>& batch) override {
    return executors_[static_cast<size_t>(destination)]->queue().TryPush(batch);
  }

 private:
  WorkerRuntime(const TopologyPlan& plan, const Clock& clock);
  void TimerLoop();

  const TopologyPlan& plan_;
  const Clock& clock_;
  std::unique_ptr<WorkerShared> shared_;
  std::vector<std::unique_ptr<Executor>> executors_;
  std::vector<int> task_executor_;  // task id -> executor index; -1 elsewhere

  std::thread timer_;
  std::mutex timer_mu_;
  std::condition_variable timer_cv_;
  bool stopping_ = false;
  std::atomic<uint64_t> timer_rounds_{0};
  std::atomic<uint64_t> ticks_sent_{0};  // counted as sent, like tuples
  bool started_ = false;
};

}  // namespace gale::runtime
