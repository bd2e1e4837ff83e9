#include "core/plan/topology_plan.h"

#include "core/acking/acker_bolt.h"
#include "core/state/checkpoint.h"
#include "core/topology/validator.h"
#include "core/topology/window_config.h"

#include <algorithm>

namespace gale::plan {

const OutputStream* ComponentPlan::FindOutput(std::string_view stream) const {
  for (const auto& o : outputs) {
    if (o->meta.stream == stream) return o.get();
  }
  return nullptr;
}

int TopologyPlan::FindComponent(std::string_view id) const {
  for (size_t i = 0; i < components_.size(); ++i) {
    if (components_[i].id == id) return static_cast<int>(i);
  }
  return -1;
}

bool TopologyPlan::Subscribes(const OutputStream& out, int target) const {
  if (target < 0) return false;
  if (out.system && !out.direct) {
    return components_[static_cast<size_t>(target)].role == Role::kAcker;
  }
  for (const Route& r : out.routes) {
    if (r.target_component == target) return true;
  }
  return false;
}

std::vector<StreamId> TopologyPlan::SourcesOf(int component) const {
  std::vector<StreamId> out;
  for (const auto& c : components_) {
    for (const auto& o : c.outputs) {
      if (o->system) continue;
      for (const Route& r : o->routes) {
        if (r.target_component == component) {
          out.push_back({c.id, o->meta.stream});
          break;
        }
      }
    }
  }
  return out;
}

namespace {

void AddStream(ComponentPlan& c, const std::string& stream, const Fields& fields, bool direct,
               bool system) {
  auto out = std::make_unique<OutputStream>();
  out->index = static_cast<uint32_t>(c.outputs.size());
  out->meta = StreamMeta{c.id, stream, fields, false, out->index};
  out->rows_meta = StreamMeta{c.id, stream, fields, false, out->index | kRowsStreamBit, &out->meta};
  out->direct = direct;
  out->system = system;
  c.outputs.push_back(std::move(out));
}

}  // namespace

Result<std::unique_ptr<TopologyPlan>> TopologyPlan::Build(const topology::TopologySpec& spec) {
  std::unique_ptr<TopologyPlan> plan(new TopologyPlan());
  plan->name_ = spec.name;
  plan->topology_config_ = spec.config;
  plan->topology_config_.Set("topology.name", spec.name);
  GALE_ASSIGN_OR_RETURN(plan->settings_, topology::ParseSettings(spec.config));
  plan->tick_meta_ = StreamMeta{std::string(kSystemComponent), std::string(kTickStream),
                                Fields{"rate_secs"}, true, 0};

  for (const auto& c : spec.spouts) plan->AddComponent(c, Role::kSpout);
  for (const auto& c : spec.bolts) plan->AddComponent(c, Role::kBolt);
  // State checkpointing (core/state/README.md), as Storm's TopologyBuilder
  // wires it: with a stateful bolt, the checkpoint spout, and a $checkpoint
  // stream out of every bolt. When every spout is a StatefulSpout, exactly
  // once: the spouts take the checkpoint from the checkpoint spout and pass
  // it on, in order with their data.
  for (const auto* list : {&spec.bolts, &spec.spouts}) {
    for (const auto& c : *list) {
      const bool stateful = topology::IsStatefulComponent(spec, c);
      plan->components_[static_cast<size_t>(plan->FindComponent(c.id))].stateful = stateful;
      plan->checkpointing_ |= stateful;
    }
  }
  plan->exactly_once_ = topology::EverySpoutStateful(spec);
  // Gale's to set, whatever the topology says: every task reads it.
  plan->topology_config_.Set(std::string(state::kExactlyOnceKey), plan->exactly_once_);
  if (plan->checkpointing_) {
    const Fields fields(state::CheckpointFields());
    for (auto& c : plan->components_) {
      if (c.role == Role::kBolt || plan->exactly_once_)
        AddStream(c, std::string(state::kCheckpointStream), fields, false, false);
    }
    topology::ComponentSpec spout;
    spout.id = std::string(state::kCheckpointComponent);
    spout.class_name = std::string(state::kCheckpointSpoutClass);
    spout.kind = ComponentKind::kSpout;
    spout.outputs.push_back({std::string(state::kCheckpointStream), fields, Direct::kNo});
    plan->AddComponent(spout, Role::kSpout);
    plan->components_.back().stateful = true;  // its txid and phase
  }
  if (plan->settings_.EffectiveAckers() > 0) {
    topology::ComponentSpec acker;
    acker.id = std::string(acking::kAckerComponent);
    acker.class_name = std::string(acking::kAckerComponent);
    acker.parallelism = plan->settings_.EffectiveAckers();
    plan->AddComponent(acker, Role::kAcker);
  }
  // Sorted by id, so that every process numbers the tasks the same way.
  std::sort(plan->components_.begin(), plan->components_.end(),
            [](const ComponentPlan& a, const ComponentPlan& b) { return a.id < b.id; });
  plan->AssignTasksAndExecutors();
  plan->AddSystemStreams();
  GALE_RETURN_IF_ERROR(plan->AddRoutes(spec));
  plan->Chain(spec);
  return plan;
}

void TopologyPlan::AddComponent(const topology::ComponentSpec& c, Role role) {
  ComponentPlan p;
  p.id = c.id;
  p.class_name = c.class_name;
  p.role = role;
  p.config = c.config;
  p.executor_count = std::min(c.parallelism, c.tasks());
  p.tasks.resize(static_cast<size_t>(c.tasks()));
  for (const auto& decl : c.outputs) {
    AddStream(p, decl.id, decl.fields, decl.direct == Direct::kYes, false);
  }
  // The component's own tick setting wins over the topology's. Spouts and
  // ackers tick once per message timeout instead, to expire old trees.
  const Config effective = topology_config_.MergedWith(c.config);
  p.tick_secs = effective.GetDouble("topology.tick.tuple.freq.secs", 0);
  // A windowed bolt ticks as often as its windows need (the validator
  // checked the window keys), or as often as asked if that is more often.
  if (role == Role::kBolt) {
    auto window = topology::ReadWindowConfig(effective);
    if (window.ok() && window->has_value()) {
      const double secs = (*window)->TickSecs();
      if (secs > 0 && (p.tick_secs <= 0 || secs < p.tick_secs)) p.tick_secs = secs;
    }
  }
  if (role != Role::kBolt) {
    const bool timeouts = settings_.enable_message_timeouts && settings_.EffectiveAckers() > 0;
    p.tick_secs = timeouts ? settings_.message_timeout_secs : 0;
  }
  components_.push_back(std::move(p));
}

void TopologyPlan::AssignTasksAndExecutors() {
  int32_t next = 1;
  task_component_.assign(1, -1);
  for (size_t ci = 0; ci < components_.size(); ++ci) {
    ComponentPlan& c = components_[ci];
    for (auto& t : c.tasks) {
      t = next++;
      task_component_.push_back(static_cast<int>(ci));
    }
    component_tasks_[c.id] = c.tasks;
    if (c.role == Role::kAcker) acker_tasks_ = c.tasks;
    // Storm's partitionFixed: the first (tasks % executors) executors get
    // one task more than the others.
    const size_t n = c.tasks.size(), e = static_cast<size_t>(c.executor_count);
    size_t pos = 0;
    for (size_t i = 0; i < e; ++i) {
      const size_t len = n / e + (i < n % e ? 1 : 0);
      ExecutorPlan ex{static_cast<int>(ci), {}};
      ex.tasks.assign(c.tasks.begin() + static_cast<long>(pos),
                      c.tasks.begin() + static_cast<long>(pos + len));
      pos += len;
      executor_of_task_.resize(static_cast<size_t>(next), -1);
      for (int32_t t : ex.tasks)
        executor_of_task_[static_cast<size_t>(t)] = static_cast<int>(executors_.size());
      executors_.push_back(std::move(ex));
    }
  }
}

void TopologyPlan::AddSystemStreams() {
  if (!acking()) return;
  const int acker = FindComponent(acking::kAckerComponent);
  for (size_t ci = 0; ci < components_.size(); ++ci) {
    ComponentPlan& c = components_[ci];
    switch (c.role) {
      case Role::kSpout:
        AddStream(c, std::string(acking::kAckInitStream), Fields{"id", "init-val", "spout-task"},
                  false, true);
        // Exactly once, spouts ack and fail the checkpoints they pass on.
        if (exactly_once_ && c.id != state::kCheckpointComponent) {
          AddStream(c, std::string(acking::kAckPackStream), Fields{"acks"}, false, true);
          AddStream(c, std::string(acking::kAckFailStream), Fields{"id"}, false, true);
        }
        break;
      case Role::kBolt:
        AddStream(c, std::string(acking::kAckPackStream), Fields{"acks"}, false, true);
        AddStream(c, std::string(acking::kAckFailStream), Fields{"id"}, false, true);
        AddStream(c, std::string(acking::kAckResetTimeoutStream), Fields{"id"}, false, true);
        break;
      case Role::kAcker:
        for (std::string_view s :
             {acking::kAckAckStream, acking::kAckFailStream, acking::kAckResetTimeoutStream}) {
          AddStream(c, std::string(s), Fields{"id"}, true, true);
        }
        break;
    }
  }
  // The acker answers each spout task directly.
  for (auto& out : components_[static_cast<size_t>(acker)].outputs) {
    for (size_t ci = 0; ci < components_.size(); ++ci) {
      if (components_[ci].role == Role::kSpout) {
        out->routes.push_back(
            Route{static_cast<int>(ci), topology::GroupingType::kDirect, {}, false});
      }
    }
  }
}

Status TopologyPlan::AddRoutes(const topology::TopologySpec& spec) {
  for (const auto& s : spec.streams) {
    const int from = FindComponent(s.from), to = FindComponent(s.to);
    if (from < 0 || to < 0) {
      return Status::InvalidArgument(s.pos.Prefix() + "stream from '" + s.from + "' to '" + s.to +
                                     "' names an unknown component");
    }
    ComponentPlan& source = components_[static_cast<size_t>(from)];
    OutputStream* out = nullptr;
    for (auto& o : source.outputs) {
      if (o->meta.stream == s.stream) out = o.get();
    }
    if (!out) {
      return Status::InvalidArgument(s.pos.Prefix() + "component '" + s.from +
                                     "' does not declare stream '" + s.stream + "'");
    }
    Route route{to, s.grouping.type, {}, false};
    for (const auto& f : s.grouping.fields) {
      auto idx = out->meta.fields.IndexOf(f);
      if (!idx) {
        return Status::InvalidArgument(s.pos.Prefix() + "stream '" + s.stream + "' of '" + s.from +
                                       "' has no field '" + f + "'");
      }
      route.field_indices.push_back(*idx);
    }
    out->routes.push_back(std::move(route));
  }
  if (!checkpointing_) return Status::Ok();
  // Every bolt takes the checkpoint (ALL grouping) from each component it
  // reads from, spouts standing for the checkpoint spout; exactly once, the
  // spouts take it from the checkpoint spout and pass it on themselves.
  const int checkpoint_spout = FindComponent(state::kCheckpointComponent);
  auto subscribe = [&](int source, int to) {
    for (auto& o : components_[static_cast<size_t>(source)].outputs) {
      if (o->meta.stream != state::kCheckpointStream) continue;
      for (const Route& r : o->routes) {
        if (r.target_component == to) return;
      }
      o->routes.push_back(Route{to, topology::GroupingType::kAll, {}, false});
    }
  };
  for (const auto& b : spec.bolts) {
    const int to = FindComponent(b.id);
    for (const auto& s : spec.streams) {
      if (s.to != b.id) continue;
      const int from = FindComponent(s.from);
      const bool spout = components_[static_cast<size_t>(from)].role == Role::kSpout;
      subscribe(spout && !exactly_once_ ? checkpoint_spout : from, to);
    }
  }
  if (exactly_once_) {
    for (const auto& sp : spec.spouts) subscribe(checkpoint_spout, FindComponent(sp.id));
  }
  return Status::Ok();
}

}  // namespace gale::plan

namespace gale::plan {

int TopologyPlan::ChainChild(size_t e, int component) const {
  const ComponentPlan& c = components_[static_cast<size_t>(component)];
  if (c.chained_to != executors_[e].component) return -1;
  for (size_t x = 0; x < executors_.size(); ++x) {
    if (executors_[x].component == component && rank_[x] == rank_[e]) return static_cast<int>(x);
  }
  return -1;
}

std::vector<int> TopologyPlan::ChainHeads(const std::vector<int>& place) const {
  std::vector<int> heads(executors_.size(), -1);
  for (size_t x = 0; x < executors_.size() && x < place.size(); ++x) {
    if (place[x] < 0) continue;
    int at = static_cast<int>(x);
    for (int p = chain_parent_[x]; p >= 0 && place[static_cast<size_t>(p)] == place[x];
         p = chain_parent_[static_cast<size_t>(p)]) {
      at = p;
    }
    heads[x] = at;
  }
  return heads;
}

int TopologyPlan::ExecutorOfTask(int32_t task) const {
  return task > 0 && static_cast<size_t>(task) < executor_of_task_.size()
             ? executor_of_task_[static_cast<size_t>(task)]
             : -1;
}

// Which bolts run on the thread of the component they read from: those
// with a `chain: true` stream, and, with topology.chaining.enabled, those
// whose every input is a LOCAL_OR_SHUFFLE or NONE stream of one component
// with as many executors (no `chain: false`). Executor i of the bolt then
// runs on the thread of executor i of that component, and its SHUFFLE-like
// routes go to that executor alone (Flink's forward).
void TopologyPlan::Chain(const topology::TopologySpec& spec) {
  rank_.assign(executors_.size(), 0);
  chain_parent_.assign(executors_.size(), -1);
  std::vector<int> seen(components_.size(), 0);
  for (size_t x = 0; x < executors_.size(); ++x) {
    rank_[x] = seen[static_cast<size_t>(executors_[x].component)]++;
  }
  std::vector<bool> asked_link(components_.size(), false);  // chain: true
  for (const auto& b : spec.bolts) {
    int asked = -1, only = -1;
    bool forbidden = false, forward = true, single = true;
    for (const auto& s : spec.streams) {
      if (s.to != b.id) continue;
      const int f = FindComponent(s.from);
      if (s.chain == std::optional<bool>(true)) asked = f;
      forbidden |= s.chain == std::optional<bool>(false);
      forward &= s.grouping.type == topology::GroupingType::kLocalOrShuffle ||
                 s.grouping.type == topology::GroupingType::kNone;
      single &= only < 0 || only == f;
      only = f;
    }
    const bool automatic = settings_.chaining_enabled && !forbidden && forward && single;
    const int from = asked >= 0 ? asked : automatic ? only : -1;
    if (from < 0) continue;
    ComponentPlan& target = components_[static_cast<size_t>(FindComponent(b.id))];
    const ComponentPlan& source = components_[static_cast<size_t>(from)];
    // A rebalance may have changed one side's executors: no chain then.
    if (source.executor_count != target.executor_count) continue;
    target.chained_to = from;
    asked_link[static_cast<size_t>(FindComponent(b.id))] = asked >= 0;
  }
  // An automatic chain may close a cycle (bolts that read only each other,
  // or with one chain: true): the cycle loses an automatic link (the
  // validator refuses a cycle of chain: true alone).
  for (size_t ci = 0; ci < components_.size(); ++ci) {
    std::vector<size_t> cycle{ci};
    for (int at = components_[ci].chained_to; at >= 0 && cycle.size() <= components_.size();
         at = components_[static_cast<size_t>(at)].chained_to) {
      if (at != static_cast<int>(ci)) {
        cycle.push_back(static_cast<size_t>(at));
        continue;
      }
      for (size_t member : cycle) {
        if (asked_link[member]) continue;
        components_[member].chained_to = -1;
        break;
      }
      break;
    }
  }
  for (size_t ci = 0; ci < components_.size(); ++ci) {
    const int parent = components_[ci].chained_to;
    if (parent < 0) continue;
    for (auto& out : components_[static_cast<size_t>(parent)].outputs) {
      for (Route& r : out->routes) r.chain |= r.target_component == static_cast<int>(ci);
    }
  }
  for (size_t x = 0; x < executors_.size(); ++x) {
    const int parent = components_[static_cast<size_t>(executors_[x].component)].chained_to;
    if (parent < 0) continue;
    for (size_t y = 0; y < executors_.size(); ++y) {
      if (executors_[y].component == parent && rank_[y] == rank_[x]) {
        chain_parent_[x] = static_cast<int>(y);
      }
    }
  }
}

}  // namespace gale::plan
