#include "thrift/auth.h"

#include "core/topology/cluster_config.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>

namespace gale::rpc {
namespace {

std::string Trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::string Folder(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

// An absolute path (workers run in folders of their own).
std::string Absolute(const std::string& p) {
  if (p.empty() || p[0] == '/') return p;
  char cwd[4096];
  if (!::getcwd(cwd, sizeof cwd)) return p;
  return std::string(cwd) + "/" + p;
}

// A path from a config file, relative to the file's folder.
std::string PathKey(const Config& file, const std::string& where, const std::string& key) {
  std::string v = file.GetString(key, "");
  if (!v.empty() && v[0] != '/') v = Folder(where) + v;
  return Absolute(v);
}

Result<AuthMode> ParseMode(const std::string& text, const std::string& source) {
  if (text.empty() || text == "none") return AuthMode::kNone;
  if (text == "tls") return AuthMode::kTls;
  if (text == "token") return AuthMode::kToken;
  return Status::InvalidArgument(source + " 'gale.auth.mode' must be none, tls or token, not '" +
                                 text + "'");
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

Status NeedFile(const std::string& path, const std::string& key, const std::string& why,
                const std::string& where) {
  if (path.empty()) {
    return Status::InvalidArgument(where + ": gale.auth.mode " + why + " needs '" + key +
                                   "' (see `gale auth init`)");
  }
  std::ifstream in(path);
  if (!in) {
    return Status::InvalidArgument(where + ": '" + key + "' names '" + path +
                                   "', which cannot be read");
  }
  return Status::Ok();
}

std::mutex g_mu;
std::optional<ClientAuth> g_auth;

}  // namespace

const char* AuthModeName(AuthMode m) {
  switch (m) {
    case AuthMode::kTls: return "tls";
    case AuthMode::kToken: return "token";
    case AuthMode::kNone: break;
  }
  return "none";
}

const char* RoleName(Role r) {
  switch (r) {
    case Role::kReader: return "reader";
    case Role::kSubmitter: return "submitter";
    case Role::kNode: return "node";
    case Role::kAdmin: return "admin";
    case Role::kNone: break;
  }
  return "none";
}

std::optional<Role> ParseRole(const std::string& text) {
  if (text == "reader") return Role::kReader;
  if (text == "submitter") return Role::kSubmitter;
  if (text == "node") return Role::kNode;
  if (text == "admin") return Role::kAdmin;
  return std::nullopt;
}

Result<ClientAuth> ClientAuthFromConfig(const Config& file, const std::string& where) {
  ClientAuth a;
  std::string mode = file.GetString("gale.auth.mode", "");
  std::string mode_source = where;
  if (!Env("GALE_AUTH_MODE").empty()) {
    mode = Env("GALE_AUTH_MODE");
    mode_source = "$GALE_AUTH_MODE:";
  }
  GALE_ASSIGN_OR_RETURN(a.mode, ParseMode(mode, mode_source));
  a.ca = PathKey(file, where, "gale.tls.ca");
  a.cert = PathKey(file, where, "gale.tls.cert");
  a.key = PathKey(file, where, "gale.tls.key");
  a.user = file.GetString("gale.auth.user", "");
  a.token = file.GetString("gale.auth.token", "");
  if (a.token.empty()) {
    const std::string token_file = PathKey(file, where, "gale.auth.token.file");
    if (!token_file.empty()) {
      std::ifstream in(token_file);
      if (!in || !std::getline(in, a.token)) {
        return Status::InvalidArgument(where + ": 'gale.auth.token.file' names '" + token_file +
                                       "', which cannot be read");
      }
      a.token = Trim(a.token);
    }
  }
  if (!Env("GALE_TLS_CA").empty()) a.ca = Absolute(Env("GALE_TLS_CA"));
  if (!Env("GALE_TLS_CERT").empty()) a.cert = Absolute(Env("GALE_TLS_CERT"));
  if (!Env("GALE_TLS_KEY").empty()) a.key = Absolute(Env("GALE_TLS_KEY"));
  if (!Env("GALE_AUTH_USER").empty()) a.user = Env("GALE_AUTH_USER");
  if (!Env("GALE_AUTH_TOKEN").empty()) a.token = Env("GALE_AUTH_TOKEN");
  const std::string w = where.empty() ? "client auth" : where;
  if (a.mode == AuthMode::kNone) return a;
  GALE_RETURN_IF_ERROR(NeedFile(a.ca, "gale.tls.ca", AuthModeName(a.mode), w));
  if (a.mode == AuthMode::kTls) {
    GALE_RETURN_IF_ERROR(NeedFile(a.cert, "gale.tls.cert", "tls", w));
    GALE_RETURN_IF_ERROR(NeedFile(a.key, "gale.tls.key", "tls", w));
  } else if (a.user.empty() || a.token.empty()) {
    return Status::InvalidArgument(
        w +
        ": gale.auth.mode token needs 'gale.auth.user' and 'gale.auth.token' (or "
        "'gale.auth.token.file')");
  }
  return a;
}

Result<ClientAuth> ClientAuthFromFile(const std::string& path) {
  GALE_ASSIGN_OR_RETURN(const Config c, topology::LoadClusterConfig(path));
  return ClientAuthFromConfig(c, path);
}

void SetClientAuth(const ClientAuth& auth) {
  std::lock_guard lock(g_mu);
  g_auth = auth;
}

Result<ClientAuth> CurrentClientAuth() {
  {
    std::lock_guard lock(g_mu);
    if (g_auth) return *g_auth;
  }
  return ClientAuthFromConfig(Config(), "environment");
}

void ExportClientAuth(const ClientAuth& auth) {
  ::setenv("GALE_AUTH_MODE", AuthModeName(auth.mode), 1);
  auto set = [](const char* name, const std::string& v) {
    if (v.empty()) {
      ::unsetenv(name);
    } else {
      ::setenv(name, v.c_str(), 1);
    }
  };
  set("GALE_TLS_CA", auth.ca);
  set("GALE_TLS_CERT", auth.cert);
  set("GALE_TLS_KEY", auth.key);
  set("GALE_AUTH_USER", auth.user);
  set("GALE_AUTH_TOKEN", auth.token);
}

Result<ServerAuth> ServerAuthFromConfig(const Config& file, const std::string& where) {
  ServerAuth a;
  GALE_ASSIGN_OR_RETURN(a.mode, ParseMode(file.GetString("gale.auth.mode", ""), where));
  a.ca = PathKey(file, where, "gale.tls.ca");
  a.cert = PathKey(file, where, "gale.tls.cert");
  a.key = PathKey(file, where, "gale.tls.key");
  a.tokens_file = PathKey(file, where, "gale.auth.tokens");
  a.roles_file = PathKey(file, where, "gale.auth.roles");
  a.insecure_allow = file.GetBool("gale.auth.insecure.allow", false);
  if (a.mode == AuthMode::kNone) return a;
  const std::string m = AuthModeName(a.mode);
  GALE_RETURN_IF_ERROR(NeedFile(a.ca, "gale.tls.ca", m, where));
  GALE_RETURN_IF_ERROR(NeedFile(a.cert, "gale.tls.cert", m, where));
  GALE_RETURN_IF_ERROR(NeedFile(a.key, "gale.tls.key", m, where));
  if (a.mode == AuthMode::kTls) {
    GALE_RETURN_IF_ERROR(NeedFile(a.roles_file, "gale.auth.roles", m, where));
  } else {
    GALE_RETURN_IF_ERROR(NeedFile(a.tokens_file, "gale.auth.tokens", m, where));
  }
  return a;
}

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr v4;
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) { return (ntohl(v4.s_addr) >> 24) == 127; }
  return false;
}

Status CheckListenAllowed(const std::string& host, const ServerAuth& auth) {
  if (auth.mode != AuthMode::kNone || auth.insecure_allow || IsLoopbackHost(host)) {
    return Status::Ok();
  }
  return Status::InvalidArgument(
      "refusing to listen on '" + host +
      "' (not a loopback address) without authentication: anyone who reaches it could run code "
      "on the cluster. Create keys with `gale auth init DIR` and put the lines it prints in the "
      "config (gale.auth.mode: tls or token), or opt out explicitly with "
      "'gale.auth.insecure.allow: true'");
}

Result<std::map<std::string, std::pair<Role, std::string>>> ParseAuthFile(const std::string& path,
                                                                          bool with_token) {
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument("cannot read '" + path + "'");
  std::map<std::string, std::pair<Role, std::string>> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::string name, role, token, extra;
    if (!(words >> name)) continue;
    const std::string at = path + ":" + std::to_string(n) + ": ";
    const char* shape = with_token ? "'user role token'" : "'name role'";
    if (!(words >> role) || (with_token && !(words >> token)) || (words >> extra)) {
      return Status::InvalidArgument(at + "expected " + std::string(shape));
    }
    auto r = ParseRole(role);
    if (!r) {
      return Status::InvalidArgument(at + "unknown role '" + role +
                                     "' (admin, submitter, reader or node)");
    }
    if (with_token && token.size() < 16) {
      return Status::InvalidArgument(at + "the token of '" + name +
                                     "' is shorter than 16 characters");
    }
    if (!out.emplace(name, std::make_pair(*r, token)).second) {
      return Status::InvalidArgument(at + "'" + name + "' is listed twice");
    }
  }
  return out;
}

Result<AuthTable> AuthTable::Load(const std::string& tokens_file, const std::string& roles_file) {
  AuthTable t;
  if (!tokens_file.empty()) {
    GALE_ASSIGN_OR_RETURN(auto entries, ParseAuthFile(tokens_file, true));
    for (auto& [name, e] : entries) t.tokens_[name] = Entry{e.first, e.second};
  }
  if (!roles_file.empty()) {
    GALE_ASSIGN_OR_RETURN(auto entries, ParseAuthFile(roles_file, false));
    for (auto& [name, e] : entries) t.cert_roles_[name] = e.first;
  }
  return t;
}

std::optional<Identity> AuthTable::CheckToken(const std::string& user,
                                              const std::string& token) const {
  auto it = tokens_.find(user);
  // Compare even for an unknown user, so the time taken does not say which
  // users exist; CRYPTO_memcmp takes the same time whatever differs.
  static const std::string kDummy(64, 'x');
  const std::string& want = it == tokens_.end() ? kDummy : it->second.token;
  const bool same =
      want.size() == token.size() && CRYPTO_memcmp(want.data(), token.data(), want.size()) == 0;
  if (it == tokens_.end() || !same) return std::nullopt;
  return Identity{user, it->second.role, "token"};
}

Role AuthTable::CertRole(const std::string& cn) const {
  auto it = cert_roles_.find(cn);
  return it == cert_roles_.end() ? Role::kNone : it->second;
}

}  // namespace gale::rpc
