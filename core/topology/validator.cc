#include "core/topology/validator.h"
#include "core/common/strings.h"

#include <algorithm>
#include <functional>
#include <set>
#include <tuple>
#include <utility>

#include "core/topology/topology_name.h"
#include "core/topology/topology_settings.h"
#include "core/topology/window_config.h"

namespace gale::topology {

namespace {

// "wc.yaml:12:5", for "first defined at ..." in a message.
std::string Where(const SourcePos& pos) {
  std::string p = pos.Prefix();
  return p.size() >= 2 ? p.substr(0, p.size() - 2) : "an element built in code";
}

SourcePos Or(const SourcePos& specific, const SourcePos& fallback) {
  return specific.line > 0 ? specific : fallback;
}

std::string Noun(ComponentKind kind) { return kind == ComponentKind::kSpout ? "spout" : "bolt"; }

std::string Label(const ComponentSpec& c) { return Noun(c.kind) + " '" + c.id + "'"; }

std::string StreamLabel(const StreamSpec& s) { return "stream '" + s.from + " -> " + s.to + "'"; }

// "(did you mean 'x'? " or "(".
std::string HintOpen(std::string_view word, const std::vector<std::string>& candidates) {
  std::string hint = ClosestMatch(word, candidates);
  return hint.empty() ? "(" : "(did you mean '" + hint + "'? ";
}

// Collects error lines and sorts them into file order: the top-level file
// first, then other files in the order the spec mentions them.
class Report {
 public:
  explicit Report(const TopologySpec& spec) {
    Note(spec.file);
    Note(spec.name_pos.file);
    for (const auto& [k, p] : spec.config_pos) Note(p.file);
    for (const auto& p : spec.plugins) Note(p.pos.file);
    for (const auto* list : {&spec.spouts, &spec.bolts}) {
      for (const auto& c : *list) Note(c.pos.file);
    }
    for (const auto& s : spec.streams) Note(s.pos.file);
  }

  void Add(const SourcePos& pos, std::string message) {
    lines_.push_back({pos, std::move(message)});
  }

  Status ToStatus() const {
    if (lines_.empty()) return Status::Ok();
    return Status::InvalidArgument(JoinLines(Sorted()));
  }
  // Orders positions as the files read: file, then line, then column.
  std::tuple<int, int, int> Key(const SourcePos& p) const {
    auto it = std::find(files_.begin(), files_.end(), p.file);
    return {static_cast<int>(it - files_.begin()), p.line, p.column};
  }

  std::vector<std::string> Sorted() const {
    auto entries = lines_;
    std::stable_sort(entries.begin(), entries.end(),
                     [&](const auto& a, const auto& b) { return Key(a.first) < Key(b.first); });
    std::vector<std::string> out;
    for (const auto& [pos, msg] : entries) out.push_back(pos.Prefix() + msg);
    return out;
  }

 private:
  void Note(const std::string& file) {
    if (std::find(files_.begin(), files_.end(), file) == files_.end()) files_.push_back(file);
  }
  static std::string JoinLines(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) {
      if (!out.empty()) out += '\n';
      out += l;
    }
    return out;
  }

  std::vector<std::string> files_;
  std::vector<std::pair<SourcePos, std::string>> lines_;
};

// Components in file order (spouts and bolts interleaved as written).
std::vector<const ComponentSpec*> AllComponents(const TopologySpec& spec) {
  std::vector<const ComponentSpec*> out;
  for (const auto& c : spec.spouts) out.push_back(&c);
  for (const auto& c : spec.bolts) out.push_back(&c);
  return out;
}

std::vector<std::string> ComponentIds(const TopologySpec& spec) {
  std::vector<std::string> ids;
  for (const auto* c : AllComponents(spec)) ids.push_back(c->id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

void CheckName(const TopologySpec& spec, Report* report) {
  if (auto problem = ValidateTopologyName(spec.name)) {
    report->Add(Or(spec.name_pos, SourcePos{spec.file}), *problem);
  }
}

// Type-checks the known keys of `config`, one at a time so that every bad
// key is reported, each at its own position.
void CheckConfig(const Config& config, const std::map<std::string, SourcePos>& positions,
                 const SourcePos& fallback, Report* report) {
  for (const auto& key : KnownConfigKeys()) {
    const Value* v = config.Find(key.name);
    if (v == nullptr) continue;
    Result<TopologySettings> parsed = ParseSettings(Config(Config::Map{{key.name, *v}}));
    if (parsed.ok()) continue;
    auto at = positions.find(key.name);
    report->Add(at == positions.end() ? fallback : at->second, parsed.status().message());
  }
}

void CheckComponents(const TopologySpec& spec, Report* report) {
  std::map<std::string, const ComponentSpec*> first;
  std::vector<const ComponentSpec*> all = AllComponents(spec);
  // The "second" of two duplicates is the later one in the file.
  std::stable_sort(all.begin(), all.end(), [&](const ComponentSpec* a, const ComponentSpec* b) {
    return report->Key(a->pos) < report->Key(b->pos);
  });
  for (const ComponentSpec* c : all) {
    const std::string noun = Noun(c->kind);
    if (c->id.empty()) {
      report->Add(c->pos, noun + " id must not be empty");
    } else if (c->id.rfind("__", 0) == 0) {
      report->Add(c->pos, noun + " id '" + c->id +
                              "' is reserved: ids starting with '__' are for system components "
                              "such as __acker");
    } else if (auto [it, fresh] = first.emplace(c->id, c); !fresh) {
      report->Add(c->pos, "duplicate id '" + c->id + "': already used by the " +
                              Noun(it->second->kind) + " at " + Where(it->second->pos));
    }
    if (c->parallelism < 1) {
      report->Add(
          Or(c->parallelism_pos, c->pos),
          "'parallelism' of " + Label(*c) + " must be >= 1, got " + std::to_string(c->parallelism));
    } else if (c->parallelism > kMaxTasksPerComponent) {
      report->Add(Or(c->parallelism_pos, c->pos),
                  "'parallelism' of " + Label(*c) + " is " + std::to_string(c->parallelism) +
                      "; a component runs at most " + std::to_string(kMaxTasksPerComponent) +
                      " executors");
    } else if (c->num_tasks > kMaxTasksPerComponent) {
      report->Add(Or(c->num_tasks_pos, c->pos),
                  "'numTasks' of " + Label(*c) + " is " + std::to_string(c->num_tasks) +
                      "; a component has at most " + std::to_string(kMaxTasksPerComponent) +
                      " tasks");
    } else if (c->num_tasks < 0) {
      report->Add(
          Or(c->num_tasks_pos, c->pos),
          "'numTasks' of " + Label(*c) + " must be >= 1, got " + std::to_string(c->num_tasks));
    } else if (c->num_tasks > 0 && c->num_tasks < c->parallelism) {
      // Storm silently lowers the parallelism to numTasks; saying so is kinder.
      report->Add(Or(c->num_tasks_pos, c->pos),
                  "'numTasks' of " + Label(*c) + " (" + std::to_string(c->num_tasks) +
                      ") is less than its parallelism (" + std::to_string(c->parallelism) +
                      "): every executor needs at least one task");
    }
    CheckConfig(c->config, c->config_pos, c->pos, report);
  }
}

void CheckGroupingArgs(const StreamSpec& s, Report* report) {
  const GroupingSpec& g = s.grouping;
  const std::string type = GroupingTypeName(g.type);
  const bool keyed = g.type == GroupingType::kFields || g.type == GroupingType::kPartialKey;
  if (keyed && g.fields.empty()) {
    report->Add(Or(g.fields_pos, Or(g.pos, s.pos)),
                type + " grouping of " + StreamLabel(s) +
                    " needs 'args', the fields to group by, e.g. { type: " + type +
                    ", args: [word] }");
  } else if (!keyed && !g.fields.empty()) {
    report->Add(Or(g.fields_pos, Or(g.pos, s.pos)),
                type + " grouping of " + StreamLabel(s) +
                    " takes no 'args' (only FIELDS and PARTIAL_KEY do)");
  }
  std::set<std::string> seen;
  for (const auto& f : g.fields) {
    if (!seen.insert(f).second) {
      report->Add(Or(g.fields_pos, Or(g.pos, s.pos)),
                  "'args' of " + StreamLabel(s) + " lists field '" + f + "' twice");
    }
  }
}

void CheckStreams(const TopologySpec& spec, Report* report) {
  const std::vector<std::string> ids = ComponentIds(spec);
  std::map<std::tuple<std::string, std::string, std::string>, const StreamSpec*> subscriptions;
  for (const auto& s : spec.streams) {
    const ComponentSpec* from = spec.FindComponent(s.from);
    const ComponentSpec* to = spec.FindComponent(s.to);
    if (from == nullptr) {
      report->Add(Or(s.from_pos, s.pos), StreamLabel(s) + " comes from unknown component '" +
                                             s.from + "' " + HintOpen(s.from, ids) +
                                             "known ids: " + Join(ids) + ")");
    }
    if (to == nullptr) {
      report->Add(Or(s.to_pos, s.pos), StreamLabel(s) + " goes to unknown component '" + s.to +
                                           "' " + HintOpen(s.to, ids) + "known ids: " + Join(ids) +
                                           ")");
    } else if (to->kind == ComponentKind::kSpout) {
      report->Add(Or(s.to_pos, s.pos), "spout '" + s.to + "' cannot be the 'to' of " +
                                           StreamLabel(s) +
                                           ": spouts have no inputs, only bolts do");
    }
    if (s.stream.empty()) {
      report->Add(Or(s.stream_pos, s.pos), "'streamId' of " + StreamLabel(s) + " is empty");
    } else if (s.stream.rfind("__", 0) == 0) {
      report->Add(Or(s.stream_pos, s.pos),
                  "stream id '" + s.stream + "' of " + StreamLabel(s) +
                      " is reserved: ids starting with '__' are for system streams");
    }
    CheckGroupingArgs(s, report);
    auto [it, fresh] = subscriptions.emplace(std::make_tuple(s.from, s.stream, s.to), &s);
    if (!fresh) {
      report->Add(s.pos, "duplicate subscription: '" + s.to + "' already subscribes to stream '" +
                             s.stream + "' of '" + s.from + "' at " + Where(it->second->pos));
    }
  }
  for (const auto& b : spec.bolts) {
    bool has_input = std::any_of(spec.streams.begin(), spec.streams.end(),
                                 [&](const StreamSpec& s) { return s.to == b.id; });
    // A duplicate id is reported once, as a duplicate, not also as unused.
    if (!has_input && !b.id.empty() && spec.FindComponent(b.id) == &b) {
      report->Add(b.pos, "bolt '" + b.id + "' has no input: no stream has 'to: " + b.id + "'");
    }
  }
}

// `chain: true` (core/runtime/README.md, "Chaining"): the two components
// need as many executors each (executor i runs on the thread of executor
// i), a bolt runs on the thread of one component at most, and chains end.
void CheckChains(const TopologySpec& spec, Report* report) {
  std::map<std::string, const StreamSpec*> chained_to;  // bolt -> its chain: true stream
  for (const auto& s : spec.streams) {
    if (!s.chain.value_or(false)) continue;
    const ComponentSpec* from = spec.FindComponent(s.from);
    const ComponentSpec* to = spec.FindComponent(s.to);
    if (from == nullptr || to == nullptr) continue;  // reported above
    const SourcePos pos = Or(s.chain_pos, s.pos);
    // Executors, as the plan counts them: no more than the tasks.
    const int from_executors = std::min(from->parallelism, from->tasks());
    const int to_executors = std::min(to->parallelism, to->tasks());
    if (from_executors != to_executors) {
      report->Add(pos, "'chain: true' of " + StreamLabel(s) + ": '" + s.from + "' has " +
                           std::to_string(from_executors) + " executors and '" + s.to + "' has " +
                           std::to_string(to_executors) +
                           "; chained components need the same parallelism");
    }
    auto [it, fresh] = chained_to.emplace(s.to, &s);
    if (!fresh && it->second->from != s.from) {
      report->Add(pos, "'chain: true' of " + StreamLabel(s) + ": '" + s.to +
                           "' is already chained to '" + it->second->from + "' at " +
                           Where(it->second->pos) + "; a bolt runs on one component's thread");
    }
  }
  std::set<std::string> reported;  // members of a cycle already reported
  for (const auto& [start, first] : chained_to) {
    if (reported.count(start)) continue;
    std::string at = start;
    std::vector<std::string> path{start};
    for (auto it = chained_to.find(at); it != chained_to.end(); it = chained_to.find(at)) {
      at = it->second->from;
      path.push_back(at);
      if (at == start) {
        report->Add(Or(first->chain_pos, first->pos),
                    "'chain: true' makes a cycle: " + Join(path, " <- ") +
                        "; a chain needs a component that runs on a thread of its own");
        reported.insert(path.begin(), path.end());
        break;
      }
      if (path.size() > chained_to.size() + 1) break;  // a cycle not through `start`
    }
  }
}

void CheckPlugins(const TopologySpec& spec, Report* report) {
  for (const auto& p : spec.plugins) {
    if (!p.path.empty()) continue;
    std::string msg = "plugin file not found: '" + p.name + "'";
    if (!p.searched.empty()) { msg += " (looked for " + Join(p.searched) + ")"; }
    report->Add(p.pos, msg);
  }
}

}  // namespace

Status ValidateStructure(const TopologySpec& spec) {
  Report report(spec);
  CheckName(spec, &report);
  CheckConfig(spec.config, spec.config_pos, Or(spec.name_pos, SourcePos{spec.file}), &report);
  CheckPlugins(spec, &report);
  CheckComponents(spec, &report);
  CheckStreams(spec, &report);
  CheckChains(spec, &report);
  return report.ToStatus();
}

namespace {

void CheckClass(const ComponentSpec& c, const std::vector<ClassInfo>& classes,
                const std::vector<std::string>& names, Report* report) {
  const SourcePos at = Or(c.class_pos, c.pos);
  std::vector<const ClassInfo*> found;
  for (const auto& info : classes) {
    if (info.name == c.class_name) found.push_back(&info);
  }
  if (found.empty()) {
    // Suggest a class of the right kind first: a bolt wants a bolt.
    std::vector<std::string> same_kind;
    for (const auto& info : classes) {
      if (info.kind == c.kind && info.name != kInternalClass) same_kind.push_back(info.name);
    }
    std::string hint = ClosestMatch(c.class_name, same_kind);
    if (hint.empty()) hint = ClosestMatch(c.class_name, names);
    std::string msg = "unknown className '" + c.class_name + "' for " + Label(c) + " (";
    if (!hint.empty()) msg += "did you mean '" + hint + "'? ";
    msg += names.empty() ? "no plugin registers any class; check 'plugins:'"
                         : "plugins register: " + Join(names);
    report->Add(at, msg + ")");
    return;
  }
  if (found.size() > 1) {
    std::vector<std::string> plugins;
    for (const auto* f : found) plugins.push_back(f->plugin);
    report->Add(at, "className '" + c.class_name + "' of " + Label(c) +
                        " is registered by more than one plugin: " + Join(plugins));
    return;
  }
  if (found[0]->kind != c.kind) {
    report->Add(at, Label(c) + " uses className '" + c.class_name + "', which is a " +
                        Noun(found[0]->kind) + " (registered by " + found[0]->plugin + "); a " +
                        Noun(c.kind) + " needs a " + Noun(c.kind) + " class");
  }
}

void CheckSubscription(const StreamSpec& s, const ComponentSpec& from, Report* report) {
  const StreamDeclaration* decl = from.FindOutput(s.stream);
  if (decl == nullptr) {
    std::vector<std::string> declared;
    for (const auto& o : from.outputs) declared.push_back(o.id);
    std::string msg = StreamLabel(s) + " subscribes to stream '" + s.stream + "', which " +
                      Label(from) + " does not declare ";
    msg += declared.empty() ? "(it declares no output streams)"
                            : HintOpen(s.stream, declared) + "it declares: " + Join(declared) + ")";
    report->Add(Or(s.stream_pos, Or(s.from_pos, s.pos)), msg);
    return;
  }
  const GroupingSpec& g = s.grouping;
  if (g.type == GroupingType::kFields || g.type == GroupingType::kPartialKey) {
    for (const auto& f : g.fields) {
      if (decl->fields.Contains(f)) continue;
      report->Add(Or(g.fields_pos, Or(g.pos, s.pos)),
                  StreamLabel(s) + " groups by field '" + f + "', which stream '" + s.stream +
                      "' of " + Label(from) + " does not have " +
                      HintOpen(f, decl->fields.names()) +
                      "its fields: " + Join(decl->fields.names()) + ")");
    }
  }
  const bool direct = decl->direct == Direct::kYes;
  if (g.type == GroupingType::kDirect && !direct) {
    report->Add(Or(g.pos, s.pos), "DIRECT grouping of " + StreamLabel(s) +
                                      " needs a direct stream, "
                                      "but stream '" +
                                      s.stream + "' of " + Label(from) +
                                      " is not declared direct (declare it with Direct::kYes)");
  } else if (g.type != GroupingType::kDirect && direct) {
    report->Add(Or(g.pos, s.pos), "stream '" + s.stream + "' of " + Label(from) +
                                      " is declared direct, so " + StreamLabel(s) +
                                      " needs a DIRECT grouping, not " + GroupingTypeName(g.type));
  }
}

std::string SecondsText(double secs) {
  if (secs == static_cast<double>(static_cast<int64_t>(secs))) {
    return std::to_string(static_cast<int64_t>(secs));
  }
  std::string t = std::to_string(secs);
  while (!t.empty() && t.back() == '0') t.pop_back();
  return t;
}

// Where a window key was set: its line in the file, else the component.
SourcePos WindowKeyPos(const ComponentSpec& c, std::initializer_list<std::string_view> keys) {
  for (auto key : keys) {
    if (auto at = c.config_pos.find(std::string(key)); at != c.config_pos.end()) return at->second;
  }
  return c.pos;
}

// A windowed bolt's window, as Storm checks it when the bolt is built: the
// keys readable, a window that holds its tuples (a WindowedBolt; a keyed
// reduce acks on arrival) not longer than the message timeout or the max
// spout pending allow, and its late and punctuation streams real.
void CheckWindow(const TopologySpec& spec, const ComponentSpec& c, const TopologySettings& settings,
                 Report* report) {
  const Config effective = spec.config.MergedWith(c.config);
  if (!HasWindowKeys(effective)) return;
  auto read = ReadWindowConfig(effective);
  const std::string label = "bolt '" + c.id + "'";
  if (!read.ok()) {
    report->Add(WindowKeyPos(c, {kWindowLengthCount, kWindowLengthMs, kWindowSlideCount,
                                 kWindowSlideMs, kWindowTimestampField, kWindowPunctuationStream}),
                label + ": " + read.status().message());
    return;
  }
  const WindowConfig& w = **read;
  // A persistent window (so any, exactly once) acks its tuples at the
  // checkpoint that saved them.
  const bool holds =
      !effective.GetBool(kWindowReduceMarker, false) && !IsStatefulComponent(spec, c);
  const bool timeouts = settings.EffectiveAckers() > 0 && settings.enable_message_timeouts;
  if (holds && timeouts && !w.punctuation()) {
    int64_t ms = 0;
    if (!w.length.count()) ms += w.length.value;
    if (!w.slide.count()) ms += w.slide.value;
    const double timeout_ms = settings.message_timeout_secs * 1000;
    if (ms > 0 && static_cast<double>(ms) > timeout_ms) {
      report->Add(WindowKeyPos(c, {kWindowLengthMs, kWindowSlideMs}),
                  label + ": window duration (length + sliding interval) value " +
                      std::to_string(ms) + " ms is more than topology.message.timeout.secs value " +
                      SecondsText(settings.message_timeout_secs) +
                      " s: its tuples would time out and be replayed before the window acks "
                      "them; raise the timeout or shorten the window");
    }
    int64_t count = 0;
    if (w.length.count()) count += w.length.value;
    if (w.slide.count()) count += w.slide.value;
    if (count > 0 && settings.max_spout_pending > 0 && count > settings.max_spout_pending) {
      report->Add(WindowKeyPos(c, {kWindowLengthCount, kWindowSlideCount}),
                  label + ": window count (length + sliding interval) value " +
                      std::to_string(count) + " is more than topology.max.spout.pending value " +
                      std::to_string(settings.max_spout_pending) +
                      ": the spouts would stop before the window fills; raise the pending limit "
                      "or shorten the window");
    }
  }
  if (!w.late_stream.empty() && c.outputs_known && !c.FindOutput(w.late_stream)) {
    report->Add(WindowKeyPos(c, {kWindowLateStream}),
                label + ": late tuple stream '" + w.late_stream +
                    "' is not declared by the bolt: declare it in DeclareOutputFields with the "
                    "fields of its input (late tuples are emitted on it unchanged)");
  }
  if (w.punctuation()) {
    bool subscribed = false;
    for (const auto& s : spec.streams)
      subscribed |= s.to == c.id && s.stream == w.punctuation_stream;
    if (!subscribed) {
      report->Add(WindowKeyPos(c, {kWindowPunctuationStream}),
                  label + ": punctuation stream '" + w.punctuation_stream +
                      "' is not one of its inputs: subscribe it to that stream (streamId: " +
                      w.punctuation_stream + " in a grouping)");
    }
  }
}

}  // namespace

Status ValidateWithPlugins(const TopologySpec& spec, const std::vector<ClassInfo>& classes) {
  Report report(spec);
  // What the plugins register (Gale's own classes are offered as "did you
  // mean" only).
  std::vector<std::string> names;
  for (const auto& c : classes) {
    if (c.plugin != kBuiltinPlugin) names.push_back(c.name);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());

  for (const auto* c : AllComponents(spec)) CheckClass(*c, classes, names, &report);
  for (const auto& s : spec.streams) {
    const ComponentSpec* from = spec.FindComponent(s.from);
    if (from == nullptr || !from->outputs_known) continue;
    CheckSubscription(s, *from, &report);
  }
  if (auto settings = ParseSettings(spec.config); settings.ok()) {
    for (const auto& c : spec.bolts) CheckWindow(spec, c, *settings, &report);
    auto stateful = [&](const ComponentSpec& c) { return IsStatefulComponent(spec, c); };
    const ComponentSpec* stateful_spout = nullptr;
    for (const auto& c : spec.spouts) {
      if (stateful(c) && !stateful_spout) stateful_spout = &c;
    }
    for (const auto* c : AllComponents(spec)) {
      if (stateful(*c) && settings->EffectiveAckers() == 0) {
        report.Add(c->class_pos, std::string(c->kind == ComponentKind::kSpout ? "spout" : "bolt") +
                                     " '" + c->id +
                                     "' is stateful: its checkpoints are tuple trees, so it "
                                     "needs acking (topology.acker.executors > 0)");
      }
    }
    // Exactly once needs every source to go back to a checkpoint.
    for (const auto& c : spec.spouts) {
      if (stateful_spout && !stateful(c)) {
        report.Add(c.class_pos, "spout '" + c.id + "' is not a StatefulSpout, but '" +
                                    stateful_spout->id +
                                    "' is: exactly once needs every spout to keep its position "
                                    "in checkpointed state (gale/stateful_spout.h)");
      }
    }
  }
  return report.ToStatus();
}

namespace {

// A cycle of streams is allowed, as in Storm, but its bounded queues can
// fill up all round and deadlock under load: say so, once per cycle found.
void WarnAboutCycles(const TopologySpec& spec, Report& report) {
  std::map<std::string, std::vector<const StreamSpec*>> out;
  for (const auto& s : spec.streams) out[s.from].push_back(&s);
  std::map<std::string, int> state;  // 0 new, 1 on the path, 2 done
  std::vector<std::string> path;
  std::function<void(const std::string&)> visit = [&](const std::string& id) {
    state[id] = 1;
    path.push_back(id);
    for (const StreamSpec* s : out[id]) {
      if (state[s->to] == 1) {
        std::string cycle;
        auto at = std::find(path.begin(), path.end(), s->to);
        for (auto it = at; it != path.end(); ++it) cycle += *it + " -> ";
        report.Add(s->pos, "streams form a cycle (" + cycle + s->to +
                               "): under load its bounded queues can fill up all round and "
                               "deadlock");
      } else if (state[s->to] == 0) {
        visit(s->to);
      }
    }
    path.pop_back();
    state[id] = 2;
  };
  for (const auto* c : AllComponents(spec)) {
    if (state[c->id] == 0) visit(c->id);
  }
}

}  // namespace

bool IsStatefulComponent(const TopologySpec& spec, const ComponentSpec& c) {
  Config effective = spec.config.MergedWith(c.config);
  // Whether the topology runs exactly once (which persists its windows) is
  // Gale's to say, as the plan does, whatever the file sets.
  effective.Set(std::string(kExactlyOnceKey),
                c.kind == ComponentKind::kBolt && EverySpoutStateful(spec));
  return IsStateful(effective);
}

bool EverySpoutStateful(const TopologySpec& spec) {
  if (spec.spouts.empty()) return false;
  for (const auto& c : spec.spouts) {
    if (!IsStatefulComponent(spec, c)) return false;
  }
  return true;
}

std::vector<std::string> Warnings(const TopologySpec& spec) {
  Report report(spec);
  std::vector<std::string> known;
  for (const auto& k : KnownConfigKeys()) known.emplace_back(k.name);
  auto check = [&](const Config& config, const std::map<std::string, SourcePos>& positions,
                   const SourcePos& fallback) {
    for (const auto& [key, value] : config.entries()) {
      auto at = positions.find(key);
      const SourcePos pos = at == positions.end() ? fallback : at->second;
      if (key == "topology.name") {
        report.Add(pos,
                   "config key 'topology.name' is set by Gale from 'name:'; this value is "
                   "ignored");
      } else if (key == "topology.state.exactly.once") {
        report.Add(pos,
                   "config key 'topology.state.exactly.once' is set by Gale (true when every "
                   "spout is a StatefulSpout); this value is ignored");
      } else if (key.rfind("topology.", 0) == 0 &&
                 std::find(known.begin(), known.end(), key) == known.end()) {
        std::string hint = ClosestMatch(key, known);
        report.Add(pos, "config key '" + key + "' is not used by Gale" +
                            (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
      }
    }
  };
  check(spec.config, spec.config_pos, Or(spec.name_pos, SourcePos{spec.file}));
  for (const auto* c : AllComponents(spec)) check(c->config, c->config_pos, c->pos);
  WarnAboutCycles(spec, report);
  return report.Sorted();
}

}  // namespace gale::topology
