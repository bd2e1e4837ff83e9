// core/plugin/describe.h
//
// Learns what a topology's plugins provide: the classes they register and
// the output streams each component declares (DeclareOutputFields() is
// called with the component's effective config). The declarations travel
// in the TopologySpec, so nimbus can validate subscriptions without running
// user code.
//
// DescribeInChildProcess() does the loading in a forked child, so that a
// plugin that crashes or hangs while loading cannot take the caller down;
// `gale validate` and `gale submit` use it. Local mode, which runs the user
// code anyway, calls DescribeOutputs() in-process.
#pragma once

#include "core/common/clock.h"
#include "core/common/result.h"
#include "core/plugin/loader.h"
#include "core/topology/topology_spec.h"

#include <map>
#include <string>
#include <vector>

namespace gale::plugin {

// Fills ComponentSpec::outputs of every component whose class is registered
// with the right kind (the validator reports the others).
Status DescribeOutputs(topology::TopologySpec& spec, const ClassRegistry& registry);

struct Description {
  std::vector<topology::ClassInfo> classes;
  std::map<std::string, std::vector<StreamDeclaration>> outputs;  // by component id
};

// Loads the spec's plugins and describes its components in a child process.
// Errors: a plugin that cannot be loaded (as ClassRegistry::Load says), a
// DeclareOutputFields() that throws, or a child that crashes or exceeds
// `timeout` (naming the plugin or component it was busy with).
Result<Description> DescribeInChildProcess(const topology::TopologySpec& spec, Nanos timeout);

// Copies a description's outputs into the spec's components.
void ApplyDescription(const Description& description, topology::TopologySpec& spec);

}  // namespace gale::plugin
