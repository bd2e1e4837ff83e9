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
#include "core/plan/topology_plan.h"
#include "core/plugin/loader.h"
#include "core/runtime/executor.h"
#include "core/runtime/stats.h"
#include "core/runtime/user_metrics.h"
#include "core/tuple/tuple_codec.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace gale::runtime {

struct HostedAcker;

struct WorkerOptions {
  // Indices into plan.executors() to run here; empty: all of them.
  std::vector<size_t> executors;
  // Where tuples for tasks of other workers go (cluster mode): its
  // destinations are the other workers (worker/cluster_transfer.h).
  // Required when some executors run elsewhere.
  Transfer* remote = nullptr;
};

// One executor's identity and counters, for heartbeats.
struct ExecutorReport {
  std::string component;
  int32_t task_start;
  int32_t task_end;
  StatsSnapshot stats;
  std::vector<UserMetricSample> metrics;  // what its tasks registered
};

// An executor whose thread had not ended when StopUntil() stopped waiting.
struct StuckExecutor {
  std::string component;
  int32_t task_start;
  int32_t task_end;
  // For an acker run on a spout executor's thread, or a chained bolt: that executor, as
  // ToString() writes it; "" otherwise.
  std::string host;
  // "split (tasks 4-5)", "sentences (task 3)", "__acker (task 1, on the
  // thread of sentences (task 3))".
  std::string ToString() const;
};

struct ComponentStats {
  std::string component;
  plan::Role role;
  int executors = 0;
  int tasks = 0;
  StatsSnapshot stats;
};

class WorkerRuntime final : public Transfer, public grouping::TaskLoads {
 public:
  // Runs every executor of `plan`. `plan`, `classes` and `clock` outlive it.
  static Result<std::unique_ptr<WorkerRuntime>> Create(const plan::TopologyPlan& plan,
                                                       const plugin::ClassRegistry& classes,
                                                       const Clock& clock,
                                                       WorkerOptions options = {});
  ~WorkerRuntime() override;

  void Start();
  // Stops every executor (spouts Close(), bolts Cleanup() on their own
  // threads) and the timer, waiting as long as that takes. Idempotent.
  void Stop();
  // The same, but waits for the executors' threads only until `deadline`,
  // or until `give_up()` (polled every 10 ms) returns true; returns the
  // executors still running then, empty when every thread ended and was
  // joined. A thread still running (stuck in user code) cannot be joined:
  // a caller that gets a non-empty list must end the process (_exit)
  // without destroying this WorkerRuntime, whose destructor would wait for
  // those threads forever (worker/README.md, "Stopping").
  std::vector<StuckExecutor> StopUntil(std::chrono::steady_clock::time_point deadline,
                                       const std::function<bool()>& give_up = {});

  // Activate / deactivate the spouts (NextTuple is called only while active).
  // Also ends every executor's wait, so that a spout sleeping until its
  // WakeAt time (or its idle poll) sees the change at once.
  void SetActive(bool active) {
    shared_->active.store(active);
    for (auto& e : executors_) {
      if (e) e->queue().Wake();
    }
  }

  // True when every spout says it is exhausted, no tree is pending and no
  // tuple is queued or being processed anywhere in this worker.
  bool Quiescent() const;
  // True when no tuple or tick is queued or being processed; spouts may
  // still emit more. Meaningful for a worker that runs every executor (local
  // mode): tuples to or from other workers are not counted on both sides.
  bool Idle() const;

  // The timer's loop count; a test that moves an injected clock waits for
  // two more rounds to know the timer has seen the new time.
  uint64_t timer_rounds() const { return timer_rounds_.load(); }
  void PokeTimer() { timer_cv_.notify_all(); }

  // Per component, in plan order (sorted by id, `__acker` included).
  std::vector<ComponentStats> Stats() const;

  // Per executor run here.
  std::vector<ExecutorReport> ExecutorReports() const;

  // Hands tuples that arrived from another worker to the local executors
  // (moving their values out), waiting while a target queue is full (until
  // Stop); returns how many it took: all of them. A tuple for a task not
  // run here, of an unknown stream or of the wrong arity is dropped and
  // counted. Called by the transport's receiver thread.
  size_t DeliverRemote(std::span<tuple::WireTuple> tuples);
  // The same for a whole frame as it came (the codec frame after the
  // transport's stamp), decoded straight into the executors' envelopes:
  // returns how many tuples it held, or the frame's decode error, having
  // delivered none of them (and counted no drop) then.
  Result<size_t> DeliverFrame(std::string_view frame);
  uint64_t dropped_tuples() const { return dropped_.load(); }

  // Why a task could not start (its Open/Prepare threw; the error is also
  // in its component's errors), or "" while all is well. A worker with a
  // fatal reason cannot run its part of the topology and should stop.
  std::string Fatal() const {
    std::lock_guard<std::mutex> lock(shared_->fatal_mu);
    return shared_->fatal;
  }
  // The component and task of Fatal(), when known ("", -1 otherwise).
  std::pair<std::string, int32_t> FatalPlace() const {
    std::lock_guard<std::mutex> lock(shared_->fatal_mu);
    return {shared_->fatal_component, shared_->fatal_task};
  }

  // Transfer: destinations are the local executors, then the remote peers.
  int destination_count() const override { return local_count_ + remote_peers_; }
  int DestinationOf(int32_t task) const override {
    return task > 0 && static_cast<size_t>(task) < task_destination_.size()
               ? task_destination_[static_cast<size_t>(task)]
               : -1;
  }
  bool TryDeliver(int destination, std::vector<Envelope>& batch) override {
    if (destination < local_count_) {
      return executors_[static_cast<size_t>(destination)]->queue().TryPush(batch);
    }
    return options_.remote->TryDeliver(destination - local_count_, batch);
  }
  bool IsRemote(int destination) const override { return destination >= local_count_; }
  bool ForceDeliver(int destination, std::vector<Envelope>& batch) override {
    if (destination >= local_count_) return false;  // the transport has no such way
    executors_[static_cast<size_t>(destination)]->queue().ForcePushAll(batch);
    return true;
  }

  // TaskLoads, for the load-aware shuffle: a local task's load is its
  // executor's input queue fill, another worker's what the remote transfer
  // says (worker/cluster_transfer.h); a local task's busy share is the part
  // of the last 100 ms its executor spent executing (the timer thread
  // measures it).
  double Load(int32_t task) const override {
    const int d = DestinationOf(task);
    if (d < 0) return 0.0;
    if (d >= local_count_) return options_.remote->DestinationLoad(d - local_count_);
    const auto i = static_cast<size_t>(d);
    return i < executors_.size() ? executors_[i]->queue().Fill() : 0.0;
  }
  double Busy(int32_t task) const override {
    const int d = DestinationOf(task);
    if (d < 0 || d >= local_count_) return 0.0;
    return busy_[static_cast<size_t>(d)].load(std::memory_order_relaxed);
  }
  grouping::Locality LocalityOf(int32_t task) const override {
    const int d = DestinationOf(task);
    if (d < 0) return grouping::Locality::kEverywhere;
    if (d >= local_count_) return options_.remote->LocalityOfTask(task);
    return grouping::Locality::kWorker;
  }

 private:
  WorkerRuntime(const plan::TopologyPlan& plan, const Clock& clock, WorkerOptions options);
  void TimerLoop();
  // On the timer thread: each executor's busy share since the last call.
  struct BusySample {
    std::chrono::steady_clock::time_point at;
    std::vector<uint64_t> execute_nanos;
    // Each executor's shares over the last three intervals: the busy share
    // is their maximum, since execute time is counted when an input batch
    // ends, and a batch longer than an interval leaves one empty.
    std::vector<std::array<double, 3>> shares;
    size_t next = 0;
  };
  void UpdateBusy(BusySample& last);

  const plan::TopologyPlan& plan_;
  const Clock& clock_;
  std::unique_ptr<WorkerShared> shared_;
  // Acker executors run by a spout executor (executors_[host]); they
  // outlive the executors.
  struct Hosted {
    std::unique_ptr<HostedAcker> acker;
    size_t host;
  };
  std::vector<Hosted> hosted_;
  std::vector<std::unique_ptr<Executor>> executors_;
  WorkerOptions options_;
  int local_count_ = 0;
  int remote_peers_ = 0;
  std::vector<int> task_destination_;                         // task id -> destination; -1: nowhere
  std::vector<std::vector<Envelope>> remote_scratch_;         // per local executor
  std::vector<std::vector<Envelope>> remote_system_scratch_;  // acker traffic, likewise
  // The output stream a tuple from another worker names, when it may be
  // delivered here: its target task is run here (`dest`, the executor), its
  // source task and stream exist, it has the stream's arity, and the
  // target's component subscribes to it. nullptr: drop it.
  const plan::OutputStream* RemoteStream(int32_t target_task, int32_t source_task, uint32_t stream,
                                         size_t values, int& dest) const;
  std::vector<Envelope>& RemoteBatch(const plan::OutputStream& stream, int dest) {
    // Acker traffic never waits behind a full queue: it is what lets a
    // blocked pipeline drain (its volume is bounded by the data's).
    return stream.system ? remote_system_scratch_[static_cast<size_t>(dest)]
                         : remote_scratch_[static_cast<size_t>(dest)];
  }
  // Hands the scratch batches to the executors' queues (see DeliverRemote).
  void PushRemote();
  std::atomic<uint64_t> dropped_{0};

  std::thread timer_;
  std::mutex timer_mu_;
  std::condition_variable timer_cv_;
  bool stopping_ = false;
  std::atomic<uint64_t> timer_rounds_{0};
  std::atomic<uint64_t> ticks_sent_{0};  // counted as sent, like tuples
  // Per executor: the share of the last busy intervals it spent executing
  // (0 to 1), written by the timer thread (UpdateBusy), read by Busy().
  std::unique_ptr<std::atomic<double>[]> busy_;
  bool started_ = false;
};

}  // namespace gale::runtime
