// connectors/common/split_list.h
//
// A comma-separated config value ("id, name, qty") as its items, trimmed of
// spaces, empty items dropped. Header only, like backoff.h: each connector
// plugin compiles its own copy (plugins link nothing of each other's).
#pragma once

#include <sstream>
#include <string>
#include <vector>

namespace gale::connectors {

inline std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const size_t a = item.find_first_not_of(' ');
    const size_t b = item.find_last_not_of(' ');
    if (a != std::string::npos) out.push_back(item.substr(a, b - a + 1));
  }
  return out;
}

}  // namespace gale::connectors
