// core/topology/yaml_loader.h
//
// Loads a Flux-like YAML topology file into a TopologySpec. Before parsing,
// `${name}` is replaced from the --filter properties file and `${ENV-NAME}`
// from the environment, line by line, so line numbers stay true. `includes:`
// merge other files in (Flux semantics: `override: true` lets the included
// file's components and config replace ones of the same id/key). Every error
// says file:line:column and what was expected there. Thread-compatible.
#pragma once

#include "core/common/result.h"
#include "core/topology/topology_spec.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gale::topology {

struct LoadOptions {
  // A Java-style properties file (`key=value` or `key: value` lines, `#` and
  // `!` comments) for `${key}`; empty when none was given.
  std::string filter_file;
  // Environment lookup for `${ENV-NAME}`; getenv when unset (tests inject).
  std::function<std::optional<std::string>(const std::string&)> env;
  // Folders searched, in order, for a plugin named without a '/' that is not
  // found next to the YAML file.
  std::vector<std::string> plugin_search_path;
  // Set when loading a client's files copied under this folder (nimbus's
  // YAML submits): every include and plugin path is the client's and stays
  // under it. An absolute path is taken as the client's ("/etc/x" is
  // <root>/etc/x), and ".." never climbs above it, so a topology file can
  // never make nimbus read a file of its own.
  std::string root;
};

Result<TopologySpec> LoadTopologyFile(const std::string& path, const LoadOptions& options);

// Parses `yaml` as if read from `display_name` (relative includes and plugin
// paths resolve against the current directory). For tests and tools.
Result<TopologySpec> LoadTopologyString(std::string_view yaml, const std::string& display_name,
                                        const LoadOptions& options);

Result<std::map<std::string, std::string>> LoadProperties(const std::string& path);

}  // namespace gale::topology
