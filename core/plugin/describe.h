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
// `gale validate` and `gale submit` use it. Nimbus, which has threads, runs
// a program for it instead (DescribeWithProgram: `gale __describe`). Local
// mode, which runs the user code anyway, calls DescribeOutputs() in-process.
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
// with the right kind (the validator reports the others), and adds to its
// config the window keys its code sets and the file does not.
Status DescribeOutputs(topology::TopologySpec& spec, const ClassRegistry& registry);

struct Description {
  std::vector<topology::ClassInfo> classes;
  std::map<std::string, std::vector<StreamDeclaration>> outputs;  // by component id
  // Window keys a bolt's code sets (WindowedBolt's builders) that the
  // topology file does not, by component id.
  std::map<std::string, Config> code_config;
};

// Loads the spec's plugins and describes its components in a child process.
// Errors: a plugin that cannot be loaded (as ClassRegistry::Load says), a
// DeclareOutputFields() that throws, or a child that crashes or exceeds
// `timeout` (naming the plugin or component it was busy with).
Result<Description> DescribeInChildProcess(const topology::TopologySpec& spec, Nanos timeout);

// The same, for a caller that must not fork and then run code: a process
// with threads (nimbus), where only exec is safe in a forked child. Runs
// `argv` (a program that calls ServeDescribeRequest: `gale __describe`),
// gives it the spec's config, plugins and components on stdin, and reads
// the same report from its stdout. Errors as DescribeInChildProcess, and
// kInternal when the program cannot be run.
Result<Description> DescribeWithProgram(const std::vector<std::string>& argv,
                                        const topology::TopologySpec& spec, Nanos timeout);

// The describer program's side: reads the request from `in_fd` to its end,
// loads and describes in this process, writes the report to `out_fd`
// (whatever the plugins print to stdout goes to stderr). Returns the exit
// code: 0 once a report was written, errors included.
int ServeDescribeRequest(int in_fd, int out_fd);

// Copies a description's outputs and code config into the spec's components.
void ApplyDescription(const Description& description, topology::TopologySpec& spec);

}  // namespace gale::plugin
