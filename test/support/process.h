// test/support/process.h
//
// Runs a program to completion with a bounded wait, capturing its output:
// what integration tests use to drive `gale` as a user does. A program that
// outlives the timeout is killed (by its pid) and reported as timed out.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace gale::testing {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  int signal = 0;
  bool timed_out = false;
  long max_rss_kb = 0;  // the process's peak resident set (ru_maxrss), in KiB
  std::string out;
  std::string err;
};

// `env` entries are added to (or replace) the inherited environment.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         std::chrono::seconds timeout = std::chrono::seconds(60),
                         const std::map<std::string, std::string>& env = {},
                         const std::string& cwd = "");

// A fresh directory under $TMPDIR (or /tmp), removed with its contents when
// the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path);

// Build and source locations, from the build system.
std::string BinDir();     // gale, gale-worker
std::string LibDir();     // the example plugins
std::string SourceDir();  // the repository
std::string BuildDir();

}  // namespace gale::testing
