// core/include/gale/stateful_windowed_bolt.h
//
// A StatefulWindowedBolt is a WindowedBolt with a checkpointed KeyValueState
// of its own, and whose window contents are checkpointed with it (Storm's
// IStatefulWindowedBolt with withPersistence()):
//
//   class WindowTotals : public gale::StatefulWindowedBolt {
//    public:
//     WindowTotals() { WithTumblingWindow(gale::Count(100)); }
//     void InitState(gale::KeyValueState& s) override { totals_ = &s; }
//     void Execute(const gale::TupleWindow& w) override {
//       for (const gale::Tuple* t : w.Get()) { ... totals_->Put(...) ... }
//     }
//     ...
//   };
//   GALE_REGISTER_BOLT(WindowTotals);
//
// At each checkpoint the window's tuples (those that arrived since the last
// one, and which left) and its clock are saved in the same transaction as
// the bolt's own state; a rollback, or a restart, brings both back to the
// last committed checkpoint. So a window's contribution to the state is
// neither lost nor counted twice when a worker dies, exactly once when every
// spout is a StatefulSpout (core/state/README.md).
//
// What changes from a WindowedBolt:
// - A tuple is acked once the checkpoint that saved it in the window has
//   committed, not when it leaves the window: the window is replayed from
//   the state, not from the spouts.
// - Emits are not anchored (a window restored after a restart holds tuples
//   whose trees have completed). At least once, a window executed again
//   after a rollback emits again; exactly once, downstream rolls back too.
// - The window's tuples are kept twice: in the window and in the state
//   (until they leave it).
//
// A plain WindowedBolt or a WindowReducer gets the same persistence with
// `window: { ..., persistent: true }`, and always in an exactly-once
// topology (core/window/README.md).
#pragma once

#include <gale/state.h>
#include <gale/windowed_bolt.h>

#include <cstdint>

namespace gale {

class StatefulWindowedBolt : public WindowedBolt {
 public:
  // The bolt's own state as last committed (empty the first time), given
  // before the first Execute(window). It stays valid for the bolt's life;
  // Gale rolls it back in place, with the window. Gale's own entries for
  // the window are not in it.
  virtual void InitState(KeyValueState& state) = 0;
  // Hooks around the checkpoint's phases, as StatefulBolt's.
  virtual void PrePrepare(int64_t txid) { (void)txid; }
  virtual void PreCommit(int64_t txid) { (void)txid; }
  virtual void PreRollback() {}
};

}  // namespace gale
