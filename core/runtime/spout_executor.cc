#include "core/runtime/spout_executor.h"

#include "core/acking/acker_bolt.h"
#include "core/common/logging.h"
#include "core/tuple/tuple_access.h"

#include <sys/prctl.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <utility>

namespace gale::runtime {

class SpoutExecutor::Collector final : public SpoutOutputCollector {
 public:
  Collector(SpoutExecutor& ex, int32_t task, uint32_t task_index, bool untracked)
      : ex_(ex), task_(task), task_index_(task_index), untracked_(untracked) {
    if (const plan::OutputStream* init = ex.component().FindOutput(acking::kAckInitStream)) {
      init_meta_ = &init->meta;
    }
  }

  void ReportError(std::string_view message) override { ex_.ReportError(task_, message); }
  void WakeAt(std::chrono::steady_clock::time_point when) override {
    wake_at_ = std::min(wake_at_, when);
  }
  // The open batch of rows EmitRow fills without a call; null when none.
  const rows::Channel* fast_rows() const { return default_rows_; }
  // The earliest WakeAt since the last call (max: none), forgotten.
  std::chrono::steady_clock::time_point TakeWakeAt() {
    return std::exchange(wake_at_, std::chrono::steady_clock::time_point::max());
  }

 protected:
  TaskIds EmitTo(std::string_view stream, Values&& values, const MessageId* id) override {
    const plan::OutputStream& out = ex_.ResolveStream(stream);
    if (out.direct) {
      throw std::invalid_argument("cannot do a regular emit to direct stream '" +
                                  std::string(stream) + "'; use EmitDirect");
    }
    ex_.CheckValueCount(out, values);
    chosen_ = ex_.ChooseTargets(task_, out, values, targets_);
    Send(out, std::move(values), id);
    return chosen_;
  }

  void EmitRowTo(std::string_view stream, const Row& row, const MessageId* id) override {
    // A row with a message id travels as a tuple of its own, its tree
    // tracked (or, acking off, acked at once) as Emit's; so does a row of
    // no values (a batch of them would have no bytes to walk).
    const plan::OutputStream& out = ex_.ResolveStream(stream);
    if ((id != nullptr && !untracked_) || out.meta.fields.size() == 0) {
      EmitTo(stream, row.ToValues(), id);
      return;
    }
    ++ex_.emits_;
    const bool fast = out.meta.stream == kDefaultStream && !untracked_;
    if (fast) default_fields_ = out.meta.fields.size();
    ex_.EmitRowOn(task_, out, row, targets_, fast ? &default_rows_ : nullptr);
  }

  void EmitDirectTo(int32_t task, std::string_view stream, Values&& values,
                    const MessageId* id) override {
    const plan::OutputStream& out = ex_.ResolveStream(stream);
    if (!out.direct) {
      throw std::invalid_argument("cannot EmitDirect to stream '" + std::string(stream) +
                                  "', which is not declared direct");
    }
    ex_.CheckValueCount(out, values);
    targets_.clear();
    if (ex_.DirectSubscriber(out, task)) targets_.push_back(task);
    chosen_ = targets_;
    Send(out, std::move(values), id);
  }

 private:
  // Inlined into EmitTo: a call of its own cost the emit a second frame.
  [[gnu::always_inline]] void Send(const plan::OutputStream& out, Values&& values,
                                   const MessageId* id) {
    ++ex_.emits_;
    ex_.mutable_stats().AddEmitted(1, chosen_.size());
    if (ex_.per_output()) ex_.mutable_stats().AddStreamEmitted(out.index, chosen_.size());
    if (ex_.debug()) ex_.LogEmit(task_, out, values, chosen_);
    if (untracked_) id = nullptr;  // a StatefulSpout's: replayed by rollbacks
    const bool tracked = id != nullptr && ex_.shared_.plan.acking();
    uint64_t root = 0, init = 0;
    if (tracked) root = ex_.TakeRoot();
    auto edges = [&](Tuple& t) {
      if (!tracked) return;
      const uint64_t edge = ex_.ids().Next();
      internal::TupleAccess::mutable_roots(t).XorInto(root, edge);
      init ^= edge;
    };
    // The last target takes the values; the others get copies.
    const size_t n = chosen_.size();
    for (size_t i = 0; i + 1 < n; ++i)
      ex_.Send(chosen_[i], &out.meta, task_, std::as_const(values), edges);
    if (n > 0) ex_.Send(chosen_[n - 1], &out.meta, task_, std::move(values), edges);
    if (tracked) {
      // An emit that reached no task still inits its tree (with 0): the
      // acker completes it at once, as in Storm.
      const bool sampled = ex_.emits_ % kLatencySample == 1;  // the first one too
      ex_.Track(root, Pending{task_index_, *id, sampled ? ex_.clock().Now().count() : -1});
      const int32_t acker = ex_.AckerFor(root);
      if (HostedAcker* h = ex_.HostedFor(acker)) {
        ex_.InitHere(*h, acker, root, init, task_);
        // An emit to no task completes its tree right there, and the
        // spout's Ack, run inside, may emit: this emit still reached none.
        if (n == 0) chosen_ = {};
      } else {
        ex_.Send(acker, init_meta_, task_,
                 Values{static_cast<int64_t>(root), static_cast<int64_t>(init), task_});
      }
    } else if (id != nullptr) {
      // No ackers: acked as soon as emitted, inside Emit as in Storm. The
      // spout's Ack may emit too, which sets chosen_ (and may refill
      // targets_): what this emit returns must stay its own targets.
      held_.assign(chosen_.begin(), chosen_.end());
      ex_.AckAtOnce(task_index_, *id);
      chosen_ = held_;
    }
  }

  SpoutExecutor& ex_;
  const int32_t task_;
  const uint32_t task_index_;
  const bool untracked_;
  const StreamMeta* init_meta_ = nullptr;  // __ack_init; null when acking is off
  // WakeAt's time since the last TakeWakeAt (max: none).
  std::chrono::steady_clock::time_point wake_at_ = std::chrono::steady_clock::time_point::max();
  std::vector<int32_t> targets_;  // ChooseTargets' scratch
  TaskIds chosen_;                // the last emit's targets
  std::vector<int32_t> held_;     // chosen_ across an Ack run inside the emit
};

SpoutExecutor::SpoutExecutor(WorkerShared& shared, const plan::ExecutorPlan& plan,
                             std::vector<std::unique_ptr<Spout>> spouts,
                             std::vector<HostedAcker*> hosted)
    : Executor(shared, plan), spouts_(std::move(spouts)), hosted_(std::move(hosted)) {
  if (!hosted_.empty()) {
    hosted_by_task_.assign(static_cast<size_t>(shared.plan.task_count()) + 1, nullptr);
    for (HostedAcker* h : hosted_) {
      for (int32_t t : h->tasks) hosted_by_task_[static_cast<size_t>(t)] = h;
    }
    std::vector<uint64_t> mine;
    const auto& ackers = shared.plan.acker_tasks();
    for (size_t i = 0; i < ackers.size(); ++i) {
      if (HostedFor(ackers[i])) mine.push_back(i);
    }
    PreferAckers(std::move(mine));
  }
  const int max = shared.plan.settings().max_spout_pending;
  max_pending_ = max > 0 ? static_cast<size_t>(max) * tasks_.size() : 0;
  for (const auto& s : spouts_) {
    checkpointed_.push_back(dynamic_cast<state::CheckpointedSpout*>(s.get()));
  }
  if (const plan::OutputStream* o = component_.FindOutput(acking::kAckPackStream))
    ack_meta_ = &o->meta;
  if (const plan::OutputStream* o = component_.FindOutput(acking::kAckFailStream))
    fail_meta_ = &o->meta;
  for (size_t i = 0; i < tasks_.size(); ++i) {
    collectors_.push_back(std::make_unique<Collector>(*this, tasks_[i], static_cast<uint32_t>(i),
                                                      checkpointed_[i] != nullptr));
    contexts_.push_back(std::make_unique<TopologyContext>(
        shared.plan.name(), component_.id, tasks_[i], shared.plan.component_tasks(),
        shared.plan.topology_config(), component_.config, &EngineLogSink(), &user_metrics_));
  }
}

SpoutExecutor::~SpoutExecutor() {
  RequestStop();
  Join();
}

void SpoutExecutor::AckAtOnce(uint32_t task_index, MessageId id) {
  stats_.AddAcked();
  spouts_[task_index]->Ack(id);
}

void SpoutExecutor::Complete(uint64_t root, bool acked) {
  Pending p;
  if (!pending_.Remove(root, &p)) return;  // already timed out
  if (acked) {
    if (p.start_nanos >= 0) {
      const auto nanos = static_cast<uint64_t>(clock().Now().count() - p.start_nanos);
      stats_.AddAckedSampled(nanos);
      if (stats_on()) stats_.AddCompleteSample(nanos);
    } else {
      stats_.AddAcked();
    }
    spouts_[p.task_index]->Ack(p.id);
  } else {
    stats_.AddFailed();
    spouts_[p.task_index]->Fail(p.id);
  }
}

void SpoutExecutor::ResetTimeout(uint64_t root) {
  Pending p;
  if (pending_.Remove(root, &p)) pending_.Put(root, p);
}

uint64_t SpoutExecutor::TakeRoot() {
  const uint64_t root = has_next_root_ ? next_root_ : NewRoot();
  next_root_ = NewRoot();
  has_next_root_ = true;
  pending_.Prefetch(next_root_);
  const int32_t acker = AckerFor(next_root_);
  if (HostedAcker* h = HostedFor(acker)) {
    h->tables[static_cast<size_t>(acker - h->tasks.front())].Prefetch(next_root_);
  }
  return root;
}

void SpoutExecutor::InitHere(HostedAcker& h, int32_t acker, uint64_t root, uint64_t val,
                             int32_t spout_task) {
  h.stats.AddExecuted(1, 0);
  Answer(h, acker,
         h.tables[static_cast<size_t>(acker - h.tasks.front())].Init(root, val, spout_task));
}

void SpoutExecutor::ProcessAcker(HostedAcker& h, Envelope& e) {
  if (e.tuple.IsTick()) {
    for (auto& table : h.tables) table.Rotate();
    return;
  }
  ++h.batch_envelopes;
  size_t applied = 1;
  try {
    applied = h.tables[static_cast<size_t>(e.task - h.tasks.front())].Apply(
        e.tuple,
        [&](const acking::AckerTable::Outcome& out) {
          // The spout's Ack or Fail may throw: reported as its task's error,
          // and the rest of a pack still applies.
          Guarded([&] { Answer(h, e.task, out); }, out.spout_task);
        },
        // A tree this pack completes is ours, mostly: its pending entry too.
        [&](uint64_t root) { pending_.Prefetch(root); });
  } catch (const std::exception& ex) {  // a malformed message from another worker
    ReportErrorTo(h.stats, h.component.id, e.task, ex.what());
  }
  h.batch_executed += applied;
}

void SpoutExecutor::Answer(HostedAcker& h, int32_t acker, const acking::AckerTable::Outcome& out) {
  using Outcome = acking::AckerTable::Outcome;
  if (out.kind == Outcome::kNone) return;
  const int32_t task = out.spout_task;
  if (task >= tasks_.front() && task <= tasks_.back()) {
    // One of ours: no message.
    if (out.kind == Outcome::kResetTimeout) {
      ResetTimeout(out.root);
    } else {
      Complete(out.root, out.kind == Outcome::kAck);
    }
    return;
  }
  const plan::OutputStream* stream = out.kind == Outcome::kAck    ? h.ack
                                     : out.kind == Outcome::kFail ? h.fail
                                                                  : h.reset;
  if (!DirectSubscriber(*stream, task)) return;  // as EmitDirect to a task that cannot take it
  Send(task, &stream->meta, acker, Values{static_cast<int64_t>(out.root)});
}

void SpoutExecutor::Process(Envelope& e) {
  if (HostedAcker* h = HostedFor(e.task)) return ProcessAcker(*h, e);
  const Tuple& t = e.tuple;
  if (t.IsTick()) {
    pending_.Rotate([this](uint64_t, Pending& p) {
      stats_.AddFailed();
      Guarded([&] { spouts_[p.task_index]->Fail(p.id); }, tasks_[p.task_index]);
    });
    return;
  }
  const std::string& stream = t.source_stream();
  if (stream == state::kCheckpointStream) return Checkpoint(e.task, t);
  const uint64_t root = static_cast<uint64_t>(t.GetInt(0));
  if (stream == acking::kAckAckStream) {
    Complete(root, true);
  } else if (stream == acking::kAckFailStream) {
    Complete(root, false);
  } else if (stream == acking::kAckResetTimeoutStream) {
    ResetTimeout(root);
  }
}

void SpoutExecutor::Checkpoint(int32_t task, const Tuple& input) {
  const size_t i = TaskIndex(task);
  state::CheckpointedSpout* spout = i < checkpointed_.size() ? checkpointed_[i] : nullptr;
  const int64_t txid = input.GetInt(0);
  const auto action = static_cast<state::Action>(input.GetInt(1));
  Status s = Status::FailedPrecondition("not a stateful spout");
  if (spout && !Guarded([&] { s = spout->OnCheckpoint(txid, action); }, task)) {
    s = Status::Internal("the spout threw: " + last_exception_);
  }
  if (!s.ok()) {
    // Routine after a restart (the rollback it brings fixes it): logged.
    GALE_LOG(kInfo) << component_.id << " task " << task << ": checkpoint "
                    << state::ActionName(action) << " of txid " << txid
                    << " failed: " << s.message();
    if (fail_meta_) SendFails(fail_meta_, task, input);
    return;
  }
  const plan::OutputStream& out = ResolveStream(state::kCheckpointStream);
  const Values values{txid, static_cast<int64_t>(action)};
  for (int32_t target : ChooseTargets(task, out, values, targets_)) {
    Send(target, &out.meta, task, values, [&](Tuple& t) { AnchorEdge(input, t); });
  }
  if (ack_meta_) SendAcks(ack_meta_, task, input);
}

bool SpoutExecutor::ProcessAll(std::vector<Batch>& input) {
  size_t n = 0;
  // Two clock reads per batch, only for the hosted ackers' execute time.
  using Clock = std::chrono::steady_clock;
  const bool timed = !hosted_.empty();
  for (auto& batch : input) {
    const Clock::time_point start = timed ? Clock::now() : Clock::time_point{};
    for (auto& e : batch) Guarded([&] { Process(e); }, e.task);
    n += batch.size();
    if (!timed) continue;
    const auto nanos = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
    for (HostedAcker* h : hosted_) {
      if (h->batch_envelopes == 0) continue;
      // The batch's time by its envelopes; the acks they held are what it executed.
      h->stats.AddExecuted(h->batch_executed, nanos * h->batch_envelopes / batch.size());
      h->batch_executed = 0;
      h->batch_envelopes = 0;
    }
  }
  MarkProcessed(n);
  queue_.Recycle(input);
  return n > 0;
}

void SpoutExecutor::SetActive(bool active) {
  active_ = active;
  for (auto& s : spouts_) {
    if (active) {
      s->Activate();
    } else {
      s->Deactivate();
    }
  }
}

void SpoutExecutor::UpdateFinished() {
  bool all = pending_.empty() && !blocked();
  for (size_t i = 0; all && i < spouts_.size(); ++i) all = spouts_[i]->IsExhausted();
  finished_.store(all);
}

std::chrono::steady_clock::time_point SpoutExecutor::EarliestWake(size_t asked) {
  auto earliest = std::chrono::steady_clock::time_point::max();
  bool all = asked == spouts_.size();
  for (size_t i = 0; i < collectors_.size(); ++i) {
    const auto w = collectors_[i]->TakeWakeAt();
    if (w == std::chrono::steady_clock::time_point::max()) all = false;
    earliest = std::min(earliest, w);
  }
  return all ? earliest : std::chrono::steady_clock::time_point::max();
}

void SpoutExecutor::SpinUntil(std::chrono::steady_clock::time_point wake) {
  if (wake - std::chrono::steady_clock::now() > kWakeEarly) return;  // the timer was early
  while (std::chrono::steady_clock::now() < wake && !queue_.maybe_nonempty() &&
         !stop_.load(std::memory_order_relaxed)) {
    CpuPause();
  }
}

Nanos SpoutExecutor::IdleWait(int idle) const {
  if (idle < 10) return std::chrono::microseconds(100);
  if (idle < kIdleLongAfter) return std::chrono::milliseconds(1);
  const double max_ms = std::max(1.0, shared_.plan.settings().spout_idle_max_wait_ms);
  return Nanos(static_cast<int64_t>(max_ms * 1e6));
}

void SpoutExecutor::Run() {
  // The chained executors first: an Open that emits may already hand them
  // a batch.
  if (!OpenChain()) return;
  for (size_t i = 0; i < spouts_.size(); ++i) {
    if (!Guarded([&] { spouts_[i]->Open(*contexts_[i], *collectors_[i]); }, tasks_[i])) {
      Fatal("spout '" + component_.id + "' task " + std::to_string(tasks_[i]) +
                "'s Open threw: " + last_exception_,
            tasks_[i]);
      return;
    }
  }
  std::vector<Batch> input;
  int idle = 0, waits = 0, chain_waits = 0;
  while (!stop_.load(std::memory_order_relaxed)) {
    // Acks first: they free room under max.spout.pending.
    queue_.PopAll(input, Nanos(0));
    const bool had_input = ProcessAll(input);
    // The bolts run on this thread (chaining): their own queues (ticks,
    // other producers); what the spouts emit to them is handed over by a call.
    const bool chain_worked = StepChain();

    const bool want_active = shared_.active.load(std::memory_order_relaxed);
    if (want_active != active_) SetActive(want_active);
    if (blocked() && !FlushAll()) {
      WaitForSpace(waits);
      continue;
    }
    waits = 0;

    const uint64_t before = emits_;
    // Rounds over the tasks until a batch's worth was emitted, so that a
    // busy spout fills its batches; a round that emits nothing (or could
    // not: CanEmit) ends it. Which tasks were asked in the last round, for
    // their WakeAt hints.
    size_t asked = 0;
    for (size_t round = 0; round < batch_size(); ++round) {
      const uint64_t round_start = emits_;
      asked = 0;
      for (size_t i = 0; i < spouts_.size() && CanEmit(); ++i) {
        Collector& c = *collectors_[i];
        c.TakeWakeAt();
        // Rows EmitRow wrote into a bound batch made no call: an emit too.
        const rows::Channel* fast = c.fast_rows();
        const uint32_t fast_before = fast != nullptr ? fast->rows : 0;
        Guarded([&] { spouts_[i]->NextTuple(); }, tasks_[i]);
        if (fast != nullptr && (c.fast_rows() != fast || fast->rows != fast_before)) ++emits_;
        ++asked;
      }
      if (emits_ == round_start) break;
    }
    FlushAll();
    if (emits_ != before || had_input || chain_worked) {
      if (emits_ != before && finished_.load(std::memory_order_relaxed)) finished_.store(false);
      idle = 0;
      chain_waits = 0;
      continue;
    }
    if (ChainPending()) {
      WaitForSpace(chain_waits);  // a chained bolt waits for room
      continue;
    }
    chain_waits = 0;
    UpdateFinished();
    // Nothing to do: wait for acks (an input wakes the wait), growing the
    // wait from 100 us to 1 ms, and after a second of idleness to
    // topology.spout.idle.max.wait.ms: an idle topology then costs next to no
    // CPU (1 000 NextTuple calls a second were 2% of a core per spout
    // executor), and a source that wakes up again waits at most that long.
    if (idle < kIdleLongAfter) ++idle;
    // When every task said when it next has something, sleep until then,
    // to the microsecond: a paced source at 1 000 tuples/s lost half its
    // latency to the poll and the timer's default slack (50 us). At least
    // the first poll's 0.1 ms, though: a source due every few us then still
    // emits in batches rather than waking once per tuple (waking per tuple
    // cost W4 at 25% of its maximum 46% more CPU).
    const auto wake = EarliestWake(asked);
    if (wake == std::chrono::steady_clock::time_point::max()) {
      // After a second of idleness no spin first: nothing is on its way,
      // and its 8 yields before each of 100 sleeps a second were 800
      // system calls a second for nothing.
      queue_.PopAll(input, IdleWait(idle), idle < kIdleLongAfter);
    } else if (const auto now = std::chrono::steady_clock::now(); wake <= now) {
      queue_.PopAll(input, Nanos(0));  // due already: ask again at once
    } else {
      // A far time (kSpinFrom or more away when first given): sleep to
      // kWakeEarly before it and spin the rest, as a timer fires late (25 us
      // at the median, 45 at p90 on a 2-vCPU VM); the spin costs at most a
      // tenth of the wait. The decision stays with the time, so an ack that
      // wakes the spout halfway does not turn the rest into a plain (late)
      // timer. A near time sleeps the whole way, at least the floor, so a
      // fast or polling source never spins.
      const auto gap = std::chrono::duration_cast<Nanos>(wake - now);
      if (wake != spin_wake_) {
        spin_wake_ = wake;
        spin_ = gap >= kSpinFrom;
      }
      if (spin_ && gap <= kWakeEarly) {
        SpinUntil(wake);  // an ack woke it just before the time
      } else {
        const Nanos until = spin_ ? std::min(gap - kWakeEarly, IdleWait(kIdleLongAfter))
                                  : std::clamp(gap, IdleWait(0), IdleWait(kIdleLongAfter));
        const int slack = ::prctl(PR_GET_TIMERSLACK);
        ::prctl(PR_SET_TIMERSLACK, 1UL);
        queue_.PopAll(input, until);
        if (slack > 0) ::prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(slack));
        if (spin_ && input.empty()) SpinUntil(wake);
      }
    }
    ProcessAll(input);
  }
  for (size_t i = 0; i < spouts_.size(); ++i) {
    Guarded([&] { spouts_[i]->Close(); }, tasks_[i]);
  }
  CloseChain();
}

}  // namespace gale::runtime
