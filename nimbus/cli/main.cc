// gale: the user's command. `gale help` lists the verbs.
#include "core/plugin/describe.h"
#include "nimbus/cli/auth_command.h"
#include "nimbus/cli/cluster_commands.h"
#include "nimbus/cli/logs_command.h"
#include "nimbus/cli/validate_command.h"
#include "worker/local_mode.h"

#include <gale/plugin.h>
#include <zmq.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

constexpr const char* kUsage = R"(usage: gale <command> [options]

run and check topologies on this machine:
  local FILE.yaml [--duration SECS] [--filter PROPS] [--quiet]
      run every task in this process and print a table per component; without
      --duration, stop once every spout is exhausted and every tree is done
  validate FILE.yaml [--filter PROPS]
      load and check the topology and its plugins; submit nothing

drive a cluster (nimbus from --nimbus HOST:PORT, $GALE_NIMBUS, the cluster config
of --config FILE / $GALE_CONFIG / ~/.gale/cluster.yaml, or 127.0.0.1:6627):
  submit FILE.yaml [--filter PROPS] [--inactive]
      validate, upload the plugins, submit
  list [--json]                 topologies, supervisors and slots
  info NAME [--json]            per component and executor: counts, latencies, errors,
                                why workers died
  kill NAME [--wait SECS]       deactivate, wait (default: the message timeout), stop
  activate NAME
  deactivate NAME
  rebalance NAME [--workers N] [--executors COMPONENT=N]... [--wait SECS]
  logs NAME [--component C] [--worker HOST:PORT] [--lines N] [--follow]
      the last N (100) lines of each worker's log, read through the supervisors;
      --follow keeps printing what is appended (Ctrl-C ends it)
  (each takes --auth FILE: how to authenticate to nimbus, e.g. DIR/NAME.yaml from
  `gale auth init`; else $GALE_AUTH, else the cluster config's gale.auth.* keys)

secure a cluster:
  auth init DIR [--mode tls|token] [--user NAME:ROLE]... [--host NAME]... [--days N]
      a cluster CA, nimbus's and the daemons' certificate, users' certificates and
      tokens (roles: admin, submitter, reader), and the config lines to use
  auth user DIR NAME ROLE [--days N]
      one more user, signed by DIR's CA

  version                       Gale's version, its plugin ABI, Thrift and ZeroMQ
  help                          this text

`gale COMMAND --help` says more about each command.
)";

// `gale COMMAND --help`.
const std::map<std::string, std::string> kCommandHelp = {
    {"auth",
     R"(usage: gale auth init DIR [--mode tls|token] [--user NAME:ROLE]... [--host NAME]... [--days N]
       gale auth user DIR NAME ROLE [--days N]

init: creates DIR (0700) with a cluster CA (ca.pem, ca.key), the node
certificate that nimbus serves with and supervisors, workers and the UI connect
with (node.pem, node.key; its names: localhost, 127.0.0.1, ::1, this host and
each --host), for each --user (default admin:admin) a certificate NAME.pem and
key NAME.key (CN NAME), a token, and NAME.yaml for `gale --auth DIR/NAME.yaml`;
the tokens file (user role token) and the roles file (certificate CN, role).
Keys, tokens and NAME.yaml are 0600. Prints the lines for the cluster config
(also in DIR/cluster.yaml). --mode says which form the printed lines use:
tls (mutual TLS, identity = the certificate's CN; the default) or token (TLS
with nimbus's certificate only, then a token).

user: adds NAME with ROLE (admin, submitter, reader or node) to DIR; nimbus
reads tokens and roles when it starts.

  --days N   validity of the certificates (default 825); N <= 0 makes one that
             expired -N days ago (for tests)

example: gale auth init /etc/gale/auth --user alice:submitter --user bob:reader --host nimbus1
)"},
    {"local", R"(usage: gale local FILE.yaml [--duration SECS] [--filter PROPS] [--quiet]

Runs every task of the topology in this process, then prints a table per
component. Without --duration it stops once every spout is exhausted and every
tuple tree is done; Ctrl-C stops it too.

  --duration SECS   stop after this long (a number > 0)
  --filter PROPS    properties file for ${key} placeholders in the YAML
  --quiet           no "running topology" line on stderr

example: gale local topologies/wordcount/wordcount.yaml --duration 10
)"},
    {"validate", R"(usage: gale validate FILE.yaml [--filter PROPS]

Loads and checks the topology and its plugins (in a child process) as submit
would; submits nothing. Errors name the file, line and column.

  --filter PROPS    properties file for ${key} placeholders in the YAML

example: gale validate topologies/exclamation/exclamation.yaml
)"},
    {"submit", R"(usage: gale submit FILE.yaml [--filter PROPS] [--inactive] [--nimbus HOST:PORT]

Validates the topology, uploads the plugins nimbus lacks (by SHA-256) and
submits it.

  --filter PROPS      properties file for ${key} placeholders in the YAML
  --inactive          submit it deactivated (gale activate NAME starts it)
  --nimbus HOST:PORT  nimbus, or HOST:PORT,HOST:PORT: the nimbuses of an HA cluster (the
                      leader is found); default: $GALE_NIMBUS, the cluster config, 127.0.0.1:6627
  --config FILE       the cluster config to read nimbus.host and nimbus.thrift.port from

example: gale submit topologies/wordcount/wordcount-cluster.yaml
)"},
    {"list", R"(usage: gale list [--json] [--nimbus HOST:PORT]

Topologies (status, tasks, executors, workers, uptime, id) and supervisors
with their slots.

  --json              one JSON document (nimbus/cli/README.md has its shape)
  --nimbus HOST:PORT  nimbus, or HOST:PORT,HOST:PORT: the nimbuses of an HA cluster (the
                      leader is found); default: $GALE_NIMBUS, the cluster config, 127.0.0.1:6627
  --config FILE       the cluster config to read nimbus.host and nimbus.thrift.port from

example: gale list --json
)"},
    {"info", R"(usage: gale info NAME [--json] [--nimbus HOST:PORT]

Per component and executor: counts, latencies and errors; why workers died
(cause, component and task, stack); the last errors, the same message once
with its count. Times are local, ISO 8601.

  --json              one JSON document (nimbus/cli/README.md has its shape)
  --nimbus HOST:PORT  nimbus, or HOST:PORT,HOST:PORT: the nimbuses of an HA cluster (the
                      leader is found); default: $GALE_NIMBUS, the cluster config, 127.0.0.1:6627
  --config FILE       the cluster config to read nimbus.host and nimbus.thrift.port from

example: gale info wordcount
)"},
    {"kill", R"(usage: gale kill NAME [--wait SECS] [--nimbus HOST:PORT]

Deactivates the spouts, waits so that trees in flight can complete, then stops
the workers and frees the slots.

  --wait SECS         how long to wait (default: the topology's message timeout)
  --nimbus HOST:PORT  nimbus, or HOST:PORT,HOST:PORT: the nimbuses of an HA cluster (the
                      leader is found); default: $GALE_NIMBUS, the cluster config, 127.0.0.1:6627

example: gale kill wordcount --wait 0
)"},
    {"activate", R"(usage: gale activate NAME [--nimbus HOST:PORT]

Starts calling the spouts' NextTuple again.

example: gale activate wordcount
)"},
    {"deactivate", R"(usage: gale deactivate NAME [--nimbus HOST:PORT]

Stops calling the spouts' NextTuple; trees in flight complete.

example: gale deactivate wordcount
)"},
    {"rebalance",
     R"(usage: gale rebalance NAME [--workers N] [--executors COMPONENT=N]... [--wait SECS]

Deactivates for --wait seconds, redistributes the executors over --workers
workers (and --executors changes a component's executors, at most its tasks),
then returns to the previous status. Spouts replay what was in flight.

  --workers N             worker processes
  --executors COMPONENT=N executors of a component (repeatable)
  --wait SECS             default: the topology's message timeout
  --nimbus HOST:PORT      nimbus (default: $GALE_NIMBUS, the cluster config, 127.0.0.1:6627)

example: gale rebalance wordcount --workers 1 --executors split=1 --wait 0
)"},
    {"logs", R"(usage: gale logs NAME [--component C] [--worker HOST:PORT] [--lines N] [--follow]

The last lines of each of the topology's worker logs, read through the
supervisors' log servers, prefixed with host:port when there are several.

  --component C       only workers running C, and only the lines its tasks logged
  --worker HOST:PORT  only this worker
  --lines N           lines per worker (default 100)
  --follow            then keep printing what is appended (Ctrl-C ends it)
  --nimbus HOST:PORT  nimbus, or HOST:PORT,HOST:PORT: the nimbuses of an HA cluster (the
                      leader is found); default: $GALE_NIMBUS, the cluster config, 127.0.0.1:6627

example: gale logs wordcount --component split --follow
)"},
    {"version", R"(usage: gale version

Gale's version, the plugin ABI it loads, and the Thrift and ZeroMQ it runs on.
)"},
};

struct Args {
  std::string command;
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
  std::map<std::string, int> executors;
  std::set<std::string> flags;
};

// Which options each command takes; those with a value, and bare flags.
const std::map<std::string, std::pair<std::set<std::string>, std::set<std::string>>> kOptions = {
    {"local", {{"--duration", "--filter"}, {"--quiet"}}},
    {"validate", {{"--filter"}, {}}},
    {"submit", {{"--auth", "--filter", "--nimbus", "--config"}, {"--inactive"}}},
    {"list", {{"--auth", "--nimbus", "--config"}, {"--json"}}},
    {"info", {{"--auth", "--nimbus", "--config"}, {"--json"}}},
    {"version", {{}, {}}},
    {"kill", {{"--auth", "--nimbus", "--config", "--wait"}, {}}},
    {"activate", {{"--auth", "--nimbus", "--config"}, {}}},
    {"deactivate", {{"--auth", "--nimbus", "--config"}, {}}},
    {"rebalance", {{"--auth", "--nimbus", "--config", "--wait", "--workers", "--executors"}, {}}},
    {"logs",
     {{"--auth", "--nimbus", "--config", "--component", "--worker", "--lines"}, {"--follow"}}},
};

bool Parse(int argc, char** argv, Args& args) {
  std::vector<std::string> a(argv + 1, argv + argc);
  if (a.empty()) {
    std::cerr << kUsage;
    return false;
  }
  args.command = a[0];
  auto known = kOptions.find(args.command);
  if (known == kOptions.end()) return true;  // help, or unknown: main() says
  for (size_t i = 1; i < a.size(); ++i) {
    if (a[i] == "--help" || a[i] == "-h") {
      args.flags.insert("--help");
      return true;
    }
  }
  const auto& [with_value, bare] = known->second;
  for (size_t i = 1; i < a.size(); ++i) {
    const std::string& x = a[i];
    if (bare.count(x)) {
      args.flags.insert(x);
    } else if (with_value.count(x)) {
      if (i + 1 >= a.size()) {
        std::cerr << "gale " << args.command << ": " << x << " needs a value\n";
        return false;
      }
      const std::string& v = a[++i];
      if (x == "--executors") {
        const auto eq = v.find('=');
        char* end = nullptr;
        const long n = eq == std::string::npos ? 0 : std::strtol(v.c_str() + eq + 1, &end, 10);
        if (eq == std::string::npos || eq == 0 || *end != '\0' || n < 1) {
          std::cerr << "gale rebalance: --executors takes COMPONENT=N with N >= 1, got '" << v
                    << "'\n";
          return false;
        }
        args.executors[v.substr(0, eq)] = static_cast<int>(n);
      } else {
        args.options[x] = v;
      }
    } else if (!x.empty() && x[0] == '-') {
      std::cerr << "gale " << args.command << ": unknown option '" << x << "'\n" << kUsage;
      return false;
    } else {
      args.positional.push_back(x);
    }
  }
  return true;
}

// A whole number >= `min` from option `name`, or a usage error.
bool IntOption(const Args& args, const std::string& name, int min, std::optional<int>* out) {
  auto it = args.options.find(name);
  if (it == args.options.end()) return true;
  char* end = nullptr;
  const long v = std::strtol(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end != '\0' || v < min) {
    std::cerr << "gale " << args.command << ": " << name << " takes a whole number >= " << min
              << ", got '" << it->second << "'\n";
    return false;
  }
  *out = static_cast<int>(v);
  return true;
}

std::string Opt(const Args& a, const std::string& k) {
  auto it = a.options.find(k);
  return it == a.options.end() ? "" : it->second;
}

// `gale auth init|user ...` (repeated options, so parsed here).
int RunAuth(const std::vector<std::string>& a) {
  if (a.empty() || a[0] == "--help" || a[0] == "-h") {
    std::cout << kCommandHelp.at("auth");
    return a.empty() ? 2 : 0;
  }
  std::vector<std::string> positional;
  gale::cli::AuthInitOptions o;
  for (size_t i = 1; i < a.size(); ++i) {
    const std::string& x = a[i];
    if (x == "--help" || x == "-h") {
      std::cout << kCommandHelp.at("auth");
      return 0;
    }
    if (x == "--mode" || x == "--user" || x == "--host" || x == "--days") {
      if (i + 1 >= a.size()) {
        std::cerr << "gale auth: " << x << " needs a value\n";
        return 2;
      }
      const std::string& v = a[++i];
      if (x == "--mode") o.mode = v;
      if (x == "--user") o.users.push_back(v);
      if (x == "--host") o.hosts.push_back(v);
      if (x == "--days") {
        char* end = nullptr;
        const long d = std::strtol(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0' || d < -3650 || d > 36500) {
          std::cerr << "gale auth: --days takes a whole number (-3650 to 36500), got '" << v
                    << "'\n";
          return 2;
        }
        o.days = static_cast<int>(d);
      }
    } else if (!x.empty() && x[0] == '-') {
      std::cerr << "gale auth: unknown option '" << x << "'\n" << kCommandHelp.at("auth");
      return 2;
    } else {
      positional.push_back(x);
    }
  }
  if (a[0] == "init" && positional.size() == 1) {
    o.dir = positional[0];
    return gale::cli::AuthInit(o, std::cout, std::cerr);
  }
  if (a[0] == "user" && positional.size() == 3) {
    return gale::cli::AuthAddUser(positional[0], positional[1], positional[2], o.days, std::cout,
                                  std::cerr);
  }
  std::cerr << "gale auth: expected `gale auth init DIR` or `gale auth user DIR NAME ROLE`\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!Parse(argc, argv, args)) return 2;
  const std::string& cmd = args.command;
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    std::cout << kUsage;
    return 0;
  }
  // Hidden: nimbus runs `gale __describe` to learn what a submitted
  // topology's plugins declare, without loading them itself (request on
  // stdin, report on stdout; core/plugin/describe.h).
  if (cmd == "__describe" && argc == 2) return gale::plugin::ServeDescribeRequest(0, 1);
  if (cmd == "auth") return RunAuth(std::vector<std::string>(argv + 2, argv + argc));
  if (!kOptions.count(cmd)) {
    std::cerr << "gale: unknown command '" << cmd << "'\n" << kUsage;
    return 2;
  }
  if (args.flags.count("--help")) {
    std::cout << kCommandHelp.at(cmd);
    return 0;
  }
  if (cmd == "version") {
    if (!args.positional.empty()) {
      std::cerr << "gale version: takes no arguments\n";
      return 2;
    }
    int major = 0, minor = 0, patch = 0;
    zmq_version(&major, &minor, &patch);
    std::cout << "gale " << GALE_VERSION << " (" << GALE_GIT_COMMIT << ")\n"
              << "plugin ABI " << GALE_ABI_VERSION << "\n"
              << "Apache Thrift " << GALE_THRIFT_VERSION << "\n"
              << "ZeroMQ " << major << "." << minor << "." << patch << "\n";
    return 0;
  }
  const size_t want = cmd == "list" ? 0 : 1;
  if (args.positional.size() != want) {
    const char* what =
        cmd == "local" || cmd == "validate" || cmd == "submit" ? "FILE.yaml" : "NAME";
    if (want == 0) {
      std::cerr << "gale list: takes no arguments\n";
    } else if (args.positional.empty()) {
      std::cerr << "gale " << cmd << ": which topology? (gale " << cmd << " " << what << ")\n";
    } else {
      std::cerr << "gale " << cmd << ": unexpected argument '" << args.positional[1] << "'\n";
    }
    return 2;
  }
  const std::string target = want ? args.positional[0] : "";
  const gale::cli::ClusterArgs cluster{Opt(args, "--nimbus"), Opt(args, "--config"),
                                       Opt(args, "--auth")};

  if (cmd == "validate")
    return gale::cli::RunValidate(target, Opt(args, "--filter"), std::cout, std::cerr);
  if (cmd == "local") {
    gale::worker::LocalOptions o{target, Opt(args, "--filter"), 0, args.flags.count("--quiet") > 0};
    if (!Opt(args, "--duration").empty()) {
      char* end = nullptr;
      const std::string& d = Opt(args, "--duration");
      o.duration_secs = std::strtod(d.c_str(), &end);
      if (*end != '\0' || o.duration_secs <= 0) {
        std::cerr << "gale local: --duration takes a number of seconds > 0, got '" << d << "'\n";
        return 2;
      }
    }
    return gale::worker::RunLocal(o, std::cout, std::cerr);
  }
  if (cmd == "submit") {
    return gale::cli::Submit(cluster, target, Opt(args, "--filter"),
                             args.flags.count("--inactive") > 0, std::cout, std::cerr);
  }
  const bool json = args.flags.count("--json") > 0;
  if (cmd == "list") return gale::cli::List(cluster, json, std::cout, std::cerr);
  if (cmd == "info") return gale::cli::Info(cluster, target, json, std::cout, std::cerr);
  if (cmd == "logs") {
    gale::cli::LogsOptions o;
    o.component = Opt(args, "--component");
    o.worker = Opt(args, "--worker");
    o.follow = args.flags.count("--follow") > 0;
    std::optional<int> lines;
    if (!IntOption(args, "--lines", 1, &lines)) return 2;
    if (lines) o.lines = *lines;
    return gale::cli::Logs(cluster, target, o, std::cout, std::cerr);
  }
  if (cmd == "activate" || cmd == "deactivate") {
    return gale::cli::Activate(cluster, target, cmd == "activate", std::cout, std::cerr);
  }
  std::optional<int> wait, workers;
  if (!IntOption(args, "--wait", 0, &wait) || !IntOption(args, "--workers", 1, &workers)) return 2;
  if (cmd == "kill") return gale::cli::Kill(cluster, target, wait, std::cout, std::cerr);
  return gale::cli::Rebalance(cluster, target, workers, args.executors, wait, std::cout, std::cerr);
}
