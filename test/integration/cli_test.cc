// The `gale` command's help, version and JSON output, against a real
// cluster where it needs one (TestCluster: stopped by pid, also on failure).
#include "core/common/json.h"
#include "test/support/cluster.h"

#include <gale/plugin.h>

#include <catch2/catch.hpp>

namespace gale::testing {
namespace {

using std::chrono::seconds;

bool Contains(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

TEST_CASE("Every gale command has its own --help, and gale version says what it is built of",
          "[integration][cli]") {
  for (const char* cmd : {"local", "validate", "submit", "list", "info", "kill", "activate",
                          "deactivate", "rebalance", "logs", "version"}) {
    for (const char* flag : {"--help", "-h"}) {
      auto r = RunProcess({BinDir() + "/gale", cmd, flag}, seconds(30));
      INFO(cmd << " " << flag << ": " << r.out << r.err);
      CHECK(r.exit_code == 0);
      CHECK(r.out.rfind(std::string("usage: gale ") + cmd, 0) == 0);
      CHECK(r.err.empty());
    }
  }
  auto v = RunProcess({BinDir() + "/gale", "version"}, seconds(30));
  CHECK(v.exit_code == 0);
  CHECK(v.out.rfind("gale 0.", 0) == 0);
  CHECK(Contains(v.out, "\nplugin ABI " + std::to_string(GALE_ABI_VERSION) + "\n"));
  CHECK(Contains(v.out, "\nApache Thrift 0."));
  CHECK(Contains(v.out, "\nZeroMQ 4."));
  auto bad = RunProcess({BinDir() + "/gale", "list", "--bogus"}, seconds(30));
  CHECK(bad.exit_code == 2);
  CHECK(Contains(bad.err, "gale list: unknown option '--bogus'"));
  CHECK(Contains(bad.err, "usage: gale <command>"));
}

TEST_CASE("gale list and gale info print JSON with --json, and local ISO 8601 times",
          "[integration][cli]") {
  TestCluster cluster(1, 2);
  INFO(cluster.Logs());
  auto r = cluster.Gale({"submit", SourceDir() + "/topologies/exclamation/exclamation.yaml"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);

  auto list = cluster.Gale({"list", "--json"});
  REQUIRE(list.exit_code == 0);
  auto doc = ParseJson(list.out);
  INFO(list.out);
  REQUIRE(doc.ok());
  const auto& topologies = doc->Find("topologies")->array;
  REQUIRE(topologies.size() == 1);
  CHECK(topologies[0].Find("name")->string == "exclamation");
  CHECK(topologies[0].Find("status")->string == "ACTIVE");
  CHECK(doc->Find("supervisors")->array.size() == 1);
  CHECK(doc->Find("slotsTotal")->number == 2);

  JsonValue info;
  REQUIRE(WaitFor(
      [&] {
        auto i = cluster.Gale({"info", "exclamation", "--json"});
        auto parsed = ParseJson(i.out);
        if (i.exit_code != 0 || !parsed.ok()) return false;
        info = *parsed;
        for (const auto& c : info.Find("components")->array) {
          if (c.Find("id")->string == "words" && c.Find("emitted")->number > 0) return true;
        }
        return false;
      },
      seconds(60)));
  CHECK(info.Find("name")->string == "exclamation");
  CHECK(info.Find("executors")->array.size() == info.Find("executorsTotal")->number);
  CHECK(info.Find("launchTime")->string.size() == 25);  // 2026-12-04T03:10:33+01:00

  // Times follow TZ (a POSIX rule: no time zone database needed).
  auto local = RunProcess({BinDir() + "/gale", "info", "exclamation", "--nimbus", cluster.nimbus()},
                          seconds(30), {{"TZ", "IST-5:30"}});
  INFO(local.out);
  CHECK(Contains(local.out, "+05:30)"));
}

}  // namespace
}  // namespace gale::testing
