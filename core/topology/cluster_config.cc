#include "core/topology/cluster_config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <sstream>

namespace gale::topology {
namespace {

std::string Where(const std::string& path, const YAML::Node& n) {
  return path + ":" + std::to_string(n.Mark().line + 1) + ":" + std::to_string(n.Mark().column + 1);
}

Value ScalarValue(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") return Value(s);  // quoted
  if (s == "true" || s == "True" || s == "TRUE") return Value(true);
  if (s == "false" || s == "False" || s == "FALSE") return Value(false);
  if (s.empty() || s == "~" || s == "null") return Value();
  char* end = nullptr;
  errno = 0;
  long long i = std::strtoll(s.c_str(), &end, 10);
  if (*end == '\0' && errno == 0) return Value(static_cast<int64_t>(i));
  double d = std::strtod(s.c_str(), &end);
  if (*end == '\0') return Value(d);
  return Value(s);
}

}  // namespace

Result<Config> LoadClusterConfig(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return Status::NotFound("cannot read cluster config '" + path + "'");
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                                   std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  Config out;
  if (root.IsNull()) return out;
  if (!root.IsMap()) {
    return Status::InvalidArgument(Where(path, root) + ": a cluster config is a map of keys");
  }
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (v.IsScalar() || v.IsNull()) {
      out.Set(key, v.IsNull() ? Value() : ScalarValue(v));
    } else if (v.IsSequence()) {
      std::string joined;
      for (const auto& item : v) {
        if (!item.IsScalar()) {
          return Status::InvalidArgument(Where(path, item) + ": items of '" + key +
                                         "' must be scalars");
        }
        joined += (joined.empty() ? "" : ",") + item.Scalar();
      }
      out.Set(key, Value(joined));
    } else {
      return Status::InvalidArgument(Where(path, v) + ": '" + key +
                                     "' must be a scalar or a list, not a map");
    }
  }
  return out;
}

Result<std::vector<int>> ParsePortList(const std::string& text) {
  std::vector<int> ports;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    char* end = nullptr;
    long p = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || p < 1 || p > 65535) {
      return Status::InvalidArgument("'" + item + "' in port list '" + text +
                                     "' is not a port (1-65535)");
    }
    ports.push_back(static_cast<int>(p));
  }
  if (ports.empty()) return Status::InvalidArgument("empty port list");
  return ports;
}

}  // namespace gale::topology
