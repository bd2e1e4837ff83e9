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
//              __ack_pack [acks]   (from bolts: (id, ack-val) pairs, below)
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
#include "core/common/little_endian.h"

#include <gale/bolt.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace gale::acking {

// string_views: comparing a std::string with one checks the sizes first.
inline constexpr std::string_view kAckerComponent = "__acker";
inline constexpr std::string_view kAckInitStream = "__ack_init";
inline constexpr std::string_view kAckAckStream = "__ack_ack";
inline constexpr std::string_view kAckFailStream = "__ack_fail";
inline constexpr std::string_view kAckResetTimeoutStream = "__ack_reset_timeout";
inline constexpr std::string_view kAckPackStream = "__ack_pack";

// A bolt's acks to one acker travel in packs, not a tuple each (Storm sends
// `__ack_ack [id, ack-val]` per ack): one tuple on `__ack_pack` whose only
// value is bytes, 16 per ack: the root id and the ack value, each 8 bytes
// little-endian. The executor appends an ack to the last pack it put into
// its batch for the acker's destination while the batch still holds it
// (and starts one otherwise), so a pack leaves exactly when a tuple sent in
// its place would have; an ack for the same root as the pack's last one is XORed
// into it (a bolt acking consecutive tuples of one tree: one ack). What
// the acker computes is unchanged: XOR is order-free and associative.
inline constexpr size_t kAckBytes = 16;
inline constexpr size_t kAckPackMax = 64;  // acks per pack: 1 KiB

// Adds the ack (root, val) to `pack`; false (and `pack` unchanged) when it
// is full.
inline bool AddAck(std::string& pack, uint64_t root, uint64_t val) {
  const size_t n = pack.size();
  if (n >= kAckBytes) {
    char* last = pack.data() + n - kAckBytes;
    if (LoadLittle64(last) == root) {
      StoreLittle64(last + 8, LoadLittle64(last + 8) ^ val);
      return true;
    }
  }
  if (n >= kAckPackMax * kAckBytes) return false;
  pack.resize(n + kAckBytes);
  StoreLittle64(pack.data() + n, root);
  StoreLittle64(pack.data() + n + 8, val);
  return true;
}

// The acks in a pack of `bytes` bytes; 0 when that is not one or more whole
// acks (a malformed pack).
inline size_t AcksIn(size_t bytes) {
  return bytes > 0 && bytes % kAckBytes == 0 ? bytes / kAckBytes : 0;
}

// How many acker messages `t` holds: a pack's acks, else 1 (the acker's
// "executed" counts acks, as Storm's does, not packs). A malformed pack
// (not one value of one or more whole acks) is one message, which Apply
// refuses.
// Never throws: it runs outside the acker's guarded Execute.
inline size_t MessagesIn(const Tuple& t) {
  if (t.source_stream() != kAckPackStream || t.size() != 1) return 1;
  const Value& v = t.values()[0];
  if (v.type() != ValueType::kBytes) return 1;
  return std::max<size_t>(AcksIn(v.AsBytes().data.size()), 1);
}

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

  // Applies one message on an __ack_* stream (others are ignored) and calls
  // answer(outcome) for each outcome that tells a spout something: a pack
  // may complete several trees. Returns how many acker messages it held (a
  // pack's acks, 1 for any other message).
  // Throws std::invalid_argument for a pack that is not whole acks.
  // `ahead(root)` is called for each root of a pack before any of its acks
  // applies, for the caller to prefetch what answering it will touch.
  template <typename F, typename A = void (*)(uint64_t)>
  size_t Apply(
      const Tuple& input, F&& answer, A&& ahead = [](uint64_t) {}) {
    if (input.source_stream() == kAckPackStream) return ApplyPack(input, answer, ahead);
    const Outcome out = ApplyOne(input);
    if (out.kind != Outcome::kNone) answer(out);
    return 1;
  }
  // The same for an __ack_init [root, val, spout_task] that was not sent as
  // a tuple (a spout executor that hosts the root's acker).
  Outcome Init(uint64_t root, uint64_t val, int32_t spout_task);
  // Once per message timeout (the acker's tick).
  void Rotate();
  size_t pending() const { return pending_.size(); }
  // Asks for `root`'s entry ahead of an Init or an ack (RotatingMap::Prefetch).
  void Prefetch(uint64_t root) const { pending_.Prefetch(root); }

 private:
  struct Entry {
    uint64_t val = 0;
    int32_t spout_task = -1;
    bool failed = false;
  };

  // What to tell the spout once `e` (of `root`) was updated; `reset`: the
  // update was a reset-timeout.
  Outcome Decide(Entry& e, uint64_t root, bool reset);
  // A message on __ack_init, __ack_fail or __ack_reset_timeout.
  Outcome ApplyOne(const Tuple& input);
  template <typename F, typename A>
  size_t ApplyPack(const Tuple& input, F& answer, A& ahead) {
    const std::string& pack = input.Get(0).AsBytes().data;
    if (AcksIn(pack.size()) == 0) {
      throw std::invalid_argument("an __ack_pack of " + std::to_string(pack.size()) +
                                  " bytes, not one or more whole 16-byte acks");
    }
    // The roots are random: each one's entry is a cache miss. Asking for
    // them all first overlaps the misses (perf, W3 acked: the tables were
    // the spout thread's largest item).
    for (size_t at = 0; at < pack.size(); at += kAckBytes) {
      const uint64_t root = LoadLittle64(pack.data() + at);
      pending_.Prefetch(root);
      ahead(root);
    }
    for (size_t at = 0; at < pack.size(); at += kAckBytes) {
      const uint64_t root = LoadLittle64(pack.data() + at);
      // Existing entries are not re-put, so acks do not extend their life
      // (as in Storm); only reset-timeout does.
      Entry& e = pending_.GetOrPut(root);
      e.val ^= LoadLittle64(pack.data() + at + 8);
      const Outcome out = Decide(e, root, false);
      if (out.kind != Outcome::kNone) answer(out);
    }
    return pack.size() / kAckBytes;
  }

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
