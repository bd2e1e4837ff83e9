// core/common/check.h
//
// GALE_CHECK(cond) << "context"; aborts the process with the message when a
// Gale invariant is broken. A broken invariant is a bug, not an error: the
// supervisor restarts the worker. User input never trips a CHECK.
#pragma once

#include <cstdlib>
#include <iostream>
#include <sstream>

namespace gale::internal {

class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* cond) {
    stream_ << file << ":" << line << ": CHECK failed: " << cond << " ";
  }
  [[noreturn]] ~CheckFailure() {
    std::cerr << stream_.str() << std::endl;
    std::abort();
  }
  std::ostream& stream() { return stream_; }

 private:
  std::ostringstream stream_;
};

}  // namespace gale::internal

// A while-loop rather than an if, so that it nests safely in an unbraced if;
// the failure aborts, so it never loops.
#define GALE_CHECK(cond) \
  while (!(cond)) ::gale::internal::CheckFailure(__FILE__, __LINE__, #cond).stream()
