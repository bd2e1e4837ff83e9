// nimbus/cli/auth_command.h
//
// `gale auth init DIR` and `gale auth user DIR NAME ROLE`: a cluster CA, a
// node certificate (nimbus, supervisors, workers, the UI), user certificates
// and tokens with roles, and the config lines that use them (README.md,
// "gale auth"). Made with OpenSSL's C API, not the openssl program.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace gale::cli {

struct AuthInitOptions {
  std::string dir;
  std::string mode = "tls";        // tls | token: which config it prints
  std::vector<std::string> users;  // "name:role"; default admin:admin
  std::vector<std::string> hosts;  // extra names/addresses of nimbus's certificate
  int days = 825;                  // validity; <= 0: already expired (for tests)
};

// Returns the exit code (0, or 1 with one line on `err`).
int AuthInit(const AuthInitOptions& o, std::ostream& out, std::ostream& err);
// Adds one user to DIR (its CA signs): certificate, key, token, a line in
// `tokens` and `roles`, and DIR/NAME.yaml.
int AuthAddUser(const std::string& dir, const std::string& name, const std::string& role, int days,
                std::ostream& out, std::ostream& err);

}  // namespace gale::cli
