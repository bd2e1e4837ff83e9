// core/topology/cluster_config.h
//
// The cluster config file shared by the daemons and the `gale` command: a
// flat YAML map of Storm-style keys (nimbus.host, nimbus.thrift.port,
// supervisor.slots.ports, ...). Scalars become Values; a list of scalars
// becomes one string of its items joined by commas ("6700,6701").
// Command-line options override what the file says.
#pragma once

#include "core/common/result.h"

#include <gale/config.h>

#include <string>
#include <vector>

namespace gale::topology {

// Errors name the file and line: unreadable file, not a map, nested maps.
Result<Config> LoadClusterConfig(const std::string& path);

// "6700,6701" or "6700" -> ports; an error names the bad item.
Result<std::vector<int>> ParsePortList(const std::string& text);

}  // namespace gale::topology
