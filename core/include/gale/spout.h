// core/include/gale/spout.h
//
// A Spout is a source of tuples. Users subclass it in a plugin and register
// it with GALE_REGISTER_SPOUT (plugin.h); the runtime creates one instance
// per task.
//
// Threading: an instance belongs to one executor thread. Open(), NextTuple(),
// Ack(), Fail(), Activate(), Deactivate() and Close() are never called
// concurrently, so a Spout needs no locks for its own state.
#pragma once

#include <gale/config.h>
#include <gale/output_collector.h>
#include <gale/output_declarer.h>
#include <gale/own_cache_lines.h>
#include <gale/topology_context.h>

namespace gale {

class Spout : public OwnCacheLines {
 public:
  virtual ~Spout() = default;

  // Called once before anything else. `collector` outlives this Spout.
  virtual void Open(const TopologyContext& context, SpoutOutputCollector& collector) = 0;

  // Emits zero or more tuples and returns quickly. Called in a loop while
  // the topology is active and `topology.max.spout.pending` allows; when it
  // emits nothing the executor backs off briefly before calling again.
  virtual void NextTuple() = 0;

  // The tree of the tuple emitted with `id` completed.
  virtual void Ack(MessageId id) { (void)id; }
  // The tree failed (a bolt failed a tuple, or it timed out). A reliable
  // spout typically emits the message again.
  virtual void Fail(MessageId id) { (void)id; }

  // The topology became active / inactive (gale activate / deactivate).
  // NextTuple() is called only while active.
  virtual void Activate() {}
  virtual void Deactivate() {}

  // Best effort: not called when the worker is killed.
  virtual void Close() {}

  virtual void DeclareOutputFields(OutputDeclarer& declarer) const = 0;

  // A finite spout returns true once it has emitted everything it will ever
  // emit (replays included). `gale local` stops when every spout is
  // exhausted and every tree has completed or failed.
  virtual bool IsExhausted() const { return false; }

  // Config this component sets for itself; as Bolt::ComponentConfiguration.
  virtual Config ComponentConfiguration() const { return {}; }
};

}  // namespace gale
