// core/topology/validator.h
//
// Checks a TopologySpec before anything runs. Each error line starts with
// the file:line:column of the offending element and says what was expected.
// All errors found are reported, one per line, in file order. Stateless.
#pragma once

#include "core/common/status.h"
#include "core/topology/topology_spec.h"

#include <gale/plugin.h>

#include <string>
#include <vector>

namespace gale::topology {

// A class some loaded plugin registers.
struct ClassInfo {
  std::string name;
  ComponentKind kind;
  std::string plugin;  // the plugin file that registers it, or kBuiltinPlugin
};

// The `plugin` of Gale's own classes (gale.WindowSum, ...): offered as a
// "did you mean", not listed among what the plugins register.
inline constexpr const char* kBuiltinPlugin = "(built in)";
// Gale's own spout for state checkpoints, which no topology names.
inline constexpr const char* kInternalClass = "gale.CheckpointSpout";

// Checks that need no plugin: topology name, ids (unique, not starting with
// "__"), parallelism and numTasks, that every stream's `from` and `to` exist,
// that spouts subscribe to nothing and every bolt has an input, grouping
// args, duplicate subscriptions, and the types of known config keys.
Status ValidateStructure(const TopologySpec& spec);

// Checks against the plugins: every className is registered with the right
// kind (an unknown one lists the registered names), and every subscription
// names a stream its source declared (ComponentSpec::outputs), fields that
// stream has, and a grouping that fits it (DIRECT only on direct streams,
// direct streams only with DIRECT).
Status ValidateWithPlugins(const TopologySpec& spec, const std::vector<ClassInfo>& classes);

// Things worth saying that are not errors, e.g. a `topology.*` config key
// Gale does not know (Storm has many Gale ignores). One per entry, with the
// position prefix.
std::vector<std::string> Warnings(const TopologySpec& spec);

// Whether `c` of `spec` is stateful (IsStateful on its effective config),
// and whether every spout of `spec` is: then the topology runs exactly once
// (core/state/README.md). The marker comes from describing the plugins.
bool IsStatefulComponent(const TopologySpec& spec, const ComponentSpec& c);
bool EverySpoutStateful(const TopologySpec& spec);

}  // namespace gale::topology
