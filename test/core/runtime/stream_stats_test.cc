// Per-stream counters and latency histograms of the executors
// (core/runtime/stats.h), and topology.stats.enabled turning them off.
#include "core/runtime/stats.h"
#include "test/support/local_topology.h"
#include "test/support/test_components.h"

#include <catch2/catch.hpp>

#include <numeric>
#include <string>

namespace gale::testing {
namespace {

std::string Yaml(bool stats) {
  return std::string(R"(
name: stream-stats
config: { topology.acker.executors: 1, topology.stats.enabled: )") +
         (stats ? "true" : "false") + R"( }
spouts: [ { id: feeder, className: FeederSpout } ]
bolts:
  - { id: forward, className: IdentityBolt }
  - { id: judge, className: FailValueBolt }
streams:
  - { from: feeder, to: forward, grouping: { type: SHUFFLE } }
  - { from: forward, to: judge, grouping: { type: SHUFFLE } }
)";
}

runtime::StatsSnapshot ReportOf(LocalTopology& t, const std::string& component) {
  for (const auto& r : t.runtime().ExecutorReports()) {
    if (r.component == component) return r.stats;
  }
  FAIL("no executor of " << component);
  return {};
}

uint64_t Total(const runtime::LatencyCounts& c) {
  return std::accumulate(c.begin(), c.end(), uint64_t{0});
}

TEST_CASE("Executors count per output stream and per input, with latency histograms",
          "[runtime][stats]") {
  TestLog::Get().Reset();
  FakeClock clock;
  LocalTopology t(Yaml(true), clock);
  TestLog::Get().Feed({"ok"}, 1);
  TestLog::Get().Feed({"fail"}, 2);
  TestLog::Get().Feed({"ok"}, 3);
  REQUIRE(t.Settle());

  const auto forward = ReportOf(t, "forward");
  REQUIRE(forward.outputs.size() == 1);  // the user stream only, not __ack_*
  CHECK(forward.outputs[0].component == "forward");
  CHECK(forward.outputs[0].stream == "default");
  CHECK(forward.outputs[0].emitted == 3);
  CHECK(forward.outputs[0].transferred == 3);
  REQUIRE(forward.inputs.size() == 1);
  CHECK(forward.inputs[0].component == "feeder");
  CHECK(forward.inputs[0].stream == "default");
  CHECK(forward.inputs[0].executed == 3);
  CHECK(forward.inputs[0].acked == 3);
  CHECK(Total(forward.execute_histogram) == 3);

  const auto judge = ReportOf(t, "judge");
  REQUIRE(judge.inputs.size() == 1);
  CHECK(judge.inputs[0].component == "forward");
  CHECK(judge.inputs[0].executed == 3);
  CHECK(judge.inputs[0].acked == 2);
  CHECK(judge.inputs[0].failed == 1);

  const auto feeder = ReportOf(t, "feeder");
  REQUIRE(feeder.outputs.size() == 1);
  CHECK(feeder.outputs[0].emitted == 3);
  CHECK(feeder.inputs.empty());
}

TEST_CASE("topology.stats.enabled: false leaves out the per-stream counters and histograms",
          "[runtime][stats]") {
  TestLog::Get().Reset();
  FakeClock clock;
  LocalTopology t(Yaml(false), clock);
  TestLog::Get().Feed({"ok"}, 1);
  REQUIRE(t.Settle());
  const auto forward = ReportOf(t, "forward");
  CHECK(forward.executed == 1);  // the basic counters stay
  CHECK(forward.outputs.empty());
  CHECK(forward.inputs.empty());
  CHECK(Total(forward.execute_histogram) == 0);
}

TEST_CASE("A bolt with two inputs counts each apart", "[runtime][stats]") {
  TestLog::Get().Reset();
  FakeClock clock;
  LocalTopology t(R"(
name: two-inputs
config: { topology.acker.executors: 1 }
spouts: [ { id: feeder, className: FeederSpout } ]
bolts:
  - { id: forward, className: IdentityBolt }
  - { id: judge, className: FailValueBolt }
streams:
  - { from: feeder, to: forward, grouping: { type: SHUFFLE } }
  - { from: forward, to: judge, grouping: { type: SHUFFLE } }
  - { from: feeder, to: judge, grouping: { type: SHUFFLE } }
)",
                  clock);
  TestLog::Get().Feed({"ok"}, 1);
  TestLog::Get().Feed({"fail"}, 2);
  REQUIRE(t.Settle());
  const auto judge = ReportOf(t, "judge");
  REQUIRE(judge.inputs.size() == 2);
  for (const auto& in : judge.inputs) {
    CAPTURE(in.component);
    CHECK(in.executed == 2);
    CHECK(in.acked == 1);
    CHECK(in.failed == 1);
  }
  CHECK(judge.executed == 4);
}

TEST_CASE("Latency histogram buckets follow the fixed bounds", "[runtime][stats]") {
  CHECK(runtime::LatencyBucket(0) == 0);
  CHECK(runtime::LatencyBucket(10'000) == 0);  // 0.01 ms: on the first bound
  CHECK(runtime::LatencyBucket(10'001) == 1);
  CHECK(runtime::LatencyBucket(1'000'000) == 5);  // 1 ms
  CHECK(runtime::LatencyBucket(60'000'000'000) == runtime::kLatencyBuckets - 1);
}

}  // namespace
}  // namespace gale::testing
