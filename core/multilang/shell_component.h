// core/multilang/shell_component.h
//
// gale.ShellBolt and gale.ShellSpout (also registered under Flux's names,
// org.apache.storm.flux.wrappers.bolts.FluxShellBolt and
// org.apache.storm.flux.wrappers.spouts.FluxShellSpout): a bolt or spout
// whose work is done by a subprocess speaking Storm's multilang protocol
// (README.md). What to run and what it emits come from the component's
// config, which the YAML loader fills in from `command:` / `outputFields:`
// / `serializer:` (or Flux's `constructorArgs`), so they travel with the
// topology like any config:
//
//   multilang.command        a JSON list: ["python3", "splitter.py"]
//   multilang.output.fields  a JSON map of stream to fields: {"default": ["word"]}
//   multilang.serializer     json (default) or msgpack
//   multilang.resources.dir  the subprocess's working directory (set by
//                            gale local and the worker, not by users)
#pragma once

#include "core/common/result.h"

#include <gale/config.h>
#include <gale/plugin.h>

#include <string>
#include <string_view>
#include <vector>

namespace gale::multilang {

inline constexpr std::string_view kCommandKey = "multilang.command";
inline constexpr std::string_view kOutputFieldsKey = "multilang.output.fields";
inline constexpr std::string_view kSerializerKey = "multilang.serializer";
// A JSON list of the output streams declared direct (`directStreams:`).
inline constexpr std::string_view kDirectStreamsKey = "multilang.direct.streams";
// A JSON list of every component id of the topology, set at load time, so
// the handshake's task->component covers them all (the SDK's
// TopologyContext finds tasks by id but does not list the ids).
inline constexpr std::string_view kComponentsKey = "multilang.components";
inline constexpr std::string_view kResourcesDirKey = "multilang.resources.dir";
// The SHA-256 of the resources archive `gale submit` uploaded (resources.h).
inline constexpr std::string_view kResourcesShaKey = "multilang.resources.sha256";
inline constexpr std::string_view kSubprocessTimeoutKey = "topology.subprocess.timeout.secs";
inline constexpr std::string_view kWorkerTimeoutKey = "supervisor.worker.timeout.secs";
inline constexpr std::string_view kHeartbeatKey = "multilang.heartbeat.secs";

inline constexpr std::string_view kShellBolt = "gale.ShellBolt";
inline constexpr std::string_view kShellSpout = "gale.ShellSpout";
inline constexpr std::string_view kFluxShellBolt =
    "org.apache.storm.flux.wrappers.bolts.FluxShellBolt";
inline constexpr std::string_view kFluxShellSpout =
    "org.apache.storm.flux.wrappers.spouts.FluxShellSpout";

// Whether `class_name` is one of the four names above.
bool IsShellClass(std::string_view class_name);
bool IsShellSpoutClass(std::string_view class_name);

// The four classes, for the class registry.
const std::vector<PluginClass>& BuiltinClasses();

// The command and output streams as the config keys hold them.
Result<std::vector<std::string>> CommandOf(const Config& config);
Result<std::vector<std::pair<std::string, std::vector<std::string>>>> OutputFieldsOf(
    const Config& config);

// A config key holding a JSON list of strings; empty when absent.
Result<std::vector<std::string>> StringListOf(const Config& config, std::string_view key);

// The values of the config keys, JSON-encoded.
std::string EncodeCommand(const std::vector<std::string>& argv);
std::string EncodeOutputFields(
    const std::vector<std::pair<std::string, std::vector<std::string>>>& streams);

// The folder shell commands run in for a topology file: `resources/` next
// to it when there is one (Storm's convention), else the file's folder;
// absolute.
std::string DefaultResourcesDir(const std::string& yaml_file);

// Where a `command`'s program and script are looked for: `argv[0]` on PATH
// (or as a path when it has a '/', relative to `dir`), and each later
// argument that names a script (it ends in .py, .js, .rb, .pl, .sh, .php,
// .lua or .R, or contains a '/', and does not start with '-') in `dir`.
// Returns what is missing, one message each, e.g. "program 'python4' not
// found on PATH" or "script 'splitter.py' not found in /x/resources".
std::vector<std::string> CheckCommand(const std::vector<std::string>& argv, const std::string& dir);

}  // namespace gale::multilang
