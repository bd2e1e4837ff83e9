// With cluster_config.cc and yaml_scalar.cc, a file that includes yaml-cpp: it turns YAML nodes
// into a TopologySpec and every yaml-cpp exception into an error line. The format and every message
// are listed in core/topology/README.md.
#include "core/topology/yaml_loader.h"

#include "core/topology/yaml_scalar.h"

#include "core/common/strings.h"
#include "core/multilang/codec.h"
#include "core/multilang/shell_component.h"
#include "core/topology/window_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <regex>
#include <set>
#include <utility>

namespace gale::topology {

namespace fs = std::filesystem;

namespace {

using Properties = std::map<std::string, std::string>;

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\f\v");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\f\v");
  return std::string(s.substr(b, e - b + 1));
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Reads a whole file; on failure returns nullopt and sets `error` to the
// system's reason.
std::optional<std::string> ReadFile(const std::string& path, std::string* error) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    *error = std::strerror(errno);
    return std::nullopt;
  }
  std::string text;
  char buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  // A directory opens fine on Linux; reading it fails with EISDIR.
  int read_errno = std::ferror(f) != 0 ? errno : 0;
  std::fclose(f);
  if (read_errno != 0) {
    *error = std::strerror(read_errno);
    return std::nullopt;
  }
  return text;
}

// ---------------------------------------------------------------------------
// Errors

struct Diagnostic {
  SourcePos pos;
  std::string message;
};

// Collects error lines; Join() sorts them into file order (files in the
// order they were opened, then line and column).
class Diagnostics {
 public:
  void OpenedFile(const std::string& file) {
    if (std::find(files_.begin(), files_.end(), file) == files_.end()) files_.push_back(file);
  }
  void Add(SourcePos pos, std::string message) {
    list_.push_back({std::move(pos), std::move(message)});
  }
  bool empty() const { return list_.empty(); }
  size_t size() const { return list_.size(); }

  std::string Join() const {
    std::vector<Diagnostic> sorted = list_;
    auto rank = [this](const SourcePos& p) {
      auto it = std::find(files_.begin(), files_.end(), p.file);
      return it == files_.end() ? -1 : static_cast<int>(it - files_.begin());
    };
    std::stable_sort(sorted.begin(), sorted.end(), [&](const Diagnostic& a, const Diagnostic& b) {
      return std::make_tuple(rank(a.pos), a.pos.line, a.pos.column) <
             std::make_tuple(rank(b.pos), b.pos.line, b.pos.column);
    });
    std::string out;
    for (const auto& d : sorted) {
      if (!out.empty()) out += '\n';
      out += d.pos.Prefix() + d.message;
    }
    return out;
  }

 private:
  std::vector<std::string> files_;
  std::vector<Diagnostic> list_;
};

// ---------------------------------------------------------------------------
// Substitution

struct Substitution {
  const Properties* properties = nullptr;  // null when no --filter file
  std::string filter_file;
  std::function<std::optional<std::string>(const std::string&)> env;
};

// Replaces every `${key}` and `${ENV-NAME}` of `line`. Errors point at the
// `$` in the original line. A `${` without a closing `}` is left alone.
std::string SubstituteLine(const std::string& line, const SourcePos& line_pos,
                           const Substitution& sub, Diagnostics* diags) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t start = line.find("${", pos);
    size_t end = start == std::string::npos ? start : line.find('}', start + 2);
    if (end == std::string::npos) break;
    out.append(line, pos, start - pos);
    pos = end + 1;
    const std::string placeholder = line.substr(start, end + 1 - start);
    const std::string name = line.substr(start + 2, end - start - 2);
    SourcePos at = line_pos;
    at.column = static_cast<int>(start) + 1;
    if (name.empty()) {
      out += placeholder;
    } else if (name.rfind("ENV-", 0) == 0) {
      std::optional<std::string> value = sub.env(name.substr(4));
      if (value) {
        out += *value;
      } else {
        diags->Add(
            at, "undefined environment variable '" + name.substr(4) + "' in '" + placeholder + "'");
      }
    } else if (sub.properties == nullptr) {
      diags->Add(at, "undefined property '" + placeholder + "' (no --filter file given)");
    } else if (auto it = sub.properties->find(name); it != sub.properties->end()) {
      out += it->second;
    } else {
      diags->Add(at, "undefined property '" + placeholder + "' (not in " + sub.filter_file + ")");
    }
  }
  out.append(line, pos, std::string::npos);
  return out;
}

// Line by line, so that YAML line numbers stay those of the file. Whole-line
// comments are left alone, so a commented-out placeholder is no error.
std::string Substitute(const std::string& text, const std::string& file, const Substitution& sub,
                       Diagnostics* diags) {
  std::string out;
  out.reserve(text.size());
  size_t begin = 0;
  int line_no = 1;
  while (begin <= text.size()) {
    size_t nl = text.find('\n', begin);
    std::string line = text.substr(begin, nl == std::string::npos ? nl : nl - begin);
    std::string trimmed = Trim(line);
    if (trimmed.empty() || trimmed[0] == '#' || line.find("${") == std::string::npos) {
      out += line;
    } else {
      out += SubstituteLine(line, SourcePos{file, line_no, 0}, sub, diags);
    }
    if (nl == std::string::npos) break;
    out += '\n';
    begin = nl + 1;
    ++line_no;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Scalars

// Scalars are typed by YamlScalarValue (yaml_scalar.h), shared with the cluster config.
// "a list", "a map", "null", "int '5'", "string 'two'": what the user wrote.
std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Scalar: {
      bool big = false;
      Value v = YamlScalarValue(node, &big);
      return std::string(big ? "int" : ValueTypeName(v.type())) + " '" + node.Scalar() + "'";
    }
    default: return "null";
  }
}

// ---------------------------------------------------------------------------
// The keys of each element

const std::vector<std::string> kTopKeys = {"name",   "config", "plugins", "includes",
                                           "spouts", "bolts",  "streams"};
const std::vector<std::string> kComponentKeys = {"id",       "className", "parallelism",
                                                 "numTasks", "config",    "window"};
// A shell component (core/multilang) takes these too.
const std::vector<std::string> kShellComponentKeys = {
    "id",      "className",    "parallelism", "numTasks",        "config",       "window",
    "command", "outputFields", "serializer",  "constructorArgs", "directStreams"};
const std::vector<std::string> kWindowKeys = {
    "length",     "slide", "tumbling", "punctuation", "timestampField", "lag", "watermarkInterval",
    "lateStream", "key",   "value",    "inverse",     "persistent"};
const std::vector<std::string> kStreamKeys = {"from", "to", "grouping", "chain", "name"};
const std::vector<std::string> kGroupingKeys = {"type", "args", "streamId"};
const std::vector<std::string> kIncludeKeys = {"file", "override", "resource"};

using Unsupported = std::map<std::string, std::string>;

const std::string kNoArgs =
    "Gale creates a component from the name its plugin registered, with no arguments; put "
    "settings in the component's 'config:' map and read them in Open() or Prepare()";
const std::string kNoResources = "Gale has no resource-aware scheduler; remove it";
const std::string kNoCustom =
    "CUSTOM groupings are not supported yet; use PARTIAL_KEY or FIELDS to spread keys, or "
    "DIRECT to pick the task in the emitting component";

const Unsupported kTopUnsupported = {
    {"components",
     "Gale has no beans or references; spouts and bolts are classes plugins register, configured "
     "through their 'config:' maps"},
    {"topologySource",
     "Gale builds a topology only from 'spouts:', 'bolts:' and 'streams:' in YAML"},
    {"workerHooks",
     "Gale has no worker hooks; do per-worker setup in a spout's Open() or a bolt's Prepare()"},
};
const Unsupported kComponentUnsupported = {
    {"constructorArgs", kNoArgs},
    {"properties", kNoArgs},
    {"configMethods", kNoArgs},
    {"factory", kNoArgs},
    {"factoryArgs", kNoArgs},
    {"onHeapMemoryLoad", kNoResources},
    {"offHeapMemoryLoad", kNoResources},
    {"cpuLoad", kNoResources},
};
const Unsupported kShellComponentUnsupported = [] {
  Unsupported u = kComponentUnsupported;
  u.erase("constructorArgs");
  return u;
}();
const Unsupported kGroupingUnsupported = {{"customClass", kNoCustom}};
const Unsupported kNone = {};

// ---------------------------------------------------------------------------
// Parsing one file

struct IncludeEntry {
  std::string file;
  bool override = false;
  SourcePos pos;
};

// What one file contributes before its includes are merged in.
struct Fragment {
  TopologySpec spec;
  bool has_name = false;
  SourcePos root_pos;
  std::vector<IncludeEntry> includes;
};

// Parses the YAML of one file. `base_dir` is where relative plugin paths
// resolve (empty: the current directory).
class FileParser {
 public:
  FileParser(std::string file, fs::path base_dir, const LoadOptions& options, Diagnostics* diags)
      : file_(std::move(file)), base_dir_(std::move(base_dir)), options_(options), diags_(diags) {}

  void Parse(const YAML::Node& root, Fragment* out);

 private:
  SourcePos Pos(const YAML::Node& n) const {
    YAML::Mark m = n.Mark();
    if (m.is_null()) return SourcePos{file_, 0, 0};
    return SourcePos{file_, m.line + 1, m.column + 1};
  }
  // An empty value (`key:`) has the position of whatever follows it; point
  // at its key instead.
  SourcePos ValuePos(const YAML::Node& key, const YAML::Node& value) const {
    return value.IsNull() ? Pos(key) : Pos(value);
  }
  void Error(const SourcePos& pos, std::string message) { diags_->Add(pos, std::move(message)); }

  // Calls `handle(key, key_node, value)` for each allowed key of `map`;
  // reports unknown, unsupported and repeated keys. `where` reads like
  // "in bolt 'count'".
  template <typename F>
  void ForEachKey(const YAML::Node& map, const std::vector<std::string>& allowed,
                  const Unsupported& unsupported, const std::string& where, F handle);
  void UnknownKey(const std::string& key, const SourcePos& pos,
                  const std::vector<std::string>& allowed, const std::string& where);

  // Typed reads of a value; false (and an error) when the type is wrong.
  bool GetString(const YAML::Node& key, const YAML::Node& v, const std::string& what,
                 std::string* out);
  bool GetInt(const YAML::Node& key, const YAML::Node& v, const std::string& what, int* out);
  bool GetBool(const YAML::Node& key, const YAML::Node& v, const std::string& what, bool* out);
  // A list value (an empty value counts as an empty list).
  bool GetList(const YAML::Node& key, const YAML::Node& v, const std::string& what,
               const std::string& of);

  void ParseConfig(const YAML::Node& key, const YAML::Node& v, const std::string& what,
                   Config* config, std::map<std::string, SourcePos>* positions);
  // A bolt's `window:` block, as Storm's window config keys.
  void ParseWindow(const YAML::Node& key, const YAML::Node& v, const std::string& label,
                   Config* config, std::map<std::string, SourcePos>* positions);
  void ParsePlugins(const YAML::Node& key, const YAML::Node& v, std::vector<PluginRef>* out);
  void ParseIncludes(const YAML::Node& key, const YAML::Node& v, std::vector<IncludeEntry>* out);
  // A list of strings; false (and an error) otherwise.
  bool GetStrings(const YAML::Node& key, const YAML::Node& v, const std::string& what,
                  std::vector<std::string>* out);
  // A shell component's `outputFields`: a list (the default stream) or a
  // map of stream to list.
  bool GetOutputFields(const YAML::Node& key, const YAML::Node& v, const std::string& label,
                       std::vector<std::pair<std::string, std::vector<std::string>>>* out);
  void ParseComponents(const YAML::Node& key, const YAML::Node& v, ComponentKind kind,
                       std::vector<ComponentSpec>* out);
  void ParseComponent(const YAML::Node& item, ComponentKind kind, size_t index,
                      std::vector<ComponentSpec>* out);
  void ParseStreams(const YAML::Node& key, const YAML::Node& v, std::vector<StreamSpec>* out);
  void ParseStream(const YAML::Node& item, size_t index, std::vector<StreamSpec>* out);
  void ParseGrouping(const YAML::Node& key, const YAML::Node& v, const std::string& stream_label,
                     StreamSpec* out);
  PluginRef ResolvePlugin(const std::string& name, const SourcePos& pos) const;

  // The string value of `key` in `map` when it is one; for labels such as
  // "bolt 'count'" before the element is fully read.
  static std::optional<std::string> PeekString(const YAML::Node& map, const char* key);

  const std::string file_;
  const fs::path base_dir_;
  const LoadOptions& options_;
  Diagnostics* diags_;
};

template <typename F>
void FileParser::ForEachKey(const YAML::Node& map, const std::vector<std::string>& allowed,
                            const Unsupported& unsupported, const std::string& where, F handle) {
  std::map<std::string, SourcePos> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    // By value: yaml-cpp's iterator yields a temporary pair, so a
    // reference to `it->first` dangles at the end of the statement.
    const YAML::Node key = it->first;
    if (!key.IsScalar()) {
      Error(Pos(key), "expected a key name " + where + ", got " + Describe(key));
      continue;
    }
    const std::string& name = key.Scalar();
    if (auto [at, fresh] = seen.emplace(name, Pos(key)); !fresh) {
      Error(Pos(key), "duplicate key '" + name + "' " + where + " (already set at line " +
                          std::to_string(at->second.line) + ")");
      continue;
    }
    if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) {
      handle(name, key, it->second);
    } else if (auto u = unsupported.find(name); u != unsupported.end()) {
      Error(Pos(key),
            "Flux key '" + name + "' " + where + " is not supported by Gale: " + u->second);
    } else {
      UnknownKey(name, Pos(key), allowed, where);
    }
  }
}

void FileParser::UnknownKey(const std::string& key, const SourcePos& pos,
                            const std::vector<std::string>& allowed, const std::string& where) {
  std::string hint = ClosestMatch(key, allowed);
  std::string msg = "unknown key '" + key + "' " + where + " (";
  if (!hint.empty()) msg += "did you mean '" + hint + "'? ";
  Error(pos, msg + "expected one of: " + Join(allowed, ", ") + ")");
}

bool FileParser::GetString(const YAML::Node& key, const YAML::Node& v, const std::string& what,
                           std::string* out) {
  if (v.IsScalar()) {
    Value value = YamlScalarValue(v);
    if (value.type() == ValueType::kString) {
      *out = value.AsString();
      return true;
    }
    Error(Pos(v), what + " must be a string, got " + Describe(v) + " (quote it to use it as text)");
    return false;
  }
  Error(ValuePos(key, v), what + " must be a string, got " + Describe(v));
  return false;
}

bool FileParser::GetInt(const YAML::Node& key, const YAML::Node& v, const std::string& what,
                        int* out) {
  Value value = v.IsScalar() ? YamlScalarValue(v) : Value();
  if (value.type() != ValueType::kInt) {
    bool big = false;
    if (v.IsScalar()) YamlScalarValue(v, &big);
    Error(ValuePos(key, v),
          what + (big ? " is out of range" : " must be an integer") + ", got " + Describe(v));
    return false;
  }
  if (value.AsInt() < INT32_MIN || value.AsInt() > INT32_MAX) {
    Error(Pos(v), what + " is out of range, got " + Describe(v));
    return false;
  }
  *out = static_cast<int>(value.AsInt());
  return true;
}

bool FileParser::GetBool(const YAML::Node& key, const YAML::Node& v, const std::string& what,
                         bool* out) {
  Value value = v.IsScalar() ? YamlScalarValue(v) : Value();
  if (value.type() != ValueType::kBool) {
    Error(ValuePos(key, v), what + " must be true or false, got " + Describe(v));
    return false;
  }
  *out = value.AsBool();
  return true;
}

bool FileParser::GetList(const YAML::Node& key, const YAML::Node& v, const std::string& what,
                         const std::string& of) {
  if (v.IsSequence() || v.IsNull()) return true;
  Error(ValuePos(key, v), what + " must be a list of " + of + ", got " + Describe(v));
  return false;
}

bool FileParser::GetStrings(const YAML::Node& key, const YAML::Node& v, const std::string& what,
                            std::vector<std::string>* out) {
  if (!v.IsSequence()) {
    Error(ValuePos(key, v), what + " must be a list of strings, got " + Describe(v));
    return false;
  }
  bool ok = true;
  for (auto it = v.begin(); it != v.end(); ++it) {
    std::string text;
    if (GetString(*it, *it, "an entry of " + what, &text)) {
      out->push_back(text);
    } else {
      ok = false;
    }
  }
  return ok;
}

bool FileParser::GetOutputFields(
    const YAML::Node& key, const YAML::Node& v, const std::string& label,
    std::vector<std::pair<std::string, std::vector<std::string>>>* out) {
  const std::string what = "'outputFields' of " + label;
  if (v.IsSequence()) {
    std::vector<std::string> f;
    if (!GetStrings(key, v, what, &f)) return false;
    out->emplace_back(std::string(kDefaultStream), std::move(f));
    return true;
  }
  if (!v.IsMap()) {
    Error(ValuePos(key, v), what + " must be a list of field names (the default stream) or a " +
                                "map of stream to field names, got " + Describe(v));
    return false;
  }
  bool ok = true;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const YAML::Node k = it->first;
    const YAML::Node f = it->second;
    std::string stream;
    if (!GetString(k, k, "a stream name in " + what, &stream)) {
      ok = false;
      continue;
    }
    std::vector<std::string> fields;
    if (!GetStrings(k, f, "the fields of stream '" + stream + "' in " + what, &fields)) {
      ok = false;
      continue;
    }
    out->emplace_back(stream, std::move(fields));
  }
  return ok;
}

std::optional<std::string> FileParser::PeekString(const YAML::Node& map, const char* key) {
  std::optional<std::string> found;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (!it->first.IsScalar() || it->first.Scalar() != key) continue;
    if (found) return std::nullopt;  // repeated: no trustworthy label
    if (!it->second.IsScalar()) return std::nullopt;
    Value v = YamlScalarValue(it->second);
    if (v.type() != ValueType::kString) return std::nullopt;
    found = v.AsString();
  }
  return found;
}

void FileParser::Parse(const YAML::Node& root, Fragment* out) {
  const std::string where = "at the top level";
  ForEachKey(root, kTopKeys, kTopUnsupported, where,
             [&](const std::string& name, const YAML::Node& key, const YAML::Node& v) {
               if (name == "name") {
                 out->has_name = true;
                 out->spec.name_pos = ValuePos(key, v);
                 GetString(key, v, "'name'", &out->spec.name);
               } else if (name == "config") {
                 ParseConfig(key, v, "the topology config", &out->spec.config,
                             &out->spec.config_pos);
               } else if (name == "plugins") {
                 ParsePlugins(key, v, &out->spec.plugins);
               } else if (name == "includes") {
                 ParseIncludes(key, v, &out->includes);
               } else if (name == "spouts") {
                 ParseComponents(key, v, ComponentKind::kSpout, &out->spec.spouts);
               } else if (name == "bolts") {
                 ParseComponents(key, v, ComponentKind::kBolt, &out->spec.bolts);
               } else if (name == "streams") {
                 ParseStreams(key, v, &out->spec.streams);
               }
             });
}

void FileParser::ParseConfig(const YAML::Node& key, const YAML::Node& v, const std::string& what,
                             Config* config, std::map<std::string, SourcePos>* positions) {
  if (v.IsNull()) return;
  if (!v.IsMap()) {
    Error(ValuePos(key, v), what + " must be a map of keys to values, got " + Describe(v));
    return;
  }
  std::map<std::string, SourcePos> seen;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const YAML::Node k = it->first;  // by value: see ForEachKey
    const YAML::Node value = it->second;
    if (!k.IsScalar()) {
      Error(Pos(k), "expected a config key in " + what + ", got " + Describe(k));
      continue;
    }
    const std::string& name = k.Scalar();
    if (auto [at, fresh] = seen.emplace(name, Pos(k)); !fresh) {
      Error(Pos(k), "duplicate key '" + name + "' in " + what + " (already set at line " +
                        std::to_string(at->second.line) + ")");
      continue;
    }
    if (value.IsSequence() || value.IsMap()) {
      Error(Pos(value), "config value of '" + name +
                            "' must be a scalar (a string, number, true/false or null), got " +
                            Describe(value));
      continue;
    }
    bool big = false;
    Value parsed = YamlScalarValue(value, &big);
    if (big) {
      Error(Pos(value), "config value of '" + name + "' is an integer out of the 64-bit range: '" +
                            value.Scalar() + "' (quote it to use it as text)");
      continue;
    }
    config->Set(name, std::move(parsed));
    (*positions)[name] = Pos(k);
  }
}

void FileParser::ParseWindow(const YAML::Node& key, const YAML::Node& v, const std::string& label,
                             Config* config, std::map<std::string, SourcePos>* positions) {
  const std::string what = "'window' of " + label;
  if (!v.IsMap()) {
    Error(ValuePos(key, v), what +
                                " must be a map such as { length: 30s, slide: 10s } or "
                                "{ tumbling: 1000 }, got " +
                                Describe(v));
    return;
  }
  auto set = [&](std::string_view name, Value value, const SourcePos& pos) {
    config->Set(std::string(name), std::move(value));
    (*positions)[std::string(name)] = pos;
  };
  // A length or slide: a count (an integer) or a duration (30s, 500ms).
  auto extent = [&](const YAML::Node& k, const YAML::Node& val, std::string_view count_key,
                    std::string_view ms_key) {
    if (!val.IsScalar()) {
      Error(ValuePos(k, val), "'" + k.Scalar() + "' of " + what +
                                  " must be a count of tuples (100) or a duration (30s), got " +
                                  Describe(val));
      return;
    }
    auto e = ParseExtent(val.Scalar());
    if (!e.ok()) {
      Error(Pos(val), "'" + k.Scalar() + "' of " + what + ": " + e.status().message());
      return;
    }
    set(e->count() ? count_key : ms_key, e->value, Pos(k));
  };
  auto duration = [&](const YAML::Node& k, const YAML::Node& val, std::string_view ms_key) {
    auto e =
        val.IsScalar() ? ParseExtent(val.Scalar()) : Result<Extent>(Status::InvalidArgument(""));
    if (!e.ok() || e->count()) {
      Error(ValuePos(k, val), "'" + k.Scalar() + "' of " + what +
                                  " must be a duration with a unit (500ms, 5s, 1m), got " +
                                  Describe(val));
      return;
    }
    set(ms_key, e->value, Pos(k));
  };
  bool has_length = false, has_slide = false, has_tumbling = false;
  ForEachKey(v, kWindowKeys, {}, "in " + what,
             [&](const std::string& name, const YAML::Node& k, const YAML::Node& val) {
               std::string text;
               if (name == "length") {
                 has_length = true;
                 extent(k, val, kWindowLengthCount, kWindowLengthMs);
               } else if (name == "slide") {
                 has_slide = true;
                 extent(k, val, kWindowSlideCount, kWindowSlideMs);
               } else if (name == "tumbling") {
                 has_tumbling = true;
                 extent(k, val, kWindowLengthCount, kWindowLengthMs);
                 extent(k, val, kWindowSlideCount, kWindowSlideMs);
               } else if (name == "lag") {
                 duration(k, val, kWindowLagMs);
               } else if (name == "watermarkInterval") {
                 duration(k, val, kWindowWatermarkMs);
               } else if (name == "inverse" || name == "persistent") {
                 bool b = true;
                 if (GetBool(k, val, "'" + name + "' of " + what, &b)) {
                   set(name == "inverse" ? kWindowReduceInverse : kWindowPersistent, b, Pos(k));
                 }
               } else if (GetString(k, val, "'" + name + "' of " + what, &text)) {
                 const std::string_view keys[][2] = {{"punctuation", kWindowPunctuationStream},
                                                     {"timestampField", kWindowTimestampField},
                                                     {"lateStream", kWindowLateStream},
                                                     {"key", kWindowKeyField},
                                                     {"value", kWindowValueField}};
                 for (const auto& kv : keys) {
                   if (kv[0] == name) set(kv[1], text, Pos(k));
                 }
               }
             });
  if (has_tumbling && (has_slide || has_length)) {
    Error(Pos(key), what +
                        ": 'tumbling' is a window's length and slide at once; give either "
                        "'tumbling' or 'length' (and 'slide')");
  }
}

// A path under options.root as the client sees it (LoadOptions::root).
fs::path Confine(const fs::path& path, const std::string& root) {
  if (root.empty()) return path;
  std::string s = path.string();
  if (s.rfind(root + "/", 0) == 0) s = s.substr(root.size());  // already under the root
  std::vector<std::string> parts;
  for (const auto& part : fs::path(s)) {
    const std::string p = part.string();
    if (p.empty() || p == "/" || p == ".") continue;
    if (p == "..") {
      if (!parts.empty()) parts.pop_back();  // "/.." is "/" on the client too
      continue;
    }
    parts.push_back(p);
  }
  fs::path out(root);
  for (const auto& p : parts) out /= p;
  return out;
}

PluginRef FileParser::ResolvePlugin(const std::string& name, const SourcePos& pos) const {
  PluginRef ref;
  ref.name = name;
  ref.pos = pos;
  std::vector<fs::path> candidates;
  fs::path written(name);
  if (written.is_absolute()) {
    candidates.push_back(written);
  } else {
    candidates.push_back(base_dir_ / written);
    if (name.find('/') == std::string::npos) {
      for (const auto& dir : options_.plugin_search_path)
        candidates.push_back(fs::path(dir) / written);
    }
  }
  for (auto c : candidates) {
    c = Confine(c, options_.root);
    std::error_code ec;
    fs::path abs = fs::absolute(c, ec).lexically_normal();
    if (ec) abs = c.lexically_normal();
    ref.searched.push_back(abs.string());
    if (ref.path.empty() && fs::is_regular_file(abs, ec)) ref.path = abs.string();
  }
  return ref;
}

void FileParser::ParsePlugins(const YAML::Node& key, const YAML::Node& v,
                              std::vector<PluginRef>* out) {
  if (!GetList(key, v, "'plugins'", "plugin files")) return;
  for (auto it = v.begin(); it != v.end(); ++it) {
    std::string name;
    if (!GetString(*it, *it, "a plugin entry", &name)) continue;
    out->push_back(ResolvePlugin(name, Pos(*it)));
  }
}

void FileParser::ParseIncludes(const YAML::Node& key, const YAML::Node& v,
                               std::vector<IncludeEntry>* out) {
  if (!GetList(key, v, "'includes'", "includes ({ file: other.yaml })")) return;
  size_t index = 0;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const YAML::Node item = *it;
    ++index;
    std::string label = "include #" + std::to_string(index);
    if (!item.IsMap()) {
      Error(Pos(item),
            label + " must be a map such as { file: common.yaml }, got " + Describe(item));
      continue;
    }
    if (auto file = PeekString(item, "file")) label = "include '" + *file + "'";
    IncludeEntry entry;
    entry.pos = Pos(item);
    const size_t errors_before = diags_->size();
    bool has_file = false;
    ForEachKey(item, kIncludeKeys, kNone, "in " + label,
               [&](const std::string& name, const YAML::Node& k, const YAML::Node& value) {
                 if (name == "file") {
                   has_file = true;
                   GetString(k, value, "'file' of " + label, &entry.file);
                 } else if (name == "override") {
                   GetBool(k, value, "'override' of " + label, &entry.override);
                 } else if (name == "resource") {
                   bool resource = false;
                   if (GetBool(k, value, "'resource' of " + label, &resource) && resource) {
                     Error(Pos(value),
                           "resource includes are not supported; give 'file:' a path relative "
                           "to this file");
                   }
                 }
               });
    if (!has_file) Error(entry.pos, "missing required key 'file' in " + label);
    // A half-understood include is not followed: its errors say enough.
    if (diags_->size() == errors_before) out->push_back(std::move(entry));
  }
}

void FileParser::ParseComponents(const YAML::Node& key, const YAML::Node& v, ComponentKind kind,
                                 std::vector<ComponentSpec>* out) {
  const bool spout = kind == ComponentKind::kSpout;
  if (!GetList(key, v, spout ? "'spouts'" : "'bolts'", spout ? "spouts" : "bolts")) return;
  size_t index = 0;
  for (auto it = v.begin(); it != v.end(); ++it) ParseComponent(*it, kind, ++index, out);
}

void FileParser::ParseComponent(const YAML::Node& item, ComponentKind kind, size_t index,
                                std::vector<ComponentSpec>* out) {
  const std::string noun = kind == ComponentKind::kSpout ? "spout" : "bolt";
  std::string label = noun + " #" + std::to_string(index);
  if (!item.IsMap()) {
    Error(Pos(item), label + " must be a map with 'id' and 'className', got " + Describe(item));
    return;
  }
  if (auto id = PeekString(item, "id")) label = noun + " '" + *id + "'";
  ComponentSpec c;
  c.kind = kind;
  c.pos = Pos(item);
  bool has_id = false, has_class = false;
  Config window;
  std::map<std::string, SourcePos> window_pos;
  const auto class_name = PeekString(item, "className");
  const bool shell = class_name && multilang::IsShellClass(*class_name);
  std::optional<std::vector<std::string>> command;
  std::optional<std::vector<std::pair<std::string, std::vector<std::string>>>> output_fields;
  std::optional<std::string> serializer;
  SourcePos command_pos, fields_pos, serializer_pos, direct_pos;
  std::optional<std::vector<std::string>> direct_streams;
  bool from_constructor = false;
  bool command_key = false;  // `command` or `constructorArgs` given, valid or not
  ForEachKey(
      item, shell ? kShellComponentKeys : kComponentKeys,
      shell ? kShellComponentUnsupported : kComponentUnsupported, "in " + label,
      [&](const std::string& name, const YAML::Node& k, const YAML::Node& v) {
        if (name == "id") {
          has_id = true;
          GetString(k, v, "'id' of " + label, &c.id);
        } else if (name == "className") {
          has_class = true;
          c.class_pos = ValuePos(k, v);
          GetString(k, v, "'className' of " + label, &c.class_name);
        } else if (name == "parallelism") {
          c.parallelism_pos = ValuePos(k, v);
          GetInt(k, v, "'parallelism' of " + label, &c.parallelism);
        } else if (name == "numTasks") {
          c.num_tasks_pos = ValuePos(k, v);
          int n = 0;
          if (!GetInt(k, v, "'numTasks' of " + label, &n)) return;
          // 0 means "unset" in ComponentSpec, so it is refused here.
          if (n < 1) {
            Error(Pos(v), "'numTasks' of " + label + " must be >= 1, got " + std::to_string(n));
            return;
          }
          c.num_tasks = n;
        } else if (name == "config") {
          ParseConfig(k, v, "the config of " + label, &c.config, &c.config_pos);
        } else if (name == "window") {
          if (kind == ComponentKind::kSpout) {
            Error(Pos(k), "'window' is for bolts; " + label + " is a spout");
            return;
          }
          ParseWindow(k, v, label, &window, &window_pos);
        } else if (name == "command") {
          command_key = true;
          if (from_constructor) {
            Error(Pos(k), label + " sets its command twice: give 'command' or " +
                              "'constructorArgs', not both");
            return;
          }
          command_pos = ValuePos(k, v);
          std::vector<std::string> argv;
          if (!GetStrings(k, v, "'command' of " + label, &argv)) return;
          if (argv.empty()) {
            Error(ValuePos(k, v), "'command' of " + label +
                                      " is empty; give the program and its arguments, "
                                      "e.g. [python3, splitter.py]");
            return;
          }
          command = std::move(argv);
        } else if (name == "outputFields") {
          if (from_constructor) {
            Error(Pos(k), label + " sets its output fields twice: give 'outputFields' " +
                              "or 'constructorArgs', not both");
            return;
          }
          fields_pos = ValuePos(k, v);
          std::vector<std::pair<std::string, std::vector<std::string>>> f;
          if (GetOutputFields(k, v, label, &f)) output_fields = std::move(f);
        } else if (name == "directStreams") {
          direct_pos = ValuePos(k, v);
          std::vector<std::string> d;
          if (GetStrings(k, v, "'directStreams' of " + label, &d)) direct_streams = std::move(d);
        } else if (name == "serializer") {
          serializer_pos = ValuePos(k, v);
          std::string ser;
          if (!GetString(k, v, "'serializer' of " + label, &ser)) return;
          multilang::Serializer parsed;
          if (!multilang::ParseSerializer(ser, &parsed)) {
            Error(ValuePos(k, v),
                  "'serializer' of " + label + " must be json or msgpack, got '" + ser + "'");
            return;
          }
          serializer = ser;
        } else if (name == "constructorArgs") {
          command_key = true;
          // Flux's FluxShellBolt/FluxShellSpout(String[] command, String[] outputFields).
          if (command || output_fields) {
            Error(Pos(k), label + " sets its command twice: give 'constructorArgs' or " +
                              "'command' and 'outputFields', not both");
            return;
          }
          const std::string what = "'constructorArgs' of " + label;
          if (!v.IsSequence() || v.size() < 1 || v.size() > 2) {
            Error(ValuePos(k, v), what +
                                      " must be [[program, args...], [output fields...]] as for "
                                      "Flux's FluxShellBolt, got " +
                                      Describe(v));
            return;
          }
          from_constructor = true;
          command_pos = Pos(v[0]);
          std::vector<std::string> argv;
          if (!GetStrings(v[0], v[0], "the command in " + what, &argv)) return;
          if (argv.empty()) {
            Error(Pos(v[0]), "the command in " + what + " is empty");
            return;
          }
          command = std::move(argv);
          if (v.size() == 2) {
            fields_pos = Pos(v[1]);
            std::vector<std::string> f;
            if (!GetStrings(v[1], v[1], "the output fields in " + what, &f)) return;
            output_fields.emplace();
            output_fields->emplace_back(std::string(kDefaultStream), std::move(f));
          }
        }
      });
  if (shell) {
    auto set = [&](std::string_view key, std::string value, const SourcePos& pos) {
      if (auto at = c.config_pos.find(std::string(key)); at != c.config_pos.end()) {
        Error(pos, label + " sets " + std::string(key) + " in its config too (line " +
                       std::to_string(at->second.line) + "): set it in one place");
        return;
      }
      c.config.Set(std::string(key), Value(std::move(value)));
      c.config_pos[std::string(key)] = pos;
    };
    if (command) {
      set(multilang::kCommandKey, multilang::EncodeCommand(*command), command_pos);
    } else if (!command_key && !c.config.Contains(multilang::kCommandKey)) {
      Error(c.pos, "missing required key 'command' in " + label + " (a shell component: " +
                       "give the program and its arguments, e.g. command: [python3, splitter.py])");
    }
    if (output_fields) {
      set(multilang::kOutputFieldsKey, multilang::EncodeOutputFields(*output_fields), fields_pos);
    }
    if (serializer) set(multilang::kSerializerKey, *serializer, serializer_pos);
    if (direct_streams) {
      for (const auto& d : *direct_streams) {
        bool declared = false;
        if (output_fields) {
          for (const auto& [stream, f] : *output_fields) declared = declared || stream == d;
        }
        if (!declared) {
          Error(direct_pos, "'directStreams' of " + label + " names stream '" + d +
                                "', which its 'outputFields' does not declare");
        }
      }
      set(multilang::kDirectStreamsKey, multilang::EncodeCommand(*direct_streams), direct_pos);
    }
  }
  for (const auto& [key, value] : window.entries()) {
    if (auto at = c.config_pos.find(key); at != c.config_pos.end()) {
      Error(window_pos[key], "'window' of " + label + " sets " + key +
                                 ", which its config also sets (line " +
                                 std::to_string(at->second.line) + "): set it in one place");
      continue;
    }
    c.config.Set(key, value);
    c.config_pos[key] = window_pos[key];
  }
  if (!has_id) Error(c.pos, "missing required key 'id' in " + label);
  if (!has_class) Error(c.pos, "missing required key 'className' in " + label);
  out->push_back(std::move(c));
}

void FileParser::ParseStreams(const YAML::Node& key, const YAML::Node& v,
                              std::vector<StreamSpec>* out) {
  if (!GetList(key, v, "'streams'", "streams")) return;
  size_t index = 0;
  for (auto it = v.begin(); it != v.end(); ++it) ParseStream(*it, ++index, out);
}

void FileParser::ParseStream(const YAML::Node& item, size_t index, std::vector<StreamSpec>* out) {
  std::string label = "stream #" + std::to_string(index);
  if (!item.IsMap()) {
    Error(Pos(item),
          label + " must be a map with 'from', 'to' and 'grouping', got " + Describe(item));
    return;
  }
  auto from = PeekString(item, "from");
  auto to = PeekString(item, "to");
  if (from && to) label = "stream '" + *from + " -> " + *to + "'";
  StreamSpec s;
  s.pos = Pos(item);
  bool has_from = false, has_to = false, has_grouping = false;
  ForEachKey(item, kStreamKeys, kNone, "in " + label,
             [&](const std::string& name, const YAML::Node& k, const YAML::Node& v) {
               if (name == "from") {
                 has_from = true;
                 s.from_pos = ValuePos(k, v);
                 GetString(k, v, "'from' of " + label, &s.from);
               } else if (name == "to") {
                 has_to = true;
                 s.to_pos = ValuePos(k, v);
                 GetString(k, v, "'to' of " + label, &s.to);
               } else if (name == "grouping") {
                 has_grouping = true;
                 ParseGrouping(k, v, label, &s);
               } else if (name == "chain") {
                 s.chain_pos = ValuePos(k, v);
                 bool b = false;
                 if (GetBool(k, v, "'chain' of " + label, &b)) s.chain = b;
               } else if (name == "name") {
                 // Flux ignores a stream's name too; it is only a label.
                 std::string ignored;
                 GetString(k, v, "'name' of " + label, &ignored);
               }
             });
  if (!has_from) Error(s.pos, "missing required key 'from' in " + label);
  if (!has_to) Error(s.pos, "missing required key 'to' in " + label);
  if (!has_grouping) Error(s.pos, "missing required key 'grouping' in " + label);
  out->push_back(std::move(s));
}

void FileParser::ParseGrouping(const YAML::Node& key, const YAML::Node& v,
                               const std::string& stream_label, StreamSpec* out) {
  GroupingSpec& g = out->grouping;
  g.pos = ValuePos(key, v);
  const std::string where = "in the grouping of " + stream_label;
  if (!v.IsMap()) {
    Error(g.pos, "'grouping' of " + stream_label +
                     " must be a map such as { type: SHUFFLE }, got " + Describe(v));
    return;
  }
  bool has_type = false;
  ForEachKey(
      v, kGroupingKeys, kGroupingUnsupported, where,
      [&](const std::string& name, const YAML::Node& k, const YAML::Node& value) {
        if (name == "type") {
          has_type = true;
          std::string type;
          if (!GetString(k, value, "'type' of the grouping of " + stream_label, &type)) { return; }
          if (auto parsed = ParseGroupingType(type)) {
            g.type = *parsed;
          } else if (Upper(type) == "CUSTOM") {
            Error(Pos(value), kNoCustom);
          } else {
            std::vector<std::string> names;
            for (const auto& n : {GroupingType::kShuffle, GroupingType::kFields, GroupingType::kAll,
                                  GroupingType::kGlobal, GroupingType::kNone, GroupingType::kDirect,
                                  GroupingType::kLocalOrShuffle, GroupingType::kPartialKey}) {
              names.push_back(GroupingTypeName(n));
            }
            std::string hint = ClosestMatch(type, names);
            Error(Pos(value), "unknown grouping type '" + type + "' in " + stream_label + " (" +
                                  (hint.empty() ? "" : "did you mean '" + hint + "'? ") +
                                  "expected one of: " + AllGroupingTypeNames() + ")");
          }
        } else if (name == "args") {
          g.fields_pos = ValuePos(k, value);
          if (!GetList(k, value, "'args' of the grouping of " + stream_label, "field names")) {
            return;
          }
          for (auto f = value.begin(); f != value.end(); ++f) {
            std::string field;
            if (GetString(*f, *f, "a field name in 'args'", &field)) { g.fields.push_back(field); }
          }
        } else if (name == "streamId") {
          out->stream_pos = ValuePos(k, value);
          GetString(k, value, "'streamId' of the grouping of " + stream_label, &out->stream);
        }
      });
  if (!has_type) Error(g.pos, "missing required key 'type' " + where);
}

// ---------------------------------------------------------------------------
// Includes and merging

std::string PluginKey(const PluginRef& p) {
  if (!p.path.empty()) return p.path;
  return p.searched.empty() ? p.name : p.searched.front();
}

void AddPlugin(std::vector<PluginRef>* plugins, PluginRef p) {
  for (const auto& existing : *plugins) {
    if (PluginKey(existing) == PluginKey(p)) return;
  }
  plugins->push_back(std::move(p));
}

// Flux semantics: with `override`, what the included file defines replaces
// what the including file has under the same id or key; without it the
// including file wins. New ids and keys are added either way.
// Only what `into` held before the merge counts: an id repeated inside the
// included file stays repeated, for the validator to report.
void MergeComponents(std::vector<ComponentSpec>* into, std::vector<ComponentSpec> from,
                     bool override) {
  const auto before = static_cast<std::ptrdiff_t>(into->size());
  std::set<std::string> replaced;
  for (auto& c : from) {
    auto end = into->begin() + before;
    auto same =
        std::find_if(into->begin(), end, [&](const ComponentSpec& e) { return e.id == c.id; });
    if (same == end || (override && !replaced.insert(c.id).second)) {
      into->push_back(std::move(c));
    } else if (override) {
      *same = std::move(c);
    }
  }
}

void Merge(TopologySpec* into, TopologySpec from, bool override) {
  for (const auto& [key, value] : from.config.entries()) {
    if (override || !into->config.Contains(key)) {
      into->config.Set(key, value);
      into->config_pos[key] = from.config_pos[key];
    }
  }
  for (auto& p : from.plugins) AddPlugin(&into->plugins, std::move(p));
  MergeComponents(&into->spouts, std::move(from.spouts), override);
  MergeComponents(&into->bolts, std::move(from.bolts), override);
  for (auto& s : from.streams) into->streams.push_back(std::move(s));
}

// Loads a file and, depth first, the files it includes.
class Loader {
 public:
  Loader(const LoadOptions& options, Substitution sub, Diagnostics* diags)
      : options_(options), sub_(std::move(sub)), diags_(diags) {}

  // Parses `text` read from `file`; false when nothing could be read from
  // it. `identity` is the canonical path ("" for a string), for cycles.
  bool Load(const std::string& text, const std::string& file, const fs::path& base_dir,
            const std::string& identity, Fragment* out);

 private:
  void LoadInclude(const IncludeEntry& inc, const fs::path& base_dir, TopologySpec* into);

  const LoadOptions& options_;
  const Substitution sub_;
  Diagnostics* diags_;
  // The files being loaded, outermost first: (identity, display name).
  std::vector<std::pair<std::string, std::string>> chain_;
};

bool Loader::Load(const std::string& text, const std::string& file, const fs::path& base_dir,
                  const std::string& identity, Fragment* out) {
  diags_->OpenedFile(file);
  const size_t errors_before = diags_->size();
  std::string substituted = Substitute(text, file, sub_, diags_);
  // Parsing text with unreplaced placeholders would only add noise.
  if (diags_->size() != errors_before) return false;

  YAML::Node root;
  try {
    root = YAML::Load(substituted);
  } catch (const YAML::Exception& e) {
    SourcePos pos{file, 0, 0};
    if (!e.mark.is_null()) pos = SourcePos{file, e.mark.line + 1, e.mark.column + 1};
    diags_->Add(pos, "YAML syntax error: " + e.msg);
    return false;
  }
  if (root.IsNull()) {
    diags_->Add(SourcePos{file, 1, 1},
                "empty topology file (expected a map with name, spouts, bolts and streams)");
    return false;
  }
  if (!root.IsMap()) {
    YAML::Mark m = root.Mark();
    diags_->Add(SourcePos{file, m.line + 1, m.column + 1},
                "expected a map (name, config, plugins, includes, spouts, bolts, streams) at "
                "the top level, got " +
                    Describe(root));
    return false;
  }
  YAML::Mark m = root.Mark();
  out->root_pos = SourcePos{file, m.line + 1, m.column + 1};
  FileParser parser(file, base_dir, options_, diags_);
  try {
    parser.Parse(root, out);
  } catch (const YAML::Exception& e) {  // not expected once parsed; be safe
    diags_->Add(SourcePos{file, 0, 0}, std::string("YAML error: ") + e.what());
    return false;
  }
  // Plugins of one file may repeat too.
  std::vector<PluginRef> plugins = std::move(out->spec.plugins);
  out->spec.plugins.clear();
  for (auto& p : plugins) AddPlugin(&out->spec.plugins, std::move(p));

  chain_.emplace_back(identity, file);
  for (const auto& inc : out->includes) LoadInclude(inc, base_dir, &out->spec);
  chain_.pop_back();
  return true;
}

void Loader::LoadInclude(const IncludeEntry& inc, const fs::path& base_dir, TopologySpec* into) {
  fs::path written(inc.file);
  fs::path resolved = Confine(written.is_absolute() ? written : base_dir / written, options_.root);
  const std::string display = resolved.lexically_normal().string();
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(resolved, ec);
  const std::string identity = ec ? display : canonical.string();

  for (size_t i = 0; i < chain_.size(); ++i) {
    if (chain_[i].first != identity) continue;
    std::vector<std::string> names;
    for (size_t j = i; j < chain_.size(); ++j) names.push_back(chain_[j].second);
    names.push_back(display);
    diags_->Add(inc.pos, "include cycle: " + Join(names, " -> "));
    return;
  }
  std::string error;
  std::optional<std::string> text = ReadFile(resolved.string(), &error);
  if (!text) {
    diags_->Add(inc.pos, "cannot read included file '" + display + "': " + error);
    return;
  }
  Fragment fragment;
  if (!Load(*text, display, resolved.parent_path(), identity, &fragment)) return;
  Merge(into, std::move(fragment.spec), inc.override);
}

Result<TopologySpec> LoadText(const std::string& text, const std::string& file,
                              const fs::path& base_dir, const std::string& identity,
                              const LoadOptions& options) {
  Substitution sub;
  Properties properties;
  if (!options.filter_file.empty()) {
    GALE_ASSIGN_OR_RETURN(properties, LoadProperties(options.filter_file));
    sub.properties = &properties;
    sub.filter_file = options.filter_file;
  }
  sub.env = options.env;
  if (!sub.env) {
    sub.env = [](const std::string& name) -> std::optional<std::string> {
      const char* v = std::getenv(name.c_str());
      if (v == nullptr) return std::nullopt;
      return std::string(v);
    };
  }

  Diagnostics diags;
  Loader loader(options, std::move(sub), &diags);
  Fragment top;
  bool loaded = loader.Load(text, file, base_dir, identity, &top);
  if (loaded && !top.has_name) {
    diags.Add(top.root_pos, "missing required key 'name' at the top level");
  }
  if (!diags.empty()) return Status::InvalidArgument(diags.Join());
  top.spec.file = file;
  // Shell components tell their subprocess every component's tasks
  // (core/multilang); their TopologyContext finds tasks by id but cannot
  // list the ids, so they travel in the config.
  std::vector<std::string> ids;
  bool shell = false;
  for (const auto* list : {&top.spec.spouts, &top.spec.bolts}) {
    for (const auto& c : *list) {
      ids.push_back(c.id);
      shell = shell || multilang::IsShellClass(c.class_name);
    }
  }
  if (shell) {
    const std::string all = multilang::EncodeCommand(ids);
    for (auto* list : {&top.spec.spouts, &top.spec.bolts}) {
      for (auto& c : *list) {
        if (multilang::IsShellClass(c.class_name)) {
          c.config.Set(std::string(multilang::kComponentsKey), Value(all));
        }
      }
    }
  }
  return std::move(top.spec);
}

}  // namespace

Result<std::map<std::string, std::string>> LoadProperties(const std::string& path) {
  std::string error;
  std::optional<std::string> text = ReadFile(path, &error);
  if (!text) {
    return Status::InvalidArgument("cannot read properties file '" + path + "': " + error);
  }
  // Java properties without escapes or continuation lines: the key ends at
  // the first '=', ':' or blank; the value is the rest, trimmed.
  Properties out;
  size_t begin = 0;
  while (begin < text->size()) {
    size_t nl = text->find('\n', begin);
    if (nl == std::string::npos) nl = text->size();
    std::string line = Trim(std::string_view(*text).substr(begin, nl - begin));
    begin = nl + 1;
    if (line.empty() || line[0] == '#' || line[0] == '!') continue;
    size_t key_end = line.find_first_of("=: \t\f");
    std::string key = line.substr(0, key_end);
    std::string rest = key_end == std::string::npos ? "" : Trim(line.substr(key_end));
    if (!rest.empty() && (rest[0] == '=' || rest[0] == ':')) rest = Trim(rest.substr(1));
    out[key] = rest;
  }
  return out;
}

Result<TopologySpec> LoadTopologyFile(const std::string& path, const LoadOptions& options) {
  std::string error;
  std::optional<std::string> text = ReadFile(path, &error);
  if (!text) return Status::NotFound(path + ": cannot read the topology file: " + error);
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(path, ec);
  return LoadText(*text, path, fs::path(path).parent_path(), ec ? path : canonical.string(),
                  options);
}

Result<TopologySpec> LoadTopologyString(std::string_view yaml, const std::string& display_name,
                                        const LoadOptions& options) {
  return LoadText(std::string(yaml), display_name, fs::path(), "", options);
}

}  // namespace gale::topology
