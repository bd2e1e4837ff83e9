// core/include/gale/bolt.h
//
// A Bolt consumes tuples and may emit new ones. Users subclass it in a plugin
// library and register it with GALE_REGISTER_BOLT (plugin.h); the runtime
// creates one instance per task.
//
// Threading: an instance belongs to one executor thread. Prepare(), Execute()
// and Cleanup() are never called concurrently, so a Bolt needs no locks for
// its own state.
#pragma once

#include <gale/config.h>
#include <gale/output_collector.h>
#include <gale/output_declarer.h>
#include <gale/own_cache_lines.h>
#include <gale/topology_context.h>
#include <gale/tuple.h>

namespace gale {

class Bolt : public OwnCacheLines {
 public:
  virtual ~Bolt() = default;

  // Called once before the first Execute(). `collector` outlives this Bolt.
  virtual void Prepare(const TopologyContext& context, OutputCollector& collector) = 0;

  // Processes one input. Every input is eventually passed to Ack() or Fail();
  // an input that is neither is replayed by its spout after the message
  // timeout. Throwing fails the input and reports the error.
  virtual void Execute(const Tuple& input) = 0;

  // A batch of rows (gale/rows.h) from a producer's EmitRow(), all at once:
  // return true once it has handled them, and ack or fail `rows.tuple()`
  // once for all of them. The default returns false, and the runtime then
  // calls Execute() with each row as a Tuple (what a bolt written for
  // tuples sees: no difference but the cost). Throwing fails the batch.
  virtual bool ExecuteRows(const Rows& rows) {
    (void)rows;
    return false;
  }

  virtual void DeclareOutputFields(OutputDeclarer& declarer) const = 0;

  // Best effort: not called when the worker is killed.
  virtual void Cleanup() {}

  // Config this component sets for itself (Storm's getComponentConfiguration):
  // read when the topology is validated, before Prepare(), with the
  // topology file's keys winning. E.g. { topology.tick.tuple.freq.secs: 1 }
  // for a bolt that needs ticks.
  virtual Config ComponentConfiguration() const { return {}; }
};

}  // namespace gale
