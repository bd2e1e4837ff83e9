#include "core/topology/yaml_scalar.h"

#include <charconv>
#include <cstdlib>
#include <regex>
#include <string>

namespace gale::topology {

Value YamlScalarValue(const YAML::Node& node, bool* out_of_range) {
  if (out_of_range) *out_of_range = false;
  if (node.IsNull()) return Value();
  const std::string& s = node.Scalar();
  const std::string& tag = node.Tag();
  // "?" marks a plain scalar; "!" a quoted or block one. An explicit core
  // tag such as !!int still goes through inference.
  bool plain = tag == "?" || tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" ||
               tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:null";
  if (!plain) return Value(s);
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return Value();
  if (s == "true" || s == "True" || s == "TRUE") return Value(true);
  if (s == "false" || s == "False" || s == "FALSE") return Value(false);
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (std::regex_match(s, kInt)) {
    int64_t v = 0;
    const char* first = s.data() + (s[0] == '+' ? 1 : 0);
    auto [ptr, ec] = std::from_chars(first, s.data() + s.size(), v);
    if (ec == std::errc() && ptr == s.data() + s.size()) return Value(v);
    if (out_of_range) *out_of_range = true;
    return Value(s);
  }
  if (std::regex_match(s, kFloat)) return Value(std::strtod(s.c_str(), nullptr));
  return Value(s);
}

}  // namespace gale::topology
