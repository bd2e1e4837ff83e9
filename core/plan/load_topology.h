// core/plan/load_topology.h
//
// The path every command takes from a YAML file to a checked topology: load
// (substitution, includes), structural validation, the plugins' classes and
// declared streams, validation against them, warnings. The first failing
// step's errors are returned, each with file:line:column.
#pragma once

#include "core/common/result.h"
#include "core/plugin/loader.h"
#include "core/topology/topology_spec.h"
#include "core/topology/yaml_loader.h"

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace gale::plan {

enum class PluginIsolation {
  kInProcess,     // load plugins here: for running them (local mode, workers)
  kChildProcess,  // load them in a child that may crash: for validate/submit
};

struct LoadedTopology {
  topology::TopologySpec spec;  // outputs filled in
  std::vector<std::string> warnings;
  std::vector<topology::ClassInfo> classes;
  std::unique_ptr<plugin::ClassRegistry> registry;  // kInProcess only
};

Result<LoadedTopology> LoadAndValidate(const std::string& file,
                                       const topology::LoadOptions& options,
                                       PluginIsolation isolation);

// GALE_PLUGIN_PATH (colon-separated), then <dir of this executable>/../lib.
std::vector<std::string> DefaultPluginSearchPath();

// LoadAndValidate as the commands run it: the --filter file, the default
// plugin search path, errors and then warnings ("warning: ...") written to
// `err`, one per line. Empty when the topology is not valid (said already).
std::optional<LoadedTopology> LoadForCommand(const std::string& file,
                                             const std::string& filter_file,
                                             PluginIsolation isolation, std::ostream& err);

}  // namespace gale::plan
