// gale-supervisor: runs the workers nimbus assigns to this machine.
// Usage: gale-supervisor --state-dir DIR [options]; see README.md.
#include <unistd.h>

#include <climits>
#include <iostream>
#include <string>
#include <vector>

#include "core/common/clock.h"
#include "supervisor/supervisor.h"
#include "supervisor/supervisor_config.h"

namespace {

std::string SelfExe(const char* argv0) {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string(argv0);
}

}  // namespace

int main(int argc, char** argv) {
  using gale::supervisor::SupervisorConfig;
  const std::vector<std::string> args(argv, argv + argc);
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      std::cout << gale::supervisor::SupervisorUsage();
      return 0;
    }
  }
  gale::Result<SupervisorConfig> config = SupervisorConfig::FromArgs(args, SelfExe(argv[0]));
  if (!config.ok()) {
    std::cerr << "gale-supervisor: " << config.status() << "\n";
    return 2;
  }
  gale::supervisor::Supervisor supervisor(std::move(config).value(), gale::SystemClock::Get());
  const gale::Status s = supervisor.Run();
  if (!s.ok()) {
    std::cerr << "gale-supervisor: " << s << "\n";
    return 1;
  }
  return 0;
}
