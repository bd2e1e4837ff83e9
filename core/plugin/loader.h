// core/plugin/loader.h
//
// ClassRegistry loads plugin libraries with dlopen, checks each one's ABI
// version before touching anything else in it, and maps the class names they
// register to factories. Libraries stay loaded for the life of the process
// (no dlclose): instances, vtables and static state of a plugin may be in use
// until exit.
//
// Threading: load on one thread; Find()/Make*() are then safe from any.
#pragma once

#include "core/common/result.h"
#include "core/topology/topology_spec.h"
#include "core/topology/validator.h"

#include <gale/plugin.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gale::plugin {

class ClassRegistry {
 public:
  // The plugin that Classes() names for Gale's own classes (gale.WindowSum, ...).
  static constexpr const char* kBuiltin = topology::kBuiltinPlugin;

  // A registry with Gale's built-in classes only.
  ClassRegistry();

  // Loads every plugin of a topology. Errors name the plugin, the place in
  // the topology file that refers to it, and what is wrong with it.
  static Result<ClassRegistry> Load(const std::vector<topology::PluginRef>& plugins);

  // Loads one library. `where` prefixes errors ("wc.yaml:4:5: ").
  Status LoadLibrary(const std::string& path, const std::string& where);

  // Registers a class compiled into this process (tests, built-in
  // components). `origin` is what Classes() reports as its plugin.
  Status Add(const PluginClass& cls, const std::string& origin);

  const PluginClass* Find(std::string_view name) const;
  std::vector<topology::ClassInfo> Classes() const;

  // A new instance; errors for an unknown name, a name of the other kind, or
  // a constructor that throws.
  Result<std::unique_ptr<Spout>> MakeSpout(std::string_view name) const;
  Result<std::unique_ptr<Bolt>> MakeBolt(std::string_view name) const;

 private:
  struct Entry {
    PluginClass cls;
    std::string plugin;
  };
  std::map<std::string, Entry, std::less<>> classes_;
};

}  // namespace gale::plugin
