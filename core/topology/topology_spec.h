// core/topology/topology_spec.h
//
// TopologySpec is a topology as the user wrote it: components, subscriptions
// and config, each element with the file position it came from, so that every
// error can point at a line. Built by the YAML loader (yaml_loader.h), checked
// by the validator (validator.h), turned into tasks and routes by the runtime.
// A plain value type; no thread affinity.
#pragma once

#include <gale/config.h>
#include <gale/output_declarer.h>
#include <gale/plugin.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gale::topology {

// Where an element of a topology file starts. line and column are 1-based;
// 0 when unknown (an element built in code rather than read from a file).
struct SourcePos {
  std::string file;
  int line = 0;
  int column = 0;

  // "file:line:column: " or "" when unknown; the prefix of every error.
  std::string Prefix() const {
    if (file.empty()) return "";
    if (line == 0) return file + ": ";
    return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
  }
};

enum class GroupingType {
  kShuffle,
  kFields,
  kAll,
  kGlobal,
  kNone,
  kDirect,
  kLocalOrShuffle,
  kPartialKey,
};

// The YAML spelling: SHUFFLE, FIELDS, ALL, GLOBAL, NONE, DIRECT,
// LOCAL_OR_SHUFFLE, PARTIAL_KEY.
const char* GroupingTypeName(GroupingType type);
std::optional<GroupingType> ParseGroupingType(std::string_view name);
// "SHUFFLE, FIELDS, ..." for error messages.
std::string AllGroupingTypeNames();

// The candidate most like `word` (case-insensitive edit distance, small
// enough to be a likely typo), for "did you mean" hints; empty when none is
// close. Ties go to the earlier candidate.
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);

struct GroupingSpec {
  GroupingType type = GroupingType::kShuffle;
  std::vector<std::string> fields;  // FIELDS and PARTIAL_KEY only
  SourcePos pos;                    // of the `grouping:` value
  SourcePos fields_pos;             // of `args:`, when given
};

// One subscription: `to` receives `stream` of `from` through `grouping`.
struct StreamSpec {
  std::string from;
  std::string to;
  std::string stream = std::string(kDefaultStream);
  GroupingSpec grouping;
  SourcePos pos;         // of the list entry
  SourcePos from_pos;    // of the `from:` value
  SourcePos to_pos;      // of the `to:` value
  SourcePos stream_pos;  // of the `streamId:` value, when given
  // `chain:` (core/runtime/README.md, "Chaining"): true asks to run `to` on
  // the thread of `from`, false forbids it; unset, it is chained when the
  // grouping and parallelism allow (topology.chaining.enabled).
  std::optional<bool> chain;
  SourcePos chain_pos;  // of the `chain:` value, when given
};

struct ComponentSpec {
  std::string id;
  std::string class_name;
  ComponentKind kind = ComponentKind::kBolt;
  int parallelism = 1;                          // executors
  int num_tasks = 0;                            // 0: same as parallelism
  Config config;                                // the component's own `config:` map
  SourcePos pos;                                // of the list entry
  SourcePos class_pos;                          // of the `className:` value
  SourcePos parallelism_pos;                    // of the `parallelism:` value, when given
  SourcePos num_tasks_pos;                      // of the `numTasks:` value, when given
  std::map<std::string, SourcePos> config_pos;  // where each `config:` key was set
  Config code_config;  // the keys of `config` its code set (WindowedBolt), not the file

  // Declared output streams, filled in from the plugins (plugin/describe.h);
  // empty until then.
  std::vector<StreamDeclaration> outputs;
  bool outputs_known = false;

  int tasks() const { return num_tasks > 0 ? num_tasks : parallelism; }
  const StreamDeclaration* FindOutput(std::string_view stream) const {
    for (const auto& s : outputs) {
      if (s.id == stream) return &s;
    }
    return nullptr;
  }
};

struct PluginRef {
  std::string name;  // as written
  std::string path;  // resolved (absolute) path; empty when not found
  SourcePos pos;
  std::vector<std::string> searched;  // the paths tried, in order (for "not found")
};

struct TopologySpec {
  std::string file;  // the top-level YAML file, as given
  std::string name;
  SourcePos name_pos;
  Config config;                                // topology `config:` map
  std::map<std::string, SourcePos> config_pos;  // where each config key was set
  std::vector<PluginRef> plugins;
  std::vector<ComponentSpec> spouts;
  std::vector<ComponentSpec> bolts;
  std::vector<StreamSpec> streams;

  const ComponentSpec* FindComponent(std::string_view id) const {
    for (const auto* list : {&spouts, &bolts}) {
      for (const auto& c : *list) {
        if (c.id == id) return &c;
      }
    }
    return nullptr;
  }
  ComponentSpec* FindComponent(std::string_view id) {
    return const_cast<ComponentSpec*>(std::as_const(*this).FindComponent(id));
  }
};

}  // namespace gale::topology
