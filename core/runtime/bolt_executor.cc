#include "core/runtime/bolt_executor.h"
#include "core/common/logging.h"

#include "core/acking/acker_bolt.h"
#include "core/tuple/tuple_access.h"

#include <chrono>
#include <exception>
#include <utility>

namespace gale::runtime {

using internal::RootEdges;
using internal::TupleAccess;

namespace {

// The tuples an input stands for: a batch of rows its rows, else 1.
uint64_t RowsIn(const Tuple& t) {
  return t.meta()->row_meta == nullptr ? 1 : rows::Load32(t.values()[0].AsBytes().data.data());
}

}  // namespace

class BoltExecutor::Collector final : public OutputCollector {
 public:
  Collector(BoltExecutor& ex, int32_t task) : ex_(ex), task_(task) {
    if (ex.shared_.plan.acking() && ex.component().role == plan::Role::kBolt) {
      ack_ = &ex.component().FindOutput(acking::kAckPackStream)->meta;
      fail_ = &ex.component().FindOutput(acking::kAckFailStream)->meta;
      reset_ = &ex.component().FindOutput(acking::kAckResetTimeoutStream)->meta;
    }
  }

  void Ack(const Tuple& input) override {
    ex_.mutable_stats().AddAcked(RowsIn(input));
    if (ex_.stats_on()) {
      // Process latency, for one ack in 64: from the start of the input batch
      // being executed to this ack (one clock read per 64 acks).
      if ((++acks_ & 63) == 0) {
        const auto since = std::chrono::steady_clock::now() - ex_.batch_start();
        ex_.mutable_stats().AddProcessSample(static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(since).count()));
      }
      if (ex_.per_input()) {
        const int in = ex_.InputIndex(input.meta());
        if (in >= 0) ex_.mutable_stats().AddInputAcked(static_cast<size_t>(in), RowsIn(input));
      }
    }
    if (ack_ != nullptr) ex_.SendAcks(ack_, task_, input);
  }
  // Fails and resets go to the acker at once (SendNow), not with the
  // batch: Execute() may run for a while yet.
  void Fail(const Tuple& input) override {
    ex_.mutable_stats().AddFailed(RowsIn(input));
    if (ex_.per_input()) {
      const int in = ex_.InputIndex(input.meta());
      if (in >= 0) ex_.mutable_stats().AddInputFailed(static_cast<size_t>(in), RowsIn(input));
    }
    if (ex_.exactly_once_ && input.meta()->stream != state::kCheckpointStream) {
      ex_.tainted_[ex_.TaskIndex(task_)] = true;
    }
    // Acking off, or the acker itself (whose input a malformed message from
    // another worker can fail): no acker to tell, whatever roots the input
    // arrived with.
    if (fail_ != nullptr) ex_.SendFails(fail_, task_, input);
  }
  void ResetTimeout(const Tuple& input) override {
    if (reset_ == nullptr) return;  // as Fail
    TupleAccess::roots(input).ForEach([&](const RootEdges::Pair& p) {
      ex_.SendNow(ex_.AckerFor(p.root), reset_, task_, Values{static_cast<int64_t>(p.root)});
    });
  }
  void ReportError(std::string_view message) override { ex_.ReportError(task_, message); }

 protected:
  TaskIds EmitTo(std::string_view stream, AnchorSpan anchors, Values&& values) override {
    const plan::OutputStream& out = ex_.ResolveStream(stream);
    if (out.direct) {
      throw std::invalid_argument("cannot do a regular emit to direct stream '" +
                                  std::string(stream) + "'; use EmitDirect");
    }
    ex_.CheckValueCount(out, values);
    chosen_ = ex_.ChooseTargets(task_, out, values, targets_);
    Send(out, anchors, std::move(values));
    return chosen_;
  }

  void EmitRowTo(std::string_view stream, AnchorSpan anchors, const Row& row) override {
    const plan::OutputStream& out = ex_.ResolveStream(stream);
    // A row in a tuple tree travels as a tuple of its own, with its edge;
    // so does a row of no values (a batch of them would have no bytes to
    // walk).
    bool tuple = out.meta.fields.size() == 0;
    if (ack_ != nullptr) {
      for (const Tuple* a : anchors) tuple |= !TupleAccess::roots(*a).empty();
    }
    if (tuple) {
      EmitTo(stream, anchors, row.ToValues());
      return;
    }
    // The default stream's later rows may go straight into the batch
    // (OutputCollector::EmitRow).
    const bool fast = out.meta.stream == kDefaultStream;
    if (fast) default_fields_ = out.meta.fields.size();
    ex_.EmitRowOn(task_, out, row, targets_, fast ? &default_rows_ : nullptr);
  }

  void EmitDirectTo(int32_t task, std::string_view stream, AnchorSpan anchors,
                    Values&& values) override {
    const plan::OutputStream* out;
    if (ex_.component().role == plan::Role::kAcker) {
      out = ex_.component().FindOutput(stream);
    } else {
      out = &ex_.ResolveStream(stream);
    }
    if (!out->direct) {
      throw std::invalid_argument("cannot EmitDirect to stream '" + std::string(stream) +
                                  "', which is not declared direct");
    }
    ex_.CheckValueCount(*out, values);
    targets_.clear();
    if (ex_.DirectSubscriber(*out, task)) targets_.push_back(task);
    chosen_ = targets_;
    Send(*out, anchors, std::move(values));
  }

 private:
  // Inlined into EmitTo: a call of its own cost the emit a second frame.
  [[gnu::always_inline]] void Send(const plan::OutputStream& out, AnchorSpan anchors,
                                   Values&& values) {
    if (!out.system) {
      ex_.mutable_stats().AddEmitted(1, chosen_.size());
      if (ex_.per_output()) ex_.mutable_stats().AddStreamEmitted(out.index, chosen_.size());
    }
    if (ex_.debug()) ex_.LogEmit(task_, out, values, chosen_);
    const bool anchored = ack_ != nullptr && !anchors.empty();
    auto edges = [&](Tuple& t) {
      if (!anchored) return;
      for (const Tuple* a : anchors) ex_.AnchorEdge(*a, t);
    };
    // The last target takes the values; the others get copies.
    const size_t n = chosen_.size();
    for (size_t i = 0; i + 1 < n; ++i)
      ex_.Send(chosen_[i], &out.meta, task_, std::as_const(values), edges);
    if (n > 0) ex_.Send(chosen_[n - 1], &out.meta, task_, std::move(values), edges);
  }

  BoltExecutor& ex_;
  const int32_t task_;
  std::vector<int32_t> targets_;     // ChooseTargets' scratch
  TaskIds chosen_;                   // the last emit's targets
  const StreamMeta* ack_ = nullptr;  // null when acking is off
  const StreamMeta* fail_ = nullptr;
  const StreamMeta* reset_ = nullptr;
  uint64_t acks_ = 0;
};

BoltExecutor::BoltExecutor(WorkerShared& shared, const plan::ExecutorPlan& plan,
                           std::vector<std::unique_ptr<Bolt>> bolts)
    : Executor(shared, plan), bolts_(std::move(bolts)) {
  batch_inputs_.Resize(input_count());
  for (int32_t task : tasks_) {
    collectors_.push_back(std::make_unique<Collector>(*this, task));
    contexts_.push_back(std::make_unique<TopologyContext>(
        shared.plan.name(), component_.id, task, shared.plan.component_tasks(),
        shared.plan.topology_config(), component_.config, &EngineLogSink(), &user_metrics_,
        shared.plan.SourcesOf(plan.component)));
  }
  for (size_t i = 0; i < bolts_.size(); ++i) {
    if (auto* p = dynamic_cast<Polled*>(bolts_[i].get())) {
      p->SetWaker([this] { queue_.Wake(); });
      polled_.emplace_back(i, p);
    }
  }
  if (shared.plan.checkpointing() && component_.role == plan::Role::kBolt) {
    const Config effective = shared.plan.topology_config().MergedWith(component_.config);
    stateful_ = state::IsStateful(effective);
    exactly_once_ = state::ExactlyOnce(effective);
    const auto max_held =
        static_cast<size_t>(effective.GetInt("topology.state.alignment.max.tuples", 100000));
    for (const auto& c : contexts_) {
      if (exactly_once_) {
        aligners_.emplace_back(state::CheckpointSources(*c), max_held);
        dropped_.push_back(c->RegisterCounter("state.alignment.dropped"));
      } else if (!stateful_) {
        checkpoint_barriers_.emplace_back(state::CheckpointInputs(*c));
      }
    }
    tainted_.assign(contexts_.size(), 0);
  }
}

BoltExecutor::~BoltExecutor() {
  RequestStop();
  Join();
}

bool BoltExecutor::Finished() const {
  for (const auto& [i, p] : polled_) {
    if (p->Busy()) return false;
  }
  return true;
}

void BoltExecutor::ForwardCheckpoint(size_t i, const Tuple& input) {
  Guarded(
      [&] {
        Collector& out = *collectors_[i];
        if (checkpoint_barriers_[i].Arrive(input.GetInt(0), input.GetInt(1))) {
          out.Emit(Stream{state::kCheckpointStream}, input, Values{input.Get(0), input.Get(1)});
        }
        out.Ack(input);
      },
      tasks_[i]);
}

// What a task's barrier aligner does with the tuples it decides on.
class BoltExecutor::AlignHandler {
 public:
  AlignHandler(BoltExecutor& ex, size_t i) : ex_(ex), i_(i) {}
  void Run(const Tuple& t) { ex_.ExecuteNow(i_, t); }
  void Complete(const Tuple& t, int64_t txid, state::Action action) {
    if (action == state::Action::kRollback) ex_.tainted_[i_] = 0;
    if (action == state::Action::kPrepare && ex_.tainted_[i_]) {
      return Fail(t, "a tuple failed since the last checkpoint");
    }
    if (ex_.stateful_) return ex_.ExecuteNow(i_, t);  // the stateful runner acts
    ex_.Guarded(
        [&] {
          Collector& out = *ex_.collectors_[i_];
          out.Emit(Stream{state::kCheckpointStream}, t, Values{txid, static_cast<int64_t>(action)});
          out.Ack(t);
        },
        ex_.tasks_[i_]);
  }
  void Ack(const Tuple& t) { ex_.collectors_[i_]->Ack(t); }
  void Fail(const Tuple& t, const char* why) {
    GALE_LOG(kInfo) << ex_.component_.id << " task " << ex_.tasks_[i_] << ": checkpoint "
                    << state::ActionName(static_cast<state::Action>(t.GetInt(1))) << " of txid "
                    << t.GetInt(0) << " failed: " << why;
    ex_.collectors_[i_]->Fail(t);
  }
  void Dropped(size_t n) { ex_.dropped_[i_].Inc(static_cast<int64_t>(n)); }
  void Overflowed() {
    ex_.ReportError(ex_.tasks_[i_],
                    "more than topology.state.alignment.max.tuples tuples held while aligning a "
                    "checkpoint: it fails, and everything rolls back");
  }

 private:
  BoltExecutor& ex_;
  const size_t i_;
};

inline void BoltExecutor::RunBolt(size_t i, const Tuple& input) {
  const bool ok = Guarded([&] { bolts_[i]->Execute(input); }, tasks_[i]);
  if (!ok && !input.IsTick()) collectors_[i]->Fail(input);
}

inline void BoltExecutor::Execute(size_t i, const Tuple& input) {
  // No barrier aligner or checkpoint barrier: nothing to decide (and no
  // call per tuple but the bolt's).
  if (aligners_.empty() && checkpoint_barriers_.empty()) return RunBolt(i, input);
  if (aligners_.empty() || input.IsTick()) return ExecuteNow(i, input);
  AlignHandler h(*this, i);
  if (input.meta()->stream == state::kCheckpointStream) {
    aligners_[i].OnBarrier(input.source_task(), input.GetInt(0),
                           static_cast<state::Action>(input.GetInt(1)), input, h);
  } else {
    aligners_[i].OnData(input.source_task(), input, h);
  }
}

void BoltExecutor::ExecuteNow(size_t i, const Tuple& input) {
  if (!checkpoint_barriers_.empty() && input.meta()->stream == state::kCheckpointStream) {
    return ForwardCheckpoint(i, input);
  }
  RunBolt(i, input);
}

void BoltExecutor::DeliverRows(size_t i, const Tuple& batch) {
  // A bolt that reads batches gets it whole, unless a barrier aligner must
  // see each tuple (exactly once).
  if (aligners_.empty()) {
    bool taken = false;
    if (!Guarded([&] { taken = bolts_[i]->ExecuteRows(Rows(batch)); }, tasks_[i])) {
      collectors_[i]->Fail(batch);
      return;
    }
    if (taken) return;
  }
  // Any other bolt gets each row as a tuple of the rows' stream.
  const StreamMeta* meta = batch.meta()->row_meta;
  for (RowView row : Rows(batch)) {
    const Tuple t(meta, batch.source_task(), row.ToValues());
    Execute(i, t);
  }
}

inline void BoltExecutor::Deliver(Envelope& e) {
  if (e.rows != 0) [[unlikely]] {
    DeliverRows(TaskIndex(e.task), e.tuple);
  } else if (e.task == Envelope::kAllTasks) {
    for (size_t i = 0; i < bolts_.size(); ++i) Execute(i, e.tuple);
  } else {
    Execute(TaskIndex(e.task), e.tuple);
  }
}

size_t BoltExecutor::DeliverBatch(Batch& input, size_t from) {
  // Execute latency is timed per input batch, two clock reads for the
  // whole batch, and shared among its tuples: the mean is the same as
  // timing each tuple, without two clock reads per tuple. Ticks are timed
  // on their own (they are rare) and left out.
  const auto start = std::chrono::steady_clock::now();
  batch_start_ = start;
  std::chrono::steady_clock::duration ticks{0};
  uint64_t executed = 0;
  size_t i = from;
  while (i < input.size()) {
    Envelope& e = input[i++];
    if (e.tuple.IsTick()) {
      const auto tick_start = std::chrono::steady_clock::now();
      Deliver(e);
      ticks += std::chrono::steady_clock::now() - tick_start;
    } else {
      // An acker counts the acks it applied, not the packs they came in; a
      // batch of rows counts its rows.
      const uint64_t n = acker_ ? acking::MessagesIn(e.tuple) : Weight(e);
      if (per_input()) {
        const int in = InputIndex(e.tuple.meta());
        if (in >= 0) batch_inputs_[static_cast<size_t>(in)] += n;
      }
      executed += n;
      Deliver(e);
    }
    // A destination refused a batch during that input: execute no more
    // (each further input's emits would pile up in our batches).
    if (blocked()) break;
  }
  const auto spent = std::chrono::steady_clock::now() - start - ticks;
  if (executed > 0) {
    const auto nanos =
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(spent).count());
    stats_.AddExecuted(executed, nanos);
    if (stats_on()) {
      // The batch's time, shared among its inputs by how many each had.
      stats_.AddExecuteSample(nanos / executed, executed);
      if (per_input()) {
        for (size_t k = 0; k < batch_inputs_.size(); ++k) {
          if (batch_inputs_[k] == 0) continue;
          stats_.AddInputExecuted(k, batch_inputs_[k], nanos * batch_inputs_[k] / executed);
          batch_inputs_[k] = 0;
        }
      }
    }
  }
  MarkProcessed(i - from);
  return i;
}

bool BoltExecutor::PrepareAll() {
  for (size_t i = 0; i < bolts_.size(); ++i) {
    if (!Guarded([&] { bolts_[i]->Prepare(*contexts_[i], *collectors_[i]); }, tasks_[i])) {
      Fatal("bolt '" + component_.id + "' task " + std::to_string(tasks_[i]) +
                "'s Prepare threw: " + last_exception_,
            tasks_[i]);
      return false;
    }
  }
  return true;
}

void BoltExecutor::CleanupAll() {
  for (size_t i = 0; i < bolts_.size(); ++i) {
    Guarded([&] { bolts_[i]->Cleanup(); }, tasks_[i]);
  }
}

void BoltExecutor::ExecutePopped() {
  while (batch_ < input_.size() && !blocked()) {
    next_ = DeliverBatch(input_[batch_], next_);
    if (next_ == input_[batch_].size()) {
      ++batch_;
      next_ = 0;
    }
  }
  if (batch_ == input_.size() && !input_.empty()) {
    queue_.Recycle(input_);
    batch_ = 0;
  }
}

bool BoltExecutor::Pass(Nanos wait) {
  bool worked = !input_.empty();
  if (!worked && (wait.count() > 0 || queue_.maybe_nonempty())) {
    queue_.PopAll(input_, wait);
    worked = !input_.empty();
  }
  ExecutePopped();
  if (!blocked()) {
    for (const auto& [i, p] : polled_) Guarded([p = p] { p->Poll(); }, tasks_[i]);
  }
  FlushAll();
  return worked;
}

bool BoltExecutor::StepOnHost() {
  if (blocked() && !FlushAll()) return false;
  return Pass(Nanos(0));
}

bool BoltExecutor::TakeInline(Batch& batch) {
  if (blocked() && !FlushAll()) return false;
  ExecutePopped();  // what it popped from its own queue comes first
  if (blocked() || !input_.empty()) return false;
  const size_t done = DeliverBatch(batch, 0);
  if (done < batch.size()) {
    // A destination refused a batch midway: the rest waits here, in order.
    input_.push_back(std::move(batch));
    batch = Batch();
    next_ = done;
  } else {
    batch.clear();
  }
  // As after each input batch popped from the queue.
  FlushAll();
  return true;
}

void BoltExecutor::Run() {
  // The chained executors first: a Prepare that emits may already hand
  // them a batch.
  if (!OpenChain() || !PrepareAll()) return;
  int waits = 0, chain_waits = 0;
  while (!stop_.load(std::memory_order_relaxed)) {
    // The executors run on this thread: their own queues (ticks, other
    // producers); what this one emits to them is handed over by a call.
    const bool chain_worked = StepChain();
    if (blocked() && !FlushAll()) {
      // Execute nothing while our output cannot go anywhere.
      WaitForSpace(waits);
      continue;
    }
    waits = 0;
    // Decided now: the flush above may have left a chained executor blocked
    // or with input (TakeInline), and nothing wakes this thread for that.
    const bool pending = ChainPending();
    const bool worked =
        Pass(chain_worked || pending ? Nanos(0) : Nanos(std::chrono::milliseconds(100)));
    if (pending && !worked && !chain_worked) {
      WaitForSpace(chain_waits);  // a chained executor waits for room
    } else {
      chain_waits = 0;
    }
  }
  CleanupAll();
  CloseChain();
}

}  // namespace gale::runtime
