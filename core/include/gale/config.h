// core/include/gale/config.h
//
// Config is a read-only map of configuration keys to scalar values, as given
// in the topology file (`config:` at the top or on a component).
#pragma once

#include <gale/values.h>

#include <map>
#include <string>
#include <string_view>

namespace gale {

class Config {
 public:
  using Map = std::map<std::string, Value, std::less<>>;

  Config() = default;
  explicit Config(Map entries) : entries_(std::move(entries)) {}

  bool Contains(std::string_view key) const { return entries_.find(key) != entries_.end(); }
  // nullptr when absent.
  const Value* Find(std::string_view key) const {
    auto it = entries_.find(key);
    return it == entries_.end() ? nullptr : &it->second;
  }

  // Typed getters return `fallback` when the key is absent and throw
  // std::invalid_argument (naming the key) when it holds another type.
  // An int is accepted where a double is asked for; GetString gives any
  // scalar's text.
  int64_t GetInt(std::string_view key, int64_t fallback) const {
    const Value* v = Find(key);
    if (!v) return fallback;
    if (v->type() != ValueType::kInt) Mismatch(key, *v, "an int");
    return v->AsInt();
  }
  double GetDouble(std::string_view key, double fallback) const {
    const Value* v = Find(key);
    if (!v) return fallback;
    if (v->type() == ValueType::kInt) return static_cast<double>(v->AsInt());
    if (v->type() != ValueType::kDouble) Mismatch(key, *v, "a number");
    return v->AsDouble();
  }
  bool GetBool(std::string_view key, bool fallback) const {
    const Value* v = Find(key);
    if (!v) return fallback;
    if (v->type() != ValueType::kBool) Mismatch(key, *v, "true or false");
    return v->AsBool();
  }
  std::string GetString(std::string_view key, std::string_view fallback) const {
    const Value* v = Find(key);
    if (!v) return std::string(fallback);
    if (v->type() != ValueType::kString) return v->ToString();
    return v->AsString();
  }

  const Map& entries() const { return entries_; }
  void Set(std::string key, Value v) { entries_[std::move(key)] = std::move(v); }

  // Entries of `over` replace those of this config; used for component
  // config over topology config.
  Config MergedWith(const Config& over) const {
    Config out = *this;
    for (const auto& [k, v] : over.entries_) out.entries_[k] = v;
    return out;
  }

  bool operator==(const Config&) const = default;

 private:
  [[noreturn]] static void Mismatch(std::string_view key, const Value& v, const char* want) {
    throw std::invalid_argument("config key '" + std::string(key) + "' is " +
                                ValueTypeName(v.type()) + " (" + v.ToString() + "), expected " +
                                want);
  }

  Map entries_;
};

}  // namespace gale
