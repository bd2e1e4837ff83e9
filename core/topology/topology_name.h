// core/topology/topology_name.h
//
// The one rule for topology names, and for the ids nimbus makes of them
// ("<name>-<counter>-<unix seconds>"). A name becomes part of file names
// (nimbus's state file, a worker's directory and log), of log lines and of
// `gale list`'s table, and is typed on command lines, so it is kept to what
// is safe in all of them. Storm's rule (no '/', '.', ':' or '\') plus:
//
//   - 1 to kMaxTopologyNameLength characters;
//   - printable ASCII only: no white space, no control characters (a line
//     break would forge lines of logs and listings, a NUL byte would cut a
//     file name short), no bytes above 127;
//   - not starting with '-' (the `gale` command would take it for an option).
//
// Enforced by ValidateStructure (so by `gale validate`, `submit` and `local`,
// and by nimbus's submitTopology) and by the supervisor for the ids nimbus
// assigns. Stateless.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gale::topology {

inline constexpr size_t kMaxTopologyNameLength = 128;

// std::nullopt for a good name. Otherwise one printable line:
// "invalid topology name 'x y': it contains a space; a topology name is ...",
// with what is wrong first and then the whole rule; the name is shown with
// control and non-ASCII bytes escaped (\n, \x00, ...) and cut after 64
// characters.
std::optional<std::string> ValidateTopologyName(std::string_view name);

// The same for a topology id: the characters of a name, up to
// kMaxTopologyNameLength plus room for the two numbers nimbus appends.
std::optional<std::string> ValidateTopologyId(std::string_view id);

// `text` with control and non-ASCII bytes escaped, cut after `max` characters
// ("..." and the length), for messages and logs.
std::string PrintableForMessage(std::string_view text, size_t max = 64);

}  // namespace gale::topology
