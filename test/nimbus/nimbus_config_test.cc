#include "nimbus/nimbus_config.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include "test/support/process.h"
#include "test/support/result_errors.h"

namespace gale::nimbus {
namespace {

using gale::testing::ErrorOf;
using gale::testing::TempDir;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Parses `args` as gale-nimbus's command line, with /bin/true standing in
// for the gale program unless the test says otherwise.
Result<NimbusConfig> Parse(std::vector<std::string> args, bool gale_bin = true) {
  args.insert(args.begin(), "gale-nimbus");
  if (gale_bin) args.insert(args.end(), {"--gale-bin", "/bin/true"});
  return NimbusConfig::FromArgs(args, "/nonexistent/bin/gale-nimbus");
}

TEST_CASE("Nimbus options have Storm-like defaults and need only a state dir", "[nimbus]") {
  auto c = Parse({"--state-dir", "/tmp/gale-nimbus"});
  REQUIRE(c.ok());
  CHECK(c->host == "127.0.0.1");
  CHECK(c->port == 6627);
  CHECK(c->nimbus.state_dir == "/tmp/gale-nimbus");
  CHECK(c->nimbus.supervisor_timeout == seconds(5));
  CHECK(c->nimbus.worker_timeout == seconds(10));
  CHECK(c->nimbus.worker_start_timeout == seconds(30));
  CHECK(c->nimbus.describe_program == "/bin/true");
  CHECK(c->nimbus.describe_timeout == seconds(10));
  CHECK(c->client_timeout == seconds(15));
  CHECK(c->frames_budget_bytes == int64_t{256} << 20);
  CHECK(c->call_threads == 64);
}

TEST_CASE("Nimbus flags are read in both --flag value and --flag=value forms", "[nimbus]") {
  auto c = Parse({"--state-dir=/tmp/n", "--host", "localhost", "--port=7000",
                  "--supervisor-timeout-secs", "1.5", "--worker-timeout-secs=2",
                  "--worker-start-timeout-secs", "0.25"});
  REQUIRE(c.ok());
  CHECK(c->nimbus.state_dir == "/tmp/n");
  CHECK(c->host == "localhost");
  CHECK(c->port == 7000);
  CHECK(c->nimbus.supervisor_timeout == milliseconds(1500));
  CHECK(c->nimbus.worker_timeout == seconds(2));
  CHECK(c->nimbus.worker_start_timeout == milliseconds(250));
}

TEST_CASE("Nimbus options come from the cluster config, and flags override it", "[nimbus]") {
  TempDir dir;
  const std::string file = dir.Write("cluster.yaml", R"(
nimbus.host: 10.1.1.1
gale.auth.insecure.allow: true
nimbus.thrift.port: 7627
gale.local.dir: /var/gale
nimbus.supervisor.timeout.secs: 3
nimbus.task.timeout.secs: 0.5
nimbus.task.launch.secs: 60
nimbus.plugin.describe.timeout.secs: 2.5
nimbus.thrift.client.timeout.secs: 4
nimbus.thrift.frames.budget.mb: 64
nimbus.thrift.threads: 8
supervisor.slots.ports: [6800, 6801]
)");
  SECTION("the file alone") {
    auto c = Parse({"--config", file});
    REQUIRE(c.ok());
    CHECK(c->host == "10.1.1.1");
    CHECK(c->port == 7627);
    CHECK(c->nimbus.state_dir == "/var/gale/nimbus");
    CHECK(c->nimbus.supervisor_timeout == seconds(3));
    CHECK(c->nimbus.worker_timeout == milliseconds(500));
    CHECK(c->nimbus.worker_start_timeout == seconds(60));
    CHECK(c->nimbus.describe_timeout == milliseconds(2500));
    CHECK(c->client_timeout == seconds(4));
    CHECK(c->frames_budget_bytes == int64_t{64} << 20);
    CHECK(c->call_threads == 8);
  }
  SECTION("flags win") {
    auto c = Parse({"--config", file, "--host", "127.0.0.2", "--port", "1", "--state-dir", "/tmp/x",
                    "--worker-timeout-secs", "4", "--describe-timeout-secs", "1",
                    "--client-timeout-secs", "2"});
    REQUIRE(c.ok());
    CHECK(c->client_timeout == seconds(2));
    CHECK(c->host == "127.0.0.2");
    CHECK(c->port == 1);
    CHECK(c->nimbus.state_dir == "/tmp/x");
    CHECK(c->nimbus.supervisor_timeout == seconds(3));
    CHECK(c->nimbus.worker_timeout == seconds(4));
    CHECK(c->nimbus.describe_timeout == seconds(1));
  }
}

TEST_CASE("Bad or missing nimbus options give one line naming the problem", "[nimbus]") {
  CHECK_THAT(ErrorOf(Parse({})), Catch::Contains("--state-dir is required"));
  CHECK_THAT(ErrorOf(Parse({"--state-dir", "/tmp/x", "--colour", "red"})),
             Catch::Contains("unknown option '--colour'"));
  CHECK_THAT(ErrorOf(Parse({"--state-dir", "/tmp/x", "stray"})),
             Catch::Contains("unexpected argument 'stray'"));
  CHECK_THAT(ErrorOf(Parse({"--state-dir"}, false)), Catch::Contains("--state-dir needs a value"));
  CHECK(ErrorOf(Parse({"--state-dir", "/tmp/x"}, false)) ==
        "gale binary '/nonexistent/bin/gale' is not an executable file (see --gale-bin); nimbus "
        "runs it to check submitted topologies against their plugins");
  CHECK_THAT(ErrorOf(Parse({"--state-dir", "/tmp/x", "--gale-bin", "/nonexistent/g"}, false)),
             Catch::Contains("'/nonexistent/g' is not an executable file"));
  CHECK(ErrorOf(Parse({"--state-dir", "/tmp/x", "--port", "0"})) ==
        "--port must be a port, an integer from 1 to 65535, not '0'");
  CHECK_THAT(ErrorOf(Parse({"--state-dir", "/tmp/x", "--port", "65536"})),
             Catch::Contains("--port must be a port"));
  CHECK_THAT(ErrorOf(Parse({"--state-dir", "/tmp/x", "--port", "66x"})),
             Catch::Contains("--port must be a port"));
  CHECK_THAT(ErrorOf(Parse({"--state-dir", "/tmp/x", "--host", ""})),
             Catch::Contains("--host must not be empty"));
  CHECK(ErrorOf(Parse({"--state-dir", "/tmp/x", "--worker-timeout-secs", "-1"})) ==
        "--worker-timeout-secs must be a number of seconds > 0 and <= 86400, not '-1'");
  CHECK_THAT(ErrorOf(Parse({"--state-dir", "/tmp/x", "--supervisor-timeout-secs", "0"})),
             Catch::Contains("--supervisor-timeout-secs must be"));
  CHECK_THAT(ErrorOf(Parse({"--state-dir", "/tmp/x", "--worker-start-timeout-secs", "soon"})),
             Catch::Contains("--worker-start-timeout-secs must be"));
}

TEST_CASE("Bad values in the nimbus cluster config name the file and the key", "[nimbus]") {
  TempDir dir;
  auto error_of_file = [&](const std::string& name, const std::string& body) {
    const std::string file = dir.Write(name, "gale.local.dir: /x\n" + body);
    return std::make_pair(file, ErrorOf(Parse({"--config", file})));
  };
  {
    auto [file, e] = error_of_file("port.yaml", "nimbus.thrift.port: \"6627\"\n");
    CHECK(e == file +
                   ": config key 'nimbus.thrift.port' must be a port, an integer from 1 to 65535, "
                   "got string '6627'");
  }
  {
    auto [file, e] = error_of_file("port_range.yaml", "nimbus.thrift.port: 70000\n");
    CHECK(e == file +
                   ": config key 'nimbus.thrift.port' must be a port, an integer from 1 to 65535, "
                   "got int '70000'");
  }
  for (const char* budget : {"8", "2000000", "\"64\""}) {
    auto [file, e] = error_of_file("budget.yaml",
                                   std::string("nimbus.thrift.frames.budget.mb: ") + budget + "\n");
    CHECK(e == file +
                   ": config key 'nimbus.thrift.frames.budget.mb' must be an integer from 16 to "
                   "1048576 (MiB), got " +
                   (budget[0] == '"' ? "string '64'" : "int '" + std::string(budget) + "'"));
  }
  {
    auto [file, e] = error_of_file("threads.yaml", "nimbus.thrift.threads: 0\n");
    CHECK(e == file +
                   ": config key 'nimbus.thrift.threads' must be an integer from 1 to 4096, got "
                   "int '0'");
  }
  for (const char* key :
       {"nimbus.supervisor.timeout.secs", "nimbus.task.timeout.secs", "nimbus.task.launch.secs",
        "nimbus.plugin.describe.timeout.secs", "nimbus.thrift.client.timeout.secs"}) {
    INFO(key);
    auto [file, e] = error_of_file("negative.yaml", std::string(key) + ": -1\n");
    CHECK(e == file + ": config key '" + key +
                   "' must be a number of seconds > 0 and <= 86400, got int '-1'");
    auto [file2, e2] = error_of_file("text.yaml", std::string(key) + ": soon\n");
    CHECK(e2 == file2 + ": config key '" + key +
                    "' must be a number of seconds > 0 and <= 86400, got string 'soon'");
  }
  auto missing = Parse({"--config", dir.path() + "/none.yaml"});
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.status().message(), Catch::Contains("none.yaml"));
  CHECK_THAT(ErrorOf(Parse({"--config", dir.Write("list.yaml", "- a\n- b\n")})),
             Catch::Contains("a cluster config is a map of keys"));
}

TEST_CASE("gale-nimbus exits 2 naming the file and key of a bad config value",
          "[nimbus][integration]") {
  TempDir dir;
  const std::string quoted_port =
      dir.Write("quoted_port.yaml", "gale.local.dir: " + dir.path() +
                                        "\n"
                                        "nimbus.thrift.port: \"6627\"\n");
  const std::string negative = dir.Write("negative.yaml", "gale.local.dir: " + dir.path() +
                                                              "\n"
                                                              "nimbus.task.timeout.secs: -1\n");
  for (const auto& [file, key] : {std::pair{quoted_port, std::string("nimbus.thrift.port")},
                                  std::pair{negative, std::string("nimbus.task.timeout.secs")}}) {
    INFO(file);
    auto r = gale::testing::RunProcess({gale::testing::BinDir() + "/gale-nimbus", "--config", file},
                                       seconds(10));
    CHECK(r.exit_code == 2);
    CHECK(r.signal == 0);
    CHECK_THAT(r.err, Catch::StartsWith("gale-nimbus: " + file + ": config key '" + key + "'"));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(r.out.empty());
  }
  // Nothing was started: no state directory was made.
  CHECK_FALSE(std::filesystem::exists(dir.path() + "/nimbus"));
}

TEST_CASE("gale-nimbus exits 2 with one line on stderr for a bad option", "[nimbus][integration]") {
  auto r = gale::testing::RunProcess(
      {gale::testing::BinDir() + "/gale-nimbus", "--state-dir", "/tmp/x", "--bogus"}, seconds(10));
  CHECK(r.exit_code == 2);
  CHECK(r.err == "gale-nimbus: unknown option '--bogus' (see --help)\n");
  CHECK(r.out.empty());
}

TEST_CASE("gale reads nimbus.thrift.port of its cluster config as the daemons do",
          "[nimbus][integration]") {
  TempDir dir;
  const std::string file = dir.Write("quoted_port.yaml", "nimbus.thrift.port: \"6627\"\n");
  auto r = gale::testing::RunProcess({gale::testing::BinDir() + "/gale", "list", "--config", file},
                                     seconds(10), {{"GALE_NIMBUS", ""}});
  CHECK(r.exit_code == 1);
  CHECK(r.signal == 0);
  CHECK(r.err == "gale: " + file +
                     ": config key 'nimbus.thrift.port' must be a port, an integer from 1 to "
                     "65535, got string '6627'\n");
  CHECK(r.out.empty());
}

TEST_CASE("Nimbus refuses a non-loopback address without authentication", "[nimbus][auth]") {
  for (const char* host : {"0.0.0.0", "10.1.1.1", "::", "nimbus.example.com"}) {
    CAPTURE(host);
    CHECK_THAT(ErrorOf(Parse({"--state-dir", "/tmp/x", "--host", host})),
               Catch::Contains("refusing to listen on '" + std::string(host) +
                               "' (not a loopback address) without authentication") &&
                   Catch::Contains("gale auth init") &&
                   Catch::Contains("gale.auth.insecure.allow: true"));
  }
  for (const char* host : {"127.0.0.1", "127.3.2.1", "::1", "localhost"}) {
    CAPTURE(host);
    CHECK(Parse({"--state-dir", "/tmp/x", "--host", host}).ok());
  }
  TempDir dir;
  CHECK(Parse({"--state-dir", "/tmp/x", "--host", "0.0.0.0", "--config",
               dir.Write("c.yaml", "gale.auth.insecure.allow: true\n")})
            .ok());
}

TEST_CASE("HA options: ZooKeeper servers, root and session timeout are checked at start",
          "[nimbus]") {
  auto none = Parse({"--state-dir", "/tmp/x"});
  REQUIRE(none.ok());
  CHECK(none->zookeeper_servers.empty());  // one nimbus, no ZooKeeper
  TempDir dir;
  auto ha =
      Parse({"--state-dir", "/tmp/x", "--zookeeper", "127.0.0.1:2181,127.0.0.2:2181", "--config",
             dir.Write("ha.yaml",
                       "nimbus.zookeeper.root: /prod/gale\n"
                       "nimbus.zookeeper.session.timeout.ms: 6000\n")});
  REQUIRE(ha.ok());
  CHECK(ha->zookeeper_servers == "127.0.0.1:2181,127.0.0.2:2181");
  CHECK(ha->zookeeper_root == "/prod/gale");
  CHECK(ha->zookeeper_session_timeout == milliseconds(6000));
  auto from_file = Parse({"--state-dir", "/tmp/x", "--config",
                          dir.Write("zk.yaml", "nimbus.zookeeper.servers: [127.0.0.1:2181]\n")});
  REQUIRE(from_file.ok());
  CHECK(from_file->zookeeper_servers == "127.0.0.1:2181");
  CHECK(from_file->zookeeper_root == "/gale");
  CHECK(from_file->zookeeper_session_timeout == milliseconds(4000));

  CHECK_THAT(ErrorOf(Parse({"--state-dir", "/tmp/x", "--zookeeper", "zk1"})),
             Catch::Contains("nimbus.zookeeper.servers (--zookeeper): 'zk1' is not host:port"));
  CHECK_THAT(
      ErrorOf(Parse({"--state-dir", "/tmp/x", "--zookeeper", "zk1:2181", "--host", "0.0.0.0",
                     "--config", dir.Write("open.yaml", "gale.auth.insecure.allow: true\n")})),
      Catch::Contains("the address the other nimbuses, supervisors and clients reach "
                      "this nimbus at: not 0.0.0.0"));
  CHECK_THAT(ErrorOf(Parse({"--state-dir", "/tmp/x", "--zookeeper", "zk1:2181", "--host", "[::1]",
                            "--config", dir.path() + "/open.yaml"})),
             Catch::Contains("'[::1]' must be a host name or an address (no brackets)"));
  CHECK_THAT(ErrorOf(Parse({"--state-dir", "/tmp/x", "--config",
                            dir.Write("root.yaml", "nimbus.zookeeper.root: gale/\n")})),
             Catch::Contains("nimbus.zookeeper.root must be a ZooKeeper path like /gale, not "
                             "'gale/'"));
  CHECK_THAT(
      ErrorOf(Parse({"--state-dir", "/tmp/x", "--config",
                     dir.Write("t.yaml", "nimbus.zookeeper.session.timeout.ms: 10\n")})),
      Catch::Contains("nimbus.zookeeper.session.timeout.ms") && Catch::Contains("1000 to 120000"));
  // HA with authentication: the nimbuses call each other with the
  // config's client keys, the node certificate (tls) or user and token
  // (token); one that lacks them is told at start, not at the first submit.
  const std::string ca = dir.Write("ca.pem", "x"), cert = dir.Write("c.pem", "x"),
                    key = dir.Write("k.pem", "x"), roles = dir.Write("roles", ""),
                    tokens = dir.Write("tokens", "");
  auto tls =
      Parse({"--state-dir", "/tmp/x", "--zookeeper", "zk1:2181", "--config",
             dir.Write("tls.yaml", "gale.auth.mode: tls\ngale.tls.ca: " + ca +
                                       "\ngale.tls.cert: " + cert + "\ngale.tls.key: " + key +
                                       "\ngale.auth.roles: " + roles + "\n")});
  REQUIRE(tls.ok());
  CHECK(tls->peer_auth.mode == rpc::AuthMode::kTls);
  CHECK(tls->peer_auth.cert == cert);
  CHECK(tls->peer_auth.key == key);
  const std::string token_keys = "gale.auth.mode: token\ngale.tls.ca: " + ca +
                                 "\ngale.tls.cert: " + cert + "\ngale.tls.key: " + key +
                                 "\ngale.auth.tokens: " + tokens + "\n";
  CHECK_THAT(ErrorOf(Parse({"--state-dir", "/tmp/x", "--zookeeper", "zk1:2181", "--config",
                            dir.Write("token.yaml", token_keys)})),
             Catch::Contains("with nimbus.zookeeper.servers (HA) and gale.auth.mode token, the "
                             "nimbuses call each other as clients") &&
                 Catch::Contains("needs 'gale.auth.user' and 'gale.auth.token'"));
  auto token = Parse({"--state-dir", "/tmp/x", "--zookeeper", "zk1:2181", "--config",
                      dir.Write("node.yaml", token_keys + "gale.auth.user: node\ngale.auth.token: "
                                                          "0123456789abcdef\n")});
  REQUIRE(token.ok());
  CHECK(token->peer_auth.mode == rpc::AuthMode::kToken);
  CHECK(token->peer_auth.user == "node");
  // One nimbus needs no client keys.
  auto one = Parse({"--state-dir", "/tmp/x", "--config", dir.path() + "/token.yaml"});
  REQUIRE(one.ok());
  CHECK(one->peer_auth.mode == rpc::AuthMode::kNone);
}

TEST_CASE("Nimbus's auth keys are checked at start", "[nimbus][auth]") {
  TempDir dir;
  CHECK_THAT(ErrorOf(Parse({"--state-dir", "/tmp/x", "--config",
                            dir.Write("a.yaml", "gale.auth.mode: kerberos\n")})),
             Catch::Contains("'gale.auth.mode' must be none, tls or token, not 'kerberos'"));
  CHECK_THAT(ErrorOf(Parse({"--state-dir", "/tmp/x", "--config",
                            dir.Write("b.yaml", "gale.auth.mode: tls\n")})),
             Catch::Contains("gale.auth.mode tls needs 'gale.tls.ca'"));
  CHECK_THAT(
      ErrorOf(Parse({"--state-dir", "/tmp/x", "--config",
                     dir.Write("c.yaml", "gale.auth.mode: token\ngale.tls.ca: nope.pem\n")})),
      Catch::Contains("'gale.tls.ca' names '" + dir.path() + "/nope.pem', which cannot be read"));
}

}  // namespace
}  // namespace gale::nimbus
