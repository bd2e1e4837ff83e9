// core/include/gale/window_reduce.h
//
// A keyed reduce over a window, computed incrementally (beyond Storm; Spark's
// reduceByKeyAndWindow(f, f_inv)):
//
//   class Sum : public gale::WindowReducer {
//     void Reduce(gale::Value& acc, const gale::Value& v) const override { acc = acc.AsInt() +
//     v.AsInt(); } bool HasInverse() const override { return true; } void Inverse(gale::Value& acc,
//     const gale::Value& out) const override { acc = acc.AsInt() - out.AsInt(); }
//   };
//   GALE_REGISTER_BOLT(Sum);
//
// and in the topology file:
//
//   - id: sums
//     className: Sum
//     window: { length: 60s, slide: 1s, key: word, value: count }
//
// At each slide it emits [key, value, windowEnd] for every key in the
// window (fields named after the key and value fields, and "windowEnd").
// The window is cut into panes of gcd(length, slide); each pane keeps one
// partial result per key. With an inverse, a slide costs the keys of the
// pane entering and of the pane leaving, whatever the window's length;
// without one, the keys of every pane in the window (not every tuple).
//
// Gale ships four: gale.WindowSum and gale.WindowCount (with inverses),
// gale.WindowMin and gale.WindowMax (panes). `inverse: false` in the
// `window:` block turns an inverse off.
//
// Acking: an input is acked once it is in its pane; results are not
// anchored (a window's result is not replayed if a worker dies before it
// is emitted). Late tuples go to the late tuple stream as in WindowedBolt.
#pragma once

#include <gale/topology_context.h>
#include <gale/values.h>

namespace gale {

class WindowReducer {
 public:
  virtual ~WindowReducer() = default;
  virtual void Prepare(const TopologyContext& context) { (void)context; }
  // f: folds `value` into `acc`. A key's first value in a pane is copied.
  virtual void Reduce(Value& acc, const Value& value) const = 0;
  // f_inv: takes `leaving` (the reduce of a pane leaving the window) back
  // out of `acc`. Only called when HasInverse().
  virtual bool HasInverse() const { return false; }
  virtual void Inverse(Value& acc, const Value& leaving) const {
    (void)acc;
    (void)leaving;
  }
  // The value a tuple contributes: its value field by default; Count
  // overrides it with 1.
  virtual bool CountsTuples() const { return false; }
};

}  // namespace gale
