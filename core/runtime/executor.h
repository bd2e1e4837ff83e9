// core/runtime/executor.h
//
// An Executor is one thread running one or more tasks of one component. It
// takes envelopes from its InputQueue and hands what its tasks emit to a
// Transfer, batched per destination: a batch goes out when it is full, and
// every partial batch goes out once the current input batch is processed
// (or, for a spout, after its NextTuple calls of one loop: up to a batch's
// worth of rounds, ended early by a round that emits nothing). So batches
// grow with load and latency stays low when idle.
//
// When a destination refuses a batch (its queue is full) the executor keeps
// it and stops taking new work (bolts stop executing input after the current
// one, spouts stop calling NextTuple) until it is delivered: backpressure,
// with nothing dropped, and memory bounded by the queue and batch sizes plus
// the emits of one input.
//
// Threading: Start() launches the thread; everything else but the stats,
// the counters, RequestStop() and queue() belongs to that thread.
#pragma once

#include "core/common/clock.h"
#include "core/common/random.h"
#include "core/grouping/grouping.h"
#include "core/plan/topology_plan.h"
#include "core/runtime/queue.h"
#include "core/runtime/running_task.h"
#include "core/runtime/stats.h"
#include "core/runtime/user_metrics.h"
#include "core/tuple/tuple_access.h"

#include <gale/rows.h>

#include <atomic>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace gale::runtime {

// Where envelopes go. Destinations are small integers; the executor keeps
// one batch per destination. A worker's runtime is the Transfer its
// executors see (its executors, then the other workers); for the other
// workers it hands batches on to another Transfer, the cluster's
// (worker/cluster_transfer.h), whose destinations are those workers.
class Transfer {
 public:
  virtual ~Transfer() = default;
  virtual int destination_count() const = 0;
  // -1 when no destination runs `task`.
  virtual int DestinationOf(int32_t task) const = 0;
  // Takes all of `batch` (clearing it) or none of it (returning false). An
  // executor offers a refused batch again from the same thread, with at
  // most more envelopes at its end.
  virtual bool TryDeliver(int destination, std::vector<Envelope>& batch) = 0;
  // Whether the destination is another worker process.
  virtual bool IsRemote(int destination) const = 0;
  // Takes all of `batch` even when the destination is full, for the few
  // acker messages that must not wait (Fail, ResetTimeout); false, leaving
  // `batch` untouched, when the destination cannot (a remote one).
  virtual bool ForceDeliver(int destination, std::vector<Envelope>& batch) = 0;
  // For the load-aware shuffle: how full the destination's input is, 0 to 1
  // (thread-safe, cheap), and where it runs.
  virtual double DestinationLoad(int destination) const {
    (void)destination;
    return 0.0;
  }
  // Where `task` runs now (after a live reassignment too).
  virtual grouping::Locality LocalityOfTask(int32_t task) const {
    const int d = DestinationOf(task);
    return d < 0 || IsRemote(d) ? grouping::Locality::kEverywhere : grouping::Locality::kWorker;
  }
};

// Shared by the executors of one worker.
struct WorkerShared {
  const plan::TopologyPlan& plan;
  Transfer& transfer;
  const Clock& clock;
  std::atomic<bool> active{true};    // the topology is ACTIVE: spouts call NextTuple
  std::vector<int32_t> local_tasks;  // tasks of this worker, for LOCAL_OR_SHUFFLE
  // Set when a task could not start (Open/Prepare threw): the worker
  // cannot run the topology and must stop. Guarded by `fatal_mu`.
  std::mutex fatal_mu;
  std::string fatal;
  std::string fatal_component;  // where it happened, when known
  int32_t fatal_task = -1;
  // Chaining, by plan executor: the executor whose thread runs it, itself
  // when it has a thread of its own, -1 when it runs in another worker.
  std::vector<int> thread_of;
  // The worker's loads, for the load-aware shuffle; null when
  // topology.disable.loadaware.messaging (SHUFFLE is then plain).
  const grouping::TaskLoads* loads = nullptr;
};

// `r` with its residue modulo `n` replaced by `want` (< n), keeping r's
// other bits; stays in range when r is near 2^64.
inline uint64_t WithResidue(uint64_t r, uint64_t n, uint64_t want) {
  const uint64_t base = r - r % n;
  return base + want >= base ? base + want : base + want - n;
}

class Executor {
 public:
  Executor(WorkerShared& shared, const plan::ExecutorPlan& plan);
  virtual ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  void Start();
  void RequestStop();
  void Join();
  // True once the thread's Run() has returned (Join() then does not block).
  bool Exited() const { return exited_.load(std::memory_order_acquire); }

  InputQueue& queue() { return queue_; }
  const ExecutorStats& stats() const { return stats_; }
  // The user metrics its tasks registered (gale/metrics.h).
  UserMetrics& user_metrics() { return user_metrics_; }
  const UserMetrics& user_metrics() const { return user_metrics_; }
  // Tuples waiting in the input queue now (locks the queue: not for the hot path).
  size_t queue_depth() const { return queue_.size(); }
  const plan::ComponentPlan& component() const { return component_; }
  const std::vector<int32_t>& tasks() const { return tasks_; }

  // Envelopes sent / fully processed by this executor (processed includes
  // ticks, which the worker's timer counts as sent). Read
  // `processed` of every executor before `sent` of every executor: equal
  // sums then mean nothing was in flight (see Worker::Quiescent()).
  // Each counter has one writer (this executor) storing with release, read
  // with acquire: a processed envelope was counted as sent (by whichever
  // executor sent it) before the queue handed it over, and that is all the
  // counting argument needs; no full fence per tuple.
  uint64_t sent() const { return sent_.load(std::memory_order_acquire); }
  uint64_t processed() const { return processed_.load(std::memory_order_acquire); }
  // A spout executor whose spouts are all exhausted with no tree pending.
  virtual bool Finished() const { return true; }

  // ---- Chaining (README.md, "Chaining"); before Start(). ----
  // Runs this executor on `host`'s thread: Start() starts no thread; the
  // host prepares it, steps it (its own queue: ticks, other producers)
  // every loop, and cleans it up; a push into its queue wakes the host.
  // Executors are added parents first.
  void RunOn(Executor& host);
  // Batches for destination `dest` go to `to` by a call on this thread
  // (TakeInline), not through its queue: `to` runs on this thread, below
  // this executor in its chain.
  void DeliverInline(int dest, Executor& to);
  // The executor whose thread runs this one; null when it has its own.
  const Executor* host() const { return host_; }
  // For an executor run on this thread (DeliverInline): executes all of
  // `batch` (emptying it) or none of it (false: it is blocked, or has input
  // of its own left). A destination that refuses midway leaves the rest
  // of `batch` with it, in order.
  virtual bool TakeInline(Batch&) { return false; }

  // ---- For the collectors, on the executor thread. ----
  // Queues a tuple of `meta` from `source_task` with `values` (moved or
  // copied in) for `task`, built in place in the destination's batch;
  // `with_tuple(Tuple&)` then adds its tree edges. Sends the destination's
  // batch when it is full.
  template <typename V, typename F>
  void Send(int32_t task, const StreamMeta* meta, int32_t source_task, V&& values, F&& with_tuple) {
    const int dest = DestinationOfTask(task);
    if (dest < 0) return NoDestination(task);
    // Rows for `task` emitted before this tuple go before it (a task with a
    // destination has a slot: no second bounds check).
    if (open_rows_[static_cast<size_t>(task)].meta != nullptr) [[unlikely]]
      CloseRows(task);
    auto& batch = out_[static_cast<size_t>(dest)];
    if (batch.empty()) dirty_.push_back(dest);
    // No prefetch for a batch this thread executes itself (chaining): its
    // lines never left this core.
    const size_t prefetch = inline_[static_cast<size_t>(dest)] != nullptr
                                ? 0
                                : EnvelopeBytesFor(values.size(), acking_);
    with_tuple(
        EmplaceEnvelope(batch, prefetch, task, meta, source_task, std::forward<V>(values)).tuple);
    Queued(dest, batch);
  }
  template <typename V>
  void Send(int32_t task, const StreamMeta* meta, int32_t source_task, V&& values) {
    Send(task, meta, source_task, std::forward<V>(values), [](Tuple&) {});
  }
  // Appends `row` (its encoded values, gale/rows.h) to the open batch of
  // rows of `out` from `source_task` for `task`, opening one (and closing
  // what was open for `task`) when there is none. A batch of rows stays
  // with the executor while open: it joins the destination's batch when it
  // is full (which hands that batch over), when a tuple is sent to `task`
  // (so that order is kept), and in FlushAll().
  void SendRow(int32_t task, const plan::OutputStream& out, int32_t source_task,
               std::string_view row) {
    OpenRows& o = open_rows_[static_cast<size_t>(task)];
    if (o.meta == &out.rows_meta && o.source == source_task &&
        row.size() <= static_cast<size_t>(o.ch.limit - o.ch.cursor)) [[likely]] {
      std::memcpy(o.ch.cursor, row.data(), row.size());
      o.ch.cursor += row.size();
      ++o.counted;
      if (++o.ch.rows >= batch_rows_) RowsFull(task);
      return;
    }
    SendRowSlow(task, out, source_task, row);
  }
  // Lets the collector's EmitRow fill the open batch of rows of `out` from
  // `source_task` for `task` without a call: points `*slot` at it (until
  // it closes, which clears `*slot`). Only for a stream whose every row
  // goes to `task`, and not while topology.debug logs each emit.
  void BindRows(int32_t task, const plan::OutputStream& out, int32_t source_task,
                rows::Channel** slot);
  // An emit of `row` on `out` by `task`, batched (the collectors'
  // EmitRow once they know the row is in no tuple tree): checked as an
  // Emit, counted per row. Returns the targets, as ChooseTargets. With
  // `bind`, when every row of `out` goes to the one task this one went to,
  // binds its open batch to `*bind` (BindRows).
  std::span<const int32_t> EmitRowOn(int32_t task, const plan::OutputStream& out, const Row& row,
                                     std::vector<int32_t>& scratch, rows::Channel** bind = nullptr);
  // Send(), then hands over the destination's batch at once (what it held
  // before, then this tuple: order kept), even into a full local queue: for
  // a bolt's Fail and ResetTimeout to its acker, which must arrive while
  // Execute() still runs, not after the input batch (Storm's
  // test-reset-timeout). Only acker messages go to an acker's (or a spout's)
  // executor, so a forced batch is acker traffic, at most a batch of it.
  // A remote destination that refuses keeps the batch (we are then blocked).
  void SendNow(int32_t task, const StreamMeta* meta, int32_t source_task, Values&& values);
  // The target tasks of an emit of `values` on `out` by `task`, valid until
  // the next call: the list kept for the stream when its groupers always
  // choose the same tasks (GLOBAL, ALL, one target: no call per tuple), else
  // what they choose now, in `scratch`.
  std::span<const int32_t> ChooseTargets(int32_t task, const plan::OutputStream& out,
                                         const Values& values, std::vector<int32_t>& scratch) {
    const StreamRoutes& r = routes_[TaskIndex(task)][out.index];
    if (r.fixed) return r.targets;
    return ChooseNow(r, values, scratch);
  }
  // Whether `target` subscribed to `out` with a DIRECT grouping.
  bool DirectSubscriber(const plan::OutputStream& out, int32_t target) const;
  // The user output stream named `stream`; throws std::invalid_argument
  // when the component did not declare it. The last answer is checked
  // first: one comparison of names per emit.
  const plan::OutputStream& ResolveStream(std::string_view stream) const {
    if (last_stream_ != nullptr && last_stream_->meta.stream == stream) [[likely]] {
      return *last_stream_;
    }
    return FindStream(stream);
  }
  // Throws std::invalid_argument, naming the component, the stream and both
  // counts, when `values` has not as many values as `out` declares fields
  // (Storm checks at the emit too): one comparison per emit.
  void CheckValueCount(const plan::OutputStream& out, const Values& values) const {
    if (values.size() != out.meta.fields.size()) [[unlikely]] {
      ValueCountMismatch(out, values.size());
    }
  }
  int32_t AckerFor(uint64_t root) const { return shared_.plan.acker_tasks()[AckerIndexFor(root)]; }
  // root % the acker count: the acker's index in acker_tasks().
  size_t AckerIndexFor(uint64_t root) const {
    const uint64_t n = shared_.plan.acker_tasks().size();
    // Without a 64-bit division for 1, 2, 4... ackers.
    return static_cast<size_t>((n & (n - 1)) == 0 ? root & (n - 1) : root % n);
  }
  // Anchors `child` to `anchor`'s trees: a new edge per anchor, XORed into
  // the anchor's ack value and into the child's roots.
  void AnchorEdge(const Tuple& anchor, Tuple& child) {
    const internal::RootEdges& roots = internal::TupleAccess::roots(anchor);
    if (roots.empty()) return;
    const uint64_t edge = ids_.Next();
    internal::TupleAccess::XorAckVal(anchor, edge);
    internal::RootEdges& mine = internal::TupleAccess::mutable_roots(child);
    roots.ForEach([&](const internal::RootEdges::Pair& p) { mine.XorInto(p.root, edge); });
  }
  // Acks `input` of `task` on `pack` (__ack_pack): (root, edge XOR the
  // children's edges) to each of its roots' ackers, in packs (PackAck).
  void SendAcks(const StreamMeta* pack, int32_t task, const Tuple& input) {
    const uint64_t ack_val = internal::TupleAccess::ack_val(input);
    internal::TupleAccess::roots(input).ForEach([&](const internal::RootEdges::Pair& p) {
      PackAck(AckerIndexFor(p.root), pack, task, p.root, p.edge ^ ack_val);
    });
  }
  // Adds the ack (root, val) of `source_task` for the acker at `acker`
  // (its index in acker_tasks()) to the last pack that task sent that
  // acker while the destination's batch holds it and it has room
  // (core/acking/README.md, "Acks in packs"), else sends a new pack there.
  void PackAck(size_t acker, const StreamMeta* pack, int32_t source_task, uint64_t root,
               uint64_t val);
  // Fails `input`'s trees at once (SendNow) on `fail` (__ack_fail).
  void SendFails(const StreamMeta* fail, int32_t task, const Tuple& input) {
    internal::TupleAccess::roots(input).ForEach([&](const internal::RootEdges::Pair& p) {
      SendNow(AckerFor(p.root), fail, task, Values{static_cast<int64_t>(p.root)});
    });
  }
  // A new random root id whose acker (AckerFor) runs in this worker when
  // one does, on this executor's thread when it hosts one (PreferAckers):
  // the init and the acker's answer to the spout then never leave the
  // process. Every process computes AckerFor the same way, so
  // bolts elsewhere find the same acker.
  uint64_t NewRoot();
  IdGenerator& ids() { return ids_; }
  ExecutorStats& mutable_stats() { return stats_; }
  const Clock& clock() const { return shared_.clock; }
  void ReportError(int32_t task, std::string_view message);
  // The same for another executor's stats (a hosted acker's).
  static void ReportErrorTo(ExecutorStats& stats, const std::string& component, int32_t task,
                            std::string_view message);
  // Records why this worker cannot go on (the first reason wins).
  void Fatal(const std::string& why, int32_t task = -1);
  // topology.debug: logs an emit of `task` on `out` to `targets`.
  bool debug() const { return debug_; }
  // topology.stats.enabled: per-stream counters, histograms, process latency
  // and backpressure time are measured.
  bool stats_on() const { return stats_on_; }
  // Whether emits / inputs are counted per stream on the hot path: only with
  // more than one user output / input. With one, ExecutorStats derives its
  // counters from the executor's totals at snapshot time, at no cost per tuple.
  bool per_output() const { return per_output_; }
  bool per_input() const { return per_input_; }
  // The index of the input stream `meta` among this executor's inputs
  // (ExecutorStats::AddInput*), -1 for none (ticks, acker streams). A hit
  // on the last answer costs one compare.
  int InputIndex(const StreamMeta* meta) {
    if (meta->row_meta != nullptr) meta = meta->row_meta;  // a batch of rows: its stream
    if (last_input_ < input_metas_.size() && input_metas_[last_input_] == meta) {
      return static_cast<int>(last_input_);
    }
    for (size_t i = 0; i < input_metas_.size(); ++i) {
      if (input_metas_[i] == meta) {
        last_input_ = i;
        return static_cast<int>(i);
      }
    }
    return -1;
  }
  size_t input_count() const { return input_metas_.size(); }
  void LogEmit(int32_t task, const plan::OutputStream& out, const Values& values,
               std::span<const int32_t> targets) const;

 protected:
  virtual void Run() = 0;
  // Tries to deliver every queued batch; true when nothing is left waiting.
  bool FlushAll();
  // On the host's thread, for the executors it runs: OpenChain() prepares
  // them (false when one failed: Fatal was recorded), StepChain() runs one
  // pass of each (true when one did work), CloseChain() cleans them up.
  bool OpenChain();
  bool StepChain();
  void CloseChain();
  // What the host calls on an executor it runs (StepOnHost: did it work).
  virtual bool OpenOnHost() { return true; }
  virtual bool StepOnHost() { return false; }
  virtual void CloseOnHost() {}
  // Blocked, or with input it took and has not executed.
  virtual bool PendingOnHost() const { return false; }
  // Whether an executor run on this thread is PendingOnHost.
  bool ChainPending() const {
    for (const Executor* c : chained_) {
      if (c->PendingOnHost()) return true;
    }
    return false;
  }
  bool blocked() const { return blocked_ > 0; }
  // NewRoot() draws roots for these ackers (indices into acker_tasks()),
  // not for every acker of this worker.
  void PreferAckers(std::vector<uint64_t> indices) { local_ackers_ = std::move(indices); }
  size_t batch_size() const { return batch_size_; }
  void MarkProcessed(uint64_t n) {
    processed_.store(processed_.load(std::memory_order_relaxed) + n, std::memory_order_release);
  }
  // Backs off while a destination refuses our batches: short sleeps that
  // grow to 1 ms, so a blocked executor costs no CPU.
  void WaitForSpace(int& attempt);
  size_t TaskIndex(int32_t task) const { return static_cast<size_t>(task - tasks_.front()); }
  // Runs user code; an exception is reported as the task's error and the
  // executor carries on. Returns false when `f` threw.
  // The message of the last exception Guarded caught on this executor.
  template <typename F>
  bool Guarded(F&& f, int32_t task) {
    // A chained executor's user code runs inside its host's (an emit
    // handed on at once): the host's task is running again afterwards.
    const char* const outer_component = tls_running_component;
    const int32_t outer_task = tls_running_task;
    tls_running_component = component_.id.c_str();
    tls_running_task = task;
    try {
      f();
      tls_running_component = outer_component;
      tls_running_task = outer_task;
      return true;
    } catch (const std::exception& e) { last_exception_ = e.what(); } catch (...) {
      last_exception_ = "unknown exception";
    }
    tls_running_component = outer_component;
    tls_running_task = outer_task;
    ReportError(task, last_exception_);
    return false;
  }
  std::string last_exception_;

  WorkerShared& shared_;
  const plan::ComponentPlan& component_;
  const std::vector<int32_t> tasks_;
  InputQueue queue_;
  ExecutorStats stats_;
  UserMetrics user_metrics_;
  std::atomic<bool> stop_{false};

 private:
  // One output stream of one task: its groupers (null for DIRECT) and, when
  // every one of them is Fixed(), the tasks they choose.
  struct StreamRoutes {
    std::vector<std::unique_ptr<grouping::Grouper>> groupers;
    bool fixed = false;
    std::vector<int32_t> targets;
  };
  std::span<const int32_t> ChooseNow(const StreamRoutes& r, const Values& values,
                                     std::vector<int32_t>& scratch);
  const plan::OutputStream& FindStream(std::string_view stream) const;
  void BuildGroupers();
  // A chain route of the SHUFFLE kind goes only to the chained executor on
  // this thread (Flink's forward).
  void ForwardToChained(const plan::Route& r, grouping::GrouperArgs& args) const;
  void ConfigureStreamStats(int self);
  [[noreturn]] void ValueCountMismatch(const plan::OutputStream& out, size_t count) const;

  void NoDestination(int32_t task);
  int DestinationOfTask(int32_t task) const {
    return task > 0 && static_cast<size_t>(task) < task_destination_.size()
               ? task_destination_[static_cast<size_t>(task)]
               : -1;
  }
  // After a tuple (or a batch of `tuples` rows) was added to `batch`, the
  // batch of `dest`.
  void Queued(int dest, Batch& batch, uint64_t tuples = 1) {
    sent_.store(sent_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    if (remote_[static_cast<size_t>(dest)]) stats_.AddRemote(tuples);
    if (batch.size() >= batch_size_ && blocked_ == 0) {
      if (!Handover(dest, batch)) blocked_ = 1;
    }
  }
  // Hands `batch` to `dest`: a call for an executor on this thread, else the transfer.
  bool Handover(int dest, Batch& batch) {
    Executor* to = inline_[static_cast<size_t>(dest)];
    return to != nullptr ? to->TakeInline(batch) : shared_.transfer.TryDeliver(dest, batch);
  }

  const size_t batch_size_;
  // topology.producer.batch.rows, and the bytes at which a batch of rows
  // is full whatever its rows.
  const uint32_t batch_rows_;
  static constexpr size_t kBatchRowBytes = 64 * 1024;
  // A batch of rows being filled for one target task (SendRow). `bytes` is
  // sized to its capacity while open (so rows are copied to `cursor`
  // without a std::string call), and cut to what was written on closing.
  struct OpenRows {
    const StreamMeta* meta = nullptr;  // the rows' batch meta; null: none open
    int32_t source = 0;
    rows::Channel ch;  // where the next row goes, and the rows so far
    // Rows counted as emits when they came (SendRow); the others came
    // through a bound collector's EmitRow and are counted on closing.
    uint32_t counted = 0;
    uint32_t stream_index = 0;
    rows::Channel** bound = nullptr;  // the collector's pointer to `ch`
    std::string bytes;
  };
  void SendRowSlow(int32_t task, const plan::OutputStream& out, int32_t source_task,
                   std::string_view row);
  // Puts `task`'s open batch of rows into its destination's batch.
  void CloseRows(int32_t task);
  // CloseRows, then hands the destination's batch over (unless blocked).
  void RowsFull(int32_t task);
  std::vector<OpenRows> open_rows_;  // by target task id
  std::vector<int32_t> open_list_;   // target tasks that may have rows open
  // The bytes the last full batch of rows held: a new one reserves that
  // much.
  size_t row_bytes_hint_ = 1024;
  Values row_values_;  // a row's values for a grouper that reads them
  // Tuples may be in trees (EmplaceEnvelope then prefetches the tree part too).
  const bool acking_;
  std::vector<uint64_t> local_ackers_;  // indices into acker_tasks() run here
  const bool debug_;
  const bool stats_on_;
  bool per_output_ = false, per_input_ = false;
  // The user streams this component subscribes to (read per tuple: on lines of their own).
  LineArray<const StreamMeta*> input_metas_;
  size_t last_input_ = 0;
  IdGenerator ids_;
  std::thread thread_;
  std::atomic<bool> exited_{false};
  std::atomic<uint64_t> sent_{0}, processed_{0};
  // The transfer's DestinationOf() and IsRemote(), copied: Send() makes
  // no virtual call but to deliver a full batch.
  std::vector<int> task_destination_;  // by task id; -1: none
  std::vector<uint8_t> remote_;        // by destination
  std::vector<Batch> out_;             // per destination
  std::vector<Executor*> inline_;      // per destination: run on this thread (DeliverInline)
  // Per task and acker (task index * ackers + acker index): where PackAck
  // put the task's last pack for the acker in the acker's destination batch.
  std::vector<size_t> open_pack_;
  Executor* host_ = nullptr;                                 // RunOn
  std::vector<Executor*> chained_;                           // run on this thread, parents first
  std::vector<int> dirty_;                                   // destinations with a partial batch
  int blocked_ = 0;                                          // destinations that refused a batch
  std::vector<std::vector<StreamRoutes>> routes_;            // [task index][stream index]
  mutable const plan::OutputStream* last_stream_ = nullptr;  // ResolveStream's last answer
};

}  // namespace gale::runtime
