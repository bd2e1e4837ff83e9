// Memory under backpressure, as a user sees it: `gale local` as a real
// process on a topology whose middle bolt emits 1000 tuples per input into a
// slow bolt (test/plugins/fanout.cc), with the process's peak resident set
// measured by the kernel (ru_maxrss of the child).
#include "test/support/gale_output.h"
#include "test/support/process.h"

#include <catch2/catch.hpp>

#include <string>

namespace gale::testing {
namespace {

using std::chrono::seconds;

std::string Gale() { return BinDir() + "/gale"; }

TEST_CASE(
    "A bolt emitting 1000 tuples per input into a slow bolt keeps gale local's memory "
    "bounded by configuration",
    "[integration]") {
  // Unacked; every queue at its default (32768 tuples). An executor takes
  // no further input once a destination refused its batch, so what it
  // holds is its queues plus the emits of one input: tens of MB here. Before
  // that, `split` executed the whole of its input queue into one outgoing
  // batch while `slow` was full, and this run peaked at several GB.
  TempDir dir;
  const std::string file =
      dir.Write("fanout.yaml",
                "name: fanout\n"
                "config: { topology.acker.executors: 0 }\n"
                "plugins: [ " +
                    LibDir() +
                    "/libfanout.so ]\n"
                    "spouts: [ { id: lines, className: LineSpout } ]\n"
                    "bolts:\n"
                    "  - { id: split, className: FanOutBolt, config: { fanout.words: 1000 } }\n"
                    "  - { id: slow, className: BusyBolt, config: { busy.micros: 2 } }\n"
                    "streams:\n"
                    "  - { from: lines, to: split, grouping: { type: SHUFFLE } }\n"
                    "  - { from: split, to: slow, grouping: { type: SHUFFLE } }\n");
  auto r = RunProcess({Gale(), "local", file, "--duration", "10"}, seconds(60));
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  constexpr long kBoundKb = 300 * 1024;
  CHECK(r.max_rss_kb > 0);
  CHECK(r.max_rss_kb < kBoundKb);
  // Tuples flowed through both bolts.
  const auto split = ComponentRow(r.out, "split");
  const auto slow = ComponentRow(r.out, "slow");
  REQUIRE(split.size() >= 9);
  REQUIRE(slow.size() >= 9);
  CHECK(std::stoll(split[8]) > 0);  // executed
  CHECK(std::stoll(split[4]) > 0);  // emitted
  CHECK(std::stoll(slow[8]) > 0);
}

}  // namespace
}  // namespace gale::testing
