#include "supervisor/supervisor_config.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "test/support/process.h"
#include "test/support/result_errors.h"

namespace gale::supervisor {
namespace {

using gale::testing::ErrorOf;
using gale::testing::TempDir;

// Parses `args` as gale-supervisor's command line, with /bin/true standing
// in for the worker unless the test says otherwise.
Result<SupervisorConfig> Parse(std::vector<std::string> args, bool worker_bin = true) {
  args.insert(args.begin(), "gale-supervisor");
  if (worker_bin) args.insert(args.end(), {"--worker-bin", "/bin/true"});
  return SupervisorConfig::FromArgs(args, "/nonexistent/bin/gale-supervisor");
}

TEST_CASE("Supervisor options have Storm-like defaults and need only a state dir", "[supervisor]") {
  auto c = Parse({"--state-dir", "/tmp/gale-sup"});
  REQUIRE(c.ok());
  CHECK(c->nimbus.ToString() == "127.0.0.1:6627");
  CHECK(c->ports == std::vector<int>{6700, 6701, 6702, 6703});
  CHECK(c->host == "127.0.0.1");
  CHECK(c->id.empty());
  CHECK(c->state_dir == "/tmp/gale-sup");
  CHECK(c->worker_bin == "/bin/true");
  CHECK(c->heartbeat == std::chrono::seconds(1));
  CHECK(c->worker_shutdown == std::chrono::seconds(5));
}

TEST_CASE("Supervisor flags are read in both --flag value and --flag=value forms", "[supervisor]") {
  auto c = Parse({"--state-dir=rel/dir", "--nimbus", "10.0.0.5:7000", "--ports=7001,7002", "--host",
                  "10.0.0.9", "--id=sup-a", "--heartbeat-ms", "250"});
  REQUIRE(c.ok());
  CHECK(c->nimbus.seeds.at(0).host == "10.0.0.5");
  CHECK(c->nimbus.seeds.at(0).port == 7000);
  CHECK(c->ports == std::vector<int>{7001, 7002});
  CHECK(c->host == "10.0.0.9");
  CHECK(c->id == "sup-a");
  CHECK(c->heartbeat == std::chrono::milliseconds(250));
  // Workers run in their own directories, so the state dir becomes absolute.
  CHECK(c->state_dir == (std::filesystem::current_path() / "rel/dir").string());
}

TEST_CASE("Several nimbuses (HA) are given as --nimbus A,B or nimbus.seeds", "[supervisor]") {
  auto flag = Parse({"--state-dir", "/tmp/x", "--nimbus", "10.0.0.1:6627, 10.0.0.2:7000,[::1]:1"});
  REQUIRE(flag.ok());
  CHECK(flag->nimbus.ToString() == "10.0.0.1:6627,10.0.0.2:7000,[::1]:1");
  TempDir dir;
  // Storm's form: a list of hosts, each taking nimbus.thrift.port unless it
  // names its own; an IPv6 address is bare or bracketed.
  const std::string file = dir.Write("cluster.yaml", R"(
nimbus.seeds: [nimbus-a, "nimbus-b:7000", "::1", "[fe80::2]:9"]
nimbus.thrift.port: 7627
nimbus.host: ignored-when-seeds-are-set
)");
  auto seeds = Parse({"--config", file, "--state-dir", "/tmp/x"});
  REQUIRE(seeds.ok());
  CHECK(seeds->nimbus.ToString() == "nimbus-a:7627,nimbus-b:7000,[::1]:7627,[fe80::2]:9");
  const std::string bad = dir.Write("bad.yaml", "nimbus.seeds: 'a:1,,b:2'\n");
  CHECK_THAT(ErrorOf(Parse({"--config", bad, "--state-dir", "/tmp/x"})),
             Catch::Contains("bad.yaml: nimbus.seeds: 'a:1,,b:2' has an empty address"));
  // On the command line every address needs its port.
  CHECK_THAT(ErrorOf(Parse({"--state-dir", "/tmp/x", "--nimbus", "10.0.0.1:1,nohost"})),
             Catch::Contains("'nohost' is not host:port"));
}

TEST_CASE("Supervisor options come from the cluster config, and flags override it",
          "[supervisor]") {
  TempDir dir;
  const std::string file = dir.Write("cluster.yaml", R"(
nimbus.host: 10.1.1.1
nimbus.thrift.port: 7627
supervisor.slots.ports: [6800, 6801]
supervisor.host: 10.1.1.2
supervisor.id: from-file
gale.local.dir: /var/gale
supervisor.heartbeat.frequency.secs: 2
supervisor.worker.shutdown.secs: 0.5
)");
  SECTION("the file alone") {
    auto c = Parse({"--config", file});
    REQUIRE(c.ok());
    CHECK(c->nimbus.ToString() == "10.1.1.1:7627");
    CHECK(c->ports == std::vector<int>{6800, 6801});
    CHECK(c->host == "10.1.1.2");
    CHECK(c->id == "from-file");
    CHECK(c->state_dir == "/var/gale");
    CHECK(c->heartbeat == std::chrono::seconds(2));
    CHECK(c->worker_shutdown == std::chrono::milliseconds(500));
  }
  SECTION("flags win") {
    auto c = Parse({"--config", file, "--nimbus", "127.0.0.1:1", "--ports", "9000", "--id",
                    "from-flag", "--state-dir", "/tmp/x", "--heartbeat-ms", "100"});
    REQUIRE(c.ok());
    CHECK(c->nimbus.ToString() == "127.0.0.1:1");
    CHECK(c->ports == std::vector<int>{9000});
    CHECK(c->id == "from-flag");
    CHECK(c->state_dir == "/tmp/x");
    CHECK(c->heartbeat == std::chrono::milliseconds(100));
  }
}

TEST_CASE("Bad or missing supervisor options give one line naming the problem", "[supervisor]") {
  CHECK_THAT(ErrorOf(Parse({})), Catch::Contains("--state-dir is required"));
  CHECK_THAT(ErrorOf(Parse({"--state-dir", "/tmp/x", "--colour", "red"})),
             Catch::Contains("unknown option '--colour'"));
  CHECK_THAT(ErrorOf(Parse({"--state-dir", "/tmp/x", "stray"})),
             Catch::Contains("unexpected argument 'stray'"));
  CHECK_THAT(ErrorOf(Parse({"--state-dir"}, false)), Catch::Contains("--state-dir needs a value"));
  CHECK_THAT(ErrorOf(Parse({"--state-dir", "/tmp/x", "--ports", "6700,x"})),
             Catch::Contains("'x'"));
  CHECK_THAT(ErrorOf(Parse({"--state-dir", "/tmp/x", "--ports", "6700,6700"})),
             Catch::Contains("listed twice"));
  CHECK_THAT(ErrorOf(Parse({"--state-dir", "/tmp/x", "--nimbus", "nohost"})),
             Catch::Contains("nimbus address"));
  CHECK_THAT(ErrorOf(Parse({"--state-dir", "/tmp/x", "--nimbus", "h:99999"})),
             Catch::Contains("valid port"));
  CHECK_THAT(ErrorOf(Parse({"--state-dir", "/tmp/x", "--heartbeat-ms", "0"})),
             Catch::Contains("--heartbeat-ms must be a positive integer"));
  CHECK_THAT(ErrorOf(Parse({"--state-dir", "/tmp/x", "--id", "a b"})),
             Catch::Contains("white space"));
  CHECK_THAT(ErrorOf(Parse({"--state-dir", "/tmp/x"}, false)),
             Catch::Contains("/nonexistent/bin/gale-worker"));
  CHECK_THAT(ErrorOf(Parse({"--state-dir", "/tmp/x", "--worker-bin", "/nonexistent/w"}, false)),
             Catch::Contains("not an executable"));
}

TEST_CASE("Bad values in the cluster config name the file and the key", "[supervisor]") {
  TempDir dir;
  CHECK_THAT(ErrorOf(Parse({"--config", dir.Write("a.yaml",
                                                  "gale.local.dir: /x\n"
                                                  "supervisor.heartbeat.frequency.secs: "
                                                  "often\n")})),
             Catch::Contains("supervisor.heartbeat.frequency.secs"));
  CHECK_THAT(ErrorOf(Parse({"--config", dir.Write("b.yaml",
                                                  "gale.local.dir: /x\n"
                                                  "supervisor.slots.ports: [6700, "
                                                  "zero]\n")})),
             Catch::Contains("'zero'"));
  CHECK_THAT(ErrorOf(Parse({"--config", dir.Write("c.yaml",
                                                  "gale.local.dir: /x\n"
                                                  "supervisor.worker.shutdown.secs: "
                                                  "-1\n")})),
             Catch::Contains("supervisor.worker.shutdown.secs"));
  const std::string quoted = dir.Write("d.yaml",
                                       "gale.local.dir: /x\n"
                                       "nimbus.thrift.port: \"6627\"\n");
  CHECK(ErrorOf(Parse({"--config", quoted})) ==
        quoted +
            ": config key 'nimbus.thrift.port' must be a port, an integer from 1 to 65535, got "
            "string '6627'");
  auto missing = Parse({"--config", dir.path() + "/none.yaml"});
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.status().message(), Catch::Contains("none.yaml"));
}

TEST_CASE("Log server and worker log options: defaults, flag, config keys and bad values",
          "[supervisor]") {
  auto d = Parse({"--state-dir", "/tmp/x"});
  REQUIRE(d.ok());
  CHECK(d->logviewer_port == 8000);
  CHECK(d->worker_log_max_bytes == int64_t{100} << 20);
  CHECK(d->worker_log_max_files == 5);
  CHECK(d->log_retention == std::chrono::minutes(7 * 24 * 60));
  CHECK(Parse({"--state-dir", "/tmp/x", "--logviewer-port", "0"})->logviewer_port == 0);
  TempDir dir;
  auto c = Parse({"--config", dir.Write("ok.yaml",
                                        "gale.local.dir: /x\nlogviewer.port: 8001\n"
                                        "worker.log.max.bytes: 8192\nworker.log.max.files: 3\n"
                                        "logviewer.cleanup.age.mins: 60\n")});
  REQUIRE(c.ok());
  CHECK(c->logviewer_port == 8001);
  CHECK(c->worker_log_max_bytes == 8192);
  CHECK(c->worker_log_max_files == 3);
  CHECK(c->log_retention == std::chrono::minutes(60));
  CHECK_THAT(ErrorOf(Parse({"--state-dir", "/tmp/x", "--logviewer-port", "70000"})),
             Catch::Contains("--logviewer-port must be a port, an integer from 0 to 65535"));
  // A log server on a worker port would keep that slot's workers from binding it.
  CHECK_THAT(
      ErrorOf(Parse({"--state-dir", "/tmp/x", "--ports", "6700,6701", "--logviewer-port", "6701"})),
      Catch::Contains("the log server's port 6701 (--logviewer-port, logviewer.port; 8000 unless "
                      "set) is also a worker port (--ports, supervisor.slots.ports)"));
  // The default log server port counts too.
  CHECK_THAT(ErrorOf(Parse({"--state-dir", "/tmp/x", "--ports", "7999,8000"})),
             Catch::Contains("the log server's port 8000"));
  CHECK(Parse({"--state-dir", "/tmp/x", "--ports", "8000", "--logviewer-port", "0"}).ok());
  CHECK_THAT(ErrorOf(Parse({"--config", dir.Write("lv.yaml",
                                                  "gale.local.dir: /x\nlogviewer.port: 6702\n"
                                                  "supervisor.slots.ports: [6702]\n")})),
             Catch::Contains("the log server's port 6702"));
  CHECK_THAT(ErrorOf(Parse({"--config", dir.Write("a.yaml",
                                                  "gale.local.dir: /x\n"
                                                  "worker.log.max.bytes: 100\n")})),
             Catch::Contains("worker.log.max.bytes must be a whole number from 4096"));
  CHECK_THAT(ErrorOf(Parse({"--config", dir.Write("b.yaml",
                                                  "gale.local.dir: /x\n"
                                                  "worker.log.max.files: many\n")})),
             Catch::Contains("worker.log.max.files must be a whole number from 1 to 100"));
  CHECK_THAT(ErrorOf(Parse({"--config", dir.Write("c.yaml",
                                                  "gale.local.dir: /x\n"
                                                  "logviewer.cleanup.age.mins: 0\n")})),
             Catch::Contains("logviewer.cleanup.age.mins must be a whole number from 1"));
}

TEST_CASE("gale-supervisor exits 2 with one line on stderr for a bad option",
          "[supervisor][integration]") {
  auto r = gale::testing::RunProcess(
      {gale::testing::BinDir() + "/gale-supervisor", "--state-dir", "/tmp/x", "--bogus"},
      std::chrono::seconds(10));
  CHECK(r.exit_code == 2);
  CHECK(r.err == "gale-supervisor: unknown option '--bogus' (see --help)\n");
  CHECK(r.out.empty());
}

TEST_CASE("The generated supervisor id is kept in the state dir", "[supervisor]") {
  TempDir dir;
  auto first = LoadOrCreateSupervisorId(dir.path());
  REQUIRE(first.ok());
  const std::string& id = *first;
  REQUIRE(id.size() > 9);
  CHECK(id[id.size() - 9] == '-');
  CHECK(id.find_first_not_of("0123456789abcdef", id.size() - 8) == std::string::npos);
  CHECK(gale::testing::ReadFile(dir.path() + "/supervisor-id") == id + "\n");
  auto again = LoadOrCreateSupervisorId(dir.path());
  REQUIRE(again.ok());
  CHECK(*again == id);
}

}  // namespace
}  // namespace gale::supervisor
