// core/include/gale/fields.h
//
// Fields names the values of a stream's tuples, in order. Immutable once built.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gale {

class Fields {
 public:
  Fields() = default;
  Fields(std::initializer_list<std::string> names) : names_(names) {}
  explicit Fields(std::vector<std::string> names) : names_(std::move(names)) {}

  size_t size() const { return names_.size(); }
  const std::string& operator[](size_t i) const { return names_[i]; }
  const std::vector<std::string>& names() const { return names_; }
  auto begin() const { return names_.begin(); }
  auto end() const { return names_.end(); }

  // Index of `name`, or nullopt. Streams have a handful of fields, so a scan
  // beats a hash map here.
  std::optional<size_t> IndexOf(std::string_view name) const {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == name) return i;
    }
    return std::nullopt;
  }
  bool Contains(std::string_view name) const { return IndexOf(name).has_value(); }

  bool operator==(const Fields&) const = default;

 private:
  std::vector<std::string> names_;
};

}  // namespace gale
