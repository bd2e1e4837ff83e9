// core/include/gale/state.h
//
// KeyValueState: what Gale keeps for a stateful bolt's task and checkpoints
// (Storm's KeyValueState). Keys and values are any gale::Value. The runtime
// implements it over a state backend (core/state/README.md): in memory,
// RocksDB on the worker's disk, or Redis.
#pragma once

#include <gale/values.h>

#include <cstddef>
#include <functional>
#include <optional>

namespace gale {

class KeyValueState {
 public:
  virtual ~KeyValueState() = default;
  virtual void Put(const Value& key, const Value& value) = 0;
  // nullopt for a key not in the state.
  virtual std::optional<Value> Get(const Value& key) const = 0;
  Value Get(const Value& key, Value fallback) const {
    auto v = Get(key);
    return v ? std::move(*v) : std::move(fallback);
  }
  // Whether the key was there.
  virtual bool Delete(const Value& key) = 0;
  virtual size_t size() const = 0;
  // Every entry, in no particular order. `f` must not change the state.
  virtual void ForEach(
      const std::function<void(const Value& key, const Value& value)>& f) const = 0;
};

}  // namespace gale
