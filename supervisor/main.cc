// gale-supervisor: runs the workers nimbus assigns to this machine.
// Usage: gale-supervisor --state-dir DIR [options]; see README.md.
#include <iostream>
#include <string>
#include <vector>

#include "core/common/clock.h"
#include "core/common/files.h"
#include "supervisor/supervisor.h"
#include "supervisor/supervisor_config.h"
#include "thrift/auth.h"

int main(int argc, char** argv) {
  using gale::supervisor::SupervisorConfig;
  const std::vector<std::string> args(argv, argv + argc);
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      std::cout << gale::supervisor::SupervisorUsage();
      return 0;
    }
  }
  gale::Result<SupervisorConfig> config =
      SupervisorConfig::FromArgs(args, gale::SelfExecutable(argv[0]));
  if (!config.ok()) {
    std::cerr << "gale-supervisor: " << config.status() << "\n";
    return 2;
  }
  gale::rpc::SetClientAuth(config->auth);
  gale::rpc::ExportClientAuth(config->auth);  // workers inherit it
  gale::supervisor::Supervisor supervisor(std::move(config).value(), gale::SystemClock::Get());
  const gale::Status s = supervisor.Run();
  if (!s.ok()) {
    std::cerr << "gale-supervisor: " << s << "\n";
    return 1;
  }
  return 0;
}
