#include "core/runtime/executor.h"
#include "core/acking/acker_bolt.h"

#include "core/common/logging.h"
#include "core/common/strings.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>

namespace gale::runtime {

Executor::Executor(WorkerShared& shared, const plan::ExecutorPlan& plan)
    : shared_(shared),
      component_(shared.plan.components()[static_cast<size_t>(plan.component)]),
      tasks_(plan.tasks),
      queue_(static_cast<size_t>(shared.plan.settings().receive_buffer_size)),
      batch_size_(static_cast<size_t>(shared.plan.settings().producer_batch_size)),
      batch_rows_(static_cast<uint32_t>(shared.plan.settings().producer_batch_rows)),
      acking_(shared.plan.acking()),
      debug_(shared.plan.settings().debug),
      stats_on_(shared.plan.settings().stats_enabled),
      out_(static_cast<size_t>(shared.transfer.destination_count())),
      inline_(out_.size(), nullptr),
      open_pack_(plan.tasks.size() * shared.plan.acker_tasks().size(), 0) {
  BuildGroupers();
  stats_.SetErrorThrottle(shared.plan.settings().max_error_report_per_interval,
                          shared.plan.settings().error_throttle_interval_secs);
  if (stats_on_) ConfigureStreamStats(plan.component);
  task_destination_.assign(static_cast<size_t>(shared.plan.task_count()) + 1, -1);
  open_rows_.resize(task_destination_.size());
  for (int32_t t = 1; t <= shared.plan.task_count(); ++t) {
    task_destination_[static_cast<size_t>(t)] = shared.transfer.DestinationOf(t);
  }
  for (int d = 0; d < shared.transfer.destination_count(); ++d) {
    remote_.push_back(shared.transfer.IsRemote(d) ? 1 : 0);
  }
  const auto& ackers = shared.plan.acker_tasks();
  for (size_t i = 0; i < ackers.size(); ++i) {
    if (!shared.transfer.IsRemote(shared.transfer.DestinationOf(ackers[i]))) {
      local_ackers_.push_back(i);
    }
  }
}

Executor::~Executor() {
  RequestStop();
  Join();
}

void Executor::Start() {
  if (host_ != nullptr) return;  // the host's thread runs it
  thread_ = std::thread([this] {
    Run();
    for (Executor* c : chained_) c->exited_.store(true, std::memory_order_release);
    exited_.store(true, std::memory_order_release);
  });
}

void Executor::RunOn(Executor& host) {
  host_ = &host;
  host.chained_.push_back(this);
  queue_.ForwardWakesTo(&host.queue_);
}

void Executor::DeliverInline(int dest, Executor& to) { inline_[static_cast<size_t>(dest)] = &to; }

bool Executor::OpenChain() {
  for (Executor* c : chained_) {
    if (!c->OpenOnHost()) return false;
  }
  return true;
}

bool Executor::StepChain() {
  bool worked = false;
  for (Executor* c : chained_) worked |= c->StepOnHost();
  return worked;
}

void Executor::CloseChain() {
  for (Executor* c : chained_) c->CloseOnHost();
}

void Executor::RequestStop() {
  stop_.store(true);
  queue_.Wake();
}

void Executor::Join() {
  if (thread_.joinable()) thread_.join();
}

void Executor::ConfigureStreamStats(int self) {
  std::vector<std::pair<std::string, std::string>> outputs(component_.outputs.size()), inputs;
  std::vector<const StreamMeta*> metas;
  std::vector<bool> system(component_.outputs.size(), true);
  for (const auto& out : component_.outputs) {
    outputs[out->index] = {component_.id, out->meta.stream};
    system[out->index] = out->system;
  }
  for (const auto& c : shared_.plan.components()) {
    for (const auto& out : c.outputs) {
      if (out->system || !shared_.plan.Subscribes(*out, self)) continue;
      metas.push_back(&out->meta);
      inputs.emplace_back(c.id, out->meta.stream);
    }
  }
  const auto user_outputs = std::count(system.begin(), system.end(), false);
  per_output_ = user_outputs > 1;
  per_input_ = metas.size() > 1;
  input_metas_.Resize(metas.size());
  for (size_t i = 0; i < metas.size(); ++i) input_metas_[i] = metas[i];
  stats_.ConfigureStreams(std::move(outputs), std::move(system), std::move(inputs), per_output_,
                          per_input_);
}

void Executor::BuildGroupers() {
  routes_.resize(tasks_.size());
  for (size_t t = 0; t < tasks_.size(); ++t) {
    auto& per_stream = routes_[t];
    per_stream.resize(component_.outputs.size());
    for (size_t s = 0; s < component_.outputs.size(); ++s) {
      for (const plan::Route& r : component_.outputs[s]->routes) {
        grouping::GrouperArgs args;
        args.type = r.grouping;
        args.targets = shared_.plan.components()[static_cast<size_t>(r.target_component)].tasks;
        args.field_indices = r.field_indices;
        args.local_tasks = shared_.local_tasks;
        args.seed = ids_.Next();
        args.loads = shared_.loads;
        args.load_aware.higher_bound = shared_.plan.settings().locality_higher_bound;
        args.load_aware.lower_bound = shared_.plan.settings().locality_lower_bound;
        ForwardToChained(r, args);
        per_stream[s].groupers.push_back(grouping::MakeGrouper(std::move(args)));
      }
      StreamRoutes& r = per_stream[s];
      r.fixed = std::all_of(r.groupers.begin(), r.groupers.end(),
                            [](const auto& g) { return g == nullptr || g->Fixed(); });
      if (r.fixed) ChooseNow(r, Values{}, r.targets);
    }
  }
}

void Executor::ForwardToChained(const plan::Route& r, grouping::GrouperArgs& args) const {
  using topology::GroupingType;
  if (!r.chain || (r.grouping != GroupingType::kShuffle && r.grouping != GroupingType::kNone &&
                   r.grouping != GroupingType::kLocalOrShuffle)) {
    return;
  }
  const auto& plan = shared_.plan;
  const int self = plan.ExecutorOfTask(tasks_.front());
  const int child = plan.ChainChild(static_cast<size_t>(self), r.target_component);
  const auto& thread_of = shared_.thread_of;  // -1: not in this worker
  if (child < 0 || thread_of[static_cast<size_t>(child)] < 0 ||
      thread_of[static_cast<size_t>(child)] != thread_of[static_cast<size_t>(self)]) {
    return;  // not on this thread (another worker): the grouping as written
  }
  args.type = GroupingType::kLocalOrShuffle;
  args.local_tasks = plan.executors()[static_cast<size_t>(child)].tasks;
}

const plan::OutputStream& Executor::FindStream(std::string_view stream) const {
  for (const auto& o : component_.outputs) {
    if (o->meta.stream == stream && !o->system) {
      last_stream_ = o.get();
      return *o;
    }
  }
  throw std::invalid_argument("component '" + component_.id + "' emitted to stream '" +
                              std::string(stream) +
                              "', which it did not declare in DeclareOutputFields()");
}

void Executor::ValueCountMismatch(const plan::OutputStream& out, size_t count) const {
  const size_t declared = out.meta.fields.size();
  throw std::invalid_argument("component '" + component_.id + "' emitted " + std::to_string(count) +
                              (count == 1 ? " value" : " values") + " on stream '" +
                              out.meta.stream + "', which declares " + std::to_string(declared) +
                              (declared == 1 ? " field [" : " fields [") +
                              gale::Join(out.meta.fields.names()) + "]");
}

std::span<const int32_t> Executor::ChooseNow(const StreamRoutes& r, const Values& values,
                                             std::vector<int32_t>& scratch) {
  scratch.clear();
  for (const auto& g : r.groupers) {
    if (g) g->ChooseTasks(values, scratch);
  }
  return scratch;
}

bool Executor::DirectSubscriber(const plan::OutputStream& out, int32_t target) const {
  const int c = shared_.plan.ComponentOfTask(target);
  for (const plan::Route& r : out.routes) {
    if (r.target_component == c && r.grouping == topology::GroupingType::kDirect) return true;
  }
  return false;
}

uint64_t Executor::NewRoot() {
  const uint64_t r = ids_.Next();
  const uint64_t n = shared_.plan.acker_tasks().size();
  if (local_ackers_.empty() || local_ackers_.size() == n) return r;
  // Keep r's high bits, set its residue mod n to a local acker's index
  // (spread over the local ackers by other bits of r).
  return WithResidue(r, n, local_ackers_[(r >> 32) % local_ackers_.size()]);
}

void Executor::PackAck(size_t acker_index, const StreamMeta* pack, int32_t source_task,
                       uint64_t root, uint64_t val) {
  const int32_t acker = shared_.plan.acker_tasks()[acker_index];
  const int dest = DestinationOfTask(acker);
  if (dest < 0) return NoDestination(acker);
  Batch& batch = out_[static_cast<size_t>(dest)];
  size_t& at = open_pack_[TaskIndex(source_task) * shared_.plan.acker_tasks().size() + acker_index];
  // Where this task's last pack for the acker went into the batch. If the
  // batch left since, the position is past its end or holds another
  // envelope (only this call makes packs of this task for this acker, and
  // it moves the position to each). Never while blocked: a refused batch
  // may be encoded already (ClusterTransfer keeps what it encoded), and
  // bytes added to it now would be lost.
  if (at < batch.size() && blocked_ == 0) {
    Envelope& e = batch[at];
    if (e.task == acker && e.tuple.meta() == pack && e.tuple.source_task() == source_task &&
        acking::AddAck(internal::TupleAccess::mutable_bytes(e.tuple, 0), root, val)) {
      return;
    }
  }
  at = batch.size();
  // Room for 8 acks, growing to 64 as needed: a pack that stays small (its
  // batch left) holds little memory in the queues it waits in.
  std::string bytes;
  bytes.reserve(8 * acking::kAckBytes);
  acking::AddAck(bytes, root, val);
  Send(acker, pack, source_task, Values{Bytes{std::move(bytes)}});
}

void Executor::SendRowSlow(int32_t task, const plan::OutputStream& out, int32_t source_task,
                           std::string_view row) {
  if (DestinationOfTask(task) < 0) return NoDestination(task);
  OpenRows& o = open_rows_[static_cast<size_t>(task)];
  if (o.meta == &out.rows_meta && o.source == source_task) {
    // No room: grow the bytes up to kBatchRowBytes, else close and reopen.
    const size_t used = static_cast<size_t>(o.ch.cursor - o.bytes.data());
    if (used + row.size() <= kBatchRowBytes || used == rows::kCountBytes) {
      o.bytes.resize(std::max(used + row.size(), 2 * o.bytes.size()));
      o.ch.cursor = o.bytes.data() + used;
      o.ch.limit =
          o.bytes.data() + std::min(o.bytes.size(), std::max(kBatchRowBytes, used + row.size()));
      return SendRow(task, out, source_task, row);
    }
    RowsFull(task);
  } else if (o.meta != nullptr) {
    CloseRows(task);  // another stream or source task: order kept
  }
  o.meta = &out.rows_meta;
  o.source = source_task;
  o.stream_index = out.index;
  o.counted = 0;
  o.ch.rows = 0;
  o.ch.max = batch_rows_;
  o.bytes.resize(std::max(row_bytes_hint_, rows::kCountBytes + row.size()));
  o.bytes.resize(o.bytes.capacity());  // all of it writable through the cursor
  o.ch.cursor = o.bytes.data() + rows::kCountBytes;
  o.ch.limit = o.bytes.data() + std::min(o.bytes.size(), kBatchRowBytes);
  open_list_.push_back(task);
  SendRow(task, out, source_task, row);
}

void Executor::BindRows(int32_t task, const plan::OutputStream& out, int32_t source_task,
                        rows::Channel** slot) {
  OpenRows& o = open_rows_[static_cast<size_t>(task)];
  if (debug_ || o.meta != &out.rows_meta || o.source != source_task) return;
  if (o.bound != nullptr && o.bound != slot) *o.bound = nullptr;
  o.bound = slot;
  *slot = &o.ch;
}

void Executor::CloseRows(int32_t task) {
  OpenRows& o = open_rows_[static_cast<size_t>(task)];
  if (o.meta == nullptr) return;
  if (o.bound != nullptr) *std::exchange(o.bound, nullptr) = nullptr;
  const uint32_t n = o.ch.rows;
  // The rows a collector wrote itself are counted now, as EmitRowOn counts
  // the others.
  if (const uint32_t uncounted = n - o.counted; uncounted > 0) {
    stats_.AddEmitted(uncounted, uncounted);
    if (per_output()) stats_.AddStreamEmitted(o.stream_index, uncounted);
  }
  o.bytes.resize(static_cast<size_t>(o.ch.cursor - o.bytes.data()));
  // A partial batch (a flush, a tuple for the task) gives back the room it
  // did not use: the queues' bound counts rows, and their bytes with it.
  if (o.bytes.capacity() > 2 * o.bytes.size()) o.bytes.shrink_to_fit();
  rows::Store32(o.bytes.data(), n);
  const StreamMeta* meta = std::exchange(o.meta, nullptr);
  o.ch = rows::Channel();
  const int dest = DestinationOfTask(task);
  Batch& batch = out_[static_cast<size_t>(dest)];
  if (batch.empty()) dirty_.push_back(dest);
  const size_t prefetch = inline_[static_cast<size_t>(dest)] != nullptr ? 0 : kEnvelopeHotBytes;
  // The bytes move into the envelope; the next batch allocates its own.
  EmplaceEnvelope(batch, prefetch, task, meta, o.source, Values{Bytes{std::move(o.bytes)}}).rows =
      n;
  o.bytes = std::string();
  Queued(dest, batch, n);
}

void Executor::RowsFull(int32_t task) {
  // A full batch's size is what the next one reserves (a partial one,
  // closed by a flush, says nothing about it).
  const OpenRows& o = open_rows_[static_cast<size_t>(task)];
  row_bytes_hint_ = std::min(static_cast<size_t>(o.ch.cursor - o.bytes.data()), kBatchRowBytes);
  CloseRows(task);
  // The consumer gets the rows now, as the reference's ring hands over
  // each batch.
  const int dest = DestinationOfTask(task);
  Batch& batch = out_[static_cast<size_t>(dest)];
  if (!batch.empty() && blocked_ == 0 && !Handover(dest, batch)) blocked_ = 1;
}

std::span<const int32_t> Executor::EmitRowOn(int32_t task, const plan::OutputStream& out,
                                             const Row& row, std::vector<int32_t>& scratch,
                                             rows::Channel** bind) {
  if (out.direct) {
    throw std::invalid_argument("cannot do a regular emit to direct stream '" + out.meta.stream +
                                "'; use EmitDirect");
  }
  if (row.size() != out.meta.fields.size()) [[unlikely]]
    ValueCountMismatch(out, row.size());
  const StreamRoutes& r = routes_[TaskIndex(task)][out.index];
  std::span<const int32_t> targets;
  if (r.fixed) {
    targets = r.targets;
  } else {
    // The grouper reads Values: the same choice as for a tuple of these values.
    row_values_ = row.ToValues();
    targets = ChooseNow(r, row_values_, scratch);
  }
  if (!out.system) {
    stats_.AddEmitted(1, targets.size());
    if (per_output()) stats_.AddStreamEmitted(out.index, targets.size());
  }
  if (debug()) LogEmit(task, out, row.ToValues(), targets);
  for (int32_t t : targets) SendRow(t, out, task, row.bytes());
  if (bind != nullptr && r.fixed && targets.size() == 1) BindRows(targets[0], out, task, bind);
  return targets;
}

void Executor::NoDestination(int32_t task) {
  // The plan routes only to tasks that exist; a task no destination runs
  // is a bug in the assignment.
  GALE_LOG(kError) << "no destination runs task " << task << "; tuple dropped";
}

void Executor::SendNow(int32_t task, const StreamMeta* meta, int32_t source_task, Values&& values) {
  Send(task, meta, source_task, std::move(values));
  const int dest = DestinationOfTask(task);
  if (dest < 0) return;
  auto& batch = out_[static_cast<size_t>(dest)];
  if (batch.empty() || Handover(dest, batch) || shared_.transfer.ForceDeliver(dest, batch)) {
    return;  // FlushAll() skips the empty batch left in dirty_
  }
  blocked_ = 1;
}

bool Executor::FlushAll() {
  // Open batches of rows first: a partial batch leaves as a partial batch
  // of tuples does.
  for (int32_t task : open_list_) CloseRows(task);
  open_list_.clear();
  size_t kept = 0;
  for (int dest : dirty_) {
    auto& batch = out_[static_cast<size_t>(dest)];
    if (!batch.empty() && !Handover(dest, batch)) dirty_[kept++] = dest;
  }
  dirty_.resize(kept);
  blocked_ = kept > 0 ? 1 : 0;
  return kept == 0;
}

void Executor::WaitForSpace(int& attempt) {
  ++attempt;
  if (attempt < 10) {
    std::this_thread::yield();
  } else {
    const int micros = attempt < 100 ? 50 : 1000;
    std::this_thread::sleep_for(std::chrono::microseconds(micros));
    // Counted by what was asked of the sleep: no clock read on this path.
    if (stats_on_) stats_.AddBackpressure(static_cast<uint64_t>(micros) * 1000);
  }
}

void Executor::LogEmit(int32_t task, const plan::OutputStream& out, const Values& values,
                       std::span<const int32_t> targets) const {
  std::string v, t;
  for (const auto& x : values) v += (v.empty() ? "" : ", ") + x.ToString();
  for (int32_t x : targets) t += (t.empty() ? "" : ",") + std::to_string(x);
  GALE_LOG(kInfo) << "Emitting: " << component_.id << " task " << task << " " << out.meta.stream
                  << " [" << v << "] to [" << t << "]";
}

void Executor::Fatal(const std::string& why, int32_t task) {
  GALE_LOG(kError) << why;
  std::lock_guard<std::mutex> lock(shared_.fatal_mu);
  if (shared_.fatal.empty()) {
    shared_.fatal = why;
    shared_.fatal_component = component_.id;
    shared_.fatal_task = task;
  }
}

void Executor::ReportError(int32_t task, std::string_view message) {
  ReportErrorTo(stats_, component_.id, task, message);
}

void Executor::ReportErrorTo(ExecutorStats& stats, const std::string& component, int32_t task,
                             std::string_view message) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const ErrorVerdict v = stats.ReportError(ErrorInfo{
      std::string(message), std::chrono::duration_cast<std::chrono::seconds>(now).count(), task});
  if (v.suppressed_before > 0) {
    GALE_LOG(kWarn) << component << ": " << v.suppressed_before << " more error report(s) in the "
                    << v.interval_secs
                    << " s before were not logged (topology.max.error.report.per.interval)";
  }
  if (v.log) GALE_LOG(kWarn) << component << " task " << task << ": " << message;
}

}  // namespace gale::runtime
