#include "core/topology/cluster_config.h"

#include "core/topology/yaml_scalar.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <system_error>

namespace gale::topology {
namespace {

std::string Where(const std::string& path, const YAML::Node& n) {
  return path + ":" + std::to_string(n.Mark().line + 1) + ":" + std::to_string(n.Mark().column + 1);
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
      out.Set(key, v.IsNull() ? Value() : YamlScalarValue(v));
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

Result<DaemonFlags> ParseDaemonFlags(const std::vector<std::string>& args,
                                     const std::vector<std::string>& known) {
  DaemonFlags flags;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0) {
      return Status::InvalidArgument("unexpected argument '" + arg + "' (see --help)");
    }
    std::string name = arg.substr(2);
    std::string value;
    const auto eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return Status::InvalidArgument("unknown option '--" + name + "' (see --help)");
    }
    if (eq == std::string::npos) {
      if (i + 1 >= args.size()) return Status::InvalidArgument("--" + name + " needs a value");
      value = args[++i];
    }
    flags[name] = value;
  }
  return flags;
}

std::string FlagOrConfig(const DaemonFlags& flags, const std::string& flag, const Config& file,
                         const std::string& key, const std::string& fallback) {
  if (auto it = flags.find(flag); it != flags.end()) return it->second;
  return file.GetString(key, fallback);
}

Result<int64_t> ParsePositiveInt(const std::string& what, const std::string& text) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v <= 0) {
    return Status::InvalidArgument(what + " must be a positive integer, not '" + text + "'");
  }
  return static_cast<int64_t>(v);
}

namespace {

bool GoodSeconds(double secs) { return secs > 0 && secs <= kMaxOptionSeconds; }

Nanos ToNanos(double secs) { return Nanos(static_cast<int64_t>(std::llround(secs * 1e9))); }

const std::string kSecondsRule = "a number of seconds > 0 and <= 86400";

}  // namespace

Result<Nanos> ParseSeconds(const std::string& what, const std::string& text) {
  char* end = nullptr;
  const double secs = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !GoodSeconds(secs)) {
    return Status::InvalidArgument(what + " must be " + kSecondsRule + ", not '" + text + "'");
  }
  return ToNanos(secs);
}

Result<std::string> ProgramOption(const DaemonFlags& flags, const std::string& flag,
                                  const std::string& self_exe, const std::string& name,
                                  const std::string& what, const std::string& why) {
  std::string path;
  if (auto it = flags.find(flag); it != flags.end()) {
    std::error_code ec;
    path = std::filesystem::absolute(it->second, ec).string();
    if (ec) path = it->second;
  } else {
    path = (std::filesystem::path(self_exe).parent_path() / name).string();
  }
  if (::access(path.c_str(), X_OK) != 0) {
    return Status::InvalidArgument(what + " '" + path + "' is not an executable file (see --" +
                                   flag + ")" + why);
  }
  return path;
}

Result<ClusterConfigFile> ClusterConfigFile::FromFlags(const DaemonFlags& flags) {
  ClusterConfigFile file;
  if (auto it = flags.find("config"); it != flags.end()) {
    file.path = it->second;
    GALE_ASSIGN_OR_RETURN(file.values, LoadClusterConfig(file.path));
  }
  return file;
}

Result<Nanos> ClusterConfigFile::Seconds(const std::string& key, Nanos fallback) const {
  const Value* v = values.Find(key);
  if (v == nullptr) return fallback;
  double secs = -1;
  if (v->type() == ValueType::kInt) secs = static_cast<double>(v->AsInt());
  if (v->type() == ValueType::kDouble) secs = v->AsDouble();
  if (!GoodSeconds(secs)) {
    return Status::InvalidArgument(path + ": config key '" + key + "' must be " + kSecondsRule +
                                   ", got " + ValueTypeName(v->type()) + " '" + v->ToString() +
                                   "'");
  }
  return ToNanos(secs);
}

Result<int64_t> ClusterConfigFile::Integer(const std::string& key, int64_t min, int64_t max,
                                           const std::string& what, int64_t fallback) const {
  const Value* v = values.Find(key);
  if (v == nullptr) return fallback;
  if (v->type() != ValueType::kInt || v->AsInt() < min || v->AsInt() > max) {
    return Status::InvalidArgument(path + ": config key '" + key + "' must be " + what + ", got " +
                                   ValueTypeName(v->type()) + " '" + v->ToString() + "'");
  }
  return v->AsInt();
}

Result<int> ClusterConfigFile::Port(const std::string& key, int fallback) const {
  GALE_ASSIGN_OR_RETURN(int64_t port,
                        Integer(key, 1, 65535, "a port, an integer from 1 to 65535", fallback));
  return static_cast<int>(port);
}

}  // namespace gale::topology
