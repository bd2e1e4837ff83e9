#include "core/runtime/worker_runtime.h"

#include "core/acking/acker_bolt.h"
#include "core/common/logging.h"
#include "core/runtime/bolt_executor.h"
#include "core/runtime/spout_executor.h"
#include "core/tuple/tuple_access.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace gale::runtime {
namespace {

// How often the timer thread measures each executor's busy share.
constexpr auto kBusyInterval = std::chrono::milliseconds(100);

plan::Role RoleOf(const plan::TopologyPlan& plan, size_t executor) {
  return plan.components()[static_cast<size_t>(plan.executors()[executor].component)].role;
}

// "split (tasks 4-5)".
std::string NameOf(const Executor& e) {
  return StuckExecutor{e.component().id, e.tasks().front(), e.tasks().back(), ""}.ToString();
}

}  // namespace

WorkerRuntime::WorkerRuntime(const plan::TopologyPlan& plan, const Clock& clock,
                             WorkerOptions options)
    : plan_(plan), clock_(clock), options_(std::move(options)) {}

Result<std::unique_ptr<WorkerRuntime>> WorkerRuntime::Create(const plan::TopologyPlan& plan,
                                                             const plugin::ClassRegistry& classes,
                                                             const Clock& clock,
                                                             WorkerOptions options) {
  std::unique_ptr<WorkerRuntime> w(new WorkerRuntime(plan, clock, std::move(options)));
  std::vector<size_t> mine = w->options_.executors;
  if (mine.empty()) {
    for (size_t i = 0; i < plan.executors().size(); ++i) mine.push_back(i);
  }
  for (size_t index : mine) {
    if (index >= plan.executors().size()) {
      return Status::InvalidArgument("executor " + std::to_string(index) + " is not in the plan");
    }
  }
  // Acker executors go round-robin onto this worker's spout executors
  // (topology.acker.in.spout.executor); host[j] is the position in `mine`
  // of the spout executor that runs mine[j], or -1.
  std::vector<int> host(mine.size(), -1);
  if (plan.settings().acker_in_spout_executor) {
    std::vector<int> spouts;
    for (size_t j = 0; j < mine.size(); ++j) {
      if (RoleOf(plan, mine[j]) == plan::Role::kSpout) spouts.push_back(static_cast<int>(j));
    }
    size_t next = 0;
    for (size_t j = 0; j < mine.size() && !spouts.empty(); ++j) {
      if (RoleOf(plan, mine[j]) == plan::Role::kAcker) host[j] = spouts[next++ % spouts.size()];
    }
  }
  // Destinations: the executors with a thread of their own, in `mine`'s
  // order; a hosted acker's tasks go to its host.
  std::vector<int> dest(mine.size(), -1);
  for (size_t j = 0; j < mine.size(); ++j) {
    if (host[j] < 0) dest[j] = w->local_count_++;
  }
  w->remote_peers_ = w->options_.remote ? w->options_.remote->destination_count() : 0;
  w->shared_.reset(new WorkerShared{plan, *w, clock, {true}, {}, {}, {}, {}, -1, {}});
  // Chaining: an executor runs on the thread of its chain parent when that
  // runs here too (and so on up the chain); else on a thread of its own.
  std::vector<int> dest_of(plan.executors().size(), -1);  // by plan executor
  std::vector<int> here(plan.executors().size(), -1);
  for (size_t j = 0; j < mine.size(); ++j) {
    if (host[j] >= 0) continue;  // a hosted acker: never in a chain
    dest_of[mine[j]] = dest[j];
    here[mine[j]] = 0;
  }
  w->shared_->thread_of = plan.ChainHeads(here);
  if (!plan.settings().disable_loadaware_messaging) w->shared_->loads = w.get();
  w->busy_.reset(new std::atomic<double>[static_cast<size_t>(w->local_count_)]());
  const std::vector<int>& thread_of = w->shared_->thread_of;
  w->task_destination_.assign(static_cast<size_t>(plan.task_count()) + 1, -1);
  for (size_t j = 0; j < mine.size(); ++j) {
    for (int32_t t : plan.executors()[mine[j]].tasks) {
      w->task_destination_[static_cast<size_t>(t)] =
          host[j] < 0 ? dest[j] : dest[static_cast<size_t>(host[j])];
      w->shared_->local_tasks.push_back(t);
    }
  }
  for (int32_t t = 1; t <= plan.task_count(); ++t) {
    auto& d = w->task_destination_[static_cast<size_t>(t)];
    if (d >= 0) continue;
    const int peer = w->options_.remote ? w->options_.remote->DestinationOf(t) : -1;
    if (peer < 0) return Status::InvalidArgument("no worker runs task " + std::to_string(t));
    d = w->local_count_ + peer;
  }
  for (size_t j = 0; j < mine.size(); ++j) {
    if (host[j] < 0) continue;
    const plan::ExecutorPlan& ep = plan.executors()[mine[j]];
    w->hosted_.push_back(
        {std::make_unique<HostedAcker>(plan.components()[static_cast<size_t>(ep.component)], ep),
         static_cast<size_t>(dest[static_cast<size_t>(host[j])])});
  }
  for (size_t j = 0; j < mine.size(); ++j) {
    if (host[j] >= 0) continue;
    const plan::ExecutorPlan& ep = plan.executors()[mine[j]];
    const plan::ComponentPlan& c = plan.components()[static_cast<size_t>(ep.component)];
    if (c.role == plan::Role::kSpout) {
      std::vector<std::unique_ptr<Spout>> spouts;
      for (size_t i = 0; i < ep.tasks.size(); ++i) {
        auto s = classes.MakeSpout(c.class_name);
        if (!s.ok()) return s.status().WithContext("spout '" + c.id + "'");
        spouts.push_back(std::move(s).value());
      }
      std::vector<HostedAcker*> hosted;
      for (auto& h : w->hosted_) {
        if (h.host == static_cast<size_t>(dest[j])) hosted.push_back(h.acker.get());
      }
      w->executors_.push_back(
          std::make_unique<SpoutExecutor>(*w->shared_, ep, std::move(spouts), std::move(hosted)));
    } else {
      std::vector<std::unique_ptr<Bolt>> bolts;
      for (size_t i = 0; i < ep.tasks.size(); ++i) {
        if (c.role == plan::Role::kAcker) {
          bolts.push_back(std::make_unique<acking::AckerBolt>());
          continue;
        }
        auto b = classes.MakeBolt(c.class_name);
        if (!b.ok()) return b.status().WithContext("bolt '" + c.id + "'");
        bolts.push_back(std::move(b).value());
      }
      w->executors_.push_back(std::make_unique<BoltExecutor>(*w->shared_, ep, std::move(bolts)));
    }
  }
  // Parents first, so that a host steps (and cleans up) them in chain order.
  auto depth = [&](size_t x) {
    int d = 0;
    for (int at = static_cast<int>(x); thread_of[static_cast<size_t>(at)] != at; ++d) {
      at = plan.ChainParent(static_cast<size_t>(at));
    }
    return d;
  };
  std::vector<size_t> chained;
  for (size_t x = 0; x < plan.executors().size(); ++x) {
    if (thread_of[x] >= 0 && thread_of[x] != static_cast<int>(x)) chained.push_back(x);
  }
  std::stable_sort(chained.begin(), chained.end(),
                   [&](size_t a, size_t b) { return depth(a) < depth(b); });
  for (size_t x : chained) {
    Executor& e = *w->executors_[static_cast<size_t>(dest_of[x])];
    Executor& host =
        *w->executors_[static_cast<size_t>(dest_of[static_cast<size_t>(thread_of[x])])];
    e.RunOn(host);
    GALE_LOG(kInfo) << NameOf(e) << " runs on the thread of " << NameOf(host) << " (chained)";
    // Every executor above it in its chain hands it batches by a call.
    for (int at = plan.ChainParent(x); at >= 0; at = plan.ChainParent(static_cast<size_t>(at))) {
      w->executors_[static_cast<size_t>(dest_of[static_cast<size_t>(at)])]->DeliverInline(
          dest_of[x], e);
      if (thread_of[static_cast<size_t>(at)] == at) break;
    }
  }
  w->remote_scratch_.resize(w->executors_.size());
  w->remote_system_scratch_.resize(w->executors_.size());
  return w;
}

WorkerRuntime::~WorkerRuntime() {
  Stop();
  // A chained executor's destructor wakes its host's queue (RequestStop):
  // they go first, while every host is alive.
  for (auto& e : executors_) {
    if (e && e->host() != nullptr) e.reset();
  }
}

void WorkerRuntime::Start() {
  if (started_) return;
  started_ = true;
  for (auto& e : executors_) e->Start();
  timer_ = std::thread([this] { TimerLoop(); });
}

void WorkerRuntime::Stop() { StopUntil(std::chrono::steady_clock::time_point::max()); }

std::vector<StuckExecutor> WorkerRuntime::StopUntil(std::chrono::steady_clock::time_point deadline,
                                                    const std::function<bool()>& give_up) {
  {
    std::lock_guard<std::mutex> lock(timer_mu_);
    stopping_ = true;
  }
  timer_cv_.notify_all();
  if (timer_.joinable()) timer_.join();  // the timer runs no user code
  for (auto& e : executors_) e->RequestStop();
  const bool forever = deadline == std::chrono::steady_clock::time_point::max();
  const auto all_exited = [&] {
    for (const auto& e : executors_) {
      if (!e->Exited()) return false;
    }
    return true;
  };
  while (!forever && !all_exited() && std::chrono::steady_clock::now() < deadline &&
         !(give_up && give_up())) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::vector<StuckExecutor> stuck;
  for (size_t i = 0; i < executors_.size(); ++i) {
    Executor& e = *executors_[i];
    if (forever || e.Exited()) {
      e.Join();
      continue;
    }
    std::string on;  // a chained executor: its host's thread
    if (const Executor* h = e.host()) { on = NameOf(*h); }
    stuck.push_back({e.component().id, e.tasks().front(), e.tasks().back(), on});
    const std::string host = stuck.back().ToString();
    for (const auto& h : hosted_) {
      if (h.host != i) continue;
      stuck.push_back({h.acker->component.id, h.acker->tasks.front(), h.acker->tasks.back(), host});
    }
  }
  return stuck;
}

std::string StuckExecutor::ToString() const {
  std::string tasks = task_start == task_end
                          ? "task " + std::to_string(task_start)
                          : "tasks " + std::to_string(task_start) + "-" + std::to_string(task_end);
  if (!host.empty()) tasks += ", on the thread of " + host;
  return component + " (" + tasks + ")";
}

void WorkerRuntime::UpdateBusy(BusySample& last) {
  // Execute time is steady_clock time (BoltExecutor::DeliverBatch), so the
  // interval is too, whatever clock the topology runs on.
  const auto now = std::chrono::steady_clock::now();
  const bool first = last.execute_nanos.empty();
  last.execute_nanos.resize(executors_.size(), 0);
  last.shares.resize(executors_.size(), {0.0, 0.0, 0.0});
  const double span = static_cast<double>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now - last.at).count());
  for (size_t i = 0; i < executors_.size(); ++i) {
    const uint64_t total = executors_[i]->stats().execute_nanos();
    if (!first && span > 0) {
      auto& shares = last.shares[i];
      shares[last.next] = static_cast<double>(total - last.execute_nanos[i]) / span;
      const double share = std::max({shares[0], shares[1], shares[2]});
      busy_[i].store(share, std::memory_order_relaxed);
    }
    last.execute_nanos[i] = total;
  }
  if (!first) last.next = (last.next + 1) % 3;
  last.at = now;
}

void WorkerRuntime::TimerLoop() {
  struct Ticker {
    Executor* executor;
    int32_t task;  // Envelope::kAllTasks, or a hosted acker's first task
    Nanos period;
    Nanos next;
    double secs;
  };
  std::vector<Ticker> tickers;
  auto add = [&](Executor* e, int32_t task, double secs) {
    if (secs <= 0) return;
    const Nanos period(static_cast<int64_t>(secs * 1e9));
    tickers.push_back({e, task, period, clock_.Now() + period, secs});
  };
  for (auto& e : executors_) add(e.get(), Envelope::kAllTasks, e->component().tick_secs);
  for (const auto& h : hosted_) {
    add(executors_[h.host].get(), h.acker->tasks.front(), h.acker->component.tick_secs);
  }
  BusySample busy;
  // On the system clock the loop sleeps until the next tick or load
  // sample is due, at least 1 ms (a tick period may be any positive
  // fraction of a second: the timer must not spin); it polled every 10 ms,
  // 100 wake-ups a second that were over a third of an idle cluster's CPU. An
  // injected clock may jump at any moment, so it is still polled.
  const bool system_clock = dynamic_cast<const SystemClock*>(&clock_) != nullptr;
  std::unique_lock<std::mutex> lock(timer_mu_);
  while (!stopping_) {
    const Nanos now = clock_.Now();
    const auto steady = std::chrono::steady_clock::now();
    if (shared_->loads != nullptr && steady - busy.at >= kBusyInterval) UpdateBusy(busy);
    Nanos due = now + std::chrono::seconds(1);
    if (shared_->loads != nullptr) {
      due =
          std::min(due, now + std::chrono::duration_cast<Nanos>(busy.at + kBusyInterval - steady));
    }
    for (auto& t : tickers) {
      if (now < t.next) continue;
      // Whole seconds tick with an int, as in Storm; fractions with a double.
      Values rate;
      if (t.secs == std::floor(t.secs)) {
        rate.emplace_back(static_cast<int64_t>(t.secs));
      } else {
        rate.emplace_back(t.secs);
      }
      ticks_sent_.fetch_add(1);
      t.executor->queue().ForcePush(
          Envelope{t.task, Tuple(plan_.tick_meta(), kSystemTaskId, std::move(rate))});
      t.next = now + t.period;
    }
    for (const auto& t : tickers) due = std::min(due, t.next);
    timer_rounds_.fetch_add(1);
    if (system_clock) {
      timer_cv_.wait_for(lock, std::max(due - now, Nanos(std::chrono::milliseconds(1))));
    } else {
      timer_cv_.wait_for(lock, std::chrono::milliseconds(10));
    }
  }
}

bool WorkerRuntime::Idle() const {
  // Every processed envelope was sent before it was processed, so reading
  // all `processed` first and all `sent` after gives processed <= sent, and
  // equality means nothing was in flight at the moment of the first read.
  uint64_t processed = 0, sent = 0;
  for (const auto& e : executors_) processed += e->processed();
  for (const auto& e : executors_) sent += e->sent();
  return processed == sent + ticks_sent_.load();
}

bool WorkerRuntime::Quiescent() const {
  // Finished spouts emit nothing more unless a tree fails, which needs a
  // tuple in flight; so finished, then idle, then still finished is final.
  for (const auto& e : executors_) {
    if (!e->Finished()) return false;
  }
  if (!Idle()) return false;
  for (const auto& e : executors_) {
    if (!e->Finished()) return false;
  }
  return true;
}

std::vector<ExecutorReport> WorkerRuntime::ExecutorReports() const {
  std::vector<ExecutorReport> out;
  for (const auto& e : executors_) {
    out.push_back(
        {e->component().id, e->tasks().front(), e->tasks().back(), e->stats().Snapshot(), {}});
    out.back().stats.queue_depth = e->queue_depth();
    out.back().metrics = e->user_metrics().Snapshot();
  }
  for (const auto& h : hosted_) {
    out.push_back({h.acker->component.id,
                   h.acker->tasks.front(),
                   h.acker->tasks.back(),
                   h.acker->stats.Snapshot(),
                   {}});
  }
  return out;
}

const plan::OutputStream* WorkerRuntime::RemoteStream(int32_t target_task, int32_t source_task,
                                                      uint32_t stream, size_t values,
                                                      int& dest) const {
  dest = DestinationOf(target_task);
  const int source = plan_.ComponentOfTask(source_task);
  if (dest < 0 || dest >= local_count_ || source < 0) return nullptr;
  const auto& outputs = plan_.components()[static_cast<size_t>(source)].outputs;
  // A batch of rows (gale/rows.h): its stream's index with kRowsStreamBit,
  // one value (the rows' bytes), on a user stream.
  const bool rows = (stream & plan::kRowsStreamBit) != 0;
  const uint32_t index = stream & ~plan::kRowsStreamBit;
  if (index >= outputs.size()) return nullptr;
  const plan::OutputStream& out = *outputs[index];
  if (values != (rows ? 1 : out.meta.fields.size()) ||
      (rows && (out.system || out.direct || out.meta.fields.size() == 0)) ||
      !plan_.Subscribes(out, plan_.ComponentOfTask(target_task))) {
    return nullptr;
  }
  return &out;
}

// The meta a remote tuple of `stream` points at (a batch of rows: the rows').
static const StreamMeta* RemoteMeta(const plan::OutputStream& out, uint32_t stream) {
  return (stream & plan::kRowsStreamBit) != 0 ? &out.rows_meta : &out.meta;
}

// For a batch of rows that arrived: checks its bytes and sets its count.
static Status CheckRemoteRows(Envelope& e) {
  const Value& v = e.tuple.values()[0];
  if (v.type() != ValueType::kBytes) {
    return Status::InvalidArgument("a batch of rows whose value is " +
                                   std::string(ValueTypeName(v.type())) + ", not bytes");
  }
  return tuple::CheckRows(v.AsBytes().data, e.tuple.meta()->fields.size(), e.rows);
}

size_t WorkerRuntime::DeliverRemote(std::span<tuple::WireTuple> tuples) {
  for (tuple::WireTuple& w : tuples) {
    int dest = -1;
    const plan::OutputStream* out =
        RemoteStream(w.target_task, w.source_task, w.stream, w.values.size(), dest);
    if (!out) {
      dropped_.fetch_add(1);
      continue;
    }
    Envelope& e = EmplaceEnvelope(
        RemoteBatch(*out, dest), EnvelopeBytesFor(w.values.size(), !w.roots.empty()), w.target_task,
        RemoteMeta(*out, w.stream), w.source_task, std::move(w.values));
    Tuple& t = e.tuple;
    if (t.meta()->row_meta != nullptr) {
      if (Status s = CheckRemoteRows(e); !s.ok()) {
        GALE_LOG(kWarn) << "dropped a batch of rows from task " << w.source_task << ": "
                        << s.message();
        RemoteBatch(*out, dest).pop_back();
        dropped_.fetch_add(1);
        continue;
      }
    }
    if (w.roots.empty()) continue;  // in no tree: its tree part stays unbuilt
    auto& roots = internal::TupleAccess::mutable_roots(t);
    for (const auto& [root, edge] : w.roots) roots.XorInto(root, edge);
  }
  PushRemote();
  return tuples.size();
}

Result<size_t> WorkerRuntime::DeliverFrame(std::string_view frame) {
  tuple::FrameReader reader;
  GALE_RETURN_IF_ERROR(reader.Open(frame));
  // Until the whole frame has decoded nothing is delivered: what this
  // frame added to each scratch batch goes again on an error.
  thread_local std::vector<size_t> had, system_had;
  had.resize(remote_scratch_.size());
  system_had.resize(remote_system_scratch_.size());
  for (size_t i = 0; i < had.size(); ++i) had[i] = remote_scratch_[i].size();
  for (size_t i = 0; i < system_had.size(); ++i) system_had[i] = remote_system_scratch_[i].size();
  uint64_t dropped = 0;
  thread_local Values dropped_values;
  tuple::FrameReader::Head head;
  Status s;
  // Most tuples of a frame go where the one before went: its route is
  // looked up once (the last tuple's task, source, stream and arity).
  tuple::FrameReader::Head last;
  const plan::OutputStream* out = nullptr;
  int dest = -1;
  bool known = false;
  for (size_t i = 0; i < reader.count() && s.ok(); ++i) {
    s = reader.Next(head);
    if (!s.ok()) break;
    if (!known || head.target_task != last.target_task || head.source_task != last.source_task ||
        head.stream != last.stream || head.values != last.values) {
      out = RemoteStream(head.target_task, head.source_task, head.stream, head.values, dest);
      last = head;
      known = true;
    }
    if (!out) {
      ++dropped;
      dropped_values.clear();
      s = reader.ReadValues(head, dropped_values);  // the rest of the frame must decode too
      continue;
    }
    Envelope& e = EmplaceEnvelope(RemoteBatch(*out, dest),
                                  EnvelopeBytesFor(head.values, head.roots() > 0), head.target_task,
                                  RemoteMeta(*out, head.stream), head.source_task, Values());
    Tuple& t = e.tuple;
    s = reader.ReadValues(head, internal::TupleAccess::mutable_values(t));
    if (s.ok() && t.meta()->row_meta != nullptr) s = CheckRemoteRows(e);
    if (!s.ok() || head.roots() == 0) continue;  // in no tree: its tree part stays unbuilt
    auto& roots = internal::TupleAccess::mutable_roots(t);
    tuple::FrameReader::ForEachRoot(
        head, [&](uint64_t root, uint64_t edge) { roots.XorInto(root, edge); });
  }
  if (s.ok()) s = reader.Finish();
  if (!s.ok()) {
    for (size_t i = 0; i < had.size(); ++i) {
      while (remote_scratch_[i].size() > had[i]) remote_scratch_[i].pop_back();
    }
    for (size_t i = 0; i < system_had.size(); ++i) {
      while (remote_system_scratch_[i].size() > system_had[i]) remote_system_scratch_[i].pop_back();
    }
    return s;
  }
  if (dropped > 0) dropped_.fetch_add(dropped);
  PushRemote();
  return reader.count();
}

void WorkerRuntime::PushRemote() {
  for (size_t i = 0; i < remote_system_scratch_.size(); ++i) {
    executors_[i]->queue().ForcePushAll(remote_system_scratch_[i]);
  }
  // Hand each executor its share, waiting while a queue is full: the
  // transport reads no new frame meanwhile, which is the backpressure on
  // the sending workers.
  int attempt = 0;
  for (;;) {
    bool all = true;
    for (size_t i = 0; i < remote_scratch_.size(); ++i) {
      auto& batch = remote_scratch_[i];
      if (!batch.empty() && !executors_[i]->queue().TryPush(batch)) all = false;
    }
    if (all) return;
    {
      std::lock_guard<std::mutex> lock(timer_mu_);
      if (stopping_) return;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(attempt++ < 10 ? 100 : 1000));
  }
}

std::vector<ComponentStats> WorkerRuntime::Stats() const {
  std::vector<ComponentStats> out;
  for (const auto& c : plan_.components()) {
    out.push_back({c.id, c.role, 0, static_cast<int>(c.tasks.size()), {}});
  }
  for (const auto& e : executors_) {
    auto& cs = out[static_cast<size_t>(plan_.FindComponent(e->component().id))];
    ++cs.executors;
    cs.stats.Add(e->stats().Snapshot());
  }
  for (const auto& h : hosted_) {
    auto& cs = out[static_cast<size_t>(plan_.FindComponent(h.acker->component.id))];
    ++cs.executors;
    cs.stats.Add(h.acker->stats.Snapshot());
  }
  return out;
}

}  // namespace gale::runtime
