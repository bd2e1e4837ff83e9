// core/include/gale/output_collector.h
//
// The collectors through which spouts and bolts emit tuples. The runtime
// implements them; one instance per task, owned by the executor and valid
// from Open()/Prepare() until Close()/Cleanup().
//
// Threading: only the thread that runs the task's callbacks may call them.
#pragma once

#include <gale/rows.h>
#include <gale/tuple.h>
#include <gale/values.h>

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace gale {

// Names a stream other than `default`: `collector.Emit(Stream{"words"}, ...)`.
struct Stream {
  std::string_view id;
};

// The ids of the tasks an emit went to. Valid until the next emit.
using TaskIds = std::span<const int32_t>;

// A spout's id for a tuple tree; handed back to Ack() or Fail().
struct MessageId {
  uint64_t value;
  bool operator==(const MessageId&) const = default;
};

// The inputs one emit is anchored to, as the runtime sees them: valid for
// the duration of the EmitTo() call only.
using AnchorSpan = std::span<const Tuple* const>;

// A set of inputs to anchor to, kept for later: `gale::Anchors a = {&x, &y};`
// then `a.push_back(&z)` and `out.Emit(a, values)`. It owns its pointers (up
// to kInline in place, more on the heap), so it stays valid as long as the
// tuples it points to, whatever list or vector it was built from. Emit also
// takes a braced list `{&a, &b}` or a `std::vector<const Tuple*>` directly,
// which builds nothing. (It used to keep an initializer_list's pointer: one
// kept in a variable dangled at the end of its statement.)
class Anchors {
 public:
  static constexpr size_t kInline = 8;

  Anchors() = default;
  Anchors(std::initializer_list<const Tuple*> list) { Append(list.begin(), list.size()); }
  Anchors(const std::vector<const Tuple*>& list) { Append(list.data(), list.size()); }
  Anchors(const Anchors&) = default;
  Anchors& operator=(const Anchors&) = default;
  Anchors(Anchors&& other) noexcept { *this = std::move(other); }
  Anchors& operator=(Anchors&& other) noexcept {
    if (this != &other) {
      std::copy(other.inline_, other.inline_ + kInline, inline_);
      heap_ = std::move(other.heap_);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }

  void push_back(const Tuple* t) { Append(&t, 1); }
  void clear() {
    heap_.clear();
    size_ = 0;
  }
  const Tuple* const* begin() const { return data(); }
  const Tuple* const* end() const { return data() + size_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  operator AnchorSpan() const { return {data(), size_}; }

 private:
  const Tuple* const* data() const { return size_ <= kInline ? inline_ : heap_.data(); }
  void Append(const Tuple* const* p, size_t n) {
    if (size_ + n <= kInline) {
      std::copy(p, p + n, inline_ + size_);
    } else {
      if (size_ <= kInline) heap_.assign(inline_, inline_ + size_);
      heap_.insert(heap_.end(), p, p + n);
    }
    size_ += n;
  }

  const Tuple* inline_[kInline] = {};
  std::vector<const Tuple*> heap_;  // all of them, once there are more than kInline
  size_t size_ = 0;
};

// The values an Emit takes: a Values rvalue, which the runtime moves once,
// into the tuple; an lvalue, which it copies; or a braced list,
// `Emit({"word", 1})`. (A by-value parameter moved every tuple's values
// once more, and moving a short string just written stalls on the store
// buffer: perf put that at a tenth of W1's spout thread.)
template <typename V>
concept ValuesArg = std::same_as<std::remove_cvref_t<V>, Values>;

namespace detail {
inline Values&& Pass(Values&& v) { return std::move(v); }
inline Values Pass(const Values& v) { return v; }
}  // namespace detail

class OutputCollector {
 public:
  virtual ~OutputCollector() = default;

  // Anchored emits join the anchors' tuple trees: the spout tuple is not
  // complete until the new tuple is acked too. Unanchored emits are not
  // tracked, and a failure downstream of them never reaches the spout.
  // The anchors: one input, a braced list `{&a, &b}`, a
  // `std::vector<const Tuple*>` or an `Anchors`.
  // Emitting to a stream this component did not declare throws
  // std::invalid_argument; so does a regular emit to a direct stream, and
  // an emit whose value count differs from the stream's declared fields.
  template <ValuesArg V = Values>
  TaskIds Emit(V&& v) {
    return EmitTo(kDefaultStream, {}, detail::Pass(std::forward<V>(v)));
  }
  template <ValuesArg V = Values>
  TaskIds Emit(const Tuple& anchor, V&& v) {
    const Tuple* a = &anchor;
    return EmitTo(kDefaultStream, {&a, 1}, detail::Pass(std::forward<V>(v)));
  }
  template <ValuesArg V = Values>
  TaskIds Emit(std::initializer_list<const Tuple*> anchors, V&& v) {
    return EmitTo(kDefaultStream, Span(anchors), detail::Pass(std::forward<V>(v)));
  }
  template <ValuesArg V = Values>
  TaskIds Emit(const std::vector<const Tuple*>& anchors, V&& v) {
    return EmitTo(kDefaultStream, anchors, detail::Pass(std::forward<V>(v)));
  }
  template <ValuesArg V = Values>
  TaskIds Emit(const Anchors& anchors, V&& v) {
    return EmitTo(kDefaultStream, anchors, detail::Pass(std::forward<V>(v)));
  }
  template <ValuesArg V = Values>
  TaskIds Emit(Stream s, V&& v) {
    return EmitTo(s.id, {}, detail::Pass(std::forward<V>(v)));
  }
  template <ValuesArg V = Values>
  TaskIds Emit(Stream s, const Tuple& anchor, V&& v) {
    const Tuple* a = &anchor;
    return EmitTo(s.id, {&a, 1}, detail::Pass(std::forward<V>(v)));
  }
  template <ValuesArg V = Values>
  TaskIds Emit(Stream s, std::initializer_list<const Tuple*> anchors, V&& v) {
    return EmitTo(s.id, Span(anchors), detail::Pass(std::forward<V>(v)));
  }
  template <ValuesArg V = Values>
  TaskIds Emit(Stream s, const std::vector<const Tuple*>& anchors, V&& v) {
    return EmitTo(s.id, anchors, detail::Pass(std::forward<V>(v)));
  }
  template <ValuesArg V = Values>
  TaskIds Emit(Stream s, const Anchors& anchors, V&& v) {
    return EmitTo(s.id, anchors, detail::Pass(std::forward<V>(v)));
  }

  // Sends to one task of a component that subscribed to this (direct)
  // stream with a DIRECT grouping. A task that did not subscribe gets nothing.
  template <ValuesArg V = Values>
  void EmitDirect(int32_t task, V&& v) {
    EmitDirectTo(task, kDefaultStream, {}, detail::Pass(std::forward<V>(v)));
  }
  template <ValuesArg V = Values>
  void EmitDirect(int32_t task, const Tuple& anchor, V&& v) {
    const Tuple* a = &anchor;
    EmitDirectTo(task, kDefaultStream, {&a, 1}, detail::Pass(std::forward<V>(v)));
  }
  template <ValuesArg V = Values>
  void EmitDirect(int32_t task, std::initializer_list<const Tuple*> anchors, V&& v) {
    EmitDirectTo(task, kDefaultStream, Span(anchors), detail::Pass(std::forward<V>(v)));
  }
  template <ValuesArg V = Values>
  void EmitDirect(int32_t task, const std::vector<const Tuple*>& anchors, V&& v) {
    EmitDirectTo(task, kDefaultStream, anchors, detail::Pass(std::forward<V>(v)));
  }
  template <ValuesArg V = Values>
  void EmitDirect(int32_t task, const Anchors& anchors, V&& v) {
    EmitDirectTo(task, kDefaultStream, anchors, detail::Pass(std::forward<V>(v)));
  }
  template <ValuesArg V = Values>
  void EmitDirect(int32_t task, Stream s, V&& v) {
    EmitDirectTo(task, s.id, {}, detail::Pass(std::forward<V>(v)));
  }
  template <ValuesArg V = Values>
  void EmitDirect(int32_t task, Stream s, const Tuple& anchor, V&& v) {
    const Tuple* a = &anchor;
    EmitDirectTo(task, s.id, {&a, 1}, detail::Pass(std::forward<V>(v)));
  }
  template <ValuesArg V = Values>
  void EmitDirect(int32_t task, Stream s, std::initializer_list<const Tuple*> anchors, V&& v) {
    EmitDirectTo(task, s.id, Span(anchors), detail::Pass(std::forward<V>(v)));
  }
  template <ValuesArg V = Values>
  void EmitDirect(int32_t task, Stream s, const std::vector<const Tuple*>& anchors, V&& v) {
    EmitDirectTo(task, s.id, anchors, detail::Pass(std::forward<V>(v)));
  }
  template <ValuesArg V = Values>
  void EmitDirect(int32_t task, Stream s, const Anchors& anchors, V&& v) {
    EmitDirectTo(task, s.id, anchors, detail::Pass(std::forward<V>(v)));
  }

  // One row of a batch (gale/rows.h): a tuple of these values to the
  // stream's subscribers, as Emit() would send, but written straight into
  // a batch per target task, which travels as one envelope of up to
  // topology.producer.batch.rows rows. Checked as Emit() is. A row anchored
  // to an input in a tuple tree is sent as a tuple of its own (with its
  // own edge, as Emit()); unanchored rows, and every row while acking is
  // off, are batched. Batches leave when full and after each input batch,
  // as envelopes do. `EmitRow({word, 1})`, `EmitRow(input, {word, 1})`.
  //
  // `EmitRow(word, 1)`, unanchored on the default stream, writes the values
  // straight into the open batch when the runtime has bound one (the stream
  // goes to one task whatever the values: one subscriber task, GLOBAL, a
  // chained consumer): no Row, no call (rows::TryAppend). Otherwise it is
  // `EmitRow({word, 1})`.
  template <rows::Storable... A>
  requires(sizeof...(A) > 0) [[gnu::always_inline]] void EmitRow(const A&... values) {
    if (!rows::TryAppend(default_rows_, default_fields_, values...)) EmitRowCall(values...);
  }
  void EmitRow(const Row& row) {
    if (!rows::TryAppendEncoded(default_rows_, default_fields_, row.bytes(), row.size())) {
      EmitRowTo(kDefaultStream, {}, row);
    }
  }
  void EmitRow(const Tuple& anchor, const Row& row) {
    const Tuple* a = &anchor;
    EmitRowTo(kDefaultStream, {&a, 1}, row);
  }
  void EmitRow(const Anchors& anchors, const Row& row) { EmitRowTo(kDefaultStream, anchors, row); }
  void EmitRow(Stream s, const Row& row) { EmitRowTo(s.id, {}, row); }
  void EmitRow(Stream s, const Tuple& anchor, const Row& row) {
    const Tuple* a = &anchor;
    EmitRowTo(s.id, {&a, 1}, row);
  }
  void EmitRow(Stream s, const Anchors& anchors, const Row& row) { EmitRowTo(s.id, anchors, row); }

  // Every input must eventually be acked or failed, or its tree times out.
  virtual void Ack(const Tuple& input) = 0;
  // Fails the input's trees at once: their spouts' Fail() runs.
  virtual void Fail(const Tuple& input) = 0;
  // Restarts the message timeout of the input's trees, for slow work.
  virtual void ResetTimeout(const Tuple& input) = 0;
  // Shows `message` as this component's last error (gale info, logs).
  virtual void ReportError(std::string_view message) = 0;

 protected:
  // The values are passed on by reference: the runtime moves them once,
  // into the tuple. `anchors` is valid during the call only.
  virtual TaskIds EmitTo(std::string_view stream, AnchorSpan anchors, Values&& values) = 0;
  virtual void EmitDirectTo(int32_t task, std::string_view stream, AnchorSpan anchors,
                            Values&& values) = 0;

  // For a collector that hands its emits on to another (the runtime's
  // wrappers around windowed and stateful bolts), anchors as they are.
  static TaskIds EmitThrough(OutputCollector& to, std::string_view stream, AnchorSpan anchors,
                             Values&& values) {
    return to.EmitTo(stream, anchors, std::move(values));
  }
  static void EmitDirectThrough(OutputCollector& to, int32_t task, std::string_view stream,
                                AnchorSpan anchors, Values&& values) {
    to.EmitDirectTo(task, stream, anchors, std::move(values));
  }

  template <typename... A>
  [[gnu::noinline]] void EmitRowCall(const A&... values) {
    EmitRowTo(kDefaultStream, {}, Row(values...));
  }

  // A row: sent as a tuple of its values unless the collector batches rows
  // (the runtime's do; a wrapper that hands emits on need not).
  virtual void EmitRowTo(std::string_view stream, AnchorSpan anchors, const Row& row) {
    EmitTo(stream, anchors, row.ToValues());
  }

  // The open batch of rows an unanchored EmitRow on the default stream
  // fills without a call, and the stream's value count; set and cleared by
  // the runtime only.
  rows::Channel* default_rows_ = nullptr;
  size_t default_fields_ = 0;

 private:
  static AnchorSpan Span(std::initializer_list<const Tuple*> list) {
    return {list.begin(), list.size()};
  }
};

class SpoutOutputCollector {
 public:
  virtual ~SpoutOutputCollector() = default;

  // With a MessageId the tuple is reliable: its tree is tracked and the
  // spout's Ack(id) or Fail(id) runs when it completes, fails or times out.
  // Without one it is fire-and-forget. The stream and value count are
  // checked as OutputCollector's are (std::invalid_argument).
  template <ValuesArg V = Values>
  TaskIds Emit(V&& v) {
    return EmitTo(kDefaultStream, detail::Pass(std::forward<V>(v)), nullptr);
  }
  template <ValuesArg V = Values>
  TaskIds Emit(V&& v, MessageId id) {
    return EmitTo(kDefaultStream, detail::Pass(std::forward<V>(v)), &id);
  }
  template <ValuesArg V = Values>
  TaskIds Emit(Stream s, V&& v) {
    return EmitTo(s.id, detail::Pass(std::forward<V>(v)), nullptr);
  }
  template <ValuesArg V = Values>
  TaskIds Emit(Stream s, V&& v, MessageId id) {
    return EmitTo(s.id, detail::Pass(std::forward<V>(v)), &id);
  }

  template <ValuesArg V = Values>
  void EmitDirect(int32_t task, V&& v) {
    EmitDirectTo(task, kDefaultStream, detail::Pass(std::forward<V>(v)), nullptr);
  }
  template <ValuesArg V = Values>
  void EmitDirect(int32_t task, V&& v, MessageId id) {
    EmitDirectTo(task, kDefaultStream, detail::Pass(std::forward<V>(v)), &id);
  }
  template <ValuesArg V = Values>
  void EmitDirect(int32_t task, Stream s, V&& v) {
    EmitDirectTo(task, s.id, detail::Pass(std::forward<V>(v)), nullptr);
  }
  template <ValuesArg V = Values>
  void EmitDirect(int32_t task, Stream s, V&& v, MessageId id) {
    EmitDirectTo(task, s.id, detail::Pass(std::forward<V>(v)), &id);
  }

  // A row of a batch, as OutputCollector::EmitRow: unreliable rows are
  // batched; a row with a MessageId is sent as a tuple of its own (its
  // tree is tracked as Emit()'s).
  template <rows::Storable... A>
  requires(sizeof...(A) > 0) [[gnu::always_inline]] void EmitRow(const A&... values) {
    if (!rows::TryAppend(default_rows_, default_fields_, values...)) EmitRowCall(values...);
  }
  void EmitRow(const Row& row) {
    if (!rows::TryAppendEncoded(default_rows_, default_fields_, row.bytes(), row.size())) {
      EmitRowTo(kDefaultStream, row, nullptr);
    }
  }
  void EmitRow(const Row& row, MessageId id) { EmitRowTo(kDefaultStream, row, &id); }
  void EmitRow(Stream s, const Row& row) { EmitRowTo(s.id, row, nullptr); }
  void EmitRow(Stream s, const Row& row, MessageId id) { EmitRowTo(s.id, row, &id); }

  virtual void ReportError(std::string_view message) = 0;

 protected:
  // `id` is null for an unreliable emit, else valid for the call only. A
  // pointer rather than std::optional: the optional was built on the caller's
  // stack (a one-byte store) and loaded into registers as eight bytes, which
  // the store buffer cannot forward: a stall in every spout's every emit
  // (perf, chained W1: two thirds of ConstSpout::NextTuple's samples).
  virtual TaskIds EmitTo(std::string_view stream, Values&& values, const MessageId* id) = 0;
  virtual void EmitDirectTo(int32_t task, std::string_view stream, Values&& values,
                            const MessageId* id) = 0;

 public:
  // (Declared last, so that the slots above keep their places in the vtable.)
  //
  // A hint from a source that knows when it next has something to emit (a
  // paced generator, a timer, a poll interval): nothing before `when`. Called
  // in a NextTuple that emitted nothing. While every task of the executor is
  // idle and has given a time, the executor sleeps until the earliest (at
  // least 0.1 ms, so that a fast source still emits in batches; at most
  // topology.spout.idle.max.wait.ms at a time), with the timer's slack taken
  // off, instead of polling NextTuple every 0.1 ms to 10 ms: the next tuple
  // goes out within microseconds of its time and the wait costs no CPU. Acks,
  // ticks and other input still wake the executor at once. The hint holds
  // until the next NextTuple; time_point::max() is no hint. Storm has no such
  // call (its spout wait strategies poll); ignoring it is always correct.
  virtual void WakeAt(std::chrono::steady_clock::time_point when) { (void)when; }

 protected:
  template <typename... A>
  [[gnu::noinline]] void EmitRowCall(const A&... values) {
    EmitRowTo(kDefaultStream, Row(values...), nullptr);
  }

  // A row (EmitRow): sent as a tuple of its values unless the collector
  // batches rows (the runtime's does).
  virtual void EmitRowTo(std::string_view stream, const Row& row, const MessageId* id) {
    EmitTo(stream, row.ToValues(), id);
  }

  // As OutputCollector's: set and cleared by the runtime only.
  rows::Channel* default_rows_ = nullptr;
  size_t default_fields_ = 0;
};

}  // namespace gale
