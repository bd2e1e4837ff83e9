#include "nimbus/cli/auth_command.h"

#include "thrift/auth.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <ostream>
#include <sstream>
#include <stdexcept>

namespace gale::cli {
namespace {

struct Fail : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string SslError() {
  const unsigned long e = ERR_get_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

KeyPtr NewKey() {
  KeyPtr k(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (!k) throw Fail("cannot make a key: " + SslError());
  return k;
}

// Opens `path` for writing with `mode` (0600 for secrets), replacing it.
FILE* OpenForWrite(const std::string& path, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw Fail("cannot write '" + path + "'");
  ::fchmod(fd, mode);
  FILE* f = ::fdopen(fd, "w");
  if (!f) {
    ::close(fd);
    throw Fail("cannot write '" + path + "'");
  }
  return f;
}

void WriteText(const std::string& path, const std::string& text, mode_t mode) {
  FILE* f = OpenForWrite(path, mode);
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok) throw Fail("cannot write '" + path + "'");
}

void AppendText(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::app);
  f << text;
  if (!f) throw Fail("cannot write '" + path + "'");
}

void WriteKey(const std::string& path, EVP_PKEY* key) {
  FILE* f = OpenForWrite(path, 0600);
  const bool ok = PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (std::fclose(f) != 0 || !ok) throw Fail("cannot write '" + path + "'");
}

void WriteCert(const std::string& path, X509* cert) {
  FILE* f = OpenForWrite(path, 0644);
  const bool ok = PEM_write_X509(f, cert) == 1;
  if (std::fclose(f) != 0 || !ok) throw Fail("cannot write '" + path + "'");
}

KeyPtr ReadKey(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) throw Fail("cannot read '" + path + "' (made by gale auth init?)");
  KeyPtr k(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr), EVP_PKEY_free);
  std::fclose(f);
  if (!k) throw Fail("'" + path + "' holds no private key: " + SslError());
  return k;
}

CertPtr ReadCert(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) throw Fail("cannot read '" + path + "' (made by gale auth init?)");
  CertPtr c(PEM_read_X509(f, nullptr, nullptr, nullptr), X509_free);
  std::fclose(f);
  if (!c) throw Fail("'" + path + "' holds no certificate: " + SslError());
  return c;
}

void AddExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) throw Fail("bad certificate extension '" + value + "': " + SslError());
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate for `key` named `cn`, signed by (issuer, issuer_key), or
// self-signed when issuer is null. `days` <= 0: it expired `-days` days ago
// (plus a second).
CertPtr MakeCert(const std::string& cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, int days,
                 bool ca, const std::string& san) {
  CertPtr c(X509_new(), X509_free);
  X509* x = c.get();
  X509_set_version(x, 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
  BN_free(bn);
  const long day = 86400;
  if (days > 0) {
    X509_gmtime_adj(X509_getm_notBefore(x), -300);
    X509_gmtime_adj(X509_getm_notAfter(x), day * days);
  } else {
    X509_gmtime_adj(X509_getm_notBefore(x), day * (days - 1));
    X509_gmtime_adj(X509_getm_notAfter(x), day * days - 1);
  }
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
  if (ca) {
    AddExt(x, issuer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
    AddExt(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    AddExt(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
    AddExt(x, issuer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    AddExt(x, issuer, NID_ext_key_usage, "serverAuth,clientAuth");
    if (!san.empty()) AddExt(x, issuer, NID_subject_alt_name, san);
  }
  if (X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) <= 0) {
    throw Fail("cannot sign the certificate of '" + cn + "': " + SslError());
  }
  return c;
}

std::string NewToken() {
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) throw Fail("no random bytes: " + SslError());
  static const char* hex = "0123456789abcdef";
  std::string t;
  for (unsigned char b : raw) {
    t += hex[b >> 4];
    t += hex[b & 15];
  }
  return t;
}

bool ValidName(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
          c == '@')) {
      return false;
    }
  }
  return n[0] != '.';
}

std::string ReadMode(const std::string& dir) {
  std::ifstream in(dir + "/mode");
  std::string mode;
  if (!(in >> mode) || (mode != "tls" && mode != "token")) {
    throw Fail("'" + dir + "/mode' is missing or not tls/token (made by gale auth init?)");
  }
  return mode;
}

// Issues `name`'s certificate, key and token; writes DIR/NAME.yaml.
void IssueUser(const std::string& dir, const std::string& mode, const std::string& name,
               const std::string& role, int days, X509* ca, EVP_PKEY* ca_key) {
  if (!ValidName(name)) {
    throw Fail("user name '" + name + "' must be 1 to 64 letters, digits, '-', '_', '.', '@'");
  }
  if (name == "ca" || name == "node" || name == "cluster") {
    throw Fail("user name '" + name + "' is taken by gale auth's own files");
  }
  if (!rpc::ParseRole(role)) {
    throw Fail("unknown role '" + role + "' (admin, submitter, reader or node)");
  }
  for (const char* file : {"/tokens", "/roles"}) {
    std::ifstream in(dir + file);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream w(line);
      std::string first;
      if (w >> first && first == name) throw Fail("'" + name + "' is already in " + dir + file);
    }
  }
  KeyPtr key = NewKey();
  CertPtr cert = MakeCert(name, key.get(), ca, ca_key, days, false, "");
  WriteKey(dir + "/" + name + ".key", key.get());
  WriteCert(dir + "/" + name + ".pem", cert.get());
  const std::string token = NewToken();
  AppendText(dir + "/tokens", name + " " + role + " " + token + "\n");
  AppendText(dir + "/roles", name + " " + role + "\n");
  std::string yaml = "# gale auth: " + name + " (role " + role + "); `gale --auth " + dir + "/" +
                     name + ".yaml ...`\n";
  yaml += "gale.auth.mode: " + mode + "\ngale.tls.ca: ca.pem\n";
  if (mode == "tls") {
    yaml += "gale.tls.cert: " + name + ".pem\ngale.tls.key: " + name + ".key\n";
  } else {
    yaml += "gale.auth.user: " + name + "\ngale.auth.token: " + token + "\n";
  }
  WriteText(dir + "/" + name + ".yaml", yaml, 0600);
}

}  // namespace

int AuthInit(const AuthInitOptions& o, std::ostream& out, std::ostream& err) {
  try {
    if (o.mode != "tls" && o.mode != "token") {
      throw Fail("--mode must be tls or token, not '" + o.mode + "'");
    }
    struct stat st;
    if (::stat((o.dir + "/ca.key").c_str(), &st) == 0) {
      throw Fail("'" + o.dir +
                 "' already has a CA (ca.key); use another folder, or `gale auth "
                 "user` to add users");
    }
    if (::mkdir(o.dir.c_str(), 0700) != 0 && errno != EEXIST) {
      throw Fail("cannot create '" + o.dir + "'");
    }
    char real[PATH_MAX];
    if (!::realpath(o.dir.c_str(), real)) throw Fail("cannot resolve '" + o.dir + "'");
    const std::string dir = real;

    KeyPtr ca_key = NewKey();
    CertPtr ca = MakeCert("Gale cluster CA", ca_key.get(), nullptr, nullptr,
                          o.days > 0 ? std::max(o.days, 3650) : 3650, true, "");
    WriteKey(dir + "/ca.key", ca_key.get());
    WriteCert(dir + "/ca.pem", ca.get());

    // The node certificate: nimbus serves with it (so it names nimbus's
    // addresses), supervisors, workers and the UI connect with it.
    std::string san = "DNS:localhost,IP:127.0.0.1,IP:::1";
    char host[256] = {0};
    if (::gethostname(host, sizeof host - 1) == 0 && host[0]) san += ",DNS:" + std::string(host);
    for (const std::string& h : o.hosts) {
      in6_addr a6;
      in_addr a4;
      const bool ip =
          ::inet_pton(AF_INET, h.c_str(), &a4) == 1 || ::inet_pton(AF_INET6, h.c_str(), &a6) == 1;
      san += (ip ? ",IP:" : ",DNS:") + h;
    }
    KeyPtr node_key = NewKey();
    CertPtr node =
        MakeCert("gale-node", node_key.get(), ca.get(), ca_key.get(), o.days, false, san);
    WriteKey(dir + "/node.key", node_key.get());
    WriteCert(dir + "/node.pem", node.get());
    const std::string node_token = NewToken();
    WriteText(dir + "/tokens",
              "# user role token (gale.auth.tokens)\nnode node " + node_token + "\n", 0600);
    WriteText(dir + "/roles", "# certificate CN, role (gale.auth.roles)\ngale-node node\n", 0644);
    WriteText(dir + "/mode", o.mode + "\n", 0644);

    std::vector<std::string> users = o.users;
    if (users.empty()) users.push_back("admin:admin");
    for (const std::string& u : users) {
      const auto colon = u.find(':');
      if (colon == std::string::npos) throw Fail("--user takes NAME:ROLE, got '" + u + "'");
      IssueUser(dir, o.mode, u.substr(0, colon), u.substr(colon + 1), o.days, ca.get(),
                ca_key.get());
    }

    std::string cluster =
        "# gale auth init: add to the cluster config of nimbus, supervisors "
        "and the UI\ngale.auth.mode: " +
        o.mode + "\n";
    cluster += "gale.tls.ca: " + dir + "/ca.pem\n";
    cluster += "gale.tls.cert: " + dir + "/node.pem\n";
    cluster += "gale.tls.key: " + dir + "/node.key\n";
    cluster += "gale.auth.tokens: " + dir + "/tokens\n";
    cluster += "gale.auth.roles: " + dir + "/roles\n";
    if (o.mode == "token") {
      cluster += "gale.auth.user: node\ngale.auth.token.file: " + dir + "/node.token\n";
      WriteText(dir + "/node.token", node_token + "\n", 0600);
    }
    WriteText(dir + "/cluster.yaml", cluster, 0600);
    out << "gale auth: a cluster CA and keys in " << dir << " (keys and tokens 0600)\n"
        << "Put these lines in the cluster config (--config) of gale-nimbus, gale-supervisor "
           "and gale-ui (also in "
        << dir << "/cluster.yaml):\n\n"
        << cluster
        << "\nUsers (each with NAME.pem, NAME.key, a token, and NAME.yaml for "
           "`gale --auth DIR/NAME.yaml`):\n";
    for (const std::string& u : users) out << "  " << u << "\n";
    return 0;
  } catch (const Fail& e) {
    err << "gale auth init: " << e.what() << "\n";
    return 1;
  }
}

int AuthAddUser(const std::string& dir, const std::string& name, const std::string& role, int days,
                std::ostream& out, std::ostream& err) {
  try {
    const std::string mode = ReadMode(dir);
    KeyPtr ca_key = ReadKey(dir + "/ca.key");
    CertPtr ca = ReadCert(dir + "/ca.pem");
    IssueUser(dir, mode, name, role, days, ca.get(), ca_key.get());
    out << "gale auth: user '" << name << "' (role " << role << "): " << dir << "/" << name
        << ".yaml; nimbus reads the new token and role when it restarts\n";
    return 0;
  } catch (const Fail& e) {
    err << "gale auth user: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace gale::cli
