// An emit (Emit, EmitDirect, or EmitRow) whose value count differs from its
// stream's declared fields is refused at the emit, as Storm does: the emitting component gets an
// std::invalid_argument naming the component, the stream and both counts
// (reported as its error; for a bolt the input fails), and nothing reaches
// the components downstream.
#include "test/support/local_topology.h"
#include "test/support/test_components.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace gale::testing {
namespace {

using Ids = std::vector<uint64_t>;

TestLog& Log() { return TestLog::Get(); }

struct Fixture {
  Fixture() { Log().Reset(); }
  FakeClock clock;
};

std::vector<std::string> Errors(LocalTopology& t, const std::string& component) {
  std::vector<std::string> out;
  for (const auto& e : t.StatsOf(component).last_errors) out.push_back(e.message);
  return out;
}

std::string Topology(const std::string& arity_config, const std::string& grouping) {
  return R"(
name: arity
config: { topology.acker.executors: 1 }
spouts: [ { id: feeder, className: FeederSpout } ]
bolts:
  - { id: split, className: ArityBolt, config: )" +
         arity_config + R"( }
  - { id: ack, className: AckBolt }
streams:
  - { from: feeder, to: split, grouping: { type: SHUFFLE } }
  - { from: split, to: ack, grouping: { type: )" +
         grouping + R"( } }
)";
}

struct WrongCount {
  const char* config;
  const char* grouping;
  const char* error;
};

TEST_CASE_METHOD(Fixture,
                 "A bolt emit with the wrong value count is refused at the emit and "
                 "fails the input",
                 "[runtime]") {
  const WrongCount c = GENERATE(
      WrongCount{"{ arity.values: 1 }", "SHUFFLE",
                 "component 'split' emitted 1 value on stream 'default', which declares 2 fields "
                 "[word, count]"},
      WrongCount{"{ arity.values: 3 }", "SHUFFLE",
                 "component 'split' emitted 3 values on stream 'default', which declares 2 fields "
                 "[word, count]"},
      WrongCount{"{ arity.values: 1, arity.direct: true }", "DIRECT",  // EmitDirect
                 "component 'split' emitted 1 value on stream 'default', which declares 2 fields "
                 "[word, count]"},
      // EmitRow, unanchored: the batched path checks as Emit does.
      WrongCount{"{ arity.values: 1, arity.rows: true }", "SHUFFLE",
                 "component 'split' emitted 1 value on stream 'default', which declares 2 fields "
                 "[word, count]"},
      WrongCount{"{ arity.values: 3, arity.rows: true }", "SHUFFLE",
                 "component 'split' emitted 3 values on stream 'default', which declares 2 fields "
                 "[word, count]"},
      WrongCount{"{ arity.rows: true, arity.direct: true }", "DIRECT",
                 "cannot do a regular emit to direct stream 'default'; use EmitDirect"});
  INFO(c.config);
  LocalTopology t(Topology(c.config, c.grouping), clock);
  Log().Feed({"a"}, 1);
  REQUIRE(t.Settle());
  CHECK(Log().failed() == Ids{1});
  CHECK(Log().acked() == Ids{});
  CHECK(Log().count("ack_bolt_executed") == 0);
  CHECK(t.StatsOf("split").emitted == 0);
  CHECK(Errors(t, "split") == std::vector<std::string>{c.error});
}

TEST_CASE_METHOD(Fixture,
                 "Emits with the declared value count go through: direct ones too "
                 "and the acker's own streams",
                 "[runtime]") {
  const bool direct = GENERATE(false, true);
  LocalTopology t(Topology(direct ? "{ arity.direct: true }" : "{}", direct ? "DIRECT" : "SHUFFLE"),
                  clock);
  Log().Feed({"a"}, 1);
  Log().Feed({"b"}, 2);
  REQUIRE(t.Settle());
  CHECK(Log().acked() == Ids{1, 2});
  CHECK(Log().failed() == Ids{});
  CHECK(Log().count("ack_bolt_executed") == 2);
  CHECK(Errors(t, "split").empty());
  CHECK(Errors(t, "__acker").empty());
}

TEST_CASE_METHOD(Fixture,
                 "A spout emit with the wrong value count is refused and reported to "
                 "the spout",
                 "[runtime]") {
  LocalTopology t(R"(
name: arity-spout
spouts: [ { id: feeder, className: FeederSpout } ]
bolts: [ { id: ack, className: AckBolt } ]
streams: [ { from: feeder, to: ack, grouping: { type: SHUFFLE } } ]
)",
                  clock);
  Log().Feed({"a", "b"}, 1);
  Log().Feed({"c"}, 2);
  REQUIRE(t.Settle());
  CHECK(Log().count("emit_threw") == 1);
  CHECK(Log().count("ack_bolt_executed") == 1);  // "c" only
  CHECK(Log().acked() == Ids{2});
  CHECK(Errors(t, "feeder") ==
        std::vector<std::string>{"component 'feeder' emitted 2 values on stream 'default', which "
                                 "declares 1 field [value]"});
}

struct AckInsideEmit {
  const char* what;
  int ackers;
  bool to_all;       // also a stream to 'all' (two tasks, ALL)
  int64_t returned;  // what the outer Emit returns
  int64_t executed;  // tuples the AckBolts executed
};

TEST_CASE_METHOD(Fixture,
                 "A spout's Emit returns its own targets when the Ack it runs inside emits too",
                 "[runtime]") {
  // The spout's Ack runs inside its Emit, as in Storm: with no ackers; and
  // with the acker hosted on the spout's thread, when the emit reaches no
  // task (its tree completes at its init). Here the Ack emits on 'side'
  // (one task); the outer Emit must still return its own targets.
  const AckInsideEmit c = GENERATE(
      AckInsideEmit{"no ackers: the two tasks of 'all', not the one of 'side'", 0, true, 2, 3},
      AckInsideEmit{"an emit to no task, acked at its init: none", 1, false, 0, 1});
  INFO(c.what);
  std::string yaml = R"(
name: ack-emit
config: { topology.acker.executors: )" +
                     std::to_string(c.ackers) + R"( }
spouts:
  - { id: feeder, className: FeederSpout, config: { feeder.ack.emit.stream: side } }
bolts:
  - { id: side, className: AckBolt }
)";
  if (c.to_all) yaml += "  - { id: all, className: AckBolt, parallelism: 2 }\n";
  yaml += "streams:\n  - { from: feeder, to: side, grouping: { type: GLOBAL, streamId: side } }\n";
  if (c.to_all) yaml += "  - { from: feeder, to: all, grouping: { type: ALL } }\n";
  LocalTopology t(yaml, clock);
  Log().Feed({"a"}, 1);
  REQUIRE(t.Settle());
  CHECK(Log().acked() == Ids{1});
  CHECK(Log().count("ack_emit_returned_tasks") == 1);
  CHECK(Log().count("emit_returned_tasks") == c.returned);
  CHECK(Log().count("ack_bolt_executed") == c.executed);
}

TEST_CASE_METHOD(Fixture,
                 "An emit on a stream the component did not declare is refused, after "
                 "emits on a declared one",
                 "[runtime]") {
  // ResolveStream checks its last answer first: a name that misses it
  // must still be looked up, and refused when undeclared.
  LocalTopology t(Topology("{ arity.undeclared.stream: nope }", "SHUFFLE"), clock);
  Log().Feed({"a"}, 1);
  Log().Feed({"b"}, 2);
  REQUIRE(t.Settle());
  CHECK(Log().failed() == Ids{1, 2});
  CHECK(Log().count("ack_bolt_executed") == 2);  // the declared emits went out
  // One entry, reported twice (a repeated message is counted, not kept again).
  const auto errors = t.StatsOf("split").last_errors;
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].message ==
        "component 'split' emitted to stream 'nope', which it did not declare in "
        "DeclareOutputFields()");
  CHECK(errors[0].count == 2);
}

}  // namespace
}  // namespace gale::testing
