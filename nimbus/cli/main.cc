// gale: the user's command. `gale help` lists the verbs.
#include "nimbus/cli/validate_command.h"
#include "worker/local_mode.h"

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

namespace {

constexpr const char* kUsage = R"(usage: gale <command> [options]

commands:
  local FILE.yaml [--duration SECS] [--filter PROPS] [--quiet]
      run every task of the topology in this process and print a table per
      component; without --duration, stop once every spout is exhausted and
      every tuple tree has completed or failed
  validate FILE.yaml [--filter PROPS]
      load and check the topology and its plugins; submit nothing
  help
      this text
)";

struct Args {
  std::string command;
  std::string file;
  std::string filter;
  double duration = 0;
  bool quiet = false;
};

// Fills `args`; on a usage error prints it and returns false.
bool Parse(int argc, char** argv, Args& args) {
  std::vector<std::string> a(argv + 1, argv + argc);
  if (a.empty()) {
    std::cerr << kUsage;
    return false;
  }
  args.command = a[0];
  for (size_t i = 1; i < a.size(); ++i) {
    const std::string& x = a[i];
    auto value = [&](const char* name) -> const std::string* {
      if (i + 1 >= a.size()) {
        std::cerr << "gale " << args.command << ": " << name << " needs a value\n";
        return nullptr;
      }
      return &a[++i];
    };
    if (x == "--filter") {
      const std::string* v = value("--filter");
      if (!v) return false;
      args.filter = *v;
    } else if (x == "--duration" && args.command == "local") {
      const std::string* v = value("--duration");
      if (!v) return false;
      char* end = nullptr;
      args.duration = std::strtod(v->c_str(), &end);
      if (end == v->c_str() || *end != '\0' || args.duration <= 0) {
        std::cerr << "gale " << args.command << ": --duration takes a number of seconds > 0, got '"
                  << *v << "'\n";
        return false;
      }
    } else if (x == "--quiet" && args.command == "local") {
      args.quiet = true;
    } else if (!x.empty() && x[0] == '-') {
      std::cerr << "gale " << args.command << ": unknown option '" << x << "'\n" << kUsage;
      return false;
    } else if (args.file.empty()) {
      args.file = x;
    } else {
      std::cerr << "gale " << args.command << ": unexpected argument '" << x << "'\n";
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!Parse(argc, argv, args)) return 2;
  if (args.command == "help" || args.command == "--help" || args.command == "-h") {
    std::cout << kUsage;
    return 0;
  }
  if (args.command == "local" || args.command == "validate") {
    if (args.file.empty()) {
      std::cerr << "gale " << args.command << ": which topology? (gale " << args.command
                << " FILE.yaml)\n";
      return 2;
    }
    if (args.command == "validate") {
      return gale::cli::RunValidate(args.file, args.filter, std::cout, std::cerr);
    }
    gale::worker::LocalOptions o{args.file, args.filter, args.duration, args.quiet};
    return gale::worker::RunLocal(o, std::cout, std::cerr);
  }
  std::cerr << "gale: unknown command '" << args.command << "'\n" << kUsage;
  return 2;
}
