#include "core/state/checkpoint.h"

#include "core/state/key_value_state.h"
#include "core/state/state_store.h"
#include "core/tuple/forwarding_collector.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <stdexcept>
#include <utility>

namespace gale::state {

const char* ActionName(Action a) {
  switch (a) {
    case Action::kPrepare: return "PREPARE";
    case Action::kCommit: return "COMMIT";
    case Action::kRollback: return "ROLLBACK";
    case Action::kInitState: return "INITSTATE";
  }
  return "?";
}

std::vector<std::string> CheckpointFields() { return {"txid", "action"}; }

bool ExactlyOnce(const Config& config) {
  const Value* v = config.Find(kExactlyOnceKey);
  return v && v->type() == ValueType::kBool && v->AsBool();
}

std::string StateNamespace(const Config& config, const std::string& topology,
                           const std::string& component, int task_index) {
  std::string base = config.GetString("topology.state.namespace", "");
  if (base.empty()) base = config.GetString("storm.id", topology);
  // "index-": state named by task id before (`<component>/<task id>`) is
  // never taken for another task's.
  return base + "/" + component + "/index-" + std::to_string(task_index);
}

void SetRunDefaults(Config& topology_config, const std::string& id,
                    const std::string& rocksdb_dir) {
  topology_config.Set("storm.id", id);
  if (!topology_config.Contains("topology.state.rocksdb.dir")) {
    topology_config.Set("topology.state.rocksdb.dir", rocksdb_dir);
  }
}

bool CheckpointBarrier::Arrive(int64_t txid, int64_t action) {
  if (txid != txid_ || action != action_) {
    txid_ = txid;
    action_ = action;
    seen_ = 0;
  }
  if (++seen_ < expected_) return false;
  seen_ = 0;
  txid_ = action_ = -1;
  return true;
}

size_t CheckpointInputs(const TopologyContext& context) {
  return CheckpointSources(context).size();
}

std::vector<int32_t> CheckpointSources(const TopologyContext& context) {
  std::vector<int32_t> out;
  for (const auto& s : context.sources()) {
    if (s.stream != kCheckpointStream) continue;
    for (int32_t t : context.GetComponentTasks(s.component)) out.push_back(t);
  }
  return out;
}

namespace {

std::unique_ptr<StateStore> OpenOrThrow(const Config& config, const std::string& ns) {
  auto store = OpenStateStore(config, ns);
  if (!store.ok()) { throw std::runtime_error("state " + ns + ": " + store.status().message()); }
  return std::move(store).value();
}

// A task's committed state, from `store` (a prepared txid left over is
// dropped). `store` is taken only on success: after an error the task keeps
// it and tries again at the next checkpoint.
//
// Exactly once, a task that starts from ROLLBACK(`resume`) must find its
// state committed at resume - 1, as every task's is (each commits at every
// checkpoint, changed or not). Anything else means its state was lost (the
// memory store, in a process that restarted) or left behind (RocksDB, on a
// machine that is gone, so it could not move with its task): going on from
// it would count wrongly, so the rollback fails, and keeps failing, with
// this message. kNoTxid: no such check (at least once).
Result<std::unique_ptr<KeyValueStateImpl>> OpenCommitted(std::unique_ptr<StateStore>& store,
                                                         int64_t resume) {
  GALE_ASSIGN_OR_RETURN(auto state, KeyValueStateImpl::OpenFrom(store));
  const int64_t have = std::max<int64_t>(state->committed_txid(), 0);
  if (resume != kNoTxid && have != resume - 1) {
    store = state->ReleaseStore();
    return Status::FailedPrecondition(
        store->Describe() + " holds the state committed at checkpoint " + std::to_string(have) +
        ", but the topology's last checkpoint is " + std::to_string(resume - 1) +
        ": the state was lost (the memory store, in a process that restarted; a deleted "
        "directory) or left on another machine (RocksDB state moves with its task, but not "
        "from a supervisor that is gone; Redis survives that). Not going on from it, which "
        "would not be exactly once");
  }
  if (state->prepared_txid() != kNoTxid) GALE_RETURN_IF_ERROR(state->Rollback());
  return state;
}

// A COMMIT reaching a task restarted since it prepared: its prepared state
// is in the store. A store that never saw the PREPARE (the memory store,
// gone with the old process) has nothing to commit: `lost` says so.
Status CommitStored(StateStore& store, int64_t txid, bool* lost) {
  *lost = false;
  GALE_ASSIGN_OR_RETURN(Committed c, store.Load());
  if (c.prepared_txid == txid) return store.Commit(txid);
  *lost = c.txid < txid;
  return Status::Ok();
}

// ---- The checkpoint spout ----------------------------------------------

// What the spout persists: the txid and where its two phases got to.
enum class Phase : int64_t { kCommitted = 0, kPreparing = 1, kCommitting = 2 };

class CheckpointSpout final : public Spout {
 public:
  void Open(const TopologyContext& context, SpoutOutputCollector& collector) override {
    out_ = &collector;
    interval_ = std::chrono::milliseconds(
        context.config().GetInt("topology.state.checkpoint.interval.ms", 1000));
    const std::string ns = StateNamespace(context.config(), context.topology_name(),
                                          context.component_id(), context.task_index());
    auto state = KeyValueStateImpl::Open(OpenOrThrow(context.config(), ns));
    if (!state.ok()) throw std::runtime_error("state " + ns + ": " + state.status().message());
    state_ = std::move(state).value();
    // Its own saves are prepared and committed back to back: one left
    // prepared was cut short, and is dropped.
    if (state_->prepared_txid() != kNoTxid) {
      Status s = state_->Rollback();
      if (!s.ok()) throw std::runtime_error("state " + ns + ": " + s.message());
    }
    txid_ = state_->Get("txid", int64_t{0}).AsInt();
    phase_ = static_cast<Phase>(state_->Get("phase", int64_t{0}).AsInt());
    exactly_once_ = ExactlyOnce(context.config());
    // Every start is a recovery: settle the last txid, then INITSTATE.
    recovering_ = true;
  }

  void NextTuple() override {
    if (in_flight_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now < next_try_) return;
    if (recovering_) {
      switch (phase_) {
        // Exactly once: every task goes back to the committed state, the
        // spouts to their positions (a ROLLBACK also initializes).
        case Phase::kCommitted:
          return exactly_once_ ? Send(txid_ + 1, Action::kRollback)
                               : Send(txid_, Action::kInitState);
        case Phase::kPreparing: return Send(txid_, Action::kRollback);
        case Phase::kCommitting: return Send(txid_, Action::kCommit);
      }
    }
    if (phase_ == Phase::kCommitting) return Send(txid_, Action::kCommit);
    if (phase_ == Phase::kPreparing) {  // a PREPARE failed: roll back, then INITSTATE
      recovering_ = true;
      return Send(txid_, Action::kRollback);
    }
    if (now < last_commit_ + interval_) return;
    if (Save(txid_ + 1, Phase::kPreparing)) Send(txid_, Action::kPrepare);
  }

  void Ack(MessageId id) override {
    in_flight_ = false;
    const auto [txid, action] = Decode(id);
    switch (action) {
      case Action::kPrepare: Save(txid, Phase::kCommitting); break;
      case Action::kCommit:
        if (Save(txid, Phase::kCommitted)) last_commit_ = std::chrono::steady_clock::now();
        break;
      case Action::kRollback:
        if (Save(txid - 1, Phase::kCommitted) && exactly_once_) {
          recovering_ = false;
          last_commit_ = std::chrono::steady_clock::now();
        }
        break;
      case Action::kInitState:
        recovering_ = false;
        last_commit_ = std::chrono::steady_clock::now();
        break;
    }
  }

  void Fail(MessageId id) override {
    in_flight_ = false;
    const auto [txid, action] = Decode(id);
    (void)txid;
    // Try again a little later; a failed PREPARE turns into a rollback
    // (NextTuple), anything else is retried as it was.
    next_try_ =
        std::chrono::steady_clock::now() + std::min(interval_, std::chrono::milliseconds(500));
    if (action == Action::kPrepare) recovering_ = true;
  }

  bool IsExhausted() const override {
    return !in_flight_ && !recovering_ && phase_ == Phase::kCommitted;
  }

  void DeclareOutputFields(OutputDeclarer& declarer) const override {
    declarer.DeclareStream(kCheckpointStream, Fields(CheckpointFields()));
  }

 private:
  static MessageId Encode(int64_t txid, Action a) {
    return MessageId{(static_cast<uint64_t>(txid) << 2) | static_cast<uint64_t>(a)};
  }
  static std::pair<int64_t, Action> Decode(MessageId id) {
    return {static_cast<int64_t>(id.value >> 2), static_cast<Action>(id.value & 3)};
  }

  void Send(int64_t txid, Action a) {
    in_flight_ = true;
    out_->Emit(Stream{kCheckpointStream}, Values{txid, static_cast<int64_t>(a)}, Encode(txid, a));
  }

  // Persists (txid, phase); false (and an error reported) when the store
  // cannot be written: nothing moves until it can.
  bool Save(int64_t txid, Phase phase) {
    state_->Put("txid", txid);
    state_->Put("phase", static_cast<int64_t>(phase));
    const int64_t n = state_->committed_txid() + 1;
    Status s = state_->PrepareCommit(n);
    if (s.ok()) s = state_->Commit(n);
    if (!s.ok()) {
      (void)state_->Rollback();
      out_->ReportError("checkpoint spout: cannot save txid " + std::to_string(txid) + ": " +
                        s.message());
      next_try_ = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      return false;
    }
    txid_ = txid;
    phase_ = phase;
    return true;
  }

  SpoutOutputCollector* out_ = nullptr;
  std::unique_ptr<KeyValueStateImpl> state_;
  std::chrono::milliseconds interval_{1000};
  int64_t txid_ = 0;
  Phase phase_ = Phase::kCommitted;
  bool recovering_ = true;
  bool in_flight_ = false;
  bool exactly_once_ = false;
  std::chrono::steady_clock::time_point next_try_{}, last_commit_{};
};

// ---- The stateful bolt runner --------------------------------------------

class StatefulBoltRunner;

// The user's collector: acks wait for the commit of the state that has
// the input; everything else goes straight through.
class HoldingCollector final : public ForwardingCollector {
 public:
  HoldingCollector(OutputCollector& out, std::vector<Tuple>& acked)
      : ForwardingCollector(out), acked_(acked) {}
  void Ack(const Tuple& input) override { acked_.push_back(input); }

 private:
  std::vector<Tuple>& acked_;
};

class StatefulBoltRunner final : public Bolt {
 public:
  explicit StatefulBoltRunner(std::unique_ptr<StatefulBolt> bolt) : bolt_(std::move(bolt)) {
    code_config_.Set(std::string(kStatefulMarker), true);
  }
  // The marker, over whatever the bolt's code sets.
  Config ComponentConfiguration() const override {
    return bolt_->ComponentConfiguration().MergedWith(code_config_);
  }

  void Prepare(const TopologyContext& context, OutputCollector& collector) override {
    out_ = &collector;
    // Exactly once, the executor aligns the checkpoints and hands over one
    // (core/state/aligner.h); acks are not held (nothing is acked per
    // tuple: a rollback replays everything since the last commit).
    exactly_once_ = ExactlyOnce(context.config());
    barrier_ = CheckpointBarrier(exactly_once_ ? 1 : CheckpointInputs(context));
    ns_ = StateNamespace(context.config(), context.topology_name(), context.component_id(),
                         context.task_index());
    // An unreachable store stops the task here, naming it.
    store_ = OpenOrThrow(context.config(), ns_);
    if (exactly_once_) {
      user_out_ = std::make_unique<ForwardingCollector>(collector);
    } else {
      user_out_ = std::make_unique<HoldingCollector>(collector, acked_);
    }
    rollbacks_ = context.RegisterCounter("state.rollbacks");
    failures_ = context.RegisterCounter("state.checkpoint.failures");
    state_behind_ = context.RegisterCounter("state.behind.checkpoint");
    bolt_->Prepare(context, *user_out_);
  }

  void Execute(const Tuple& input) override {
    if (input.source_stream() == kCheckpointStream) return Checkpoint(input);
    if (!state_) {
      waiting_.push_back(input);  // until INITSTATE
      return;
    }
    bolt_->Execute(input);
  }

  void DeclareOutputFields(OutputDeclarer& declarer) const override {
    bolt_->DeclareOutputFields(declarer);
  }
  void Cleanup() override { bolt_->Cleanup(); }

 private:
  void Checkpoint(const Tuple& t) {
    const int64_t txid = t.GetInt(0);
    const auto action = static_cast<Action>(t.GetInt(1));
    if (!barrier_.Arrive(txid, static_cast<int64_t>(action))) {
      out_->Ack(t);
      return;
    }
    Status s;
    switch (action) {
      case Action::kPrepare:
        if (!state_) {
          s = Status::FailedPrecondition("not initialized yet (waiting for INITSTATE)");
          break;
        }
        // A hook that throws fails the checkpoint: everything rolls back.
        try {
          bolt_->PrePrepare(txid);
        } catch (const std::exception& e) {
          s = Status::Internal(std::string("PrePrepare threw: ") + e.what());
          break;
        }
        s = state_->PrepareCommit(txid);
        if (s.ok()) {
          for (auto& a : acked_) prepared_.push_back(std::move(a));
          acked_.clear();
        }
        break;
      case Action::kCommit:
        if (state_) {
          bolt_->PreCommit(txid);
          s = state_->Commit(txid);
          if (s.ok()) {
            for (const Tuple& p : prepared_) out_->Ack(p);
            prepared_.clear();
          }
        } else {
          bool lost = false;
          s = CommitStored(*store_, txid, &lost);
          if (s.ok() && lost) {
            out_->ReportError("state " + ns_ + ": COMMIT of txid " + std::to_string(txid) +
                              " found no prepared state (lost with the previous process); its "
                              "inputs are replayed");
          }
        }
        break;
      case Action::kRollback:
        rollbacks_.Inc();
        if (state_) {
          bolt_->PreRollback();
          s = state_->Rollback();
          for (const Tuple& p : prepared_) out_->Fail(p);
          for (const Tuple& a : acked_) out_->Fail(a);
          prepared_.clear();
          acked_.clear();
        } else if (exactly_once_) {
          // A rollback initializes; what waited came before it: stale.
          waiting_.clear();
          s = Init(txid);
        } else {
          s = store_->Rollback();
        }
        break;
      case Action::kInitState:
        if (!state_) {
          s = Init(kNoTxid);
          if (s.ok()) ReportIfBehind(txid);
        }
        break;
    }
    if (!s.ok()) {
      failures_.Inc();
      out_->ReportError("state " + ns_ + ": " + ActionName(action) + " of txid " +
                        std::to_string(txid) + " failed: " + s.message());
      out_->Fail(t);
      return;
    }
    out_->Emit(Stream{kCheckpointStream}, t, Values{txid, static_cast<int64_t>(action)});
    out_->Ack(t);
  }

  // At least once, INITSTATE(T) carries the last committed checkpoint, and
  // every task commits at every checkpoint: a task that finds less was
  // lost (the memory store, in a process that restarted) or left behind
  // (RocksDB, on a supervisor that is gone), unless its component is new to
  // the namespace. It goes on from what it found, as Storm does, but says
  // so, where `gale info` and the UI show it.
  void ReportIfBehind(int64_t txid) {
    const int64_t have = std::max<int64_t>(state_->committed_txid(), 0);
    if (have >= txid) return;
    state_behind_.Inc();
    out_->ReportError(
        "state " + ns_ + ": " + state_->store().Describe() +
        " holds the state committed at "
        "checkpoint " +
        std::to_string(have) + ", but the topology's last checkpoint is " + std::to_string(txid) +
        ": going on from it, so what this task counted since is lost "
        "(the memory store, in a process that restarted; RocksDB left on a supervisor that is "
        "gone, which Redis avoids; or a component new to this namespace, which is fine)");
  }

  // `resume`: as OpenCommitted's.
  Status Init(int64_t resume) {
    GALE_ASSIGN_OR_RETURN(state_, OpenCommitted(store_, resume));
    bolt_->InitState(*state_);
    std::deque<Tuple> waiting;
    waiting.swap(waiting_);
    for (const Tuple& w : waiting) bolt_->Execute(w);
    return Status::Ok();
  }

  std::unique_ptr<StatefulBolt> bolt_;
  Config code_config_;
  OutputCollector* out_ = nullptr;
  std::unique_ptr<ForwardingCollector> user_out_;
  bool exactly_once_ = false;
  CheckpointBarrier barrier_{1};
  std::string ns_;
  std::unique_ptr<StateStore> store_;         // until INITSTATE
  std::unique_ptr<KeyValueStateImpl> state_;  // from INITSTATE
  std::vector<Tuple> acked_;                  // acked by the bolt since the last PREPARE
  std::vector<Tuple> prepared_;               // in the prepared txid, acked at its COMMIT
  std::deque<Tuple> waiting_;                 // arrived before INITSTATE
  Counter rollbacks_, failures_, state_behind_;
};

// ---- The stateful spout runner ------------------------------------------

class StatefulSpoutRunner final : public Spout, public CheckpointedSpout {
 public:
  explicit StatefulSpoutRunner(std::unique_ptr<StatefulSpout> spout) : spout_(std::move(spout)) {
    code_config_.Set(std::string(kStatefulMarker), true);
  }
  Config ComponentConfiguration() const override {
    return spout_->ComponentConfiguration().MergedWith(code_config_);
  }

  void Open(const TopologyContext& context, SpoutOutputCollector& collector) override {
    ns_ = StateNamespace(context.config(), context.topology_name(), context.component_id(),
                         context.task_index());
    store_ = OpenOrThrow(context.config(), ns_);
    rollbacks_ = context.RegisterCounter("state.rollbacks");
    out_ = &collector;
    spout_->Open(context, collector);
  }

  // Nothing before the first rollback gives the spout its position.
  void NextTuple() override {
    if (state_) spout_->NextTuple();
  }
  void Activate() override { spout_->Activate(); }
  void Deactivate() override { spout_->Deactivate(); }
  void Close() override { spout_->Close(); }
  void DeclareOutputFields(OutputDeclarer& declarer) const override {
    spout_->DeclareOutputFields(declarer);
  }
  // Exhausted once the checkpoint after its last emit has committed.
  bool IsExhausted() const override { return state_ && drained_ && spout_->IsExhausted(); }

  Status OnCheckpoint(int64_t txid, Action action) override {
    switch (action) {
      case Action::kPrepare:
        if (!state_) return Status::FailedPrecondition("not initialized since the task started");
        spout_->PrePrepare(txid);
        exhausted_at_prepare_ = spout_->IsExhausted();
        return state_->PrepareCommit(txid);
      case Action::kCommit: {
        if (!state_) {
          bool lost = false;
          return CommitStored(*store_, txid, &lost);
        }
        spout_->PreCommit(txid);
        GALE_RETURN_IF_ERROR(state_->Commit(txid));
        drained_ = exhausted_at_prepare_;
        return Status::Ok();
      }
      case Action::kRollback:
        rollbacks_.Inc();
        drained_ = exhausted_at_prepare_ = false;
        if (!state_) {
          Status s = Init(txid);
          if (!s.ok()) out_->ReportError("state " + ns_ + ": " + s.message());
          return s;
        }
        spout_->PreRollback();
        GALE_RETURN_IF_ERROR(state_->Rollback());
        spout_->InitState(*state_);  // back to the committed position
        return Status::Ok();
      case Action::kInitState: return state_ ? Status::Ok() : Init(kNoTxid);
    }
    return Status::Ok();
  }

 private:
  Status Init(int64_t resume) {
    GALE_ASSIGN_OR_RETURN(state_, OpenCommitted(store_, resume));
    spout_->InitState(*state_);
    return Status::Ok();
  }

  std::unique_ptr<StatefulSpout> spout_;
  Config code_config_;
  SpoutOutputCollector* out_ = nullptr;
  std::string ns_;
  std::unique_ptr<StateStore> store_;         // until initialized
  std::unique_ptr<KeyValueStateImpl> state_;  // from then on
  bool exhausted_at_prepare_ = false, drained_ = false;
  Counter rollbacks_;
};

template <typename T>
std::unique_ptr<Spout> MakeCheckpointSpout() {
  return std::make_unique<T>();
}

}  // namespace

std::unique_ptr<Bolt> RunStateful(std::unique_ptr<StatefulBolt> bolt) {
  return std::make_unique<StatefulBoltRunner>(std::move(bolt));
}

std::unique_ptr<Spout> RunStatefulSpout(std::unique_ptr<StatefulSpout> spout) {
  return std::make_unique<StatefulSpoutRunner>(std::move(spout));
}

const PluginClass& CheckpointSpoutClass() {
  static const PluginClass cls{kCheckpointSpoutClass.data(), ComponentKind::kSpout,
                               &MakeCheckpointSpout<CheckpointSpout>, nullptr};
  return cls;
}

}  // namespace gale::state
