// test/support/gale_output.h
//
// Reading what Gale's commands and example topologies produce: `gale info`
// tables, word counts. Shared by the integration tests.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gale::testing {

// The blank-separated words of a line.
std::vector<std::string> Words(const std::string& line);

// The row of `component` in the component table of `gale info` (before its
// "executors:" section) or of `gale local`, split into words; empty if none.
std::vector<std::string> ComponentRow(const std::string& table, const std::string& component);

// One line of the "executors:" section of `gale info` (or `gale_py.py
// info`): "<component> [<first>-<last>] <host:port> <supervisor> ...".
struct ExecutorLine {
  std::string component;
  int first_task = 0, last_task = 0;
  std::string worker;      // host:port
  std::string supervisor;  // "" when the line has none
};

// The executor lines of `info`, in order.
std::vector<ExecutorLine> Executors(const std::string& info);

// Words of `text` as the word-count topology counts them, counted by the
// test itself: maximal runs of ASCII letters, lower-cased.
std::map<std::string, int64_t> CountWords(const std::string& text);

// The report bolt's file: "word<TAB>count" lines.
std::map<std::string, int64_t> ReadReport(const std::string& path);

}  // namespace gale::testing
