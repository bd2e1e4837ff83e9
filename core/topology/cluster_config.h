// core/topology/cluster_config.h
//
// The cluster config file shared by the daemons and the `gale` command: a
// flat YAML map of Storm-style keys (nimbus.host, nimbus.thrift.port,
// supervisor.slots.ports, ...). Scalars become Values; a list of scalars
// becomes one string of its items joined by commas ("6700,6701").
// Command-line options override what the file says.
//
// Also the pieces both daemons (gale-nimbus, gale-supervisor) read their
// command lines with, so that they take flags, check values and word errors
// the same way: ParseDaemonFlags, the ClusterConfigFile readers (which the
// `gale` command uses too), and WithConfigFileErrors. Every error is one line naming the flag, or
// the file and the key.
#pragma once

#include "core/common/clock.h"
#include "core/common/result.h"

#include <gale/config.h>

#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace gale::topology {

// Errors name the file and line: unreadable file, not a map, nested maps.
Result<Config> LoadClusterConfig(const std::string& path);

// "6700,6701" or "6700" -> ports; an error names the bad item.
Result<std::vector<int>> ParsePortList(const std::string& text);

// ---- daemon command lines ----

// Flag name (without "--") -> value.
using DaemonFlags = std::map<std::string, std::string>;

// Reads `--name value` and `--name=value` (args[0], the program, is
// skipped); a later flag wins. Errors: a name not in `known`, an argument
// that is not a flag, a flag without its value.
Result<DaemonFlags> ParseDaemonFlags(const std::vector<std::string>& args,
                                     const std::vector<std::string>& known);

// The value of `flag` if given, else `key` of `file` as text, else `fallback`.
std::string FlagOrConfig(const DaemonFlags& flags, const std::string& flag, const Config& file,
                         const std::string& key, const std::string& fallback);

// A whole number > 0; "<what> must be a positive integer, not '<text>'".
Result<int64_t> ParsePositiveInt(const std::string& what, const std::string& text);

// The longest duration a daemon option may have: one day.
inline constexpr double kMaxOptionSeconds = 86400;

// A number of seconds > 0 and <= kMaxOptionSeconds, fractions allowed, from
// a flag's text; the error names `what` (e.g. "--worker-timeout-secs").
Result<Nanos> ParseSeconds(const std::string& what, const std::string& text);

// A --config file: where it came from (for messages) and what it says.
// Empty when no --config was given.
struct ClusterConfigFile {
  std::string path;
  Config values;

  // Loads flags["config"] when given.
  static Result<ClusterConfigFile> FromFlags(const DaemonFlags& flags);

  // `key` as seconds (> 0, <= kMaxOptionSeconds), or `fallback` when absent.
  // Errors name the file and the key.
  Result<Nanos> Seconds(const std::string& key, Nanos fallback) const;
  // `key` as an integer from `min` to `max`, or `fallback` when absent; the
  // error says it must be `what` ("a port, an integer from 1 to 65535").
  Result<int64_t> Integer(const std::string& key, int64_t min, int64_t max, const std::string& what,
                          int64_t fallback) const;
  // `key` as a TCP port (an integer from 1 to 65535), or `fallback`.
  Result<int> Port(const std::string& key, int fallback) const;
};

// Runs `assemble()` and turns the std::invalid_argument that Config's typed
// getters throw for a key holding another type (a quoted number, say) into
// an error naming the file: a wrong file is the user's mistake, not a crash.
template <typename F>
auto WithConfigFileErrors(const ClusterConfigFile& file, F&& assemble) -> decltype(assemble()) {
  try {
    return std::forward<F>(assemble)();
  } catch (const std::invalid_argument& e) {
    return Status::InvalidArgument(file.path + ": " + e.what());
  }
}

// A daemon's FromArgs: parses `args` (flags in `known`), loads --config, and
// returns assemble(flags, file) under WithConfigFileErrors.
template <typename F>
auto ReadDaemonOptions(const std::vector<std::string>& args, const std::vector<std::string>& known,
                       F&& assemble) -> decltype(assemble(DaemonFlags{}, ClusterConfigFile{})) {
  GALE_ASSIGN_OR_RETURN(const DaemonFlags flags, ParseDaemonFlags(args, known));
  GALE_ASSIGN_OR_RETURN(const ClusterConfigFile file, ClusterConfigFile::FromFlags(flags));
  return WithConfigFileErrors(file, [&] { return assemble(flags, file); });
}

// A program a daemon runs: the path `--flag` gives (made absolute), else
// `name` next to `self_exe`. An error unless it is an executable file:
// "<what> '<path>' is not an executable file (see --<flag>)<why>".
Result<std::string> ProgramOption(const DaemonFlags& flags, const std::string& flag,
                                  const std::string& self_exe, const std::string& name,
                                  const std::string& what, const std::string& why = "");

}  // namespace gale::topology
