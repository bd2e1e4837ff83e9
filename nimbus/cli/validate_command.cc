#include "nimbus/cli/validate_command.h"

#include "core/common/strings.h"
#include "core/plan/load_topology.h"
#include "core/plan/topology_plan.h"

#include <ostream>

namespace gale::cli {
namespace {

void PrintSummary(const topology::TopologySpec& spec, const plan::TopologyPlan& plan,
                  std::ostream& out) {
  out << spec.file << ": topology '" << spec.name << "' is valid\n";
  for (const auto* list : {&spec.spouts, &spec.bolts}) {
    for (const auto& c : *list) {
      out << "  " << (c.kind == ComponentKind::kSpout ? "spout " : "bolt  ") << c.id << " ("
          << c.class_name << "): " << c.parallelism << " executor(s), " << c.tasks()
          << " task(s)\n";
      for (const auto& s : c.outputs) {
        out << "      emits " << s.id << " [" << Join(s.fields.names()) << "]"
            << (s.direct == Direct::kYes ? " direct" : "") << "\n";
      }
    }
  }
  for (const auto& s : spec.streams) {
    out << "  stream " << s.from << ":" << s.stream << " -> " << s.to << " ("
        << topology::GroupingTypeName(s.grouping.type);
    if (!s.grouping.fields.empty()) out << " on " << Join(s.grouping.fields);
    out << ")\n";
  }
  out << "  " << plan.task_count() << " tasks in all, " << plan.acker_tasks().size()
      << " acker task(s), " << plan.settings().workers << " worker(s)\n";
}

}  // namespace

int RunValidate(const std::string& file, const std::string& filter_file, std::ostream& out,
                std::ostream& err) {
  auto loaded = plan::LoadForCommand(file, filter_file, plan::PluginIsolation::kChildProcess, err);
  if (!loaded) return 2;
  auto plan = plan::TopologyPlan::Build(loaded->spec);
  if (!plan.ok()) {
    err << plan.status().message() << "\n";
    return 2;
  }
  PrintSummary(loaded->spec, **plan, out);
  return 0;
}

}  // namespace gale::cli
