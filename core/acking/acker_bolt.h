// core/acking/acker_bolt.h
//
// The acker: Storm's XOR tuple-tree tracker, the system component
// `__acker`. AckerTable holds its rules; AckerBolt runs one as a bolt on an
// executor of its own, and a spout executor may run one on its thread
// (core/runtime/spout_executor.h). Per root id it XORs every value it is
// sent; zero means every edge of the tree was both created and acked, and
// the spout task that emitted the root is told on the direct stream
// `__ack_ack`. A fail anywhere sends `__ack_fail`. Messages may arrive in any
// order, including acks before the spout's init. Entries live in a 3-bucket
// RotatingMap rotated on every tick (one tick per message timeout), so a tree
// the spout has already timed out is forgotten 2T-3T after it was created or
// last reset (acks do not extend its life, as in Storm).
//
// Streams in:  __ack_init [id, init-val, spout-task]   (from spouts)
//              __ack_ack  [id, ack-val]                (from bolts)
//              __ack_fail [id], __ack_reset_timeout [id]
// Streams out (direct, to the spout task): __ack_ack, __ack_fail,
//              __ack_reset_timeout, each [id]. (Storm adds the time since
//              the init; the spout measures complete latency itself, so
//              that would be a clock read per message for nothing.)
//
// Threading: an AckerTable or AckerBolt belongs to the thread of the executor
// that runs its task.
#pragma once

#include "core/acking/rotating_map.h"

#include <gale/bolt.h>

#include <cstdint>
#include <string_view>

namespace gale::acking {

// string_views: comparing a std::string with one checks the sizes first.
inline constexpr std::string_view kAckerComponent = "__acker";
inline constexpr std::string_view kAckInitStream = "__ack_init";
inline constexpr std::string_view kAckAckStream = "__ack_ack";
inline constexpr std::string_view kAckFailStream = "__ack_fail";
inline constexpr std::string_view kAckResetTimeoutStream = "__ack_reset_timeout";

// The acker's state and rules, apart from how its messages arrive and
// leave: AckerBolt runs it as a bolt on its own executor, and a spout
// executor that hosts an acker (topology.acker.in.spout.executor) runs it
// on its own thread and completes its trees without a message.
class AckerTable {
 public:
  // What the spout task that emitted a root must be told.
  struct Outcome {
    enum Kind { kNone, kAck, kFail, kResetTimeout };
    Kind kind = kNone;
    int32_t spout_task = -1;
    uint64_t root = 0;
    // The stream that tells the spout.
    std::string_view stream() const {
      return kind == kAck ? kAckAckStream : kind == kFail ? kAckFailStream : kAckResetTimeoutStream;
    }
  };

  AckerTable() : pending_(3) {}

  // Applies one message on an __ack_* stream (others are ignored).
  Outcome Apply(const Tuple& input);
  // The same for an __ack_init [root, val, spout_task] that was not sent as
  // a tuple (a spout executor that hosts the root's acker).
  Outcome Init(uint64_t root, uint64_t val, int32_t spout_task);
  // Once per message timeout (the acker's tick).
  void Rotate();
  size_t pending() const { return pending_.size(); }

 private:
  struct Entry {
    uint64_t val = 0;
    int32_t spout_task = -1;
    bool failed = false;
  };

  // What to tell the spout once `e` (of `root`) was updated; `reset`: the
  // update was a reset-timeout.
  Outcome Decide(Entry& e, uint64_t root, bool reset);

  RotatingMap<uint64_t, Entry> pending_;
};

class AckerBolt final : public Bolt {
 public:
  void Prepare(const TopologyContext& context, OutputCollector& collector) override;
  void Execute(const Tuple& input) override;
  void DeclareOutputFields(OutputDeclarer& declarer) const override;

  size_t pending() const { return table_.pending(); }

 private:
  OutputCollector* collector_ = nullptr;
  AckerTable table_;
};

}  // namespace gale::acking
