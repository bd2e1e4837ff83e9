// gale: the user's command. `gale help` lists the verbs.
#include "core/plugin/describe.h"
#include "nimbus/cli/cluster_commands.h"
#include "nimbus/cli/logs_command.h"
#include "nimbus/cli/validate_command.h"
#include "worker/local_mode.h"

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
  list                          topologies, supervisors and slots
  info NAME                     per component and executor: counts, latencies, errors
  kill NAME [--wait SECS]       deactivate, wait (default: the message timeout), stop
  activate NAME
  deactivate NAME
  rebalance NAME [--workers N] [--executors COMPONENT=N]... [--wait SECS]
  logs NAME [--component C] [--worker HOST:PORT] [--lines N] [--follow]
      the last N (100) lines of each worker's log, read through the supervisors;
      --follow keeps printing what is appended (Ctrl-C ends it)

  help                          this text
)";

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
    {"submit", {{"--filter", "--nimbus", "--config"}, {"--inactive"}}},
    {"list", {{"--nimbus", "--config"}, {}}},
    {"info", {{"--nimbus", "--config"}, {}}},
    {"kill", {{"--nimbus", "--config", "--wait"}, {}}},
    {"activate", {{"--nimbus", "--config"}, {}}},
    {"deactivate", {{"--nimbus", "--config"}, {}}},
    {"rebalance", {{"--nimbus", "--config", "--wait", "--workers", "--executors"}, {}}},
    {"logs", {{"--nimbus", "--config", "--component", "--worker", "--lines"}, {"--follow"}}},
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
  if (!kOptions.count(cmd)) {
    std::cerr << "gale: unknown command '" << cmd << "'\n" << kUsage;
    return 2;
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
  const gale::cli::ClusterArgs cluster{Opt(args, "--nimbus"), Opt(args, "--config")};

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
  if (cmd == "list") return gale::cli::List(cluster, std::cout, std::cerr);
  if (cmd == "info") return gale::cli::Info(cluster, target, std::cout, std::cerr);
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
