#include "test/support/gale_output.h"

#include "test/support/process.h"

#include <cctype>
#include <cstdio>
#include <sstream>

namespace gale::testing {

std::vector<std::string> Words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

std::vector<std::string> ComponentRow(const std::string& table, const std::string& component) {
  std::istringstream in(table);
  std::string line;
  while (std::getline(in, line)) {
    if (line == "executors:") break;
    auto w = Words(line);
    if (!w.empty() && w[0] == component) return w;
  }
  return {};
}

std::vector<ExecutorLine> Executors(const std::string& info) {
  std::vector<ExecutorLine> out;
  std::istringstream in(info);
  std::string line;
  bool section = false;
  while (std::getline(in, line)) {
    if (line == "executors:") {
      section = true;
      continue;
    }
    if (!section) continue;
    auto w = Words(line);
    if (w.size() < 3 || w[1].size() < 5 || w[1][0] != '[') break;
    ExecutorLine e;
    e.component = w[0];
    std::sscanf(w[1].c_str(), "[%d-%d]", &e.first_task, &e.last_task);
    e.worker = w[2];
    if (w.size() >= 4) e.supervisor = w[3];
    out.push_back(e);
  }
  return out;
}

std::map<std::string, int64_t> CountWords(const std::string& text) {
  std::map<std::string, int64_t> counts;
  std::string word;
  for (char ch : text + "\n") {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c < 128 && std::isalpha(c)) {
      word.push_back(static_cast<char>(std::tolower(c)));
    } else if (!word.empty()) {
      ++counts[word];
      word.clear();
    }
  }
  return counts;
}

std::map<std::string, int64_t> ReadReport(const std::string& path) {
  std::map<std::string, int64_t> counts;
  std::istringstream in(ReadFile(path));
  std::string word;
  int64_t n;
  while (in >> word >> n) counts[word] = n;
  return counts;
}

}  // namespace gale::testing
