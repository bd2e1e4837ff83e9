// connectors/common/ticks.h
//
// The ticks a batching sink needs to write (or serve) by age when no input
// comes: it asks for them in its ComponentConfiguration() (Storm's
// getComponentConfiguration; a topology.tick.tuple.freq.secs in the topology
// file wins, and 0 there turns them off), and warns at Prepare when they are
// off. Header only, like backoff.h.
#pragma once

#include <gale/config.h>
#include <gale/log.h>

#include <string>

namespace gale::connectors {

inline constexpr const char* kTickKey = "topology.tick.tuple.freq.secs";

inline Config TicksEvery(double secs) {
  Config c;
  c.Set(kTickKey, secs);
  return c;
}

// `without` says what happens with no ticks ("a partial batch is written
// only when the next input comes").
inline void WarnWithoutTicks(const Config& config, const Logger& logger,
                             const std::string& without) {
  if (config.GetDouble(kTickKey, 0) <= 0) {
    logger.Warn("no ", kTickKey, " on this bolt: ", without);
  }
}

}  // namespace gale::connectors
