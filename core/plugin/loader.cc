#include "core/plugin/loader.h"

#include "core/multilang/shell_component.h"
#include "core/state/checkpoint.h"
#include "core/window/runners.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <exception>

namespace gale::plugin {

Result<ClassRegistry> ClassRegistry::Load(const std::vector<topology::PluginRef>& plugins) {
  ClassRegistry registry;
  for (const auto& p : plugins) {
    if (p.path.empty()) {
      return Status::NotFound(p.pos.Prefix() + "plugin file '" + p.name + "' not found");
    }
    GALE_RETURN_IF_ERROR(registry.LoadLibrary(p.path, p.pos.Prefix()));
  }
  return registry;
}

Status ClassRegistry::LoadLibrary(const std::string& path, const std::string& where) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return Status::NotFound(where + "plugin file '" + path + "' not found");
  }
  // RTLD_LOCAL: two plugins never resolve symbols against each other.
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* err = ::dlerror();
    return Status::InvalidArgument(where + "cannot load plugin '" + path +
                                   "': " + (err ? err : "unknown dlopen error"));
  }
  using AbiFn = int (*)();
  using ClassesFn = const std::vector<PluginClass>* (*)();
  auto abi = reinterpret_cast<AbiFn>(::dlsym(handle, "gale_plugin_abi_version"));
  if (!abi) {
    return Status::InvalidArgument(where + "'" + path +
                                   "' is not a Gale plugin: it does not export "
                                   "gale_plugin_abi_version (include <gale/plugin.h> and register "
                                   "classes with GALE_REGISTER_SPOUT/GALE_REGISTER_BOLT)");
  }
  const int version = abi();
  if (version != GALE_ABI_VERSION) {
    return Status::InvalidArgument(
        where + "plugin '" + path + "' was built for Gale plugin ABI version " +
        std::to_string(version) + ", but this Gale uses ABI version " +
        std::to_string(GALE_ABI_VERSION) + ": rebuild the plugin against this Gale's SDK");
  }
  auto classes_fn = reinterpret_cast<ClassesFn>(::dlsym(handle, "gale_plugin_classes"));
  const std::vector<PluginClass>* classes = classes_fn ? classes_fn() : nullptr;
  if (!classes) {
    return Status::InvalidArgument(where + "'" + path +
                                   "' is not a Gale plugin: it does not export "
                                   "gale_plugin_classes");
  }
  if (classes->empty()) {
    return Status::InvalidArgument(where + "plugin '" + path + "' registers no classes");
  }
  for (size_t i = 0; i < classes->size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (std::string_view((*classes)[i].name) == (*classes)[j].name) {
        return Status::AlreadyExists(where + "plugin '" + path + "' registers class '" +
                                     (*classes)[i].name + "' twice");
      }
    }
  }
  for (const PluginClass& c : *classes) {
    Status s = Add(c, path);
    if (!s.ok()) return Status(s.code(), where + s.message());
  }
  return Status::Ok();
}

ClassRegistry::ClassRegistry() {
  for (const PluginClass& c : window::BuiltinClasses()) {
    classes_.emplace(c.name, Entry{c, kBuiltin});
  }
  for (const PluginClass& c : multilang::BuiltinClasses()) {
    classes_.emplace(c.name, Entry{c, kBuiltin});
  }
  const PluginClass& checkpoint = state::CheckpointSpoutClass();
  classes_.emplace(checkpoint.name, Entry{checkpoint, kBuiltin});
}

Status ClassRegistry::Add(const PluginClass& c, const std::string& origin) {
  auto it = classes_.find(c.name);
  if (it != classes_.end()) {
    if (it->second.plugin == origin) return Status::Ok();  // the same library listed twice
    return Status::AlreadyExists("class '" + std::string(c.name) + "' is registered by both '" +
                                 it->second.plugin + "' and '" + origin + "'");
  }
  classes_.emplace(c.name, Entry{c, origin});
  return Status::Ok();
}

const PluginClass* ClassRegistry::Find(std::string_view name) const {
  auto it = classes_.find(name);
  return it == classes_.end() ? nullptr : &it->second.cls;
}

std::vector<topology::ClassInfo> ClassRegistry::Classes() const {
  std::vector<topology::ClassInfo> out;
  for (const auto& [name, e] : classes_) out.push_back({name, e.cls.kind, e.plugin});
  return out;
}

namespace {

template <typename T, typename F>
Result<std::unique_ptr<T>> Construct(std::string_view name, F make) {
  try {
    std::unique_ptr<T> obj = make();
    if (!obj) return Status::Internal("factory of '" + std::string(name) + "' returned null");
    return obj;
  } catch (const std::exception& e) {
    return Status::Internal("constructor of '" + std::string(name) + "' threw: " + e.what());
  } catch (...) { return Status::Internal("constructor of '" + std::string(name) + "' threw"); }
}

}  // namespace

Result<std::unique_ptr<Spout>> ClassRegistry::MakeSpout(std::string_view name) const {
  const PluginClass* c = Find(name);
  if (!c) return Status::NotFound("no plugin registers class '" + std::string(name) + "'");
  if (c->kind != ComponentKind::kSpout) {
    return Status::InvalidArgument("class '" + std::string(name) + "' is a bolt, not a spout");
  }
  if (c->make_stateful_spout) {
    auto s = Construct<StatefulSpout>(name, c->make_stateful_spout);
    if (!s.ok()) return s.status();
    return state::RunStatefulSpout(std::move(*s));
  }
  return Construct<Spout>(name, c->make_spout);
}

Result<std::unique_ptr<Bolt>> ClassRegistry::MakeBolt(std::string_view name) const {
  const PluginClass* c = Find(name);
  if (!c) return Status::NotFound("no plugin registers class '" + std::string(name) + "'");
  if (c->kind != ComponentKind::kBolt) {
    return Status::InvalidArgument("class '" + std::string(name) + "' is a spout, not a bolt");
  }
  if (c->make_stateful_windowed_bolt) {
    auto w = Construct<StatefulWindowedBolt>(name, c->make_stateful_windowed_bolt);
    if (!w.ok()) return w.status();
    return window::RunStatefulWindowed(std::move(*w));
  }
  if (c->make_windowed_bolt) {
    auto w = Construct<WindowedBolt>(name, c->make_windowed_bolt);
    if (!w.ok()) return w.status();
    return window::RunWindowed(std::move(*w));
  }
  if (c->make_stateful_bolt) {
    auto b = Construct<StatefulBolt>(name, c->make_stateful_bolt);
    if (!b.ok()) return b.status();
    return state::RunStateful(std::move(*b));
  }
  if (c->make_window_reducer) {
    auto f = Construct<WindowReducer>(name, c->make_window_reducer);
    if (!f.ok()) return f.status();
    return window::RunReducer(std::move(*f));
  }
  return Construct<Bolt>(name, c->make_bolt);
}

}  // namespace gale::plugin
