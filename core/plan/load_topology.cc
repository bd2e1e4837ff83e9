#include "core/plan/load_topology.h"

#include "core/multilang/shell_component.h"
#include "core/plugin/describe.h"
#include "core/topology/validator.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace gale::plan {

namespace {

// Shell components (core/multilang): the folder their commands run in is
// `resources/` next to the top-level YAML file (Storm's convention), or
// the file's own folder when it has none; their program must be on PATH
// and their scripts in that folder.
Status CheckShellComponents(topology::TopologySpec& spec) {
  bool any = false;
  for (const auto* list : {&spec.spouts, &spec.bolts}) {
    for (const auto& c : *list) any = any || multilang::IsShellClass(c.class_name);
  }
  if (!any) return Status::Ok();
  if (!spec.config.Contains(multilang::kResourcesDirKey)) {
    spec.config.Set(std::string(multilang::kResourcesDirKey),
                    Value(multilang::DefaultResourcesDir(spec.file)));
  }
  const std::string dir = spec.config.GetString(multilang::kResourcesDirKey, "");
  std::vector<std::string> errors;
  for (const auto* list : {&spec.spouts, &spec.bolts}) {
    for (const auto& c : *list) {
      if (!multilang::IsShellClass(c.class_name)) continue;
      const std::string kind = c.kind == ComponentKind::kSpout ? "spout" : "bolt";
      auto pos = c.config_pos.find(std::string(multilang::kCommandKey));
      const std::string where = pos != c.config_pos.end() ? pos->second.Prefix() : c.pos.Prefix();
      auto argv = multilang::CommandOf(spec.config.MergedWith(c.config));
      if (!argv.ok()) {
        errors.push_back(where + kind + " '" + c.id + "': " + argv.status().message());
        continue;
      }
      for (const auto& e : multilang::CheckCommand(*argv, dir)) {
        errors.push_back(where + kind + " '" + c.id + "': " + e);
      }
      auto fields = multilang::OutputFieldsOf(spec.config.MergedWith(c.config));
      if (!fields.ok())
        errors.push_back(where + kind + " '" + c.id + "': " + fields.status().message());
    }
  }
  if (errors.empty()) return Status::Ok();
  std::string msg;
  for (const auto& e : errors) msg += (msg.empty() ? "" : "\n") + e;
  return Status::InvalidArgument(msg);
}

}  // namespace

Result<LoadedTopology> LoadAndValidate(const std::string& file,
                                       const topology::LoadOptions& options,
                                       PluginIsolation isolation) {
  LoadedTopology out;
  GALE_ASSIGN_OR_RETURN(out.spec, topology::LoadTopologyFile(file, options));
  GALE_RETURN_IF_ERROR(topology::ValidateStructure(out.spec));
  GALE_RETURN_IF_ERROR(CheckShellComponents(out.spec));
  if (isolation == PluginIsolation::kInProcess) {
    GALE_ASSIGN_OR_RETURN(plugin::ClassRegistry registry,
                          plugin::ClassRegistry::Load(out.spec.plugins));
    out.registry = std::make_unique<plugin::ClassRegistry>(std::move(registry));
    out.classes = out.registry->Classes();
    GALE_RETURN_IF_ERROR(plugin::DescribeOutputs(out.spec, *out.registry));
  } else {
    GALE_ASSIGN_OR_RETURN(plugin::Description d,
                          plugin::DescribeInChildProcess(out.spec, std::chrono::seconds(30)));
    plugin::ApplyDescription(d, out.spec);
    out.classes = d.classes;
  }
  GALE_RETURN_IF_ERROR(topology::ValidateWithPlugins(out.spec, out.classes));
  out.warnings = topology::Warnings(out.spec);
  return out;
}

std::optional<LoadedTopology> LoadForCommand(const std::string& file,
                                             const std::string& filter_file,
                                             PluginIsolation isolation, std::ostream& err) {
  topology::LoadOptions load;
  load.filter_file = filter_file;
  load.plugin_search_path = DefaultPluginSearchPath();
  auto loaded = LoadAndValidate(file, load, isolation);
  if (!loaded.ok()) {
    err << loaded.status().message() << "\n";
    return std::nullopt;
  }
  for (const auto& w : loaded->warnings) err << "warning: " << w << "\n";
  return std::move(loaded).value();
}

std::vector<std::string> DefaultPluginSearchPath() {
  std::vector<std::string> path;
  if (const char* env = std::getenv("GALE_PLUGIN_PATH")) {
    std::stringstream ss(env);
    std::string dir;
    while (std::getline(ss, dir, ':')) {
      if (!dir.empty()) path.push_back(dir);
    }
  }
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    path.push_back((exe.parent_path().parent_path() / "lib").string());
    // Where `cmake --install` and the .deb put the connectors and examples.
    const auto installed = exe.parent_path().parent_path() / "lib" / "gale";
    if (std::filesystem::is_directory(installed, ec)) path.push_back(installed.string());
  }
  // The same folder twice (GALE_PLUGIN_PATH naming <gale>/../lib) is looked
  // in, and reported, once.
  std::vector<std::string> unique;
  for (const auto& dir : path) {
    const auto canon = std::filesystem::weakly_canonical(dir, ec).string();
    bool seen = false;
    for (const auto& u : unique) {
      seen = seen || std::filesystem::weakly_canonical(u, ec).string() == canon;
    }
    if (!seen) unique.push_back(dir);
  }
  return unique;
}

}  // namespace gale::plan
