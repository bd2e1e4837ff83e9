// thrift/auth.h
//
// Authentication settings shared by nimbus and its clients (thrift/README.md,
// "Authentication"; the keys in nimbus/README.md):
//
//   gale.auth.mode      none | tls | token
//   gale.tls.ca         the cluster CA (PEM) both sides trust
//   gale.tls.cert/key   this side's certificate and key (PEM)
//   gale.auth.user      token form: the user a client authenticates as
//   gale.auth.token     token form: its token (or gale.auth.token.file)
//   gale.auth.tokens    nimbus: the tokens file, lines "user role token"
//   gale.auth.roles     nimbus: roles of certificate names, lines "cn role"
//
// Clients (the `gale` command, supervisors, workers, the UI) connect with the
// process's ClientAuth: SetClientAuth() if the program called it, else the
// GALE_AUTH_* / GALE_TLS_* environment (ExportClientAuth writes it, so a
// supervisor's workers inherit the supervisor's settings).
//
// No Thrift or OpenSSL headers here. Threading: SetClientAuth before any
// connection; the rest is plain data.
#pragma once

#include "core/common/result.h"

#include <gale/config.h>

#include <map>
#include <optional>
#include <string>

namespace gale::rpc {

enum class AuthMode { kNone, kTls, kToken };
const char* AuthModeName(AuthMode m);

enum class Role { kNone, kReader, kSubmitter, kNode, kAdmin };
const char* RoleName(Role r);
// "admin", "submitter", "reader", "node"; nullopt for anything else.
std::optional<Role> ParseRole(const std::string& text);

// What a client connects with.
struct ClientAuth {
  AuthMode mode = AuthMode::kNone;
  std::string ca, cert, key;  // tls: all three; token: ca only
  std::string user, token;    // token (and optionally tls, to act as a user)
};

// The gale.auth.* and gale.tls.* keys of `file` (named `where` in errors),
// then the environment over them (GALE_AUTH_MODE, GALE_TLS_CA, GALE_TLS_CERT,
// GALE_TLS_KEY, GALE_AUTH_USER, GALE_AUTH_TOKEN). Relative paths are taken
// from the file's folder. Errors name the key and say what is missing.
Result<ClientAuth> ClientAuthFromConfig(const Config& file, const std::string& where);
// The same from a YAML file (`gale --auth FILE`).
Result<ClientAuth> ClientAuthFromFile(const std::string& path);

// The auth every NimbusConnection::Connect of this process uses.
void SetClientAuth(const ClientAuth& auth);
// SetClientAuth's value, else the environment's (checked once; an error
// there is reported by the first Connect).
Result<ClientAuth> CurrentClientAuth();
// Writes `auth` to the environment, for child processes.
void ExportClientAuth(const ClientAuth& auth);

// What nimbus (and the UI) serve with.
struct ServerAuth {
  AuthMode mode = AuthMode::kNone;
  std::string ca, cert, key;
  std::string tokens_file, roles_file;
  bool insecure_allow = false;  // gale.auth.insecure.allow
};
Result<ServerAuth> ServerAuthFromConfig(const Config& file, const std::string& where);

// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(const std::string& host);
// Secure by default: an error when `host` is not loopback, there is no
// authentication and no explicit opt-out; it says how to configure either.
Status CheckListenAllowed(const std::string& host, const ServerAuth& auth);

// Who a connection is.
struct Identity {
  std::string name;  // the user or certificate CN
  Role role = Role::kNone;
  std::string how;  // "certificate", "token", "no authentication"
};

// The tokens and roles files, loaded once at start.
class AuthTable {
 public:
  // Lines "user role token" and "cn role"; '#' starts a comment. Errors name
  // the file and line (an unknown role, a missing field, a repeated name, a
  // token shorter than 16 characters).
  static Result<AuthTable> Load(const std::string& tokens_file, const std::string& roles_file);

  // The identity for (user, token), compared in constant time; nullopt for
  // an unknown user or wrong token alike.
  std::optional<Identity> CheckToken(const std::string& user, const std::string& token) const;
  // The role of a certificate's CN; kNone when the roles file lacks it.
  Role CertRole(const std::string& cn) const;
  bool has_tokens() const { return !tokens_.empty(); }

 private:
  struct Entry {
    Role role;
    std::string token;
  };
  std::map<std::string, Entry> tokens_;
  std::map<std::string, Role> cert_roles_;
};

// Reads "name role [token]" lines; exposed for tests.
Result<std::map<std::string, std::pair<Role, std::string>>> ParseAuthFile(const std::string& path,
                                                                          bool with_token);

}  // namespace gale::rpc
