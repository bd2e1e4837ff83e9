#include "nimbus/nimbus.h"

#include "nimbus/scheduler.h"
#include "nimbus/stored.h"

#include "core/common/logging.h"
#include "core/common/sha256.h"
#include "core/common/strings.h"
#include "core/plan/topology_plan.h"
#include "core/plugin/describe.h"
#include "core/runtime/stats.h"
#include "core/topology/validator.h"
#include "core/transport/zmq_transport.h"
#include "thrift/convert.h"

#include <algorithm>
#include <set>

namespace gale::nimbus {

namespace {

std::string SlotName(const thrift::WorkerSlot& s) { return s.host + ":" + std::to_string(s.port); }

bool SameSlot(const thrift::WorkerSlot& a, const thrift::WorkerSlot& b) {
  return a.supervisor_id == b.supervisor_id && a.port == b.port;
}

// Per worker of `a`, the tasks of its executors.
std::vector<std::set<std::pair<int32_t, int32_t>>> ExecutorsByWorker(const thrift::Assignment& a) {
  std::vector<std::set<std::pair<int32_t, int32_t>>> out(a.workers.size());
  for (const auto& e : a.executors) {
    if (e.worker >= 0 && static_cast<size_t>(e.worker) < out.size()) {
      out[static_cast<size_t>(e.worker)].insert({e.task_start, e.task_end});
    }
  }
  return out;
}

Result<std::unique_ptr<plan::TopologyPlan>> PlanOf(const thrift::Topology& t) {
  GALE_ASSIGN_OR_RETURN(topology::TopologySpec spec, convert::FromThrift(t));
  return plan::TopologyPlan::Build(spec);
}

Status AlreadyRunning(const std::string& name) {
  return Status::AlreadyExists("topology '" + name +
                               "' is already running; kill it first or choose another name");
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  if (from.empty()) return s;
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

// "[word, count]", or "[word] direct".
std::string Shape(const StreamDeclaration& s) {
  return "[" + Join(s.fields.names()) + "]" + (s.direct == Direct::kYes ? " direct" : "");
}

// The streams the client says a component declares (`claimed`) against
// those its plugin declares (`described`): one line per difference.
void CompareOutputs(const topology::ComponentSpec& claimed,
                    const topology::ComponentSpec& described, std::vector<std::string>& lines) {
  const std::string label = std::string(claimed.kind == ComponentKind::kSpout ? "spout" : "bolt") +
                            " '" + claimed.id + "' (className " + claimed.class_name + ")";
  std::vector<std::string> declared;
  for (const auto& d : described.outputs) declared.push_back(d.id);
  for (const auto& c : claimed.outputs) {
    const StreamDeclaration* d = described.FindOutput(c.id);
    if (d == nullptr) {
      lines.push_back(label + ": the submitted topology declares stream '" + c.id + "' " +
                      Shape(c) + ", which the plugin does not declare " +
                      (declared.empty() ? "(it declares no output streams)"
                                        : "(it declares: " + Join(declared) + ")"));
    } else if (Shape(*d) != Shape(c)) {
      lines.push_back(label + ": stream '" + c.id + "' is " + Shape(c) +
                      " in the submitted topology, but the plugin declares " + Shape(*d));
    }
  }
  for (const auto& d : described.outputs) {
    if (claimed.FindOutput(d.id) == nullptr) {
      lines.push_back(label + ": the plugin declares stream '" + d.id + "' " + Shape(d) +
                      ", which the submitted topology leaves out");
    }
  }
}

// Checks a submitted topology against what its plugins register and
// declare, learned by running the describer (nimbus loads no plugin): the
// errors `gale validate` gives, then any stream the client declared
// otherwise than the plugin does.
Status CheckAgainstPlugins(const NimbusOptions& options, const topology::TopologySpec& spec) {
  // Messages name a plugin as the client did, not by nimbus's own path.
  auto named = [&](std::string text) {
    for (const auto& p : spec.plugins) text = Replace(std::move(text), p.path, p.name);
    return text;
  };
  auto description = plugin::DescribeWithProgram({options.describe_program, "__describe"}, spec,
                                                 options.describe_timeout);
  if (!description.ok()) {
    return Status(description.status().code(), named(description.status().message()));
  }
  for (auto& cls : description->classes) cls.plugin = named(cls.plugin);
  // What `gale validate` checks, against what the plugins said...
  topology::TopologySpec described = spec;
  for (auto* list : {&described.spouts, &described.bolts}) {
    for (auto& c : *list) {
      c.outputs.clear();
      c.outputs_known = false;
    }
  }
  plugin::ApplyDescription(*description, described);
  GALE_RETURN_IF_ERROR(topology::ValidateWithPlugins(described, description->classes));
  // ... and that the client said the same.
  std::vector<std::string> lines;
  for (const auto* list : {&spec.spouts, &spec.bolts}) {
    for (const auto& c : *list) {
      const topology::ComponentSpec* d = described.FindComponent(c.id);
      if (d != nullptr && d->outputs_known) CompareOutputs(c, *d, lines);
    }
  }
  if (lines.empty()) return Status::Ok();
  return Status::InvalidArgument(Join(lines, "\n"));
}

}  // namespace

Nimbus::Nimbus(NimbusOptions options, const Clock& clock, MetaStore& store, PluginStore& plugins)
    : options_(std::move(options)),
      clock_(clock),
      started_(clock.Now()),
      store_(store),
      plugins_(plugins),
      state_mover_(options_.state_dir, store) {}

Nimbus::Nimbus(NimbusOptions options, const Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      started_(clock.Now()),
      own_store_(std::make_unique<DirMetaStore>(options_.state_dir)),
      own_plugins_(std::make_unique<PluginStore>(options_.state_dir)),
      store_(*own_store_),
      plugins_(*own_plugins_),
      state_mover_(options_.state_dir, store_) {}

int64_t Nimbus::UnixNowSecs() const { return UnixMillis() / 1000; }

Status Nimbus::Recover() {
  std::lock_guard<std::mutex> lock(mu_);
  if (own_plugins_) GALE_RETURN_IF_ERROR(plugins_.Init());
  GALE_RETURN_IF_ERROR(state_mover_.Recover());
  {
    // Statistics are worth keeping but not worth refusing to start over.
    auto bytes = store_.Get("stats");
    Status s = bytes.status();
    if (bytes.ok() && bytes->has_value()) {
      auto stored = Deserialize<thrift::StoredStats>(**bytes);
      s = stored.ok() ? stats_.FromStored(*stored) : stored.status();
    }
    if (!s.ok()) GALE_LOG(kWarn) << "statistics in " << store_.Describe() << ": " << s.message();
  }
  GALE_ASSIGN_OR_RETURN(const std::vector<std::string> ids, store_.List("topologies"));
  for (const std::string& key : ids) {
    GALE_ASSIGN_OR_RETURN(std::optional<std::string> bytes, store_.Get("topologies/" + key));
    if (!bytes) continue;  // removed meanwhile
    auto t = Deserialize<thrift::StoredTopology>(*bytes);
    if (!t.ok()) {
      // Never delete what cannot be read: keep it aside for a human.
      GALE_LOG(kError) << "cannot read topology " << key << " in " << store_.Describe() << " ("
                       << t.status().message() << "); " << store_.SetAside("topologies/" + key);
      continue;
    }
    const std::string id = t->id;
    // ids are name-<n>-<secs>: continue the counter after the largest n.
    const auto first = id.rfind('-', id.rfind('-') - 1);
    if (first != std::string::npos) {
      next_id_ = std::max<int64_t>(next_id_, std::atoll(id.c_str() + first + 1) + 1);
    }
    // Its workers get the start grace to report in before anything moves.
    for (const auto& slot : t->assignment.workers) {
      workers_[{id, {slot.supervisor_id, slot.port}}] = WorkerState{Now()};
    }
    GALE_LOG(kInfo) << "recovered topology " << id << " (" << convert::StatusName(t->status) << ", "
                    << t->assignment.workers.size() << " workers, assignment version "
                    << t->assignment.version << ")";
    topologies_.emplace(id, std::move(t).value());
  }
  // State nobody is recorded to hold is where its task runs now: a topology
  // started before nimbus recorded holders (or whose record was lost) keeps
  // its RocksDB state when its tasks next move. Holders already recorded
  // stay: a move under way goes on.
  for (const auto& [id, t] : topologies_) state_mover_.Recovered(PlacementFor(t));
  return Status::Ok();
}

// ---------------------------------------------------------------- helpers

thrift::StoredTopology* Nimbus::FindByName(const std::string& name) {
  for (auto& [id, t] : topologies_) {
    if (t.topology.name == name) return &t;
  }
  return nullptr;
}

thrift::StoredTopology* Nimbus::FindById(const std::string& id) {
  auto it = topologies_.find(id);
  return it == topologies_.end() ? nullptr : &it->second;
}

Status Nimbus::Persist(const thrift::StoredTopology& t) {
  const Status s = store_.Put("topologies/" + t.id, Serialize(t));
  if (s.ok() && unpersisted_.erase(t.id) > 0) {
    GALE_LOG(kInfo) << "topology " << t.id << " saved to " << store_.Describe()
                    << " (it could not be before)";
  }
  return s;
}

void Nimbus::PersistOrRetry(const thrift::StoredTopology& t) {
  const Status s = Persist(t);
  if (s.ok()) return;
  GALE_LOG(kError) << "cannot persist topology " << t.id << " (written again at each tick until "
                   << "it takes): " << s;
  unpersisted_.insert(t.id);
}

void Nimbus::PersistAgain() {
  if (unpersisted_.empty()) return;
  const std::vector<std::string> ids(unpersisted_.begin(), unpersisted_.end());
  for (const std::string& id : ids) {
    if (const thrift::StoredTopology* t = FindById(id)) {
      (void)Persist(*t);  // takes it out of unpersisted_ once it takes
    } else {
      unpersisted_.erase(id);  // gone meanwhile
    }
  }
}

Status Nimbus::Update(thrift::StoredTopology& t,
                      const std::function<void(thrift::StoredTopology&)>& change) {
  thrift::StoredTopology next = t;
  change(next);
  GALE_RETURN_IF_ERROR(Persist(next));  // on disk first: a failed write changes nothing
  t = std::move(next);
  return Status::Ok();
}

void Nimbus::SaveStats(bool now) {
  if (!stats_.dirty() || (!now && Now() - stats_saved_at_ < kStatsSaveInterval)) return;
  const Status s = store_.Put("stats", Serialize(stats_.ToStored()));
  if (!s.ok()) {
    GALE_LOG(kWarn) << "statistics not saved: " << s.message();
    return;
  }
  stats_.clear_dirty();
  stats_saved_at_ = Now();
}

void Nimbus::Remove(const std::string& id) {
  if (Status s = store_.Remove("topologies/" + id); !s.ok()) {
    // Kept (KILLED) and tried again at the next tick: forgetting it here
    // would bring it back with the next nimbus that reads the store.
    GALE_LOG(kError) << "topology " << id << " is over but stays in " << store_.Describe()
                     << " for now: " << s.message();
    return;
  }
  state_mover_.Forget(id);
  placements_.erase(id);
  topologies_.erase(id);
  plans_.erase(id);
  sched_notes_.erase(id);
  settling_.erase(id);
  errors_.erase(id);
  stats_.RemoveTopology(id);
  for (auto it = workers_.begin(); it != workers_.end();) {
    it = it->first.first == id ? workers_.erase(it) : std::next(it);
  }
}

thrift::Topology Nimbus::Effective(const thrift::StoredTopology& t) const {
  thrift::Topology out = t.topology;
  for (auto& c : out.components) {
    auto it = t.num_executors.find(c.id);
    if (it == t.num_executors.end()) continue;
    if (c.num_tasks == 0) c.__set_num_tasks(c.parallelism);  // tasks never change
    c.parallelism = it->second;
  }
  thrift::ConfigValue workers;
  workers.__set_int_value(t.num_workers);
  out.config["topology.workers"] = workers;
  out.__isset.config = true;
  return out;
}

int Nimbus::DefaultWaitSecs(const thrift::StoredTopology& t) const {
  auto it = t.topology.config.find("topology.message.timeout.secs");
  if (it == t.topology.config.end()) return 30;
  const Value v = convert::FromThrift(it->second);
  if (v.type() == ValueType::kInt) return static_cast<int>(v.AsInt());
  if (v.type() == ValueType::kDouble) return static_cast<int>(v.AsDouble() + 0.999);
  return 30;
}

bool Nimbus::SupervisorAlive(const std::string& id) const {
  auto it = supervisors_.find(id);
  return it != supervisors_.end() &&
         Now() - it->second.last_heartbeat <= options_.supervisor_timeout;
}

bool Nimbus::WorkerAlive(const std::string& topology_id, const thrift::WorkerSlot& slot) const {
  if (!SupervisorAlive(slot.supervisor_id)) return false;
  auto it = workers_.find({topology_id, {slot.supervisor_id, slot.port}});
  if (it == workers_.end()) return false;
  const WorkerState& w = it->second;
  if (Now() - w.assigned_at <= options_.worker_start_timeout) return true;
  return w.last_heartbeat.count() > 0 && Now() - w.last_heartbeat <= options_.worker_timeout;
}

bool Nimbus::Settling(const thrift::StoredTopology& t) {
  if (!settling_.count(t.id)) return false;
  for (const thrift::WorkerSlot& slot : t.assignment.workers) {
    auto it = workers_.find({t.id, {slot.supervisor_id, slot.port}});
    if (it == workers_.end()) continue;
    const WorkerState& w = it->second;
    // Bounded by the worker timeout, not the start grace: a worker that
    // cannot start (a crash loop) pauses the rest of the topology no longer.
    if (w.restarting && w.first_heartbeat.count() == 0 &&
        Now() - w.assigned_at <= std::min(options_.worker_start_timeout, options_.worker_timeout)) {
      return true;
    }
    if (w.following && w.heartbeat.assignment_version < t.assignment.version &&
        Now() - w.following_since <= options_.worker_timeout) {
      return true;
    }
  }
  settling_.erase(t.id);
  return false;
}

std::vector<thrift::WorkerSlot> Nimbus::FreeSlots() const {
  std::set<SlotKey> used;
  for (const auto& [id, t] : topologies_) {
    for (const auto& s : t.assignment.workers) used.insert({s.supervisor_id, s.port});
  }
  // A port whose old worker is still running (a killed topology's, still
  // stopping) is not free yet: a new worker there would race the old one
  // for the port, and peers could connect to the old one and lose tuples.
  for (const auto& [sid, s] : supervisors_) {
    for (int port : s.running_ports) used.insert({sid, port});
  }
  // Interleaved across supervisors, the one with the most free slots first,
  // so that a topology's workers spread over machines (Storm's EvenScheduler).
  std::vector<std::vector<thrift::WorkerSlot>> per_supervisor;
  for (const auto& [sid, s] : supervisors_) {
    if (!SupervisorAlive(sid)) continue;
    std::vector<thrift::WorkerSlot> free;
    for (int port : s.ports) {
      if (used.count({sid, port})) continue;
      thrift::WorkerSlot slot;
      slot.supervisor_id = sid;
      slot.host = s.host;
      slot.port = port;
      free.push_back(slot);
    }
    if (!free.empty()) per_supervisor.push_back(std::move(free));
  }
  std::stable_sort(per_supervisor.begin(), per_supervisor.end(),
                   [](const auto& a, const auto& b) { return a.size() > b.size(); });
  std::vector<thrift::WorkerSlot> out;
  for (size_t i = 0;; ++i) {
    bool any = false;
    for (const auto& list : per_supervisor) {
      if (i < list.size()) {
        out.push_back(list[i]);
        any = true;
      }
    }
    if (!any) break;
  }
  return out;
}

std::string Nimbus::TaskNumbering(const thrift::StoredTopology& t) {
  auto plan = PlanFor(t);
  if (!plan.ok()) return "";
  std::string out;
  for (int32_t task = 1; task <= (*plan)->task_count(); ++task) {
    out += std::to_string((*plan)->ComponentOfTask(task)) + ",";
  }
  return out;
}

Result<const plan::TopologyPlan*> Nimbus::PlanFor(const thrift::StoredTopology& t) {
  // The plan depends on the submitted topology (fixed) and on what a
  // rebalance changes: rebuilt only when those change, not every tick.
  std::string key = std::to_string(t.num_workers);
  for (const auto& [c, n] : t.num_executors) key += "," + c + "=" + std::to_string(n);
  CachedPlan& cached = plans_[t.id];
  if (!cached.plan || cached.key != key) {
    GALE_ASSIGN_OR_RETURN(auto plan, PlanOf(Effective(t)));
    cached = CachedPlan{key, std::move(plan)};
  }
  return static_cast<const plan::TopologyPlan*>(cached.plan.get());
}

void Nimbus::Schedule(thrift::StoredTopology& t, bool full, bool restart_all) {
  auto plan = PlanFor(t);
  if (!plan.ok()) {
    GALE_LOG(kError) << "cannot plan topology " << t.id << ": " << plan.status();
    return;
  }
  const thrift::Assignment& old = t.assignment;
  ScheduleInput in;
  for (const auto& w : old.workers) {
    in.old_workers.push_back({w.supervisor_id, w.port, w.host});
    in.old_alive.push_back(WorkerAlive(t.id, w));
  }
  for (const auto& e : old.executors) {
    in.old_executor_worker.push_back(e.worker);
    in.old_executor_tasks.push_back({e.task_start, e.task_end});
  }
  for (const auto& s : FreeSlots()) in.free_slots.push_back({s.supervisor_id, s.port, s.host});
  const auto& executors = (*plan)->executors();
  in.executors = executors.size();
  for (const auto& e : executors) in.executor_tasks.push_back({e.tasks.front(), e.tasks.back()});
  // Every executor in one place: where its chain must go.
  const std::vector<int> heads = (*plan)->ChainHeads(std::vector<int>(executors.size(), 0));
  for (size_t e = 0; e < executors.size(); ++e) {
    in.chain_head.push_back(heads[e] == static_cast<int>(e) ? -1 : heads[e]);
  }
  in.workers_wanted = t.num_workers;
  in.full = full;
  const ScheduleResult r = ComputeSchedule(in);
  if (r.note != sched_notes_[t.id]) {
    if (!r.note.empty()) GALE_LOG(kWarn) << "topology " << t.id << " " << r.note;
    sched_notes_[t.id] = r.note;
  }

  thrift::Assignment compact;
  compact.topology_id = t.id;
  compact.version = old.version;
  for (const Slot& s : r.workers) {
    thrift::WorkerSlot slot;
    slot.supervisor_id = s.supervisor;
    slot.port = s.port;
    slot.host = s.host;
    compact.workers.push_back(slot);
  }
  for (size_t e = 0; e < r.executor_worker.size(); ++e) {
    thrift::ExecutorAssignment ea;
    ea.task_start = executors[e].tasks.front();
    ea.task_end = executors[e].tasks.back();
    ea.worker = r.executor_worker[e];
    compact.executors.push_back(ea);
  }

  bool changed = compact.workers.size() != old.workers.size() ||
                 compact.executors.size() != old.executors.size();
  for (size_t w = 0; !changed && w < compact.workers.size(); ++w) {
    changed = !SameSlot(compact.workers[w], old.workers[w]);
  }
  for (size_t e = 0; !changed && e < compact.executors.size(); ++e) {
    changed = compact.executors[e].worker != old.executors[e].worker ||
              compact.executors[e].task_start != old.executors[e].task_start ||
              compact.executors[e].task_end != old.executors[e].task_end;
  }
  if (!changed) return;
  compact.version = old.version + 1;
  // A worker whose slot runs the same executors as before keeps its process
  // (it updates its routing in place) and its layout version; the others
  // start anew at this version, each with the start grace, and the old
  // processes' stats are gone.
  // topology.live.reassignment: false restarts every worker, as before; so
  // does exactly once, whose checkpoint and rollback protocol was built and
  // tested with every worker restarting (core/state/README.md).
  const bool live = !restart_all && !(*plan)->exactly_once() &&
                    (*plan)->topology_config().GetBool("topology.live.reassignment", true);
  const auto old_executors = ExecutorsByWorker(old);
  const auto new_executors = ExecutorsByWorker(compact);
  int kept = 0;
  for (size_t w = 0; w < compact.workers.size(); ++w) {
    thrift::WorkerSlot& slot = compact.workers[w];
    slot.__set_layout_version(compact.version);
    for (size_t o = 0; live && o < old.workers.size(); ++o) {
      if (!SameSlot(slot, old.workers[o]) || old_executors[o] != new_executors[w]) continue;
      if (!WorkerAlive(t.id, old.workers[o])) continue;
      slot.__set_layout_version(convert::LayoutVersion(old, o));
      ++kept;
    }
  }
  for (auto it = workers_.begin(); it != workers_.end();) {
    bool keep = false;
    if (it->first.first == t.id) {
      for (const auto& slot : compact.workers) {
        keep =
            keep || (slot.supervisor_id == it->first.second.first &&
                     slot.port == it->first.second.second && slot.layout_version < compact.version);
      }
    }
    it = it->first.first == t.id && !keep ? workers_.erase(it) : std::next(it);
  }
  for (const auto& slot : compact.workers) {
    WorkerState& w = workers_[{t.id, {slot.supervisor_id, slot.port}}];
    if (slot.layout_version == compact.version) {
      w = WorkerState{Now()};
      w.restarting = kept > 0;
    } else {
      w.following = true;
      w.following_since = Now();
    }
  }
  if (kept > 0) settling_.insert(t.id);
  GALE_LOG(kInfo) << "topology " << t.id << ": assignment version " << compact.version << " on "
                  << compact.workers.size() << " worker(s), " << kept
                  << " of them kept running (their executors stay)";
  t.assignment = std::move(compact);
  // Holders first: a restart between the two saves must not find the new
  // assignment with its holders unrecorded, which it would take for ones
  // that ran there (Recovered).
  state_mover_.Assigned(PlacementFor(t));
  PersistOrRetry(t);
}

// ---------------------------------------------------------------- lifecycle

Status Nimbus::Submit(const thrift::Topology& topology, thrift::TopologyStatus::type initial,
                      const std::string& owner) {
  GALE_ASSIGN_OR_RETURN(topology::TopologySpec spec, convert::FromThrift(topology));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (FindByName(topology.name)) return AlreadyRunning(topology.name);
    if (topology.plugins.empty()) {
      return Status::InvalidArgument("topology '" + topology.name + "' names no plugin");
    }
    for (size_t i = 0; i < topology.plugins.size(); ++i) {
      const auto& p = topology.plugins[i];
      if (!plugins_.Has(p.sha256)) {
        return Status::NotFound("topology '" + topology.name + "' needs plugin '" + p.name +
                                "' (sha256 " + p.sha256 +
                                "), which nimbus does not have: upload it first");
      }
      // Stored plugins are never deleted: the path stays good unlocked.
      spec.plugins[i].name = p.name;
      spec.plugins[i].path = plugins_.PathOf(p.sha256);
    }
  }
  GALE_RETURN_IF_ERROR(topology::ValidateStructure(spec));
  for (const auto* list : {&spec.spouts, &spec.bolts}) {
    for (const auto& c : *list) {
      std::set<std::string> ids;
      for (const auto& o : c.outputs) {
        if (o.id.empty() || o.id.rfind("__", 0) == 0 || !ids.insert(o.id).second) {
          return Status::InvalidArgument(
              "component '" + c.id + "' declares stream '" + o.id + "' " +
              (o.id.rfind("__", 0) == 0 && !o.id.empty() ? "(ids starting with '__' are Gale's own)"
                                                         : "twice or with an empty id"));
        }
      }
    }
  }
  // Without the lock: the describer may take up to its time limit.
  GALE_RETURN_IF_ERROR(CheckAgainstPlugins(options_, spec));
  GALE_ASSIGN_OR_RETURN(auto plan, plan::TopologyPlan::Build(spec));
  if (initial != thrift::TopologyStatus::ACTIVE && initial != thrift::TopologyStatus::INACTIVE) {
    return Status::InvalidArgument("a topology starts ACTIVE or INACTIVE");
  }

  std::lock_guard<std::mutex> lock(mu_);
  ForgiveStall();  // scheduling below judges liveness
  // The same name may have been submitted meanwhile.
  if (FindByName(topology.name)) return AlreadyRunning(topology.name);
  thrift::StoredTopology t;
  t.id = topology.name + "-" + std::to_string(next_id_++) + "-" + std::to_string(UnixNowSecs());
  t.topology = topology;
  // The acker count defaults to the worker count; fix it now so that a
  // rebalance of the workers never renumbers the tasks.
  if (!t.topology.config.count("topology.acker.executors")) {
    thrift::ConfigValue ackers;
    ackers.__set_int_value(plan->settings().EffectiveAckers());
    t.topology.config["topology.acker.executors"] = ackers;
    t.topology.__isset.config = true;
  }
  t.status = initial;
  t.launch_time_secs = UnixNowSecs();
  t.num_workers = plan->settings().workers;
  t.assignment.topology_id = t.id;
  t.assignment.version = 0;
  if (!owner.empty()) t.__set_owner(owner);
  if (options_.transport_curve) {
    GALE_ASSIGN_OR_RETURN(transport::CurveKeys keys, transport::NewCurveKeys());
    t.__set_transport_public_key(keys.public_key);
    t.__set_transport_secret_key(keys.secret_key);
  }
  GALE_RETURN_IF_ERROR(Persist(t));
  auto& stored = topologies_.emplace(t.id, std::move(t)).first->second;
  GALE_LOG(kInfo) << "submitted topology " << stored.id << " ("
                  << convert::StatusName(stored.status) << ", " << plan->task_count() << " tasks, "
                  << stored.num_workers << " workers)";
  Schedule(stored, /*full=*/true);
  return Status::Ok();
}

std::optional<std::string> Nimbus::OwnerOf(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  const thrift::StoredTopology* t = FindByName(name);
  if (!t) return std::nullopt;
  return t->owner;
}

Status Nimbus::Kill(const std::string& name, std::optional<int> wait_secs) {
  std::lock_guard<std::mutex> lock(mu_);
  thrift::StoredTopology* t = FindByName(name);
  if (!t) return Status::NotFound("no topology named '" + name + "'");
  const int wait = std::max(0, wait_secs.value_or(DefaultWaitSecs(*t)));
  const int64_t when = UnixMillis() + int64_t{wait} * 1000;
  if (t->status == thrift::TopologyStatus::KILLED) {
    // A second kill may only shorten the wait.
    if (t->__isset.action_time_millis && t->action_time_millis <= when) return Status::Ok();
  }
  thrift::StoredTopology next = *t;
  next.status = thrift::TopologyStatus::KILLED;
  next.__set_action_time_millis(when);
  GALE_RETURN_IF_ERROR(Persist(next));
  *t = std::move(next);
  GALE_LOG(kInfo) << "killing topology " << t->id << " in " << wait << " s";
  return Status::Ok();
}

Status Nimbus::Activate(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  thrift::StoredTopology* t = FindByName(name);
  if (!t) return Status::NotFound("no topology named '" + name + "'");
  if (t->status == thrift::TopologyStatus::ACTIVE) return Status::Ok();
  if (t->status != thrift::TopologyStatus::INACTIVE) {
    return Status::FailedPrecondition("topology '" + name + "' is " +
                                      convert::StatusName(t->status) + " and cannot be activated");
  }
  return Update(*t, [](thrift::StoredTopology& x) { x.status = thrift::TopologyStatus::ACTIVE; });
}

Status Nimbus::Deactivate(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  thrift::StoredTopology* t = FindByName(name);
  if (!t) return Status::NotFound("no topology named '" + name + "'");
  if (t->status == thrift::TopologyStatus::INACTIVE) return Status::Ok();
  if (t->status != thrift::TopologyStatus::ACTIVE) {
    return Status::FailedPrecondition("topology '" + name + "' is " +
                                      convert::StatusName(t->status) +
                                      " and cannot be deactivated");
  }
  return Update(*t, [](thrift::StoredTopology& x) { x.status = thrift::TopologyStatus::INACTIVE; });
}

Status Nimbus::Rebalance(const std::string& name, const thrift::RebalanceOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  thrift::StoredTopology* t = FindByName(name);
  if (!t) return Status::NotFound("no topology named '" + name + "'");
  if (t->status != thrift::TopologyStatus::ACTIVE &&
      t->status != thrift::TopologyStatus::INACTIVE) {
    return Status::FailedPrecondition("topology '" + name + "' is " +
                                      convert::StatusName(t->status) +
                                      " and cannot be rebalanced now");
  }
  if (options.__isset.num_workers && options.num_workers < 1) {
    return Status::InvalidArgument("rebalance: workers must be >= 1, got " +
                                   std::to_string(options.num_workers));
  }
  if (options.__isset.num_workers) {
    // The slots it has plus the free ones: asking for more would end with
    // fewer workers than asked, silently. Say so instead.
    const size_t have = t->assignment.workers.size(), free = FreeSlots().size();
    if (static_cast<size_t>(options.num_workers) > have + free) {
      return Status::FailedPrecondition(
          "rebalance: topology '" + name + "' asks for " + std::to_string(options.num_workers) +
          " workers, but the cluster has " + std::to_string(have + free) + " slot(s) for it (" +
          std::to_string(have) + " it uses, " + std::to_string(free) +
          " free): add supervisors or ask for fewer workers");
    }
  }
  for (const auto& [component, n] : options.num_executors) {
    const thrift::Component* c = nullptr;
    for (const auto& x : t->topology.components) {
      if (x.id == component) c = &x;
    }
    if (!c) {
      return Status::InvalidArgument("rebalance: topology '" + name + "' has no component '" +
                                     component + "'");
    }
    const int tasks = c->num_tasks > 0 ? c->num_tasks : c->parallelism;
    if (n < 1 || n > tasks) {
      return Status::InvalidArgument("rebalance: component '" + component + "' has " +
                                     std::to_string(tasks) + " task(s), so it can run 1 to " +
                                     std::to_string(tasks) + " executors, not " +
                                     std::to_string(n));
    }
  }
  const int wait = std::max(0, options.__isset.wait_secs ? options.wait_secs : DefaultWaitSecs(*t));
  GALE_LOG(kInfo) << "rebalancing topology " << t->id << " in " << wait << " s";
  return Update(*t, [&](thrift::StoredTopology& x) {
    x.__set_prev_status(x.status);
    x.status = thrift::TopologyStatus::REBALANCING;
    x.__set_action_time_millis(UnixMillis() + int64_t{wait} * 1000);
    x.__set_pending_rebalance(options);
  });
}

void Nimbus::ForgiveStall() {
  const Nanos now = Now();
  if (last_ran_.count() > 0 && now - last_ran_ > kStallThreshold) {
    const Nanos stall = now - last_ran_;
    auto forgive = [&](Nanos& at) {
      if (at.count() > 0) at = std::min(at + stall, now);
    };
    for (auto& [id, s] : supervisors_) forgive(s.last_heartbeat);
    for (auto& [key, w] : workers_) {
      forgive(w.last_heartbeat);
      forgive(w.assigned_at);
      forgive(w.following_since);
    }
    GALE_LOG(kWarn) << "nimbus did not run for "
                    << std::chrono::duration_cast<std::chrono::milliseconds>(stall).count()
                    << " ms (a long call held its lock, or the process was stopped); that time "
                       "is not counted against the supervisors' and workers' heartbeats";
  }
  last_ran_ = now;
}

void Nimbus::Tick() {
  std::lock_guard<std::mutex> lock(mu_);
  ForgiveStall();
  SaveStats(false);
  PersistAgain();
  const int64_t now_ms = UnixMillis();
  // Right after a restart, wait for the supervisors and workers to report
  // in before deciding anything that depends on them.
  const bool settling = Now() - started_ < options_.supervisor_timeout * 2;
  std::vector<std::string> done;
  for (auto& [id, t] : topologies_) {
    const bool due = t.__isset.action_time_millis && t.action_time_millis <= now_ms;
    if (t.status == thrift::TopologyStatus::KILLED && due) {
      done.push_back(id);
    } else if (t.status == thrift::TopologyStatus::REBALANCING && due && !settling) {
      const auto& r = t.pending_rebalance;
      // Spread everything again when the worker count is named (or nothing
      // is: a plain rebalance, as Storm's); a rebalance of executor counts
      // alone moves only those components' executors.
      const bool full = r.__isset.num_workers || r.num_executors.empty();
      // Workers may stay through it only if every task keeps its number.
      const std::string tasks_before = TaskNumbering(t);
      if (r.__isset.num_workers) t.num_workers = r.num_workers;
      for (const auto& [c, n] : r.num_executors) t.num_executors[c] = n;
      t.__isset.num_executors = true;
      t.status = t.prev_status;
      t.__isset.action_time_millis = false;
      t.__isset.pending_rebalance = false;
      const std::string tasks_after = TaskNumbering(t);
      Schedule(t, full, tasks_before.empty() || tasks_before != tasks_after);
      PersistOrRetry(t);
    }
  }
  for (const auto& id : done) {
    Remove(id);
    if (!FindById(id)) GALE_LOG(kInfo) << "topology " << id << " killed; its slots are free";
  }
  if (settling) return;
  for (auto& [id, t] : topologies_) {
    if (t.status != thrift::TopologyStatus::KILLED) Schedule(t, /*full=*/false);
  }
}

// ---------------------------------------------------------------- daemons

std::vector<thrift::SlotAssignment> Nimbus::SupervisorHeartbeat(
    const thrift::SupervisorHeartbeat& hb) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<int> ports;
  for (int p : hb.ports) {
    if (p >= 1 && p <= 65535 && std::find(ports.begin(), ports.end(), p) == ports.end()) {
      ports.push_back(p);
    }
  }
  if (hb.supervisor_id.empty() || ports.size() != hb.ports.size()) {
    GALE_LOG(kWarn) << "supervisor heartbeat from '" << hb.supervisor_id << "' at " << hb.host
                    << " has an empty id or bad or repeated ports; ignored";
    return {};
  }
  auto [it, inserted] = supervisors_.try_emplace(hb.supervisor_id);
  SupervisorState& s = it->second;
  if (inserted || !SupervisorAlive(hb.supervisor_id)) {
    s.first_seen = Now();
    GALE_LOG(kInfo) << "supervisor " << hb.supervisor_id << " at " << hb.host << " with "
                    << hb.ports.size() << " slot(s)";
  }
  s.host = hb.host;
  s.ports = hb.ports;
  s.running_ports = hb.running_ports;
  s.deaths = hb.worker_deaths;
  s.logviewer_port = hb.logviewer_port >= 0 && hb.logviewer_port <= 65535 ? hb.logviewer_port : 0;
  s.last_heartbeat = Now();
  std::vector<thrift::SlotAssignment> out;
  for (const auto& [id, t] : topologies_) {
    for (size_t i = 0; i < t.assignment.workers.size(); ++i) {
      const thrift::WorkerSlot& w = t.assignment.workers[i];
      if (w.supervisor_id != hb.supervisor_id) continue;
      thrift::SlotAssignment a;
      a.port = w.port;
      a.topology_id = id;
      a.topology_name = t.topology.name;
      a.assignment_version = t.assignment.version;
      a.__set_layout_version(convert::LayoutVersion(t.assignment, i));
      a.plugins = t.topology.plugins;
      out.push_back(std::move(a));
    }
  }
  return out;
}

Result<thrift::WorkerPlan> Nimbus::GetWorkerPlan(const std::string& topology_id,
                                                 const std::string& supervisor_id, int port) {
  std::lock_guard<std::mutex> lock(mu_);
  thrift::StoredTopology* t = FindById(topology_id);
  if (!t) return Status::NotFound("no topology with id '" + topology_id + "'");
  bool assigned = false;
  for (const auto& w : t->assignment.workers) {
    assigned = assigned || (w.supervisor_id == supervisor_id && w.port == port);
  }
  if (!assigned) {
    return Status::NotFound("topology '" + topology_id + "' has no worker on " + supervisor_id +
                            ":" + std::to_string(port));
  }
  thrift::WorkerPlan plan;
  plan.topology_id = topology_id;
  plan.topology = Effective(*t);
  // A worker starting during a live reassignment's settling starts with its
  // spouts paused, as its peers' are.
  plan.status = t->status == thrift::TopologyStatus::ACTIVE && Settling(*t)
                    ? thrift::TopologyStatus::INACTIVE
                    : t->status;
  plan.assignment = t->assignment;
  if (t->__isset.transport_secret_key) {
    plan.__set_transport_public_key(t->transport_public_key);
    plan.__set_transport_secret_key(t->transport_secret_key);
  }
  auto topology_plan = PlanFor(*t);
  for (size_t w = 0; topology_plan.ok() && w < t->assignment.workers.size(); ++w) {
    const auto& slot = t->assignment.workers[w];
    if (slot.supervisor_id != supervisor_id || slot.port != port) continue;
    plan.__set_state_imports(
        state_mover_.ImportsFor(**topology_plan, t->id, t->assignment, static_cast<int>(w)));
    // The worker runs its tasks once it has its plan (and the state it
    // imports first): from now on their RocksDB state may be on this
    // supervisor, so it moves with them, or is waited for.
    state_mover_.Ran(supervisor_id, StateMover::ByWorker(**topology_plan, t->id, t->assignment)[w]);
  }
  return plan;
}

// ------------------------------------------------- moving RocksDB state

const StateMover::Placement& Nimbus::PlacementFor(const thrift::StoredTopology& t) {
  CachedPlacement& cached = placements_[t.id];
  if (t.status == thrift::TopologyStatus::KILLED) {
    cached = CachedPlacement{};
    return cached.placement;
  }
  if (cached.version != t.assignment.version) {
    auto plan = PlanFor(t);
    if (!plan.ok()) return cached.placement;  // logged by Schedule
    cached =
        CachedPlacement{t.assignment.version, StateMover::PlacementOf(**plan, t.id, t.assignment)};
  }
  return cached.placement;
}

std::vector<std::string> Nimbus::StateExports(const std::string& supervisor_id) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, t] : topologies_) {
    for (auto& ns : state_mover_.ExportsFor(supervisor_id, PlacementFor(t))) {
      out.push_back(std::move(ns));
    }
  }
  return out;
}

Status Nimbus::UploadState(const std::string& supervisor_id, const std::string& ns, int64_t offset,
                           const std::string& chunk) {
  std::lock_guard<std::mutex> lock(mu_);
  return state_mover_.Upload(supervisor_id, ns, offset, chunk);
}

Result<bool> Nimbus::FinishStateUpload(const std::string& supervisor_id, const std::string& ns,
                                       int64_t size) {
  // Whether the namespace's task runs on another supervisor than the one
  // sending it.
  auto needed = [&] {
    for (const auto& [id, t] : topologies_) {
      const auto& placement = PlacementFor(t);
      auto it = placement.find(ns);
      if (it != placement.end() && it->second != supervisor_id) return true;
    }
    return false;
  };
  std::unique_lock<std::mutex> lock(mu_);
  // A finish asked again while the first is copying (its answer lost to a
  // timeout) waits for it, and is then answered as it was.
  if (!shared_cv_.wait_for(lock, std::chrono::seconds(30), [&] { return !sharing_.count(ns); })) {
    return Status::Unavailable("state " + ns +
                               " is still being copied to the other nimbuses: ask again");
  }
  GALE_ASSIGN_OR_RETURN(const StateMover::Finish step,
                        state_mover_.FinishUpload(supervisor_id, ns, size, needed()));
  if (step != StateMover::Finish::kShare) return step == StateMover::Finish::kHeld;
  const std::string path = state_mover_.files().PathOf(ns, ".bin");
  sharing_.insert(ns);
  lock.unlock();
  // With no lock held (a large snapshot takes a while): its SHA-256,
  // recorded with it, and in HA a copy on every other nimbus that takes
  // one, so that a new leader has it.
  const Result<std::string> sha = Sha256File(path);
  if (sha.ok()) store_.ShareStateFile(ns);
  lock.lock();
  sharing_.erase(ns);
  shared_cv_.notify_all();
  if (!sha.ok()) return Status::Internal("cannot read state " + ns + ": " + sha.status().message());
  return state_mover_.Hold(supervisor_id, ns, size, *sha, needed());
}

Status Nimbus::CheckStateTask(const std::string& topology_id, const std::string& supervisor_id,
                              int64_t version, const std::string& ns) {
  thrift::StoredTopology* t = FindById(topology_id);
  if (!t) return Status::FailedPrecondition("no topology with id '" + topology_id + "'");
  if (t->assignment.version != version) {
    return Status::FailedPrecondition("topology " + topology_id + ": assignment " +
                                      std::to_string(version) + " is over (now " +
                                      std::to_string(t->assignment.version) + ")");
  }
  const auto& placement = PlacementFor(*t);
  auto it = placement.find(ns);
  if (it == placement.end() || it->second != supervisor_id) {
    return Status::FailedPrecondition("supervisor " + supervisor_id + " does not run state " + ns +
                                      "'s task in assignment " + std::to_string(version));
  }
  return Status::Ok();
}

Result<thrift::StateChunk> Nimbus::FetchState(const std::string& topology_id,
                                              const std::string& supervisor_id, int64_t version,
                                              const std::string& ns, int64_t offset,
                                              int32_t length) {
  std::lock_guard<std::mutex> lock(mu_);
  GALE_RETURN_IF_ERROR(CheckStateTask(topology_id, supervisor_id, version, ns));
  const auto holder = state_mover_.HolderOf(ns);
  const bool holder_alive = holder && !holder->empty() && SupervisorAlive(*holder);
  return state_mover_.Read(supervisor_id, ns, offset, length, holder_alive);
}

Status Nimbus::ClaimState(const std::string& topology_id, const std::string& supervisor_id,
                          int64_t version, const std::string& ns) {
  std::lock_guard<std::mutex> lock(mu_);
  GALE_RETURN_IF_ERROR(CheckStateTask(topology_id, supervisor_id, version, ns));
  return state_mover_.Claim(supervisor_id, ns);
}

Result<thrift::WorkerHeartbeatResponse> Nimbus::WorkerHeartbeat(const thrift::WorkerHeartbeat& hb) {
  std::lock_guard<std::mutex> lock(mu_);
  thrift::StoredTopology* t = FindById(hb.topology_id);
  if (!t) return Status::NotFound("no topology with id '" + hb.topology_id + "'");
  thrift::WorkerHeartbeatResponse r;
  r.assignment_version = t->assignment.version;
  r.assigned = false;
  for (size_t i = 0; i < t->assignment.workers.size(); ++i) {
    const thrift::WorkerSlot& w = t->assignment.workers[i];
    if (w.supervisor_id != hb.supervisor_id || w.port != hb.port) continue;
    r.assigned = true;
    r.__set_layout_version(convert::LayoutVersion(t->assignment, i));
  }
  // A worker that runs its slot's executors as they are now: one of this
  // version, or of an older one from which its executors did not change (it
  // is told the assignment, to update its routing in place).
  const bool current = r.assigned && hb.assignment_version >= r.layout_version &&
                       hb.assignment_version <= t->assignment.version;
  if (current && hb.assignment_version != t->assignment.version) {
    r.__set_assignment(t->assignment);
  }
  if (current) {
    WorkerState& w = workers_[{hb.topology_id, {hb.supervisor_id, hb.port}}];
    if (w.first_heartbeat.count() == 0) w.first_heartbeat = Now();
    w.last_heartbeat = Now();
    w.heartbeat = hb;
    auto plan = PlanFor(*t);
    if (plan.ok()) {
      RecordErrors(*t, **plan, hb);
      const int64_t now_secs = UnixNowSecs();
      for (size_t i = 0; i < hb.executors.size() && i < hb.stats.size(); ++i) {
        const auto& ea = hb.executors[i];
        const int c = (*plan)->ComponentOfTask(ea.task_start);
        if (c < 0) continue;
        stats_.Record(t->id, (*plan)->components()[static_cast<size_t>(c)].id, ea.task_start,
                      ea.task_end, hb.incarnation, hb.stats[i], now_secs);
      }
    }
  }
  // Told last: this very heartbeat may be the one the settling waited for.
  r.status = t->status;
  if (t->status == thrift::TopologyStatus::ACTIVE && Settling(*t)) {
    r.status = thrift::TopologyStatus::INACTIVE;
    r.__set_settling(true);
  }
  return r;
}

void Nimbus::RecordErrors(const thrift::StoredTopology& t, const plan::TopologyPlan& plan,
                          const thrift::WorkerHeartbeat& hb) {
  for (const auto& err : hb.errors) {
    const int c = err.__isset.task ? plan.ComponentOfTask(err.task) : -1;
    const std::string component = c >= 0 ? plan.components()[static_cast<size_t>(c)].id : "?";
    auto& kept = errors_[t.id][component];
    // The same error of the same process is one entry, with its latest time and count.
    kept[{err.host + ":" + std::to_string(err.port), hb.incarnation, err.task, err.error}] = err;
    while (kept.size() > kErrorsPerComponent) {
      auto oldest = kept.begin();
      for (auto it = kept.begin(); it != kept.end(); ++it) {
        if (it->second.error_time_secs < oldest->second.error_time_secs) oldest = it;
      }
      kept.erase(oldest);
    }
  }
}

// ---------------------------------------------------------------- queries

thrift::ClusterSummary Nimbus::GetClusterSummary() {
  std::lock_guard<std::mutex> lock(mu_);
  thrift::ClusterSummary out;
  std::map<SlotKey, bool> used;
  for (const auto& [id, t] : topologies_) {
    for (const auto& w : t.assignment.workers) used[{w.supervisor_id, w.port}] = true;
  }
  out.slots_total = out.slots_used = 0;
  for (const auto& [sid, s] : supervisors_) {
    if (!SupervisorAlive(sid)) continue;
    thrift::SupervisorSummary sum;
    sum.id = sid;
    sum.host = s.host;
    sum.uptime_secs = static_cast<int32_t>(
        std::chrono::duration_cast<std::chrono::seconds>(Now() - s.first_seen).count());
    sum.ports = s.ports;
    sum.num_slots = static_cast<int32_t>(s.ports.size());
    sum.__set_logviewer_port(s.logviewer_port);
    sum.num_used_slots = 0;
    for (int p : s.ports) sum.num_used_slots += used.count({sid, p}) ? 1 : 0;
    out.slots_total += sum.num_slots;
    out.slots_used += sum.num_used_slots;
    out.supervisors.push_back(std::move(sum));
  }
  out.slots_free = out.slots_total - out.slots_used;
  for (const auto& [id, t] : topologies_) {
    thrift::TopologySummary sum;
    sum.id = id;
    sum.name = t.topology.name;
    sum.status = t.status;
    sum.uptime_secs = static_cast<int32_t>(UnixNowSecs() - t.launch_time_secs);
    auto plan = PlanFor(t);
    sum.num_tasks = plan.ok() ? (*plan)->task_count() : 0;
    sum.num_executors = static_cast<int32_t>(t.assignment.executors.size());
    sum.num_workers = static_cast<int32_t>(t.assignment.workers.size());
    if (!t.owner.empty()) sum.__set_owner(t.owner);
    out.topologies.push_back(std::move(sum));
  }
  out.nimbus_uptime_secs = static_cast<int32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(Now() - started_).count());
  return out;
}

Result<thrift::TopologyInfo> Nimbus::GetTopologyInfo(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  thrift::StoredTopology* t = FindByName(name);
  if (!t) return Status::NotFound("no topology named '" + name + "'");
  GALE_ASSIGN_OR_RETURN(const plan::TopologyPlan* plan, PlanFor(*t));
  thrift::TopologyInfo info;
  info.id = t->id;
  info.name = name;
  info.status = t->status;
  info.uptime_secs = static_cast<int32_t>(UnixNowSecs() - t->launch_time_secs);
  info.num_workers = static_cast<int32_t>(t->assignment.workers.size());
  if (!t->owner.empty()) info.__set_owner(t->owner);
  // Chaining, as the workers apply it: an executor runs on the thread of
  // its chain parent when both are in one worker, and so on up the chain.
  std::vector<int> worker_of(plan->executors().size(), -1);
  for (const auto& ea : t->assignment.executors) {
    const int x = plan->ExecutorOfTask(ea.task_start);
    if (x >= 0) worker_of[static_cast<size_t>(x)] = ea.worker;
  }
  const std::vector<int> heads = plan->ChainHeads(worker_of);
  for (const auto& ea : t->assignment.executors) {
    const thrift::WorkerSlot& slot = t->assignment.workers[static_cast<size_t>(ea.worker)];
    thrift::ExecutorSummary e;
    const int self = plan->ExecutorOfTask(ea.task_start);
    const int head = self < 0 ? -1 : heads[static_cast<size_t>(self)];
    if (head >= 0 && head != self) {
      const plan::ExecutorPlan& h = plan->executors()[static_cast<size_t>(head)];
      e.__set_chained_to(plan->components()[static_cast<size_t>(h.component)].id + " [" +
                         std::to_string(h.tasks.front()) + "-" + std::to_string(h.tasks.back()) +
                         "]");
    }
    const int c = plan->ComponentOfTask(ea.task_start);
    e.component_id = c >= 0 ? plan->components()[static_cast<size_t>(c)].id : "?";
    e.task_start = ea.task_start;
    e.task_end = ea.task_end;
    e.host = slot.host;
    e.port = slot.port;
    e.supervisor_id = slot.supervisor_id;
    e.uptime_secs = 0;
    auto w = workers_.find({t->id, {slot.supervisor_id, slot.port}});
    if (w != workers_.end() && w->second.first_heartbeat.count() > 0) {
      e.uptime_secs = static_cast<int32_t>(
          std::chrono::duration_cast<std::chrono::seconds>(Now() - w->second.first_heartbeat)
              .count());
      const auto& hb = w->second.heartbeat;
      for (size_t i = 0; i < hb.executors.size() && i < hb.stats.size(); ++i) {
        if (hb.executors[i].task_start == ea.task_start) e.__set_stats(hb.stats[i]);
      }
    }
    info.executors.push_back(std::move(e));
  }
  for (const auto& slot : t->assignment.workers) {
    auto w = workers_.find({t->id, {slot.supervisor_id, slot.port}});
    if (w == workers_.end() || w->second.first_heartbeat.count() == 0) continue;
    const auto& hb = w->second.heartbeat;
    info.dropped_frames[SlotName(slot)] = hb.dropped_frames;
  }
  if (auto kept = errors_.find(t->id); kept != errors_.end()) {
    for (const auto& [component, errors] : kept->second) {
      for (const auto& [key, err] : errors) info.errors[component].push_back(err);
    }
  }
  info.__isset.dropped_frames = true;
  if (auto note = sched_notes_.find(t->id); note != sched_notes_.end() && !note->second.empty()) {
    info.__set_sched_status(note->second);
  }
  for (const auto& [sid, s] : supervisors_) {
    for (auto d : s.deaths) {
      if (d.topology_id != t->id) continue;
      d.__set_host(s.host);
      d.__set_supervisor_id(sid);
      info.worker_deaths.push_back(std::move(d));
    }
  }
  info.__isset.worker_deaths = true;
  for (auto& [component, list] : info.errors) {
    std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
      return a.error_time_secs < b.error_time_secs;
    });
    if (list.size() > 10) list.erase(list.begin(), list.end() - 10);
  }
  return info;
}

}  // namespace gale::nimbus

namespace gale::nimbus {
namespace {

// A component's user metrics: its executors' summed by name (histograms
// bucket by bucket when their bounds agree).
std::vector<thrift::UserMetricValue> SumMetrics(const std::vector<thrift::ExecutorPageInfo>& ex) {
  std::vector<thrift::UserMetricValue> out;
  for (const auto& e : ex) {
    for (const auto& m : e.stats.metrics) {
      auto it = std::find_if(out.begin(), out.end(), [&](const auto& o) {
        return o.name == m.name && o.kind == m.kind && o.bounds == m.bounds;
      });
      if (it == out.end()) {
        out.push_back(m);
        continue;
      }
      it->__set_value(it->value + m.value);
      it->__set_sum(it->sum + m.sum);
      for (size_t i = 0; i < it->counts.size() && i < m.counts.size(); ++i) {
        it->counts[i] += m.counts[i];
      }
    }
  }
  return out;
}

thrift::WindowStats ToWindowStats(const StatsStore::Window& window) {
  const StatsStore::Counters& c = window.sum;
  auto mean_ms = [](int64_t nanos, int64_t n) {
    return n > 0 ? static_cast<double>(nanos) / static_cast<double>(n) / 1e6 : 0.0;
  };
  thrift::WindowStats w;
  w.__set_emitted(c[StatsStore::kEmitted]);
  w.__set_transferred(c[StatsStore::kTransferred]);
  w.__set_acked(c[StatsStore::kAcked]);
  w.__set_failed(c[StatsStore::kFailed]);
  w.__set_executed(c[StatsStore::kExecuted]);
  w.__set_execute_latency_ms(mean_ms(c[StatsStore::kExecuteNanos], c[StatsStore::kExecuted]));
  w.__set_process_latency_ms(mean_ms(c[StatsStore::kProcessNanos], c[StatsStore::kProcessSamples]));
  w.__set_complete_latency_ms(
      mean_ms(c[StatsStore::kCompleteNanos], c[StatsStore::kCompleteSamples]));
  w.__set_capacity(window.capacity);
  w.__set_queue_depth(window.queue_depth);
  w.__set_backpressure_ms(c[StatsStore::kBackpressureNanos] / 1000000);
  w.__set_errors(c[StatsStore::kErrors]);
  w.__set_transferred_remote(c[StatsStore::kTransferredRemote]);
  for (const auto& [key, sc] : window.streams) {
    thrift::StreamWindowStats st;
    st.component = std::get<1>(key);
    st.stream = std::get<2>(key);
    if (std::get<0>(key)) {
      st.__set_executed(sc[StatsStore::kStreamExecuted]);
      st.__set_acked(sc[StatsStore::kStreamAcked]);
      st.__set_failed(sc[StatsStore::kStreamFailed]);
      st.__set_execute_latency_ms(
          mean_ms(sc[StatsStore::kStreamExecuteNanos], sc[StatsStore::kStreamExecuted]));
      w.inputs.push_back(std::move(st));
      w.__isset.inputs = true;
    } else {
      st.__set_emitted(sc[StatsStore::kStreamEmitted]);
      st.__set_transferred(sc[StatsStore::kStreamTransferred]);
      w.outputs.push_back(std::move(st));
      w.__isset.outputs = true;
    }
  }
  auto histogram = [&](size_t first, int64_t sum_nanos) {
    thrift::LatencyHistogram h;
    h.bounds_ms.assign(runtime::kLatencyBoundsMs.begin(), runtime::kLatencyBoundsMs.end());
    int64_t total = 0;
    for (size_t i = 0; i < StatsStore::kHistogramBuckets; ++i) {
      h.counts.push_back(c[first + i]);
      total += c[first + i];
    }
    h.sum_ms = static_cast<double>(sum_nanos) / 1e6;
    return std::make_pair(h, total);
  };
  auto [exec_h, exec_n] = histogram(StatsStore::kExecuteHistogram, c[StatsStore::kExecuteNanos]);
  if (exec_n > 0) w.__set_execute_histogram(exec_h);
  auto [comp_h, comp_n] = histogram(StatsStore::kCompleteHistogram, c[StatsStore::kCompleteNanos]);
  if (comp_n > 0) w.__set_complete_histogram(comp_h);
  return w;
}

// Adds `from` into `to` (when `from` is set): counts and sums.
thrift::LatencyHistogram MergedHistogram(const thrift::LatencyHistogram& from, bool from_set,
                                         const thrift::LatencyHistogram& to, bool to_set) {
  if (!from_set) return to;
  if (!to_set) return from;
  thrift::LatencyHistogram out = to;
  for (size_t i = 0; i < out.counts.size() && i < from.counts.size(); ++i)
    out.counts[i] += from.counts[i];
  out.sum_ms += from.sum_ms;
  return out;
}

// Adds `b` into `a`: counters summed, latencies weighted by their counts,
// capacity the largest.
void AddWindowStats(thrift::WindowStats& a, const thrift::WindowStats& b) {
  auto mean = [](double ma, int64_t na, double mb, int64_t nb) {
    return na + nb > 0 ? (ma * static_cast<double>(na) + mb * static_cast<double>(nb)) /
                             static_cast<double>(na + nb)
                       : 0.0;
  };
  a.__set_execute_latency_ms(
      mean(a.execute_latency_ms, a.executed, b.execute_latency_ms, b.executed));
  a.__set_process_latency_ms(
      mean(a.process_latency_ms, a.acked + a.failed, b.process_latency_ms, b.acked + b.failed));
  a.__set_complete_latency_ms(mean(a.complete_latency_ms, a.acked, b.complete_latency_ms, b.acked));
  a.__set_emitted(a.emitted + b.emitted);
  a.__set_transferred(a.transferred + b.transferred);
  a.__set_acked(a.acked + b.acked);
  a.__set_failed(a.failed + b.failed);
  a.__set_executed(a.executed + b.executed);
  a.__set_capacity(std::max(a.capacity, b.capacity));
  a.__set_queue_depth(a.queue_depth + b.queue_depth);
  a.__set_backpressure_ms(a.backpressure_ms + b.backpressure_ms);
  a.__set_errors(a.errors + b.errors);
  a.__set_transferred_remote(a.transferred_remote + b.transferred_remote);
  if (b.__isset.execute_histogram) {
    a.__set_execute_histogram(MergedHistogram(b.execute_histogram, true, a.execute_histogram,
                                              a.__isset.execute_histogram));
  }
  if (b.__isset.complete_histogram) {
    a.__set_complete_histogram(MergedHistogram(b.complete_histogram, true, a.complete_histogram,
                                               a.__isset.complete_histogram));
  }
}

}  // namespace

Result<thrift::TopologyPageInfo> Nimbus::GetTopologyPageInfo(const std::string& name,
                                                             const std::string& window) {
  if (!StatsStore::IsWindow(window)) {
    return Status::InvalidArgument("unknown statistics window '" + window +
                                   "': use 600, 10800, 86400 or :all-time");
  }
  GALE_ASSIGN_OR_RETURN(thrift::TopologyInfo info, GetTopologyInfo(name));
  std::lock_guard<std::mutex> lock(mu_);
  thrift::StoredTopology* t = FindByName(name);
  if (!t) return Status::NotFound("no topology named '" + name + "'");
  GALE_ASSIGN_OR_RETURN(const plan::TopologyPlan* plan, PlanFor(*t));

  const int64_t now_secs = UnixNowSecs();
  thrift::TopologyPageInfo page;
  page.id = info.id;
  page.name = info.name;
  page.status = info.status;
  page.uptime_secs = info.uptime_secs;
  page.num_workers = info.num_workers;
  if (info.__isset.sched_status) page.__set_sched_status(info.sched_status);
  page.num_executors = static_cast<int32_t>(info.executors.size());
  page.window = window;
  page.streams = t->topology.streams;
  page.worker_deaths = info.worker_deaths;
  page.config = t->topology.config;
  std::map<std::string, size_t> index;
  for (const auto& c : plan->components()) {
    thrift::ComponentPageInfo cp;
    cp.id = c.id;
    cp.kind =
        c.role == plan::Role::kSpout ? thrift::ComponentKind::SPOUT : thrift::ComponentKind::BOLT;
    cp.num_executors = c.executor_count;
    cp.num_tasks = static_cast<int32_t>(c.tasks.size());
    page.num_tasks += cp.num_tasks;
    auto errors = info.errors.find(c.id);
    if (errors != info.errors.end()) cp.errors = errors->second;
    index[c.id] = page.components.size();
    page.components.push_back(std::move(cp));
  }
  for (const auto& e : info.executors) {
    auto it = index.find(e.component_id);
    if (it == index.end()) continue;
    thrift::ComponentPageInfo& cp = page.components[it->second];
    thrift::ExecutorPageInfo ep;
    ep.component_id = e.component_id;
    ep.task_start = e.task_start;
    ep.task_end = e.task_end;
    ep.host = e.host;
    ep.port = e.port;
    ep.supervisor_id = e.supervisor_id;
    ep.uptime_secs = e.uptime_secs;
    if (e.__isset.chained_to) ep.__set_chained_to(e.chained_to);
    ep.stats = ToWindowStats(stats_.ForExecutor(t->id, e.task_start, e.task_end, window, now_secs));
    // User metrics as the latest heartbeat has them (not windowed).
    if (e.__isset.stats) ep.stats.__set_metrics(e.stats.metrics);
    cp.executors.push_back(std::move(ep));
  }
  // A component's windows include what executors it had before a rebalance.
  for (auto& cp : page.components) {
    cp.stats = ToWindowStats(stats_.ForComponent(t->id, cp.id, window, now_secs));
    cp.stats.__set_metrics(SumMetrics(cp.executors));
    if (cp.kind == thrift::ComponentKind::SPOUT) AddWindowStats(page.stats, cp.stats);
  }
  return page;
}

}  // namespace gale::nimbus
