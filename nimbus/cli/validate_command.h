// nimbus/cli/validate_command.h: `gale validate FILE.yaml [--filter F]`.
#pragma once

#include <iosfwd>
#include <string>

namespace gale::cli {

// Loads and checks everything (plugins loaded in a child process), submits
// nothing. Prints a summary on success; errors on `err`. Returns the exit code.
int RunValidate(const std::string& file, const std::string& filter_file, std::ostream& out,
                std::ostream& err);

}  // namespace gale::cli
