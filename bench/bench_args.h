// The command-line options of the micro-benchmarks in bench/ (gale-bench-codec,
// gale-bench-acker-tables, gale-bench-values): "--name value" pairs, each
// with a fallback when absent.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace gale::bench {

// The value after `name`, or `fallback` when `name` is not given.
inline const char* ArgString(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return fallback;
}

// The same as a count.
inline size_t ArgSize(int argc, char** argv, const char* name, size_t fallback) {
  const char* value = ArgString(argc, argv, name, nullptr);
  return value == nullptr ? fallback : std::strtoull(value, nullptr, 10);
}

}  // namespace gale::bench
