#include "core/topology/validator.h"

#include <catch2/catch.hpp>

#include <cmath>

#include "core/topology/topology_settings.h"
#include "core/topology/yaml_loader.h"

namespace gale::topology {
namespace {

LoadOptions NoEnv() {
  LoadOptions o;
  o.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  return o;
}

TopologySpec Load(const std::string& yaml) {
  Result<TopologySpec> spec = LoadTopologyString(yaml, "wc.yaml", NoEnv());
  REQUIRE(spec.ok());
  return std::move(spec).value();
}

// What the fake plugins register.
const std::vector<ClassInfo> kClasses = {
    {"SentenceSpout", ComponentKind::kSpout, "libwordcount.so"},
    {"SplitSentence", ComponentKind::kBolt, "libwordcount.so"},
    {"WordCount", ComponentKind::kBolt, "libwordcount.so"},
    {"ExclamationBolt", ComponentKind::kBolt, "libexclaim.so"},
};

constexpr const char* kWordCount = R"(name: wordcount
spouts:
  - id: sentences
    className: SentenceSpout
bolts:
  - id: split
    className: SplitSentence
  - id: count
    className: WordCount
streams:
  - from: sentences
    to: split
    grouping: { type: SHUFFLE }
  - from: split
    to: count
    grouping: { type: FIELDS, args: [word] }
)";

// Sets what each component declared, as plugin/describe.h would.
void Declare(TopologySpec* spec, const std::string& id, std::vector<StreamDeclaration> outputs) {
  ComponentSpec* c = spec->FindComponent(id);
  REQUIRE(c != nullptr);
  c->outputs = std::move(outputs);
  c->outputs_known = true;
}

TopologySpec DeclaredWordCount(const std::string& yaml = kWordCount) {
  TopologySpec spec = Load(yaml);
  Declare(&spec, "sentences", {{"default", Fields{"sentence"}, Direct::kNo}});
  Declare(&spec, "split", {{"default", Fields{"word"}, Direct::kNo}});
  Declare(&spec, "count", {{"default", Fields{"word", "count"}, Direct::kNo}});
  return spec;
}

TEST_CASE("A correct topology passes both validations", "[topology]") {
  TopologySpec spec = DeclaredWordCount();
  CHECK(ValidateStructure(spec).ok());
  CHECK(ValidateWithPlugins(spec, kClasses).ok());
  CHECK(Warnings(spec).empty());
}

TEST_CASE("Exactly once needs every spout stateful and stateful components need acking",
          "[topology]") {
  TopologySpec spec = DeclaredWordCount(R"(name: wordcount
spouts:
  - id: sentences
    className: SentenceSpout
  - id: logs
    className: SentenceSpout
bolts:
  - id: split
    className: SplitSentence
  - id: count
    className: WordCount
streams:
  - { from: sentences, to: split, grouping: { type: SHUFFLE } }
  - { from: logs, to: split, grouping: { type: SHUFFLE } }
  - { from: split, to: count, grouping: { type: FIELDS, args: [word] } }
)");
  std::vector<ClassInfo> classes = kClasses;
  Declare(&spec, "logs", {{"default", Fields{"sentence"}, Direct::kNo}});
  // What describing a StatefulSpout sets (the runner's code config).
  spec.FindComponent("sentences")->config.Set(std::string(kStatefulMarker), true);
  CHECK(ValidateWithPlugins(spec, classes).message() ==
        "wc.yaml:6:16: spout 'logs' is not a StatefulSpout, but 'sentences' is: exactly once "
        "needs every spout to keep its position in checkpointed state (gale/stateful_spout.h)");
  spec.FindComponent("logs")->config.Set(std::string(kStatefulMarker), true);
  CHECK(ValidateWithPlugins(spec, classes).ok());
  spec.config.Set("topology.acker.executors", int64_t{0});
  CHECK(
      ValidateWithPlugins(spec, classes)
          .message()
          .rfind(
              "wc.yaml:4:16: spout 'sentences' is stateful: its checkpoints are tuple trees, so it "
              "needs acking (topology.acker.executors > 0)",
              0) == 0);
}

TEST_CASE("An unknown className lists what the plugins register", "[topology]") {
  TopologySpec spec = DeclaredWordCount();
  spec.FindComponent("split")->class_name = "SplitSentenc";
  spec.FindComponent("count")->class_name = "com.example.Counter";
  Status s = ValidateWithPlugins(spec, kClasses);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message() ==
        "wc.yaml:7:16: unknown className 'SplitSentenc' for bolt 'split' (did you mean "
        "'SplitSentence'? plugins register: ExclamationBolt, SentenceSpout, SplitSentence, "
        "WordCount)\n"
        "wc.yaml:9:16: unknown className 'com.example.Counter' for bolt 'count' (plugins "
        "register: ExclamationBolt, SentenceSpout, SplitSentence, WordCount)");
}

TEST_CASE("An unknown className with no plugins says so", "[topology]") {
  TopologySpec spec = DeclaredWordCount();
  Status s = ValidateWithPlugins(spec, {});
  CHECK(s.message().rfind(
            "wc.yaml:4:16: unknown className 'SentenceSpout' for spout 'sentences' (no plugin "
            "registers any class; check 'plugins:')\n",
            0) == 0);
}

TEST_CASE("A class of the wrong kind is an error", "[topology]") {
  TopologySpec spec = DeclaredWordCount();
  spec.FindComponent("sentences")->class_name = "WordCount";
  spec.FindComponent("split")->class_name = "SentenceSpout";
  CHECK(ValidateWithPlugins(spec, kClasses).message() ==
        "wc.yaml:4:16: spout 'sentences' uses className 'WordCount', which is a bolt (registered "
        "by libwordcount.so); a spout needs a spout class\n"
        "wc.yaml:7:16: bolt 'split' uses className 'SentenceSpout', which is a spout (registered "
        "by libwordcount.so); a bolt needs a bolt class");
}

TEST_CASE("A class registered by two plugins is ambiguous", "[topology]") {
  TopologySpec spec = DeclaredWordCount();
  std::vector<ClassInfo> classes = kClasses;
  classes.push_back({"WordCount", ComponentKind::kBolt, "libother.so"});
  CHECK(ValidateWithPlugins(spec, classes).message() ==
        "wc.yaml:9:16: className 'WordCount' of bolt 'count' is registered by more than one "
        "plugin: libwordcount.so, libother.so");
}

TEST_CASE("A subscription to an undeclared stream lists the declared ones", "[topology]") {
  TopologySpec spec = DeclaredWordCount(R"(name: wordcount
spouts:
  - { id: sentences, className: SentenceSpout }
bolts:
  - { id: split, className: SplitSentence }
  - { id: count, className: WordCount }
streams:
  - { from: sentences, to: split, grouping: { type: SHUFFLE, streamId: sentence } }
  - { from: split, to: count, grouping: { type: SHUFFLE, streamId: words } }
  - { from: count, to: split, grouping: { type: SHUFFLE, streamId: counts } }
)");
  Declare(&spec, "split", {{"default", Fields{"word"}}, {"errors", Fields{"error"}}});
  Declare(&spec, "count", {});
  CHECK(ValidateWithPlugins(spec, kClasses).message() ==
        "wc.yaml:8:72: stream 'sentences -> split' subscribes to stream 'sentence', which spout "
        "'sentences' does not declare (it declares: default)\n"
        "wc.yaml:9:68: stream 'split -> count' subscribes to stream 'words', which bolt 'split' "
        "does not declare (it declares: default, errors)\n"
        "wc.yaml:10:68: stream 'count -> split' subscribes to stream 'counts', which bolt 'count' "
        "does not declare (it declares no output streams)");
}

TEST_CASE("The default stream is checked at the stream's 'from'", "[topology]") {
  TopologySpec spec = DeclaredWordCount();
  Declare(&spec, "split", {{"wrods", Fields{"word"}}});
  CHECK(ValidateWithPlugins(spec, kClasses).message() ==
        "wc.yaml:14:11: stream 'split -> count' subscribes to stream 'default', which bolt "
        "'split' does not declare (it declares: wrods)");
}

TEST_CASE("Grouping fields must exist in the stream", "[topology]") {
  TopologySpec spec = DeclaredWordCount(R"(name: wordcount
spouts:
  - { id: sentences, className: SentenceSpout }
bolts:
  - { id: split, className: SplitSentence }
  - { id: count, className: WordCount }
streams:
  - { from: sentences, to: split, grouping: { type: PARTIAL_KEY, args: [sentence, lang] } }
  - from: split
    to: count
    grouping:
      type: FIELDS
      args: [wrd]
)");
  CHECK(ValidateWithPlugins(spec, kClasses).message() ==
        "wc.yaml:8:72: stream 'sentences -> split' groups by field 'lang', which stream "
        "'default' of spout 'sentences' does not have (its fields: sentence)\n"
        "wc.yaml:13:13: stream 'split -> count' groups by field 'wrd', which stream 'default' of "
        "bolt 'split' does not have (did you mean 'word'? its fields: word)");
}

TEST_CASE("DIRECT groupings and direct streams go together", "[topology]") {
  TopologySpec spec = DeclaredWordCount(R"(name: wordcount
spouts:
  - { id: sentences, className: SentenceSpout }
bolts:
  - { id: split, className: SplitSentence }
  - { id: count, className: WordCount }
streams:
  - { from: sentences, to: split, grouping: { type: DIRECT } }
  - { from: split, to: count, grouping: { type: FIELDS, args: [word] } }
)");
  Declare(&spec, "split", {{"default", Fields{"word"}, Direct::kYes}});

  SECTION("both mismatches are reported") {
    CHECK(ValidateWithPlugins(spec, kClasses).message() ==
          "wc.yaml:8:45: DIRECT grouping of stream 'sentences -> split' needs a direct stream, "
          "but stream 'default' of spout 'sentences' is not declared direct (declare it with "
          "Direct::kYes)\n"
          "wc.yaml:9:41: stream 'default' of bolt 'split' is declared direct, so stream 'split -> "
          "count' needs a DIRECT grouping, not FIELDS");
  }
  SECTION("matching ones pass") {
    Declare(&spec, "sentences", {{"default", Fields{"sentence"}, Direct::kYes}});
    spec.streams[1].grouping = GroupingSpec{GroupingType::kDirect, {}, {}, {}};
    CHECK(ValidateWithPlugins(spec, kClasses).ok());
  }
}

TEST_CASE("chain: needs a boolean, equal parallelism, one component per bolt and no cycle",
          "[topology]") {
  SECTION("each mistake at its line") {
    TopologySpec spec = Load(R"(name: wordcount
spouts:
  - { id: sentences, className: SentenceSpout, parallelism: 2 }
bolts:
  - { id: split, className: SplitSentence }
  - { id: count, className: WordCount }
  - { id: a, className: WordCount }
  - { id: b, className: WordCount }
streams:
  - { from: sentences, to: split, grouping: { type: SHUFFLE }, chain: true }
  - { from: split, to: count, grouping: { type: SHUFFLE }, chain: true }
  - { from: sentences, to: count, grouping: { type: SHUFFLE }, chain: true }
  - { from: a, to: b, grouping: { type: SHUFFLE }, chain: true }
  - { from: b, to: a, grouping: { type: SHUFFLE }, chain: true }
)");
    CHECK(ValidateStructure(spec).message() ==
          "wc.yaml:10:71: 'chain: true' of stream 'sentences -> split': 'sentences' has 2 "
          "executors and 'split' has 1; chained components need the same parallelism\n"
          "wc.yaml:12:71: 'chain: true' of stream 'sentences -> count': 'sentences' has 2 "
          "executors and 'count' has 1; chained components need the same parallelism\n"
          "wc.yaml:12:71: 'chain: true' of stream 'sentences -> count': 'count' is already "
          "chained to 'split' at wc.yaml:11:5; a bolt runs on one component's thread\n"
          "wc.yaml:14:59: 'chain: true' makes a cycle: a <- b <- a; a chain needs a component "
          "that runs on a thread of its own");
  }
  SECTION("not a boolean") {
    Result<TopologySpec> spec = LoadTopologyString(
        "name: t\nstreams:\n  - { from: a, to: b, grouping: {type: ALL}, chain: maybe }\n",
        "t.yaml", NoEnv());
    REQUIRE(!spec.ok());
    CHECK(spec.status().message() ==
          "t.yaml:3:53: 'chain' of stream 'a -> b' must be true or false, got string 'maybe'");
  }
  SECTION("false anywhere, and true at equal executor counts, pass") {
    TopologySpec spec = Load(R"(name: wordcount
spouts:
  - { id: sentences, className: SentenceSpout, numTasks: 4 }
bolts:
  - { id: split, className: SplitSentence }
  - { id: count, className: WordCount, parallelism: 3 }
streams:
  - { from: sentences, to: split, grouping: { type: SHUFFLE }, chain: true }
  - { from: split, to: count, grouping: { type: SHUFFLE }, chain: false }
)");
    CHECK(ValidateStructure(spec).ok());
  }
}

TEST_CASE("Streams of components with unknown outputs are not checked", "[topology]") {
  TopologySpec spec = Load(kWordCount);
  spec.streams[1].stream = "anything";
  spec.streams[1].grouping.fields = {"whatever"};
  CHECK(ValidateWithPlugins(spec, kClasses).ok());
}

TEST_CASE("ValidateStructure checks a spec built in code, without positions", "[topology]") {
  TopologySpec spec;
  spec.name = "";
  ComponentSpec spout;
  spout.id = "s";
  spout.kind = ComponentKind::kSpout;
  spout.parallelism = 2;
  spout.num_tasks = -1;
  spec.spouts.push_back(spout);
  ComponentSpec bolt;
  bolt.id = "b";
  bolt.kind = ComponentKind::kBolt;
  bolt.config.Set("topology.tick.tuple.freq.secs", Value("often"));
  spec.bolts.push_back(bolt);
  StreamSpec keyed;
  keyed.from = "s";
  keyed.to = "b";
  keyed.grouping.type = GroupingType::kPartialKey;
  spec.streams.push_back(keyed);
  StreamSpec global;
  global.from = "s";
  global.to = "b";
  global.stream = "";
  global.grouping.type = GroupingType::kGlobal;
  global.grouping.fields = {"x"};
  spec.streams.push_back(global);
  StreamSpec fields;
  fields.from = "s";
  fields.to = "b";
  fields.stream = "other";
  fields.grouping.type = GroupingType::kFields;
  fields.grouping.fields = {"x", "y", "x"};
  spec.streams.push_back(fields);

  CHECK(ValidateStructure(spec).message() ==
        "invalid topology name '': it is empty; a topology name is 1 to 128 printable ASCII "
        "characters, without white space, '/', '.', ':' or '\\', and does not start with '-'\n"
        "'numTasks' of spout 's' must be >= 1, got -1\n"
        "config key 'topology.tick.tuple.freq.secs' must be a number, got string 'often'\n"
        "PARTIAL_KEY grouping of stream 's -> b' needs 'args', the fields to group by, e.g. { "
        "type: PARTIAL_KEY, args: [word] }\n"
        "'streamId' of stream 's -> b' is empty\n"
        "GLOBAL grouping of stream 's -> b' takes no 'args' (only FIELDS and PARTIAL_KEY do)\n"
        "'args' of stream 's -> b' lists field 'x' twice");
}

TEST_CASE("Config types are reported one per key, in file order", "[topology]") {
  TopologySpec spec = Load(R"(name: wordcount
config:
  topology.workers: 0
  topology.debug: "yes"
  topology.message.timeout.secs: 0
spouts:
  - id: sentences
    className: SentenceSpout
    config:
      topology.tick.tuple.freq.secs: soon
bolts:
  - id: split
    className: SplitSentence
    config: { topology.tick.tuple.freq.secs: 2.5, topology.max.spout.pending: true }
streams:
  - { from: sentences, to: split, grouping: { type: SHUFFLE } }
)");
  CHECK(
      ValidateStructure(spec).message() ==
      "wc.yaml:3:3: config key 'topology.workers' must be an integer from 1 to 10000, got int '0'\n"
      "wc.yaml:4:3: config key 'topology.debug' must be true or false, got string 'yes'\n"
      "wc.yaml:5:3: config key 'topology.message.timeout.secs' must be a number > 0, got int "
      "'0'\n"
      "wc.yaml:10:7: config key 'topology.tick.tuple.freq.secs' must be a number, got string "
      "'soon'\n"
      "wc.yaml:14:51: config key 'topology.max.spout.pending' must be an integer >= 0, got "
      "bool 'true'");
}

TEST_CASE("topology.transfer.batch.size is read, checked at the key, and 1024 by default",
          "[topology]") {
  CHECK(ParseSettings(Config())->transfer_batch_size == 1024);
  CHECK(ParseSettings(Config(Config::Map{{"topology.transfer.batch.size", Value(int64_t{4096})}}))
            ->transfer_batch_size == 4096);
  TopologySpec spec = Load(R"(name: wordcount
config:
  topology.transfer.batch.size: 0
spouts:
  - id: sentences
    className: SentenceSpout
    config: { topology.transfer.batch.size: 100000 }
)");
  CHECK(ValidateStructure(spec).message() ==
        "wc.yaml:3:3: config key 'topology.transfer.batch.size' must be an integer from 1 to "
        "65536, got int '0'\n"
        "wc.yaml:7:15: config key 'topology.transfer.batch.size' must be an integer from 1 to "
        "65536, got int '100000'");
}

TEST_CASE("topology.worker.shutdown.secs is read and checked and 3 by default", "[topology]") {
  const auto parse = [](Value v) {
    return ParseSettings(Config(Config::Map{{"topology.worker.shutdown.secs", std::move(v)}}));
  };
  CHECK(ParseSettings(Config())->worker_shutdown_secs == 3);
  CHECK(parse(Value(0.5))->worker_shutdown_secs == 0.5);
  CHECK(parse(Value(int64_t{60}))->worker_shutdown_secs == 60);
  CHECK(parse(Value(int64_t{0})).status().message() ==
        "config key 'topology.worker.shutdown.secs' must be a number > 0, got int '0'");
  CHECK(parse(Value("soon")).status().message() ==
        "config key 'topology.worker.shutdown.secs' must be a number, got string 'soon'");
}

TEST_CASE("topology.spout.idle.max.wait.ms is read and checked and 10 by default", "[topology]") {
  const auto parse = [](Value v) {
    return ParseSettings(Config(Config::Map{{"topology.spout.idle.max.wait.ms", std::move(v)}}));
  };
  CHECK(ParseSettings(Config())->spout_idle_max_wait_ms == 10);
  CHECK(parse(Value(int64_t{1}))->spout_idle_max_wait_ms == 1);
  CHECK(parse(Value(int64_t{-1})).status().message() ==
        "config key 'topology.spout.idle.max.wait.ms' must be a number >= 0, got int '-1'");
}

TEST_CASE("The load-aware shuffle's keys are read and checked, Storm's defaults", "[topology]") {
  const auto parse = [](Config::Map map) { return ParseSettings(Config(std::move(map))); };
  const TopologySettings defaults = *ParseSettings(Config());
  CHECK_FALSE(defaults.disable_loadaware_messaging);
  CHECK(defaults.locality_higher_bound == 0.8);
  CHECK(defaults.locality_lower_bound == 0.2);
  CHECK(
      parse({{"topology.disable.loadaware.messaging", Value(true)}})->disable_loadaware_messaging);
  const auto both = parse({{"topology.localityaware.higher.bound", Value(0.5)},
                           {"topology.localityaware.lower.bound", Value(int64_t{0})}});
  CHECK(both->locality_higher_bound == 0.5);
  CHECK(both->locality_lower_bound == 0);
  CHECK(parse({{"topology.disable.loadaware.messaging", Value("yes")}}).status().message() ==
        "config key 'topology.disable.loadaware.messaging' must be true or false, got string "
        "'yes'");
  CHECK(parse({{"topology.localityaware.lower.bound", Value(0.9)}}).status().message() ==
        "config keys 'topology.localityaware.lower.bound' and "
        "'topology.localityaware.higher.bound' must satisfy 0 <= lower <= higher <= 1, got "
        "0.900000 and 0.800000");
  CHECK(parse({{"topology.localityaware.higher.bound", Value(std::nan(""))}}).status().message() ==
        "config keys 'topology.localityaware.lower.bound' and "
        "'topology.localityaware.higher.bound' must satisfy 0 <= lower <= higher <= 1, got "
        "0.200000 and nan");
  CHECK(parse({{"topology.localityaware.higher.bound", Value(1.5)}}).status().message() ==
        "config keys 'topology.localityaware.lower.bound' and "
        "'topology.localityaware.higher.bound' must satisfy 0 <= lower <= higher <= 1, got "
        "0.200000 and 1.500000");

  // Known keys: no warning; a bad one is an error at its line.
  const std::string rest = std::string(kWordCount).substr(std::string("name: wordcount\n").size());
  TopologySpec spec = DeclaredWordCount(R"(name: wordcount
config:
  topology.disable.loadaware.messaging: false
  topology.localityaware.higher.bound: 0.9
  topology.chaining.enabled: true
  topology.spout.idle.max.wait.ms: 5
)" + rest);
  CHECK(Warnings(spec).empty());
  CHECK(ValidateStructure(spec).ok());
  spec = DeclaredWordCount(R"(name: wordcount
config:
  topology.localityaware.lower.bound: -1
)" + rest);
  CHECK(ValidateStructure(spec).message() ==
        "wc.yaml:3:3: config key 'topology.localityaware.lower.bound' must be a number >= 0, got "
        "int '-1'");
}

TEST_CASE("Error throttling keys are read and checked, Storm's 5 per 10 s by default",
          "[topology]") {
  const auto parse = [](const char* key, Value v) {
    return ParseSettings(Config(Config::Map{{key, std::move(v)}}));
  };
  CHECK(ParseSettings(Config())->max_error_report_per_interval == 5);
  CHECK(ParseSettings(Config())->error_throttle_interval_secs == 10);
  CHECK(parse("topology.max.error.report.per.interval", Value(int64_t{2}))
            ->max_error_report_per_interval == 2);
  CHECK(parse("topology.error.throttle.interval.secs", Value(int64_t{60}))
            ->error_throttle_interval_secs == 60);
  CHECK(parse("topology.max.error.report.per.interval", Value(int64_t{0})).status().message() ==
        "config key 'topology.max.error.report.per.interval' must be an integer from 1 to "
        "1000000, got int '0'");
  CHECK(parse("topology.error.throttle.interval.secs", Value("10s")).status().message() ==
        "config key 'topology.error.throttle.interval.secs' must be an integer from 1 to 86400, "
        "got string '10s'");
}

TEST_CASE("Warnings name topology keys Gale does not use", "[topology]") {
  TopologySpec spec = Load(R"(name: wordcount
config:
  topology.wokers: 2
  topology.name: other
  topology.kryo.factory: x
  my.key: 1
spouts:
  - id: sentences
    className: SentenceSpout
    config: { topology.fall.back.on.java.serialization: true }
)");
  CHECK(Warnings(spec) ==
        std::vector<std::string>{
            "wc.yaml:3:3: config key 'topology.wokers' is not used by Gale (did you mean "
            "'topology.workers'?)",
            "wc.yaml:4:3: config key 'topology.name' is set by Gale from 'name:'; this value is "
            "ignored",
            "wc.yaml:5:3: config key 'topology.kryo.factory' is not used by Gale",
            "wc.yaml:10:15: config key 'topology.fall.back.on.java.serialization' is not used by "
            "Gale",
        });
}

TEST_CASE("In an exactly-once topology a window is persistent: stateful and not warned about",
          "[topology]") {
  TopologySpec spec = Load(R"(name: eo
config: { topology.state.exactly.once: true }
spouts:
  - { id: s, className: S }
bolts:
  - { id: w, className: W, window: { length: 10s, slide: 2s } }
  - { id: p, className: W, window: { length: 10, persistent: true } }
  - { id: c, className: C }
streams:
  - { from: s, to: w, grouping: { type: SHUFFLE } }
  - { from: s, to: p, grouping: { type: SHUFFLE } }
  - { from: s, to: c, grouping: { type: SHUFFLE } }
)");
  const std::string set_by_gale =
      "wc.yaml:2:11: config key 'topology.state.exactly.once' is set by Gale (true when every "
      "spout is a StatefulSpout); this value is ignored";
  CHECK(Warnings(spec) == std::vector<std::string>{set_by_gale});
  // The file's exactly.once is not what makes a window persistent.
  CHECK_FALSE(IsStatefulComponent(spec, *spec.FindComponent("w")));
  CHECK(IsStatefulComponent(spec, *spec.FindComponent("p")));
  CHECK_FALSE(IsStatefulComponent(spec, *spec.FindComponent("c")));
  // What describing a StatefulSpout sets: now every spout is one, and every
  // window is checkpointed.
  spec.FindComponent("s")->config.Set(std::string(kStatefulMarker), true);
  CHECK(Warnings(spec) == std::vector<std::string>{set_by_gale});
  CHECK(IsStatefulComponent(spec, *spec.FindComponent("w")));
  CHECK(IsStatefulComponent(spec, *spec.FindComponent("p")));
  CHECK_FALSE(IsStatefulComponent(spec, *spec.FindComponent("c")));
}

TEST_CASE("Warnings name a cycle of streams, which can deadlock under backpressure", "[topology]") {
  TopologySpec spec = Load(R"(name: loop
spouts:
  - { id: s, className: S }
bolts:
  - { id: a, className: A }
  - { id: b, className: B }
streams:
  - { from: s, to: a, grouping: { type: SHUFFLE } }
  - { from: a, to: b, grouping: { type: SHUFFLE } }
  - { from: b, to: a, grouping: { type: SHUFFLE } }
)");
  CHECK(Warnings(spec) ==
        std::vector<std::string>{
            "wc.yaml:10:5: streams form a cycle (a -> b -> a): under load its bounded queues can "
            "fill up all round and deadlock",
        });
}

TEST_CASE("Structure errors across files come top-level file first", "[topology]") {
  TopologySpec spec = Load(kWordCount);
  spec.bolts[0].pos = SourcePos{"common.yaml", 2, 5};
  spec.bolts[0].id = "__split";
  spec.bolts[1].parallelism = 0;
  spec.bolts[1].parallelism_pos = SourcePos{};
  CHECK(ValidateStructure(spec).message() ==
        "wc.yaml:8:5: 'parallelism' of bolt 'count' must be >= 1, got 0\n"
        "wc.yaml:12:9: stream 'sentences -> split' goes to unknown component 'split' (did you "
        "mean '__split'? known ids: __split, count, sentences)\n"
        "wc.yaml:14:11: stream 'split -> count' comes from unknown component 'split' (did you "
        "mean '__split'? known ids: __split, count, sentences)\n"
        "common.yaml:2:5: bolt id '__split' is reserved: ids starting with '__' are for system "
        "components such as __acker\n"
        "common.yaml:2:5: bolt '__split' has no input: no stream has 'to: __split'");
}

}  // namespace
}  // namespace gale::topology

namespace gale::topology {
namespace {

// The word count with a `window:` on `count` and these top-level config lines.
std::string Windowed(const std::string& window, const std::string& config = "") {
  return "name: wordcount\n" + (config.empty() ? "" : "config: { " + config + " }\n") +
         "spouts:\n  - { id: sentences, className: SentenceSpout }\n"
         "bolts:\n  - { id: split, className: SplitSentence }\n"
         "  - id: count\n    className: WordCount\n    window: " +
         window +
         "\nstreams:\n  - { from: sentences, to: split, grouping: { type: SHUFFLE } }\n"
         "  - { from: split, to: count, grouping: { type: FIELDS, args: [word] } }\n";
}

std::string WindowError(const std::string& window, const std::string& config = "") {
  Result<TopologySpec> spec = LoadTopologyString(Windowed(window, config), "w.yaml", NoEnv());
  if (!spec.ok()) return spec.status().message();
  Declare(&*spec, "sentences", {{"default", Fields{"sentence"}, Direct::kNo}});
  Declare(&*spec, "split", {{"default", Fields{"word"}, Direct::kNo}});
  Declare(&*spec, "count", {{"default", Fields{"word", "count"}, Direct::kNo}});
  Status s = ValidateWithPlugins(*spec, kClasses);
  return s.ok() ? "ok" : s.message();
}

TEST_CASE("A window: block sets Storm's window keys", "[topology][window]") {
  TopologySpec spec = Load(Windowed("{ length: 30s, slide: 100, timestampField: ts, lag: 5s }"));
  const Config& c = spec.FindComponent("count")->config;
  CHECK(c.GetInt("topology.bolts.window.length.duration.ms", 0) == 30000);
  CHECK(c.GetInt("topology.bolts.window.sliding.interval.count", 0) == 100);
  CHECK(c.GetString("topology.bolts.tuple.timestamp.field.name", "") == "ts");
  CHECK(c.GetInt("topology.bolts.tuple.timestamp.max.lag.ms", 0) == 5000);
  CHECK(Warnings(spec).empty());  // the keys are known ones
  TopologySpec tumbling = Load(Windowed("{ tumbling: 1000 }"));
  const Config& t = tumbling.FindComponent("count")->config;
  CHECK(t.GetInt("topology.bolts.window.length.count", 0) == 1000);
  CHECK(t.GetInt("topology.bolts.window.sliding.interval.count", 0) == 1000);
}

TEST_CASE("Bad windows fail validation with Storm's messages and the key's line",
          "[topology][window]") {
  CHECK(WindowError("{ length: 30s, slide: 10s }") ==
        "w.yaml:8:15: bolt 'count': window duration (length + sliding interval) value 40000 ms is "
        "more than topology.message.timeout.secs value 30 s: its tuples would time out and be "
        "replayed before the window acks them; raise the timeout or shorten the window");
  CHECK(WindowError("{ length: 30s, slide: 10s }", "topology.message.timeout.secs: 60") == "ok");
  CHECK(WindowError("{ length: 30s, slide: 10s }", "topology.acker.executors: 0") == "ok");
  CHECK(WindowError("{ length: 900, slide: 200 }", "topology.max.spout.pending: 1000") ==
        "w.yaml:9:15: bolt 'count': window count (length + sliding interval) value 1100 is more "
        "than topology.max.spout.pending value 1000: the spouts would stop before the window "
        "fills; raise the pending limit or shorten the window");
  CHECK(WindowError("{ length: 10, slide: 20 }") ==
        "w.yaml:8:15: bolt 'count': the sliding interval (20 tuples) is larger than the window "
        "length (10 tuples): tuples between windows would be in none");
  CHECK(WindowError("{ length: 0 }") ==
        "w.yaml:8:23: 'length' of 'window' of bolt 'count': expected a count of tuples (100) or "
        "a duration with a unit (500ms, 30s, 5m, 1h), got '0'");
  CHECK(WindowError("{ length: 10, timestampField: ts, lateStream: late }") ==
        "w.yaml:8:47: bolt 'count': late tuple stream 'late' is not declared by the bolt: "
        "declare it in DeclareOutputFields with the fields of its input (late tuples are "
        "emitted on it unchanged)");
  CHECK(WindowError("{ punctuation: marks }") ==
        "w.yaml:8:15: bolt 'count': punctuation stream 'marks' is not one of its inputs: "
        "subscribe it to that stream (streamId: marks in a grouping)");
  CHECK(WindowError("{ length: 10, tumbling: 10 }") ==
        "w.yaml:8:5: 'window' of bolt 'count': 'tumbling' is a window's length and slide at "
        "once; give either 'tumbling' or 'length' (and 'slide')");
  CHECK(WindowError("{ lenght: 10 }").find("unknown key 'lenght'") != std::string::npos);
}

}  // namespace
}  // namespace gale::topology
