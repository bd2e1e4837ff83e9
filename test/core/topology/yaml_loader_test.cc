#include "core/topology/yaml_loader.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/topology/cluster_config.h"
#include "core/topology/validator.h"

namespace gale::topology {
namespace {

namespace fs = std::filesystem;

const std::string kBroken = std::string(GALE_TEST_DATA_DIR) + "/topologies/broken";

// A fresh folder under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "gale-topology-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `text` to `relative` (creating folders) and returns its full path.
  std::string Write(const std::string& relative, const std::string& text) const {
    fs::path p = fs::path(path_) / relative;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  std::string operator/(const std::string& relative) const {
    return (fs::path(path_) / relative).string();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Options with an empty environment, so that tests never see the real one.
LoadOptions NoEnv() {
  LoadOptions o;
  o.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  return o;
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

// Loads and structurally validates `file`: the message of the first step
// that fails, or "" when both pass.
std::string LoadAndValidate(const std::string& file, const LoadOptions& options) {
  Result<TopologySpec> spec = LoadTopologyFile(file, options);
  if (!spec.ok()) {
    CHECK(spec.status().code() == StatusCode::kInvalidArgument);
    return spec.status().message();
  }
  Status s = ValidateStructure(*spec);
  if (!s.ok()) CHECK(s.code() == StatusCode::kInvalidArgument);
  return s.message();
}

struct BrokenCase {
  const char* file;
  const char* expected;  // "$D" stands for the broken/ folder
  bool with_filter = false;
};

// Every file of test/topologies/broken with the exact message it produces.
const std::vector<BrokenCase> kBrokenCases = {
    {"syntax_error.yaml",
     "$D/syntax_error.yaml:6:6: YAML syntax error: end of sequence flow not found"},
    {"empty.yaml",
     "$D/empty.yaml:1:1: empty topology file (expected a map with name, spouts, bolts and "
     "streams)"},
    {"unknown_top_key.yaml",
     "$D/unknown_top_key.yaml:2:1: unknown key 'workers' at the top level (expected one of: name, "
     "config, plugins, includes, spouts, bolts, streams)"},
    {"typo_key.yaml",
     "$D/typo_key.yaml:8:5: unknown key 'paralelism' in bolt 'count' (did you mean "
     "'parallelism'? expected one of: id, className, parallelism, numTasks, config, window)"},
    {"parallelism_not_int.yaml",
     "$D/parallelism_not_int.yaml:5:18: 'parallelism' of spout 'sentences' must be an integer, "
     "got string 'two'"},
    {"spouts_not_list.yaml",
     "$D/spouts_not_list.yaml:3:3: 'spouts' must be a list of spouts, got a map"},
    {"missing_id.yaml", "$D/missing_id.yaml:6:5: missing required key 'id' in bolt #1"},
    {"id_not_string.yaml",
     "$D/id_not_string.yaml:3:9: 'id' of spout #1 must be a string, got a list"},
    {"duplicate_id.yaml",
     "$D/duplicate_id.yaml:8:5: duplicate id 'words': already used by the spout at "
     "$D/duplicate_id.yaml:3:5"},
    {"reserved_id.yaml",
     "$D/reserved_id.yaml:3:5: spout id '__sentences' is reserved: ids starting with '__' are "
     "for system components such as __acker"},
    {"parallelism_zero.yaml",
     "$D/parallelism_zero.yaml:5:18: 'parallelism' of spout 'sentences' must be >= 1, got 0"},
    {"num_tasks_below_parallelism.yaml",
     "$D/num_tasks_below_parallelism.yaml:6:15: 'numTasks' of spout 'sentences' (2) is less than "
     "its parallelism (4): every executor needs at least one task"},
    {"num_tasks_zero.yaml",
     "$D/num_tasks_zero.yaml:5:15: 'numTasks' of spout 'sentences' must be >= 1, got 0"},
    {"unknown_grouping.yaml",
     "$D/unknown_grouping.yaml:11:23: unknown grouping type 'SUFFLE' in stream 'sentences -> "
     "split' (did you mean 'SHUFFLE'? expected one of: SHUFFLE, FIELDS, ALL, GLOBAL, NONE, "
     "DIRECT, LOCAL_OR_SHUFFLE, PARTIAL_KEY)"},
    {"custom_grouping.yaml",
     "$D/custom_grouping.yaml:12:13: CUSTOM groupings are not supported yet; use PARTIAL_KEY or "
     "FIELDS to spread keys, or DIRECT to pick the task in the emitting component"},
    {"fields_without_args.yaml",
     "$D/fields_without_args.yaml:11:15: FIELDS grouping of stream 'sentences -> count' needs "
     "'args', the fields to group by, e.g. { type: FIELDS, args: [word] }"},
    {"stream_to_unknown.yaml",
     "$D/stream_to_unknown.yaml:8:5: bolt 'count' has no input: no stream has 'to: count'\n"
     "$D/stream_to_unknown.yaml:15:9: stream 'split -> cuont' goes to unknown component 'cuont' "
     "(did you mean 'count'? known ids: count, sentences, split)"},
    {"spout_as_to.yaml",
     "$D/spout_as_to.yaml:15:9: spout 'words' cannot be the 'to' of stream 'split -> words': "
     "spouts have no inputs, only bolts do"},
    {"bolt_without_input.yaml",
     "$D/bolt_without_input.yaml:8:5: bolt 'count' has no input: no stream has 'to: count'"},
    {"duplicate_subscription.yaml",
     "$D/duplicate_subscription.yaml:12:5: duplicate subscription: 'split' already subscribes to "
     "stream 'default' of 'sentences' at $D/duplicate_subscription.yaml:9:5"},
    {"reserved_stream.yaml",
     "$D/reserved_stream.yaml:11:38: stream id '__tick' of stream 'sentences -> split' is "
     "reserved: ids starting with '__' are for system streams"},
    {"stream_missing_keys.yaml",
     "$D/stream_missing_keys.yaml:9:5: missing required key 'to' in stream #1\n"
     "$D/stream_missing_keys.yaml:10:15: missing required key 'type' in the grouping of stream "
     "#1"},
    {"undefined_property.yaml",
     "$D/undefined_property.yaml:3:21: undefined property '${workers}' (no --filter file given)"},
    {"undefined_property_filter.yaml",
     "$D/undefined_property_filter.yaml:6:34: undefined property '${unknown}' (not in "
     "$D/filter.properties)",
     true},
    {"undefined_env.yaml",
     "$D/undefined_env.yaml:3:5: undefined environment variable 'GALE_TEST_PLUGIN_DIR' in "
     "'${ENV-GALE_TEST_PLUGIN_DIR}'"},
    {"missing_include.yaml",
     "$D/missing_include.yaml:3:5: cannot read included file '$D/does_not_exist.yaml': No such "
     "file or directory"},
    {"include_cycle_a.yaml",
     "$D/include_cycle_b.yaml:3:5: include cycle: $D/include_cycle_a.yaml -> "
     "$D/include_cycle_b.yaml -> $D/include_cycle_a.yaml"},
    {"include_cycle_b.yaml",
     "$D/include_cycle_b.yaml:2:1: missing required key 'name' at the top level\n"
     "$D/include_cycle_a.yaml:3:5: include cycle: $D/include_cycle_b.yaml -> "
     "$D/include_cycle_a.yaml -> $D/include_cycle_b.yaml"},
    {"resource_include.yaml",
     "$D/resource_include.yaml:3:15: resource includes are not supported; give 'file:' a path "
     "relative to this file"},
    {"bad_config_type.yaml",
     "$D/bad_config_type.yaml:4:3: config key 'topology.workers' must be an integer from 1 to "
     "10000, got "
     "string 'two'"},
    {"config_list.yaml",
     "$D/config_list.yaml:5:5: config value of 'topology.kryo.register' must be a scalar (a "
     "string, number, true/false or null), got a list"},
    {"flux_components.yaml",
     "$D/flux_components.yaml:2:1: Flux key 'components' at the top level is not supported by "
     "Gale: Gale has no beans or references; spouts and bolts are classes plugins register, "
     "configured through their 'config:' maps"},
    {"flux_constructor_args.yaml",
     "$D/flux_constructor_args.yaml:5:5: Flux key 'constructorArgs' in spout 'sentences' is not "
     "supported by Gale: Gale creates a component from the name its plugin registered, with no "
     "arguments; put settings in the component's 'config:' map and read them in Open() or "
     "Prepare()"},
    {"missing_plugin.yaml",
     "$D/missing_plugin.yaml:3:5: plugin file not found: 'libnot_built_yet.so' (looked for "
     "$D/libnot_built_yet.so)"},
    {"bad_name.yaml",
     "$D/bad_name.yaml:2:7: invalid topology name 'word.count': it contains '.'; a topology name "
     "is 1 to 128 printable ASCII characters, without white space, '/', '.', ':' or '\\', and "
     "does not start with '-'"},
    {"missing_name.yaml", "$D/missing_name.yaml:1:1: missing required key 'name' at the top level"},
    {"duplicate_key.yaml",
     "$D/duplicate_key.yaml:6:5: duplicate key 'parallelism' in spout 'sentences' (already set "
     "at line 5)"},
    {"many_errors.yaml",
     "$D/many_errors.yaml:3:3: config key 'topology.max.spout.pending' must be an integer >= 0, "
     "got int '-5'\n"
     "$D/many_errors.yaml:7:18: 'parallelism' of spout 'sentences' must be >= 1, got 0\n"
     "$D/many_errors.yaml:11:5: duplicate id 'split': already used by the bolt at "
     "$D/many_errors.yaml:9:5\n"
     "$D/many_errors.yaml:13:5: bolt 'count' has no input: no stream has 'to: count'\n"
     "$D/many_errors.yaml:18:38: SHUFFLE grouping of stream 'sentences -> split' takes no 'args' "
     "(only FIELDS and PARTIAL_KEY do)"},
};

TEST_CASE("Each broken topology file fails with its exact message and position", "[topology]") {
  for (const auto& c : kBrokenCases) {
    CAPTURE(c.file);
    LoadOptions options = NoEnv();
    if (c.with_filter) options.filter_file = kBroken + "/filter.properties";
    CHECK(LoadAndValidate(kBroken + "/" + c.file, options) == Replace(c.expected, "$D", kBroken));
  }
}

TEST_CASE("Every file in topologies/broken has a case in the table", "[topology]") {
  std::set<std::string> listed;
  for (const auto& c : kBrokenCases) listed.insert(c.file);
  size_t yaml_files = 0;
  for (const auto& entry : fs::directory_iterator(kBroken)) {
    if (entry.path().extension() != ".yaml") continue;
    ++yaml_files;
    CAPTURE(entry.path().filename().string());
    CHECK(listed.count(entry.path().filename().string()) == 1);
  }
  CHECK(yaml_files == kBrokenCases.size());
  CHECK(kBrokenCases.size() >= 20);
}

constexpr const char* kFullTopology = R"(name: wordcount
config:
  topology.workers: 2
  topology.debug: false
  topology.message.timeout.secs: 12.5
  my.string: "42"
  my.null: ~
  my.empty:
  my.text: hello world
  my.negative: -7
  my.exp: 1e3
plugins:
  - libwordcount.so
spouts:
  - id: sentences
    className: SentenceSpout
    config: { sentences.loop: true, sentences.file: 'data/s.txt' }
bolts:
  - id: split
    className: SplitSentence
    parallelism: 2
    numTasks: 4
  - id: count
    className: WordCount
    parallelism: 3
streams:
  - from: sentences
    to: split
    grouping: { type: shuffle }
  - name: "split --> count"
    from: split
    to: count
    grouping:
      type: FIELDS
      args: [word, "n"]
      streamId: words
)";

TEST_CASE("A full topology file loads with every value and position", "[topology]") {
  TempDir dir;
  const std::string file = dir.Write("wc.yaml", kFullTopology);
  dir.Write("libwordcount.so", "");
  Result<TopologySpec> loaded = LoadTopologyFile(file, NoEnv());
  REQUIRE(loaded.ok());
  const TopologySpec& spec = *loaded;

  CHECK(spec.file == file);
  CHECK(spec.name == "wordcount");
  CHECK(spec.name_pos.Prefix() == file + ":1:7: ");

  const Config& c = spec.config;
  CHECK(*c.Find("topology.workers") == Value(2));
  CHECK(*c.Find("topology.debug") == Value(false));
  CHECK(*c.Find("topology.message.timeout.secs") == Value(12.5));
  CHECK(*c.Find("my.string") == Value("42"));
  CHECK(c.Find("my.null")->is_null());
  CHECK(c.Find("my.empty")->is_null());
  CHECK(*c.Find("my.text") == Value("hello world"));
  CHECK(*c.Find("my.negative") == Value(-7));
  CHECK(*c.Find("my.exp") == Value(1000.0));
  CHECK(spec.config_pos.at("topology.workers").Prefix() == file + ":3:3: ");
  CHECK(spec.config_pos.at("my.exp").line == 11);

  REQUIRE(spec.plugins.size() == 1);
  CHECK(spec.plugins[0].name == "libwordcount.so");
  CHECK(spec.plugins[0].path == dir / "libwordcount.so");
  CHECK(spec.plugins[0].pos.Prefix() == file + ":13:5: ");

  REQUIRE(spec.spouts.size() == 1);
  const ComponentSpec& spout = spec.spouts[0];
  CHECK(spout.id == "sentences");
  CHECK(spout.class_name == "SentenceSpout");
  CHECK(spout.kind == ComponentKind::kSpout);
  CHECK(spout.parallelism == 1);
  CHECK(spout.num_tasks == 0);
  CHECK(spout.tasks() == 1);
  CHECK(spout.config.GetBool("sentences.loop", false));
  CHECK(spout.config.GetString("sentences.file", "") == "data/s.txt");
  CHECK(spout.config_pos.at("sentences.loop").Prefix() == file + ":17:15: ");
  CHECK(spout.pos.Prefix() == file + ":15:5: ");
  CHECK(spout.class_pos.Prefix() == file + ":16:16: ");
  CHECK_FALSE(spout.outputs_known);

  REQUIRE(spec.bolts.size() == 2);
  const ComponentSpec& split = spec.bolts[0];
  CHECK(split.id == "split");
  CHECK(split.kind == ComponentKind::kBolt);
  CHECK(split.parallelism == 2);
  CHECK(split.num_tasks == 4);
  CHECK(split.tasks() == 4);
  CHECK(split.parallelism_pos.Prefix() == file + ":21:18: ");
  CHECK(split.num_tasks_pos.Prefix() == file + ":22:15: ");
  CHECK(spec.bolts[1].id == "count");
  CHECK(spec.bolts[1].parallelism == 3);
  CHECK(spec.bolts[1].tasks() == 3);

  REQUIRE(spec.streams.size() == 2);
  const StreamSpec& s0 = spec.streams[0];
  CHECK(s0.from == "sentences");
  CHECK(s0.to == "split");
  CHECK(s0.stream == "default");
  CHECK(s0.grouping.type == GroupingType::kShuffle);
  CHECK(s0.grouping.fields.empty());
  CHECK(s0.pos.Prefix() == file + ":27:5: ");
  CHECK(s0.from_pos.Prefix() == file + ":27:11: ");
  CHECK(s0.to_pos.Prefix() == file + ":28:9: ");
  CHECK(s0.grouping.pos.Prefix() == file + ":29:15: ");
  CHECK(s0.stream_pos.line == 0);
  const StreamSpec& s1 = spec.streams[1];
  CHECK(s1.from == "split");
  CHECK(s1.to == "count");
  CHECK(s1.stream == "words");
  CHECK(s1.grouping.type == GroupingType::kFields);
  CHECK(s1.grouping.fields == std::vector<std::string>{"word", "n"});
  CHECK(s1.pos.Prefix() == file + ":30:5: ");
  CHECK(s1.grouping.pos.Prefix() == file + ":34:7: ");
  CHECK(s1.grouping.fields_pos.Prefix() == file + ":35:13: ");
  CHECK(s1.stream_pos.Prefix() == file + ":36:17: ");

  CHECK(ValidateStructure(spec).ok());
  CHECK(Warnings(spec).empty());
}

TEST_CASE("Scalars become bools, nulls, ints, doubles or strings", "[topology]") {
  Result<TopologySpec> spec = LoadTopologyString(R"(name: t
config:
  t1: true
  t2: True
  f1: FALSE
  q1: "true"
  q2: '7'
  n1: null
  n2: ""
  i1: +12
  i2: 9223372036854775807
  d1: -0.5
  d2: .5
  d3: 2E-2
  s1: 0x1F
  s2: yes
  s3: 1.2.3
  s4: |
    block
  s5: !!str 5
  i3: !!int 6
)",
                                                 "scalars.yaml", NoEnv());
  REQUIRE(spec.ok());
  const Config& c = spec->config;
  CHECK(*c.Find("t1") == Value(true));
  CHECK(*c.Find("t2") == Value(true));
  CHECK(*c.Find("f1") == Value(false));
  CHECK(*c.Find("q1") == Value("true"));
  CHECK(*c.Find("q2") == Value("7"));
  CHECK(c.Find("n1")->is_null());
  CHECK(*c.Find("n2") == Value(""));
  CHECK(*c.Find("i1") == Value(12));
  CHECK(*c.Find("i2") == Value(INT64_MAX));
  CHECK(*c.Find("d1") == Value(-0.5));
  CHECK(*c.Find("d2") == Value(0.5));
  CHECK(*c.Find("d3") == Value(0.02));
  CHECK(*c.Find("s1") == Value("0x1F"));
  CHECK(*c.Find("s2") == Value("yes"));
  CHECK(*c.Find("s3") == Value("1.2.3"));
  CHECK(*c.Find("s4") == Value("block\n"));
  CHECK(*c.Find("s5") == Value("5"));
  CHECK(*c.Find("i3") == Value(6));
}

TEST_CASE("With a root, includes and plugins never leave it", "[topology]") {
  const auto root =
      std::filesystem::temp_directory_path() / ("gale-root-" + std::to_string(::getpid()));
  std::filesystem::create_directories(root / "home/ann");
  auto load = [&](const std::string& yaml) {
    std::ofstream(root / "home/ann/t.yaml") << yaml;
    LoadOptions options = NoEnv();
    options.root = root.string();
    return LoadTopologyFile((root / "home/ann/t.yaml").string(), options);
  };
  // Absolute and climbing includes name the client's files, under the root.
  for (const char* include : {"/etc/passwd", "../../../../../../etc/passwd"}) {
    auto spec = load(std::string("name: t\nincludes: [ { file: ") + include + " } ]\n");
    REQUIRE_FALSE(spec.ok());
    INFO(spec.status().message());
    CHECK(spec.status().message().find("cannot read included file '" +
                                       (root / "etc/passwd").string() + "'") != std::string::npos);
  }
  // An absolute plugin path is looked for under the root, not on this machine.
  auto spec = load("name: t\nplugins: [ /bin/sh ]\n");
  REQUIRE(spec.ok());
  REQUIRE(spec->plugins.size() == 1);
  CHECK(spec->plugins[0].path.empty());
  REQUIRE(spec->plugins[0].searched.size() == 1);
  CHECK(spec->plugins[0].searched[0] == (root / "bin/sh").string());
  std::filesystem::remove_all(root);
}

TEST_CASE("A cluster config file types scalars as a topology file does", "[topology]") {
  const std::vector<std::string> scalars = {
      "0x1A0B", "Null", "NULL", "~",    "12",    "-3",  "+4",    "1.5e3",
      ".5",     "true", "TRUE", "'12'", "\"x\"", "yes", "1_000", "9223372036854775808"};
  std::string cluster, topology = "name: t\nconfig:\n";
  for (size_t i = 0; i < scalars.size(); ++i) {
    cluster += "k" + std::to_string(i) + ": " + scalars[i] + "\n";
    topology += "  k" + std::to_string(i) + ": " + scalars[i] + "\n";
  }
  const auto dir = std::filesystem::temp_directory_path() /
                   ("gale-cluster-config-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "cluster.yaml") << cluster;
  Result<Config> from_cluster = LoadClusterConfig((dir / "cluster.yaml").string());
  std::filesystem::remove_all(dir);
  REQUIRE(from_cluster.ok());
  // The topology loader refuses an integer past 64 bits; compare the rest.
  Result<TopologySpec> spec =
      LoadTopologyString(topology.substr(0, topology.rfind("  k")), "t.yaml", NoEnv());
  REQUIRE(spec.ok());
  for (size_t i = 0; i + 1 < scalars.size(); ++i) {
    const std::string key = "k" + std::to_string(i);
    INFO(scalars[i]);
    REQUIRE(from_cluster->Find(key) != nullptr);
    REQUIRE(spec->config.Find(key) != nullptr);
    CHECK(*from_cluster->Find(key) == *spec->config.Find(key));
  }
  CHECK(*from_cluster->Find("k0") == Value("0x1A0B"));  // not the hex float 6667
  CHECK(from_cluster->Find("k1")->type() == ValueType::kNull);
  CHECK(*from_cluster->Find("k4") == Value(12));
  CHECK(*from_cluster->Find("k11") == Value("12"));  // quoted: a string
  CHECK(*from_cluster->Find("k15") == Value("9223372036854775808"));
}

TEST_CASE("The loader reports wrong types with what was expected", "[topology]") {
  auto load_error = [](const std::string& yaml) {
    Result<TopologySpec> spec = LoadTopologyString(yaml, "t.yaml", NoEnv());
    REQUIRE_FALSE(spec.ok());
    CHECK(spec.status().code() == StatusCode::kInvalidArgument);
    return spec.status().message();
  };
  CHECK(load_error("name: t\nconfig:\n  big: 9223372036854775808\n") ==
        "t.yaml:3:8: config value of 'big' is an integer out of the 64-bit range: "
        "'9223372036854775808' (quote it to use it as text)");
  CHECK(load_error("name: t\nspouts:\n  - id: 5\n    className: S\n") ==
        "t.yaml:3:9: 'id' of spout #1 must be a string, got int '5' (quote it to use it as text)");
  CHECK(load_error("name: t\nspouts:\n  - {id: s, className: S, parallelism: 3000000000}\n") ==
        "t.yaml:3:40: 'parallelism' of spout 's' is out of range, got int '3000000000'");
  CHECK(load_error("name: t\nspouts:\n  - {id: s, className: S, parallelism: \"2\"}\n") ==
        "t.yaml:3:40: 'parallelism' of spout 's' must be an integer, got string '2'");
  CHECK(load_error("name: t\nbolts:\n  - just-a-name\n") ==
        "t.yaml:3:5: bolt #1 must be a map with 'id' and 'className', got string 'just-a-name'");
  CHECK(load_error("name: t\nstreams: {}\n") ==
        "t.yaml:2:10: 'streams' must be a list of streams, got a map");
  CHECK(load_error("name: t\nconfig: [a]\n") ==
        "t.yaml:2:9: the topology config must be a map of keys to values, got a list");
  CHECK(load_error("name: t\nplugins: libx.so\n") ==
        "t.yaml:2:10: 'plugins' must be a list of plugin files, got string 'libx.so'");
  CHECK(load_error("name: [a]\n") == "t.yaml:1:7: 'name' must be a string, got a list");
  CHECK(load_error("name:\n") == "t.yaml:1:1: 'name' must be a string, got null");
  CHECK(load_error("- a\n- b\n") ==
        "t.yaml:1:1: expected a map (name, config, plugins, includes, spouts, bolts, streams) at "
        "the top level, got a list");
  CHECK(load_error("name: t\nincludes:\n  - { file: x.yaml, override: yes }\n") ==
        "t.yaml:3:31: 'override' of include 'x.yaml' must be true or false, got string 'yes'");
  CHECK(load_error("name: t\nincludes:\n  - common.yaml\n") ==
        "t.yaml:3:5: include #1 must be a map such as { file: common.yaml }, got string "
        "'common.yaml'");
  CHECK(load_error("name: t\nstreams:\n  - from: a\n    to: b\n    grouping: { type: FIELDS, "
                   "args: word }\n") ==
        "t.yaml:5:37: 'args' of the grouping of stream 'a -> b' must be a list of field names, "
        "got string 'word'");
  CHECK(load_error("name: t\nstreams:\n  - { from: a, to: b, grouping: SHUFFLE }\n") ==
        "t.yaml:3:33: 'grouping' of stream 'a -> b' must be a map such as { type: SHUFFLE }, got "
        "string 'SHUFFLE'");
}

TEST_CASE("Unknown and unsupported keys are errors in every element", "[topology]") {
  auto load_error = [](const std::string& yaml) {
    Result<TopologySpec> spec = LoadTopologyString(yaml, "t.yaml", NoEnv());
    REQUIRE_FALSE(spec.ok());
    return spec.status().message();
  };
  CHECK(load_error("name: t\nstreams:\n  - { from: a, to: b, grouping: {type: ALL}, form: c }\n") ==
        "t.yaml:3:46: unknown key 'form' in stream 'a -> b' (did you mean 'from'? expected one "
        "of: from, to, grouping, chain, name)");
  CHECK(load_error("name: t\nstreams:\n  - { from: a, to: b, grouping: {type: ALL, streamid: "
                   "s} }\n") ==
        "t.yaml:3:45: unknown key 'streamid' in the grouping of stream 'a -> b' (did you mean "
        "'streamId'? expected one of: type, args, streamId)");
  CHECK(load_error("name: t\nstreams:\n  - { from: a, to: b, grouping: {type: ALL, customClass: "
                   "x} }\n") ==
        "t.yaml:3:45: Flux key 'customClass' in the grouping of stream 'a -> b' is not supported "
        "by Gale: CUSTOM groupings are not supported yet; use PARTIAL_KEY or FIELDS to spread "
        "keys, or DIRECT to pick the task in the emitting component");
  CHECK(load_error("name: t\nincludes:\n  - { file: x.yaml, overide: true }\n") ==
        "t.yaml:3:21: unknown key 'overide' in include 'x.yaml' (did you mean 'override'? "
        "expected one of: file, override, resource)");
  CHECK(load_error("name: t\nspouts:\n  - { id: s, classname: S }\n") ==
        "t.yaml:3:5: missing required key 'className' in spout 's'\n"
        "t.yaml:3:14: unknown key 'classname' in spout 's' (did you mean 'className'? expected "
        "one of: id, className, parallelism, numTasks, config, window)");
  CHECK(load_error("name: t\ntopologySource:\n  className: x\n") ==
        "t.yaml:2:1: Flux key 'topologySource' at the top level is not supported by Gale: Gale "
        "builds a topology only from 'spouts:', 'bolts:' and 'streams:' in YAML");
  CHECK(load_error("name: t\nbolts:\n  - { id: b, className: B, cpuLoad: 10 }\n") ==
        "t.yaml:3:28: Flux key 'cpuLoad' in bolt 'b' is not supported by Gale: Gale has no "
        "resource-aware scheduler; remove it");
  CHECK(load_error("name: t\nincludes:\n  - { override: true }\n") ==
        "t.yaml:3:5: missing required key 'file' in include #1");
  CHECK(load_error("name: t\nstreams:\n  - { to: b }\n") ==
        "t.yaml:3:5: missing required key 'from' in stream #1\n"
        "t.yaml:3:5: missing required key 'grouping' in stream #1");
}

TEST_CASE("Loader errors come in file order, from every file", "[topology]") {
  TempDir dir;
  dir.Write("common.yaml", "bolts:\n  - { id: b, className: B, paralelism: 2 }\n");
  std::string file = dir.Write("main.yaml",
                               "spouts:\n"
                               "  - { id: s, className: S, numTasks: x }\n"
                               "includes:\n"
                               "  - file: common.yaml\n"
                               "wat: 1\n");
  Result<TopologySpec> spec = LoadTopologyFile(file, NoEnv());
  REQUIRE_FALSE(spec.ok());
  CHECK(spec.status().message() ==
        file + ":1:1: missing required key 'name' at the top level\n" + file +
            ":2:38: 'numTasks' of spout 's' must be an integer, got string 'x'\n" + file +
            ":5:1: unknown key 'wat' at the top level (expected one of: name, config, plugins, "
            "includes, spouts, bolts, streams)\n" +
            dir / "common.yaml" +
            ":2:28: unknown key 'paralelism' in bolt 'b' (did you mean 'parallelism'? expected "
            "one of: id, className, parallelism, numTasks, config, window)");
}

TEST_CASE("Substitution replaces every placeholder of a line and keeps line numbers",
          "[topology]") {
  TempDir dir;
  std::string props = dir.Write("wc.properties",
                                "# comment\n"
                                "! other comment\n"
                                "name = word\n"
                                "suffix:count\n"
                                "workers    4\n"
                                "  spout.id =  sentences  \n"
                                "empty=\n");
  std::string file = dir.Write("wc.yaml",
                               "name: ${name}${suffix}-${ENV-STAGE}\n"
                               "# ${not.defined} in a comment is left alone\n"
                               "config: { topology.workers: ${workers}, a: \"${ENV-A}/${ENV-A}\", "
                               "b: \"x${empty}y\", c: \"${}\" }\n"
                               "spouts:\n"
                               "  - id: ${spout.id}\n"
                               "    className: S\n");
  LoadOptions options;
  options.filter_file = props;
  options.env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "STAGE") return "prod";
    if (name == "A") return "aa";
    return std::nullopt;
  };
  Result<TopologySpec> spec = LoadTopologyFile(file, options);
  REQUIRE(spec.ok());
  CHECK(spec->name == "wordcount-prod");
  CHECK(*spec->config.Find("topology.workers") == Value(4));
  CHECK(*spec->config.Find("a") == Value("aa/aa"));
  CHECK(*spec->config.Find("b") == Value("xy"));
  CHECK(*spec->config.Find("c") == Value("${}"));
  REQUIRE(spec->spouts.size() == 1);
  CHECK(spec->spouts[0].id == "sentences");
  CHECK(spec->spouts[0].pos.line == 5);

  SECTION("every undefined placeholder of a line is reported") {
    std::string bad =
        dir.Write("bad.yaml",
                  "name: t\n"
                  "config: { a: ${nope}, b: ${ENV-NOPE}, c: ${workers}, d: ${nope2} }\n");
    Result<TopologySpec> r = LoadTopologyFile(bad, options);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() ==
          bad + ":2:14: undefined property '${nope}' (not in " + props + ")\n" + bad +
              ":2:26: undefined environment variable 'NOPE' in '${ENV-NOPE}'\n" + bad +
              ":2:57: undefined property '${nope2}' (not in " + props + ")");
  }
  SECTION("the real environment is used when no lookup is given") {
    setenv("GALE_TOPOLOGY_TEST_VAR", "from-env", 1);
    Result<TopologySpec> r =
        LoadTopologyString("name: ${ENV-GALE_TOPOLOGY_TEST_VAR}\n", "env.yaml", LoadOptions());
    unsetenv("GALE_TOPOLOGY_TEST_VAR");
    REQUIRE(r.ok());
    CHECK(r->name == "from-env");
  }
}

TEST_CASE("A missing --filter file is an error naming it", "[topology]") {
  LoadOptions options = NoEnv();
  options.filter_file = kBroken + "/no_such.properties";
  Result<TopologySpec> spec = LoadTopologyString("name: t\n", "t.yaml", options);
  REQUIRE_FALSE(spec.ok());
  CHECK(spec.status().message() == "cannot read properties file '" + kBroken +
                                       "/no_such.properties': No such file or directory");
}

TEST_CASE("LoadProperties reads Java-style properties", "[topology]") {
  TempDir dir;
  std::string file =
      dir.Write("p.properties", "# c\n  ! c\n\na=1\nb = two words \nc:3\nd : x=y\ne\nf\tg\n");
  auto props = LoadProperties(file);
  REQUIRE(props.ok());
  std::map<std::string, std::string> expected = {{"a", "1"},   {"b", "two words"}, {"c", "3"},
                                                 {"d", "x=y"}, {"e", ""},          {"f", "g"}};
  CHECK(*props == expected);
}

TEST_CASE("A missing topology file is NotFound", "[topology]") {
  Result<TopologySpec> spec = LoadTopologyFile(kBroken + "/no_such.yaml", NoEnv());
  REQUIRE_FALSE(spec.ok());
  CHECK(spec.status().code() == StatusCode::kNotFound);
  CHECK(spec.status().message() ==
        kBroken + "/no_such.yaml: cannot read the topology file: No such file or directory");
}

TEST_CASE("Includes merge with Flux override semantics", "[topology]") {
  TempDir dir;
  dir.Write("libmain.so", "");
  dir.Write("sub/libcommon.so", "");
  std::string file = dir.Write("main.yaml",
                               "name: main\n"
                               "config:\n"
                               "  topology.workers: 1\n"
                               "  only.main: a\n"
                               "includes:\n"
                               "  - file: sub/common.yaml\n"
                               "    override: false\n"
                               "  - file: sub/override.yaml\n"
                               "    override: true\n"
                               "plugins:\n"
                               "  - libmain.so\n"
                               "spouts:\n"
                               "  - id: s\n"
                               "    className: MainSpout\n"
                               "bolts:\n"
                               "  - id: b\n"
                               "    className: MainBolt\n"
                               "streams:\n"
                               "  - { from: s, to: b, grouping: { type: SHUFFLE } }\n");
  dir.Write("sub/common.yaml",
            "config:\n"
            "  topology.workers: 5\n"
            "  topology.debug: true\n"
            "plugins:\n"
            "  - ../libmain.so\n"
            "  - libcommon.so\n"
            "spouts:\n"
            "  - { id: s, className: CommonSpout }\n"
            "bolts:\n"
            "  - { id: c, className: CommonBolt }\n"
            "includes:\n"
            "  - file: nested.yaml\n"
            "streams:\n"
            "  - { from: s, to: c, grouping: { type: ALL } }\n");
  dir.Write("sub/nested.yaml",
            "name: ignored\n"
            "bolts:\n"
            "  - { id: n, className: NestedBolt }\n"
            "streams:\n"
            "  - { from: c, to: n, grouping: { type: GLOBAL } }\n");
  dir.Write("sub/override.yaml",
            "config:\n"
            "  topology.workers: 7\n"
            "bolts:\n"
            "  - { id: b, className: OverrideBolt, parallelism: 2 }\n");

  Result<TopologySpec> loaded = LoadTopologyFile(file, NoEnv());
  REQUIRE(loaded.ok());
  const TopologySpec& spec = *loaded;
  CHECK(spec.name == "main");
  CHECK(spec.file == file);

  CHECK(*spec.config.Find("topology.workers") == Value(7));
  CHECK(spec.config_pos.at("topology.workers").Prefix() == dir / "sub/override.yaml" + ":2:3: ");
  CHECK(*spec.config.Find("topology.debug") == Value(true));
  CHECK(spec.config_pos.at("topology.debug").file == dir / "sub/common.yaml");
  CHECK(*spec.config.Find("only.main") == Value("a"));

  REQUIRE(spec.plugins.size() == 2);
  CHECK(spec.plugins[0].path == dir / "libmain.so");
  CHECK(spec.plugins[0].pos.file == file);
  CHECK(spec.plugins[1].path == dir / "sub/libcommon.so");

  REQUIRE(spec.spouts.size() == 1);
  CHECK(spec.spouts[0].class_name == "MainSpout");
  REQUIRE(spec.bolts.size() == 3);
  CHECK(spec.bolts[0].id == "b");
  CHECK(spec.bolts[0].class_name == "OverrideBolt");
  CHECK(spec.bolts[0].parallelism == 2);
  CHECK(spec.bolts[0].pos.Prefix() == dir / "sub/override.yaml" + ":4:5: ");
  CHECK(spec.bolts[1].id == "c");
  CHECK(spec.bolts[1].pos.file == dir / "sub/common.yaml");
  CHECK(spec.bolts[2].id == "n");
  CHECK(spec.bolts[2].pos.Prefix() == dir / "sub/nested.yaml" + ":3:5: ");

  REQUIRE(spec.streams.size() == 3);
  CHECK(spec.streams[0].to == "b");
  CHECK(spec.streams[1].to == "c");
  CHECK(spec.streams[2].to == "n");
  CHECK(spec.streams[2].pos.file == dir / "sub/nested.yaml");

  CHECK(ValidateStructure(spec).ok());
}

TEST_CASE("Errors in an included file point into that file", "[topology]") {
  TempDir dir;
  std::string file = dir.Write("main.yaml",
                               "name: main\n"
                               "includes:\n"
                               "  - file: common.yaml\n");
  dir.Write("common.yaml", "spouts:\n  - { id: s, className: S }\n  - { id: s, className: T }\n");
  Result<TopologySpec> spec = LoadTopologyFile(file, NoEnv());
  REQUIRE(spec.ok());
  CHECK(ValidateStructure(*spec).message() ==
        dir / "common.yaml" + ":3:5: duplicate id 's': already used by the spout at " +
            dir / "common.yaml" + ":2:5");
}

TEST_CASE("Plugins resolve next to the file, then along the search path", "[topology]") {
  TempDir dir;
  dir.Write("libnext.so", "");
  dir.Write("dir1/libnext.so", "");
  dir.Write("dir1/libboth.so", "");
  dir.Write("dir2/libboth.so", "");
  dir.Write("dir2/libsecond.so", "");
  dir.Write("sub/librel.so", "");
  dir.Write("abs/libabs.so", "");
  std::string file = dir.Write("t.yaml",
                               "name: t\n"
                               "plugins:\n"
                               "  - libnext.so\n"
                               "  - libboth.so\n"
                               "  - libsecond.so\n"
                               "  - sub/librel.so\n"
                               "  - ./sub/../sub/librel.so\n"
                               "  - " +
                                   dir / "abs/libabs.so" +
                                   "\n"
                                   "  - libnone.so\n"
                                   "  - sub/libsecond.so\n");
  LoadOptions options = NoEnv();
  options.plugin_search_path = {dir / "dir1", dir / "dir2"};
  Result<TopologySpec> spec = LoadTopologyFile(file, options);
  REQUIRE(spec.ok());
  const auto& p = spec->plugins;
  REQUIRE(p.size() == 7);  // the two spellings of sub/librel.so are one plugin
  CHECK(p[0].path == dir / "libnext.so");
  CHECK(p[1].path == dir / "dir1/libboth.so");
  CHECK(p[2].path == dir / "dir2/libsecond.so");
  CHECK(p[3].path == dir / "sub/librel.so");
  CHECK(p[4].path == dir / "abs/libabs.so");
  CHECK(p[5].name == "libnone.so");
  CHECK(p[5].path.empty());
  CHECK(p[5].searched == std::vector<std::string>{dir / "libnone.so", dir / "dir1/libnone.so",
                                                  dir / "dir2/libnone.so"});
  CHECK(p[6].path.empty());  // a path with '/' is not looked up along the search path
  CHECK(p[6].searched == std::vector<std::string>{dir / "sub/libsecond.so"});
  CHECK(ValidateStructure(*spec).message() ==
        file + ":9:5: plugin file not found: 'libnone.so' (looked for " + dir / "libnone.so" +
            ", " + dir / "dir1/libnone.so" + ", " + dir / "dir2/libnone.so" + ")\n" + file +
            ":10:5: plugin file not found: 'sub/libsecond.so' (looked for " +
            dir / "sub/libsecond.so" + ")");
}

TEST_CASE("A topology string resolves plugins against the current directory", "[topology]") {
  Result<TopologySpec> spec =
      LoadTopologyString("name: t\nplugins: [libgale_no_such_plugin.so]\n", "string.yaml", NoEnv());
  REQUIRE(spec.ok());
  CHECK(spec->file == "string.yaml");
  REQUIRE(spec->plugins.size() == 1);
  CHECK(spec->plugins[0].searched ==
        std::vector<std::string>{(fs::current_path() / "libgale_no_such_plugin.so").string()});
  CHECK(spec->plugins[0].pos.Prefix() == "string.yaml:2:11: ");
}

TEST_CASE("Grouping type names parse in any case", "[topology]") {
  for (auto t : {GroupingType::kShuffle, GroupingType::kFields, GroupingType::kAll,
                 GroupingType::kGlobal, GroupingType::kNone, GroupingType::kDirect,
                 GroupingType::kLocalOrShuffle, GroupingType::kPartialKey}) {
    CHECK(ParseGroupingType(GroupingTypeName(t)) == t);
  }
  CHECK(ParseGroupingType("local_or_shuffle") == GroupingType::kLocalOrShuffle);
  CHECK(ParseGroupingType("Partial_Key") == GroupingType::kPartialKey);
  CHECK(ParseGroupingType("localOrShuffle") == std::nullopt);
  CHECK(ParseGroupingType("CUSTOM") == std::nullopt);
  CHECK(ParseGroupingType("") == std::nullopt);
  CHECK(AllGroupingTypeNames() ==
        "SHUFFLE, FIELDS, ALL, GLOBAL, NONE, DIRECT, LOCAL_OR_SHUFFLE, PARTIAL_KEY");
}

TEST_CASE("ClosestMatch suggests only likely typos", "[topology]") {
  const std::vector<std::string> keys = {"id", "className", "parallelism", "numTasks", "config"};
  CHECK(ClosestMatch("paralelism", keys) == "parallelism");
  CHECK(ClosestMatch("prallelism", keys) == "parallelism");
  CHECK(ClosestMatch("classname", keys) == "className");
  CHECK(ClosestMatch("ide", keys) == "id");
  CHECK(ClosestMatch("to", keys) == "");
  CHECK(ClosestMatch("workers", keys) == "");
  CHECK(ClosestMatch("x", {}) == "");
}

}  // namespace
}  // namespace gale::topology
