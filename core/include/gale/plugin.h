// core/include/gale/plugin.h
//
// Registers a plugin's spout and bolt classes by name:
//
//   GALE_REGISTER_SPOUT(RandomSentenceSpout);     // a Spout or StatefulSpout
//   GALE_REGISTER_BOLT(WordCount);               // a Bolt, BasicBolt, WindowedBolt,
//                                                // WindowReducer, StatefulBolt or
//                                                // StatefulWindowedBolt
//   GALE_REGISTER_BOLT_AS(my::Split, "Split");   // a chosen name
//
// The names are what a topology's `className:` refers to. A plugin exports
// exactly two C functions, both defined here: gale_plugin_abi_version(),
// which the loader checks against its own before using anything else, and
// gale_plugin_classes(). Build plugins with hidden visibility (the
// gale_add_plugin() CMake helper does), so two plugins never share state.
#pragma once

#include <gale/basic_bolt.h>
#include <gale/bolt.h>
#include <gale/spout.h>
#include <gale/stateful_bolt.h>
#include <gale/stateful_spout.h>
#include <gale/stateful_windowed_bolt.h>
#include <gale/window_reduce.h>
#include <gale/windowed_bolt.h>

#include <memory>
#include <type_traits>
#include <vector>

// Bump whenever a type shared with plugins changes its layout or vtable.
#define GALE_ABI_VERSION 12

namespace gale {

enum class ComponentKind { kSpout, kBolt };

struct PluginClass {
  const char* name;
  ComponentKind kind;
  std::unique_ptr<Spout> (*make_spout)();  // set for spouts
  std::unique_ptr<Bolt> (*make_bolt)();    // set for bolts (but the two below)
  // Windowed bolts and keyed window reducers: the runtime runs them as bolts
  // (core/window).
  std::unique_ptr<WindowedBolt> (*make_windowed_bolt)() = nullptr;
  std::unique_ptr<WindowReducer> (*make_window_reducer)() = nullptr;
  // Stateful bolts (core/state): the runtime runs them as bolts too.
  std::unique_ptr<StatefulBolt> (*make_stateful_bolt)() = nullptr;
  // Stateful spouts (core/state): run as spouts.
  std::unique_ptr<StatefulSpout> (*make_stateful_spout)() = nullptr;
  // Stateful windowed bolts (core/window, persisted windows).
  std::unique_ptr<StatefulWindowedBolt> (*make_stateful_windowed_bolt)() = nullptr;
};

namespace plugin_internal {

// One list per plugin: hidden, so it is never merged with another library's.
__attribute__((visibility("hidden"))) inline std::vector<PluginClass>& Classes() {
  static std::vector<PluginClass> classes;
  return classes;
}

struct Registrar {
  explicit Registrar(PluginClass c) { Classes().push_back(c); }
};

template <typename T>
PluginClass SpoutClass(const char* name) {
  static_assert(std::is_base_of_v<Spout, T> || std::is_base_of_v<StatefulSpout, T>,
                "GALE_REGISTER_SPOUT needs a gale::Spout or StatefulSpout");
  PluginClass c{name, ComponentKind::kSpout, nullptr, nullptr};
  if constexpr (std::is_base_of_v<StatefulSpout, T>) {
    c.make_stateful_spout = []() -> std::unique_ptr<StatefulSpout> {
      return std::make_unique<T>();
    };
  } else {
    c.make_spout = []() -> std::unique_ptr<Spout> { return std::make_unique<T>(); };
  }
  return c;
}

template <typename T>
std::unique_ptr<Bolt> MakeBolt() {
  static_assert(std::is_base_of_v<Bolt, T> || std::is_base_of_v<BasicBolt, T>,
                "GALE_REGISTER_BOLT needs a gale::Bolt, BasicBolt, WindowedBolt, WindowReducer or "
                "StatefulBolt");
  if constexpr (std::is_base_of_v<BasicBolt, T>) {
    return std::make_unique<BasicBoltAdapter>(std::make_unique<T>());
  } else {
    return std::make_unique<T>();
  }
}

template <typename T>
PluginClass BoltClass(const char* name) {
  PluginClass c{name, ComponentKind::kBolt, nullptr, nullptr};
  if constexpr (std::is_base_of_v<StatefulWindowedBolt, T>) {
    c.make_stateful_windowed_bolt = []() -> std::unique_ptr<StatefulWindowedBolt> {
      return std::make_unique<T>();
    };
  } else if constexpr (std::is_base_of_v<WindowedBolt, T>) {
    c.make_windowed_bolt = []() -> std::unique_ptr<WindowedBolt> { return std::make_unique<T>(); };
  } else if constexpr (std::is_base_of_v<WindowReducer, T>) {
    c.make_window_reducer = []() -> std::unique_ptr<WindowReducer> {
      return std::make_unique<T>();
    };
  } else if constexpr (std::is_base_of_v<StatefulBolt, T>) {
    c.make_stateful_bolt = []() -> std::unique_ptr<StatefulBolt> { return std::make_unique<T>(); };
  } else {
    c.make_bolt = &MakeBolt<T>;
  }
  return c;
}

}  // namespace plugin_internal
}  // namespace gale

extern "C" __attribute__((visibility("default"), used)) inline int gale_plugin_abi_version() {
  return GALE_ABI_VERSION;
}
extern "C" __attribute__((visibility("default"), used)) inline const std::vector<gale::PluginClass>*
gale_plugin_classes() {
  return &gale::plugin_internal::Classes();
}

#define GALE_PLUGIN_CONCAT_INNER(a, b) a##b
#define GALE_PLUGIN_CONCAT(a, b) GALE_PLUGIN_CONCAT_INNER(a, b)

#define GALE_REGISTER_SPOUT_AS(Class, Name)                     \
  static ::gale::plugin_internal::Registrar GALE_PLUGIN_CONCAT( \
      gale_registrar_, __COUNTER__)(::gale::plugin_internal::SpoutClass<Class>(Name))
#define GALE_REGISTER_BOLT_AS(Class, Name)                      \
  static ::gale::plugin_internal::Registrar GALE_PLUGIN_CONCAT( \
      gale_registrar_, __COUNTER__)(::gale::plugin_internal::BoltClass<Class>(Name))
#define GALE_REGISTER_SPOUT(Class) GALE_REGISTER_SPOUT_AS(Class, #Class)
#define GALE_REGISTER_BOLT(Class) GALE_REGISTER_BOLT_AS(Class, #Class)
