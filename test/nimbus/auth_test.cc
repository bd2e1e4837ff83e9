// The pieces of authentication without a network: the tokens and roles
// files, token checks, the roles' rights, the loopback rule, client keys.
#include "thrift/auth.h"
#include "nimbus/thrift_handler.h"

#include <catch2/catch.hpp>

#include <cstdlib>

#include "test/support/process.h"
#include "test/support/result_errors.h"

namespace gale::nimbus {
namespace {

using gale::testing::ErrorOf;
using gale::testing::TempDir;
using rpc::Role;
using Op = NimbusHandler::Op;

TEST_CASE("Tokens and roles files are read, and bad lines name the file and line",
          "[nimbus][auth]") {
  TempDir dir;
  const std::string tokens = dir.Write("tokens",
                                       "# user role token\n"
                                       "alice submitter 0123456789abcdef0123\n"
                                       "\n"
                                       "bob reader fedcba9876543210fedc  # a comment\n");
  const std::string roles = dir.Write("roles", "gale-node node\nroot admin\n");
  auto t = rpc::AuthTable::Load(tokens, roles);
  REQUIRE(t.ok());
  auto alice = t->CheckToken("alice", "0123456789abcdef0123");
  REQUIRE(alice);
  CHECK(alice->name == "alice");
  CHECK(alice->role == Role::kSubmitter);
  CHECK(alice->how == "token");
  CHECK_FALSE(t->CheckToken("alice", "0123456789abcdef0124"));
  CHECK_FALSE(t->CheckToken("alice", "0123456789abcdef012"));
  CHECK_FALSE(t->CheckToken("alice", ""));
  CHECK_FALSE(t->CheckToken("mallory", "0123456789abcdef0123"));
  CHECK(t->CertRole("gale-node") == Role::kNode);
  CHECK(t->CertRole("root") == Role::kAdmin);
  CHECK(t->CertRole("alice") == Role::kNone);

  CHECK_THAT(ErrorOf(rpc::AuthTable::Load(dir.Write("t1", "carol king 0123456789abcdef0\n"), "")),
             Catch::Contains("t1:1: unknown role 'king' (admin, submitter, reader or node)"));
  CHECK_THAT(ErrorOf(rpc::AuthTable::Load(dir.Write("t2", "\ncarol reader\n"), "")),
             Catch::Contains("t2:2: expected 'user role token'"));
  CHECK_THAT(ErrorOf(rpc::AuthTable::Load(dir.Write("t3", "carol reader short\n"), "")),
             Catch::Contains("t3:1: the token of 'carol' is shorter than 16 characters"));
  CHECK_THAT(ErrorOf(rpc::AuthTable::Load(
                 dir.Write("t4", "a reader 0123456789abcdef\na admin 0123456789abcdef\n"), "")),
             Catch::Contains("t4:2: 'a' is listed twice"));
  CHECK_THAT(ErrorOf(rpc::AuthTable::Load("", dir.Write("r1", "x admin extra\n"))),
             Catch::Contains("r1:1: expected 'name role'"));
  CHECK_THAT(ErrorOf(rpc::AuthTable::Load(dir.path() + "/none", "")),
             Catch::Contains("cannot read '" + dir.path() + "/none'"));
}

TEST_CASE("Each role may make exactly its calls", "[nimbus][auth]") {
  struct Row {
    Role role;
    bool read, upload, submit, modify, daemon, replicate;
  };
  // A node (another nimbus, with the cluster's keys) may copy plugins to a
  // follower, not upload them to the leader.
  for (const Row& r : {Row{Role::kAdmin, true, true, true, true, true, true},
                       Row{Role::kSubmitter, true, true, true, true, false, true},
                       Row{Role::kReader, true, false, false, false, false, false},
                       Row{Role::kNode, true, false, false, false, true, true},
                       Row{Role::kNone, false, false, false, false, false, false}}) {
    CAPTURE(rpc::RoleName(r.role));
    CHECK(NimbusHandler::Allowed(r.role, Op::kRead) == r.read);
    CHECK(NimbusHandler::Allowed(r.role, Op::kUpload) == r.upload);
    CHECK(NimbusHandler::Allowed(r.role, Op::kSubmit) == r.submit);
    CHECK(NimbusHandler::Allowed(r.role, Op::kModify) == r.modify);
    CHECK(NimbusHandler::Allowed(r.role, Op::kDaemon) == r.daemon);
    CHECK(NimbusHandler::Allowed(r.role, Op::kReplicate) == r.replicate);
  }
}

TEST_CASE("Loopback addresses are told from the others", "[nimbus][auth]") {
  for (const char* h : {"127.0.0.1", "127.255.0.9", "::1", "localhost"}) {
    CAPTURE(h);
    CHECK(rpc::IsLoopbackHost(h));
  }
  for (const char* h : {"0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "example.com", ""}) {
    CAPTURE(h);
    CHECK_FALSE(rpc::IsLoopbackHost(h));
  }
}

TEST_CASE("Client auth keys: paths from the file's folder, the environment over the file",
          "[nimbus][auth]") {
  TempDir dir;
  for (const char* f : {"ca.pem", "me.pem", "me.key"}) dir.Write(f, "x");
  Config c;
  c.Set("gale.auth.mode", Value(std::string("tls")));
  c.Set("gale.tls.ca", Value(std::string("ca.pem")));
  c.Set("gale.tls.cert", Value(std::string("me.pem")));
  c.Set("gale.tls.key", Value(std::string("me.key")));
  auto a = rpc::ClientAuthFromConfig(c, dir.path() + "/client.yaml");
  REQUIRE(a.ok());
  CHECK(a->mode == rpc::AuthMode::kTls);
  CHECK(a->ca == dir.path() + "/ca.pem");
  CHECK(a->key == dir.path() + "/me.key");

  ::setenv("GALE_AUTH_MODE", "token", 1);
  CHECK_THAT(ErrorOf(rpc::ClientAuthFromConfig(c, dir.path() + "/client.yaml")),
             Catch::Contains("gale.auth.mode token needs 'gale.auth.user' and 'gale.auth.token'"));
  ::setenv("GALE_AUTH_USER", "alice", 1);
  ::setenv("GALE_AUTH_TOKEN", "0123456789abcdef", 1);
  a = rpc::ClientAuthFromConfig(c, dir.path() + "/client.yaml");
  REQUIRE(a.ok());
  CHECK(a->mode == rpc::AuthMode::kToken);
  CHECK(a->user == "alice");
  ::setenv("GALE_AUTH_MODE", "kerberos", 1);
  CHECK_THAT(ErrorOf(rpc::ClientAuthFromConfig(c, "x.yaml")),
             Catch::Contains("$GALE_AUTH_MODE: 'gale.auth.mode' must be none, tls or token"));
  for (const char* v : {"GALE_AUTH_MODE", "GALE_AUTH_USER", "GALE_AUTH_TOKEN"}) ::unsetenv(v);
}

}  // namespace
}  // namespace gale::nimbus
