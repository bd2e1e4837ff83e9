// nimbus/ui/prometheus.h
//
// GET /metrics: the cluster's statistics in Prometheus's text exposition
// format (version 0.0.4). Names start with gale_; labels are topology,
// component, stream, task ("3", or "3-4" for an executor of two tasks) and
// worker ("host:port"). Counters are all-time totals that nimbus keeps
// across worker restarts and rebalances, so rate() works; capacity is over
// the last 10 minutes (Storm's window). REST.md lists every metric.
#pragma once

#include "core/common/result.h"

#include <functional>
#include <string>

namespace gale::thrift {
class NimbusClient;
}

namespace gale::ui {

// Runs one call against nimbus (NimbusPool::Call).
using NimbusCall = std::function<Status(const std::function<void(thrift::NimbusClient&)>&)>;

Result<std::string> PrometheusText(const NimbusCall& call);

}  // namespace gale::ui
