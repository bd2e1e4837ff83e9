// core/common/strings.h
//
// Small string helpers shared by the error messages of every area.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gale {

// "a, b, c" (or with another separator); "" for no items.
inline std::string Join(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

}  // namespace gale
