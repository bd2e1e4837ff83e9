// core/include/gale/topology_context.h
//
// What a task knows about itself and its topology. Built by the runtime
// before Open()/Prepare(); valid for the task's life.
#pragma once

#include <gale/config.h>
#include <gale/log.h>
#include <gale/metrics.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace gale {

// A component's output stream: Storm's GlobalStreamId.
struct StreamId {
  std::string component;
  std::string stream;
  bool operator==(const StreamId&) const = default;
};

class TopologyContext {
 public:
  // `component_tasks` maps every component id to its sorted task ids; it is
  // owned by the runtime and outlives the context.
  TopologyContext(std::string topology_name, std::string component_id, int32_t task_id,
                  const std::map<std::string, std::vector<int32_t>, std::less<>>& component_tasks,
                  Config topology_config, Config component_config,
                  const LogSink* log_sink = nullptr, MetricsRegistry* metrics = nullptr,
                  std::vector<StreamId> sources = {})
      : logger_(component_id, task_id, log_sink),
        metrics_(metrics),
        topology_name_(std::move(topology_name)),
        component_id_(std::move(component_id)),
        task_id_(task_id),
        component_tasks_(component_tasks),
        topology_config_(std::move(topology_config)),
        component_config_(std::move(component_config)),
        config_(topology_config_.MergedWith(component_config_)),
        sources_(std::move(sources)) {}

  const std::string& topology_name() const { return topology_name_; }
  const std::string& component_id() const { return component_id_; }
  int32_t task_id() const { return task_id_; }

  // This task's tasks-of-the-component, and its 0-based index among them:
  // handy for splitting work between the tasks of one component.
  const std::vector<int32_t>& component_tasks() const { return GetComponentTasks(component_id_); }
  int task_index() const {
    const auto& tasks = component_tasks();
    for (size_t i = 0; i < tasks.size(); ++i) {
      if (tasks[i] == task_id_) return static_cast<int>(i);
    }
    return -1;
  }

  // Tasks of any component; empty for an unknown id.
  const std::vector<int32_t>& GetComponentTasks(std::string_view component) const {
    static const std::vector<int32_t> kNone;
    auto it = component_tasks_.find(component);
    return it == component_tasks_.end() ? kNone : it->second;
  }

  // The streams this component subscribes to (Storm's getThisSources()),
  // sorted; empty in a context a test built itself.
  const std::vector<StreamId>& sources() const { return sources_; }

  // The effective config: topology config with the component's own entries
  // over it. The two layers are available apart as well.
  const Config& config() const { return config_; }
  const Config& topology_config() const { return topology_config_; }
  const Config& component_config() const { return component_config_; }

  // This task's logger (gale/log.h): lines carry "component:task".
  const Logger& logger() const { return logger_; }

  // User metrics (gale/metrics.h), Storm's registerCounter and friends: call
  // from Open/Prepare. Without a registry (a context a test built itself)
  // they return handles that record nothing.
  Counter RegisterCounter(std::string_view name) const {
    return metrics_ ? metrics_->RegisterCounter(name) : Counter();
  }
  Gauge RegisterGauge(std::string_view name) const {
    return metrics_ ? metrics_->RegisterGauge(name) : Gauge();
  }
  Histogram RegisterHistogram(std::string_view name, std::vector<double> bounds) const {
    return metrics_ ? metrics_->RegisterHistogram(name, std::move(bounds)) : Histogram();
  }

 private:
  Logger logger_;
  MetricsRegistry* metrics_;
  std::string topology_name_;
  std::string component_id_;
  int32_t task_id_;
  const std::map<std::string, std::vector<int32_t>, std::less<>>& component_tasks_;
  Config topology_config_;
  Config component_config_;
  Config config_;
  std::vector<StreamId> sources_;
};

}  // namespace gale
