// Authentication and roles on a real cluster on loopback (issue 18): keys
// made by `gale auth init`, nimbus over mutual TLS and over TLS with tokens,
// supervisors and workers authenticating as the node identity, users with
// roles driving it with `gale --auth`. Refused calls and broken connections
// (expired certificate, unknown CA, wrong token, TLS against plaintext and
// the other way round) give the client a clear error, nimbus one log line,
// and nimbus goes on serving the others.
#include "thrift/auth.h"
#include "test/support/cluster.h"
#include "test/support/gale_output.h"
#include "thrift/client.h"

#include <catch2/catch.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <tuple>

namespace gale::testing {
namespace {

using std::chrono::seconds;

// `gale auth ARGS`; REQUIREs success.
void GaleAuth(const std::vector<std::string>& args) {
  std::vector<std::string> argv{BinDir() + "/gale", "auth"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = RunProcess(argv, seconds(30));
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
}

std::string WordCount(const TempDir& dir, const std::string& name = "wordcount") {
  return dir.Write(name + ".yaml", "name: " + name + "\nincludes: [ { file: " + SourceDir() +
                                       "/topologies/wordcount/wordcount.yaml } ]\n"
                                       "config: { topology.workers: 2 }\n"
                                       "spouts:\n"
                                       "  - { id: sentences, className: SentenceSpout, config: { "
                                       "sentences.loop: false } }\n"
                                       "bolts:\n"
                                       "  - id: report\n"
                                       "    className: ReportBolt\n"
                                       "    config: { report.file: " +
                                       dir.path() + "/" + name +
                                       ".txt, topology.tick.tuple.freq.secs: 1 }\n");
}

std::string Exclamation(const TempDir& dir) {
  return dir.Write("exclamation.yaml", "name: exclamation\nincludes: [ { file: " + SourceDir() +
                                           "/topologies/exclamation/exclamation.yaml } ]\n");
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A cluster whose nimbus and supervisors read `keys`/cluster.yaml, and whose
// `gale` calls are root's (an admin) unless a test passes its own --auth.
struct SecureCluster {
  explicit SecureCluster(const std::string& keys, int supervisors)
      : cluster(supervisors, 2, {"--config", keys + "/cluster.yaml"},
                {"--config", keys + "/cluster.yaml"}, {"--auth", keys + "/root.yaml"}) {}
  std::string NimbusLog() const { return ReadFile(cluster.dir().path() + "/nimbus.log"); }
  // Another client still gets answers.
  bool StillServes() { return cluster.Gale({"list"}).exit_code == 0; }
  TestCluster cluster;
};

TEST_CASE("gale auth init makes a CA, node and user keys (0600) and the config lines",
          "[integration][auth]") {
  TempDir dir;
  const std::string keys = dir.path() + "/keys";
  auto r = RunProcess({BinDir() + "/gale", "auth", "init", keys, "--user", "alice:submitter",
                       "--user", "bob:reader"},
                      seconds(30));
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("gale.auth.mode: tls") != std::string::npos);
  CHECK(r.out.find("gale.tls.ca: " + keys + "/ca.pem") != std::string::npos);
  for (const char* secret :
       {"ca.key", "node.key", "alice.key", "bob.key", "tokens", "alice.yaml", "cluster.yaml"}) {
    struct stat st;
    REQUIRE(::stat((keys + "/" + secret).c_str(), &st) == 0);
    CAPTURE(secret);
    CHECK((st.st_mode & 0777) == 0600);
  }
  const std::string tokens = ReadFile(keys + "/tokens");
  CHECK(tokens.find("alice submitter ") != std::string::npos);
  CHECK(tokens.find("bob reader ") != std::string::npos);
  CHECK(ReadFile(keys + "/roles").find("gale-node node") != std::string::npos);
  // The tokens file is what nimbus reads.
  auto table = rpc::AuthTable::Load(keys + "/tokens", keys + "/roles");
  REQUIRE(table.ok());
  CHECK(table->CertRole("alice") == rpc::Role::kSubmitter);
  CHECK(table->CertRole("mallory") == rpc::Role::kNone);

  // Bad input: a second init into the same folder, an unknown role, a bad name.
  r = RunProcess({BinDir() + "/gale", "auth", "init", keys}, seconds(30));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("already has a CA") != std::string::npos);
  r = RunProcess({BinDir() + "/gale", "auth", "user", keys, "carol", "king"}, seconds(30));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("unknown role 'king' (admin, submitter, reader or node)") != std::string::npos);
  r = RunProcess({BinDir() + "/gale", "auth", "user", keys, "../x", "admin"}, seconds(30));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("user name '../x'") != std::string::npos);
}

TEST_CASE("Mutual TLS: word count runs, roles and owners are enforced, refusals are logged",
          "[integration][auth]") {
  TempDir dir;
  const std::string keys = dir.path() + "/keys";
  GaleAuth({"init", keys, "--user", "alice:submitter", "--user", "carol:submitter", "--user",
            "bob:reader", "--user", "root:admin"});
  SecureCluster secure(keys, 2);
  TestCluster& cluster = secure.cluster;
  INFO(cluster.Logs());
  const std::string alice = keys + "/alice.yaml", bob = keys + "/bob.yaml",
                    carol = keys + "/carol.yaml";

  // Alice submits; the supervisors and workers (node certificate) run it.
  auto r = cluster.Gale({"submit", WordCount(cluster.dir()), "--auth", alice});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto expected =
      CountWords(ReadFile(SourceDir() + "/topologies/wordcount/data/sentences.txt"));
  CHECK(WaitFor([&] { return ReadReport(cluster.dir().path() + "/wordcount.txt") == expected; },
                seconds(60)));
  r = cluster.Gale({"list", "--json", "--auth", bob});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("\"owner\":\"alice\"") != std::string::npos);

  // A reader may read, not kill.
  r = cluster.Gale({"info", "wordcount", "--auth", bob});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("\nowner: alice\n") != std::string::npos);
  r = cluster.Gale({"kill", "wordcount", "--auth", bob});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("nimbus refused: user 'bob' (role reader) may not kill topology 'wordcount'") !=
        std::string::npos);
  CHECK(secure.NimbusLog().find("user 'bob' (role reader) may not kill topology 'wordcount'") !=
        std::string::npos);
  // A reader's plugin upload is refused (nimbus lacks exclamation's plugin).
  r = cluster.Gale({"submit", Exclamation(cluster.dir()), "--auth", bob});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("user 'bob' (role reader) may not upload plugins") != std::string::npos);
  CHECK(secure.NimbusLog().find("user 'bob' (role reader) may not upload plugins") !=
        std::string::npos);
  // Nor submit a YAML file through nimbus (the clients' way).
  rpc::SetClientAuth(rpc::ClientAuth{rpc::AuthMode::kTls, keys + "/ca.pem", keys + "/bob.pem",
                                     keys + "/bob.key", "", ""});
  {
    auto hp = rpc::ParseHostPort(cluster.nimbus());
    REQUIRE(hp.ok());
    auto conn = rpc::NimbusConnection::Connect(*hp, seconds(10));
    REQUIRE(conn.ok());
    thrift::YamlTopologyRequest request;
    request.file = "/x/wc.yaml";
    thrift::YamlTopologyPlan plan;
    const Status s = (*conn)->Call([&](auto& n) { n.planYamlTopology(plan, request); });
    CHECK(s.message() ==
          "nimbus refused: user 'bob' (role reader) may not submit topology file '/x/wc.yaml'");
  }
  rpc::SetClientAuth(rpc::ClientAuth{});
  // Another submitter may not touch alice's topology.
  for (const std::string verb : {"kill", "deactivate", "rebalance"}) {
    r = cluster.Gale({verb, "wordcount", "--auth", carol});
    CAPTURE(verb);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("user 'carol' (role submitter) may not " + verb +
                     " topology 'wordcount': it belongs to 'alice'") != std::string::npos);
  }
  // A plaintext client on the TLS port: a clear error, one log line.
  r = RunProcess({BinDir() + "/gale", "list", "--nimbus", cluster.nimbus()}, seconds(30));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("nimbus closed the connection: if it requires TLS") != std::string::npos);
  CHECK(WaitFor([&] { return Count(secure.NimbusLog(), "dropped connection from") == 1; },
                seconds(5)));
  CHECK(secure.StillServes());

  // The owner may, and an admin may everything.
  CHECK(cluster.Gale({"deactivate", "wordcount", "--auth", alice}).exit_code == 0);
  CHECK(cluster.Gale({"activate", "wordcount"}).exit_code == 0);
  r = cluster.Gale({"kill", "wordcount", "--wait", "0", "--auth", alice});
  CHECK(r.exit_code == 0);
}

TEST_CASE("Tokens: TLS with nimbus's certificate, then authenticate(user, token)",
          "[integration][auth]") {
  TempDir dir;
  const std::string keys = dir.path() + "/keys";
  GaleAuth({"init", keys, "--mode", "token", "--user", "alice:submitter", "--user", "bob:reader",
            "--user", "root:admin"});
  SecureCluster secure(keys, 1);
  TestCluster& cluster = secure.cluster;
  INFO(cluster.Logs());
  const std::string alice = keys + "/alice.yaml";
  CHECK(ReadFile(alice).find("gale.auth.token: ") != std::string::npos);

  // Supervisors and workers authenticate with the node token.
  auto r = cluster.Gale({"submit", WordCount(cluster.dir()), "--auth", alice});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto expected =
      CountWords(ReadFile(SourceDir() + "/topologies/wordcount/data/sentences.txt"));
  CHECK(WaitFor([&] { return ReadReport(cluster.dir().path() + "/wordcount.txt") == expected; },
                seconds(60)));
  r = cluster.Gale({"kill", "wordcount", "--auth", keys + "/bob.yaml"});
  CHECK(r.err.find("user 'bob' (role reader) may not kill topology 'wordcount'") !=
        std::string::npos);

  // A wrong token: refused, logged once, and nimbus serves others.
  r = RunProcess({BinDir() + "/gale", "list", "--nimbus", cluster.nimbus(), "--auth", alice},
                 seconds(30), {{"GALE_AUTH_TOKEN", "0123456789abcdef0123456789abcdef"}});
  CHECK(r.exit_code == 1);
  CHECK(
      r.err.find("nimbus refused: authentication failed for user 'alice' (wrong user or token)") !=
      std::string::npos);
  CHECK(Count(secure.NimbusLog(), "authentication failed for user 'alice'") == 1);
  CHECK(secure.StillServes());
  // An unknown user reads the same.
  r = RunProcess({BinDir() + "/gale", "list", "--nimbus", cluster.nimbus(), "--auth", alice},
                 seconds(30), {{"GALE_AUTH_USER", "mallory"}});
  CHECK(r.err.find("authentication failed for user 'mallory' (wrong user or token)") !=
        std::string::npos);

  // A TLS connection that never authenticates may call nothing.
  rpc::ClientAuth none;
  none.mode = rpc::AuthMode::kTls;  // nimbus's certificate checked, no client certificate
  none.ca = keys + "/ca.pem";
  rpc::SetClientAuth(none);
  auto hp = rpc::ParseHostPort(cluster.nimbus());
  REQUIRE(hp.ok());
  auto conn = rpc::NimbusConnection::Connect(*hp, seconds(10));
  REQUIRE(!conn.ok());
  CHECK(conn.status().message() ==
        "nimbus refused: not authenticated: nimbus runs with gale.auth.mode token; call "
        "authenticate(user, token) first, or connect with a certificate");
  rpc::SetClientAuth(rpc::ClientAuth{});
  CHECK(secure.NimbusLog().find("refused from 127.0.0.1:") != std::string::npos);
  CHECK(secure.StillServes());
  CHECK(cluster.Gale({"kill", "wordcount", "--wait", "0", "--auth", alice}).exit_code == 0);
}

// A plain TCP connection to nimbus (127.0.0.1:port), its reads bounded by
// `timeout_s`; REQUIREs that it connects.
int ConnectTo(const std::string& nimbus, int timeout_s) {
  auto hp = rpc::ParseHostPort(nimbus);
  REQUIRE(hp.ok());
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(hp->port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  timeval tv{timeout_s, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

TEST_CASE("Bad certificates and mismatched transports: a clear error, a log line, service goes on",
          "[integration][auth]") {
  TempDir dir;
  const std::string keys = dir.path() + "/keys", other = dir.path() + "/other";
  GaleAuth({"init", keys, "--user", "root:admin", "--user", "alice:submitter"});
  GaleAuth({"user", keys, "old", "submitter", "--days", "-1"});  // expired yesterday
  GaleAuth({"init", other, "--user", "root:admin"});             // another CA
  SecureCluster secure(keys, 0);
  TestCluster& cluster = secure.cluster;
  INFO(cluster.Logs());
  const auto dropped = [&] { return Count(secure.NimbusLog(), "dropped connection from"); };

  SECTION("an expired certificate") {
    auto r = cluster.Gale({"list", "--auth", keys + "/old.yaml"});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("certificate expired") != std::string::npos);
    CHECK(WaitFor([&] { return dropped() == 1; }, seconds(5)));
    CHECK(secure.NimbusLog().find("(client certificate: certificate has expired)") !=
          std::string::npos);
  }
  SECTION("an expired certificate, from a client that sends its first request late") {
    // TLS 1.3: the client's handshake ends before nimbus checks its
    // certificate. Nimbus reads on after its alert, so a client whose
    // request comes after nimbus gave up still reads why, not a reset.
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    REQUIRE(SSL_CTX_load_verify_locations(ctx, (keys + "/ca.pem").c_str(), nullptr) == 1);
    REQUIRE(SSL_CTX_use_certificate_file(ctx, (keys + "/old.pem").c_str(), SSL_FILETYPE_PEM) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey_file(ctx, (keys + "/old.key").c_str(), SSL_FILETYPE_PEM) == 1);
    const int fd = ConnectTo(cluster.nimbus(), 30);
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    REQUIRE(SSL_connect(ssl) == 1);
    // Nimbus has refused the certificate and sent its alert.
    CHECK(WaitFor([&] { return dropped() == 1; }, seconds(5)));
    const char request[] = "\0\0\0\x0c\x80\x01\0\x01\0\0\0\0\0\0\0\0";
    ERR_clear_error();
    // A reset connection fails the write (a failed check), not this process
    // (SIGPIPE would leave the cluster's daemons running).
    const auto old_sigpipe = std::signal(SIGPIPE, SIG_IGN);
    int n = SSL_write(ssl, request, sizeof request - 1);
    if (n > 0) {
      char reply[64];
      n = SSL_read(ssl, reply, sizeof reply);
    }
    std::signal(SIGPIPE, old_sigpipe);
    CHECK(n <= 0);
    CHECK(SSL_get_error(ssl, n) == SSL_ERROR_SSL);
    char reason[256];
    ERR_error_string_n(ERR_peek_error(), reason, sizeof reason);
    CHECK(std::string(reason).find("certificate expired") != std::string::npos);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    ::close(fd);
  }
  SECTION("a certificate of another CA") {
    auto r = cluster.Gale({"list", "--auth", other + "/root.yaml"});
    CHECK(r.exit_code == 1);
    // The client does not trust nimbus's certificate either.
    CHECK(r.err.find("certificate verify failed") != std::string::npos);
    CHECK(r.err.find("the TLS handshake failed") != std::string::npos);
    CHECK(WaitFor([&] { return dropped() == 1; }, seconds(5)));
  }
  SECTION("another CA's client certificate, trusting nimbus's CA") {
    const std::string mixed =
        dir.Write("mixed.yaml", "gale.auth.mode: tls\ngale.tls.ca: " + keys +
                                    "/ca.pem\ngale.tls.cert: " + other +
                                    "/root.pem\ngale.tls.key: " + other + "/root.key\n");
    auto r = cluster.Gale({"list", "--auth", mixed});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("lost nimbus") != std::string::npos);
    CHECK(WaitFor([&] { return dropped() == 1; }, seconds(5)));
    CHECK(secure.NimbusLog().find("certificate verify failed") != std::string::npos);
  }
  SECTION("a client that connects and never starts its handshake") {
    // OpenSSL's handshake would wait for it for ever; nimbus closes it after
    // its idle time (15 s), as it does on its plaintext port.
    const int fd = ConnectTo(cluster.nimbus(), 60);
    char byte;
    CHECK(::recv(fd, &byte, 1, 0) == 0);  // end of file, not the 60 s timeout
    ::close(fd);
    CHECK(secure.NimbusLog().find("no request for 15 s") != std::string::npos);
  }
  SECTION("a certificate nimbus's roles do not list") {
    GaleAuth({"user", keys, "late", "submitter"});  // after nimbus read its roles
    auto r = cluster.Gale({"list", "--auth", keys + "/late.yaml"});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("certificate 'late' has no role") != std::string::npos);
  }
  CHECK(secure.StillServes());
  CHECK(cluster.nimbus_daemon().Running());
}

TEST_CASE("A TLS client against a plaintext nimbus: a clear error, a log line, service goes on",
          "[integration][auth]") {
  TempDir dir;
  const std::string keys = dir.path() + "/keys";
  GaleAuth({"init", keys, "--user", "root:admin"});
  TestCluster cluster(0, 1);
  INFO(cluster.Logs());
  auto r = cluster.Gale({"list", "--auth", keys + "/root.yaml"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("the TLS handshake failed: is nimbus serving TLS") != std::string::npos);
  const std::string log = cluster.dir().path() + "/nimbus.log";
  CHECK(WaitFor([&] { return Count(ReadFile(log), "dropped connection from") == 1; }, seconds(5)));
  CHECK(ReadFile(log).find("(a TLS client on this plaintext port?)") != std::string::npos);
  CHECK(cluster.Gale({"list"}).exit_code == 0);
}

// curl -s [-X POST] [-H HEADER] URL: the status code and the body.
std::pair<int, std::string> Curl(const TempDir& dir, const std::string& url,
                                 const std::string& method = "GET",
                                 const std::string& header = "") {
  std::vector<std::string> argv{"curl", "-s",           "-m", "20",  "-o", dir.path() + "/body",
                                "-w",   "%{http_code}", "-X", method};
  if (!header.empty()) argv.insert(argv.end(), {"-H", header});
  argv.push_back(url);
  auto r = RunProcess(argv, seconds(30));
  return {r.out.empty() ? 0 : std::atoi(r.out.c_str()), ReadFile(dir.path() + "/body")};
}

// The token of `user` in a tokens file.
std::string TokenOf(const std::string& tokens, const std::string& user) {
  std::istringstream in(ReadFile(tokens));
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string name, role, token;
    if (words >> name >> role >> token && name == user) return token;
  }
  return "";
}

TEST_CASE("The UI reads with its node certificate, and a POST needs a submitter or admin token",
          "[integration][auth]") {
  TempDir dir;
  const std::string keys = dir.path() + "/keys";
  GaleAuth(
      {"init", keys, "--user", "alice:submitter", "--user", "bob:reader", "--user", "root:admin"});
  SecureCluster secure(keys, 1);
  TestCluster& cluster = secure.cluster;
  const int port = FreePort();
  Daemon ui({BinDir() + "/gale-ui", "--config", keys + "/cluster.yaml", "--nimbus",
             cluster.nimbus(), "--port", std::to_string(port)},
            cluster.dir().path() + "/ui.log");
  INFO(cluster.Logs() << "--- ui\n" << ui.Log());
  const std::string base = "http://127.0.0.1:" + std::to_string(port) + "/api/v1/";
  REQUIRE(WaitFor([&] { return Curl(dir, base + "cluster/summary").first == 200; }, seconds(20)));
  auto r = cluster.Gale(
      {"submit", WordCount(cluster.dir()), "--inactive", "--auth", keys + "/alice.yaml"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  auto [status, body] = Curl(dir, base + "topology/summary");
  REQUIRE(status == 200);
  const auto at = body.find("wordcount-");
  REQUIRE(at != std::string::npos);
  const std::string id = body.substr(at, body.find('"', at) - at);
  const std::string activate = base + "topology/" + id + "/activate";

  std::tie(status, body) = Curl(dir, activate, "POST");
  CHECK(status == 401);
  CHECK(body.find("a POST needs the header 'Authorization: Bearer USER:TOKEN'") !=
        std::string::npos);
  std::tie(status, body) =
      Curl(dir, activate, "POST", "Authorization: Bearer bob:" + TokenOf(keys + "/tokens", "bob"));
  CHECK(status == 403);
  CHECK(body.find("user 'bob' (role reader) may not activate topology 'wordcount'") !=
        std::string::npos);
  std::tie(status, body) =
      Curl(dir, activate, "POST", "Authorization: Bearer alice:0123456789abcdef0123456789abcdef");
  CHECK(status == 401);
  CHECK(body.find("authentication failed for user 'alice'") != std::string::npos);
  std::tie(status, body) = Curl(
      dir, activate, "POST", "Authorization: Bearer alice:" + TokenOf(keys + "/tokens", "alice"));
  CHECK(status == 200);
  CHECK(WaitFor([&] { return cluster.Gale({"list"}).out.find("ACTIVE") != std::string::npos; },
                seconds(10)));
  CHECK(ui.Stop() == 0);
}

TEST_CASE("Nimbus and the UI refuse a non-loopback address without authentication",
          "[integration][auth]") {
  TempDir dir;
  const std::vector<std::vector<std::string>> commands = {
      {BinDir() + "/gale-nimbus", "--host", "0.0.0.0", "--state-dir", dir.path() + "/s", "--port",
       std::to_string(FreePort())},
      {BinDir() + "/gale-ui", "--host", "0.0.0.0", "--port", std::to_string(FreePort())}};
  for (const auto& command : commands) {
    auto r = RunProcess(command, seconds(30));
    const std::string& program = command[0];
    CAPTURE(program, r.out, r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("refusing to listen on '0.0.0.0' (not a loopback address) without "
                     "authentication") != std::string::npos);
    CHECK(r.err.find("gale.auth.insecure.allow: true") != std::string::npos);
  }
}

}  // namespace
}  // namespace gale::testing
