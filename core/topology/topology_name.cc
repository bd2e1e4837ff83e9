#include "core/topology/topology_name.h"

#include <cstdio>

namespace gale::topology {
namespace {

// Two counters of up to 20 digits and their two dashes.
constexpr size_t kMaxIdSuffix = 42;

constexpr const char* kRule =
    "a topology name is 1 to 128 printable ASCII characters, without white space, '/', '.', ':' "
    "or '\\', and does not start with '-'";

std::string Hex(unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", c);
  return buf;
}

// What is wrong with the character `c`, or "" when it is allowed.
std::string BadCharacter(unsigned char c) {
  switch (c) {
    case ' ': return "a space";
    case '\t': return "a tab";
    case '\n': return "a line break ('\\n')";
    case '\r': return "a carriage return ('\\r')";
    case '\0': return "a NUL byte ('\\x00')";
    case '/':
    case '.':
    case ':':
    case '\\': return "'" + std::string(1, static_cast<char>(c)) + "'";
    default: break;
  }
  if (c < 0x20 || c == 0x7f) return "the control character '" + Hex(c) + "'";
  if (c > 0x7f) return "the non-ASCII byte '" + Hex(c) + "'";
  return "";
}

// What is wrong with `s` as a name (at most `max` long), or "".
std::string Problem(std::string_view s, size_t max) {
  if (s.empty()) return "it is empty";
  if (s.size() > max) {
    return "it has " + std::to_string(s.size()) + " characters, more than " + std::to_string(max);
  }
  for (char c : s) {
    std::string bad = BadCharacter(static_cast<unsigned char>(c));
    if (!bad.empty()) return "it contains " + bad;
  }
  if (s.front() == '-') return "it starts with '-'";
  return "";
}

std::optional<std::string> Check(std::string_view s, size_t max, const char* what) {
  const std::string problem = Problem(s, max);
  if (problem.empty()) return std::nullopt;
  return std::string("invalid ") + what + " '" + PrintableForMessage(s) + "': " + problem + "; " +
         kRule;
}

}  // namespace

std::optional<std::string> ValidateTopologyName(std::string_view name) {
  return Check(name, kMaxTopologyNameLength, "topology name");
}

std::optional<std::string> ValidateTopologyId(std::string_view id) {
  return Check(id, kMaxTopologyNameLength + kMaxIdSuffix, "topology id");
}

std::string PrintableForMessage(std::string_view text, size_t max) {
  std::string out;
  for (size_t i = 0; i < text.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c >= 0x7f) {
      out += Hex(c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > max) out += "... (" + std::to_string(text.size()) + " characters)";
  return out;
}

}  // namespace gale::topology
