// core/include/gale/output_collector.h
//
// The collectors through which spouts and bolts emit tuples. The runtime
// implements them; one instance per task, owned by the executor and valid
// from Open()/Prepare() until Close()/Cleanup().
//
// Threading: only the thread that runs the task's callbacks may call them.
#pragma once

#include <gale/tuple.h>
#include <gale/values.h>

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <optional>
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

// The inputs an output is anchored to: `{&a, &b}`, a vector, or nothing.
class Anchors {
 public:
  Anchors() = default;
  // The list lives until the end of the full expression that calls Emit(),
  // which is as long as an Anchors is used.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"
#endif
  Anchors(std::initializer_list<const Tuple*> list) : data_(list.begin()), size_(list.size()) {}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
  Anchors(const std::vector<const Tuple*>& list) : data_(list.data()), size_(list.size()) {}
  const Tuple* const* begin() const { return data_; }
  const Tuple* const* end() const { return data_ + size_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  const Tuple* const* data_ = nullptr;
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
  // Emitting to a stream this component did not declare throws
  // std::invalid_argument; so does a regular emit to a direct stream.
  template <ValuesArg V = Values>
  TaskIds Emit(V&& v) {
    return EmitTo(kDefaultStream, {}, detail::Pass(std::forward<V>(v)));
  }
  template <ValuesArg V = Values>
  TaskIds Emit(const Tuple& anchor, V&& v) {
    return EmitTo(kDefaultStream, {&anchor}, detail::Pass(std::forward<V>(v)));
  }
  template <ValuesArg V = Values>
  TaskIds Emit(Anchors anchors, V&& v) {
    return EmitTo(kDefaultStream, anchors, detail::Pass(std::forward<V>(v)));
  }
  template <ValuesArg V = Values>
  TaskIds Emit(Stream s, V&& v) {
    return EmitTo(s.id, {}, detail::Pass(std::forward<V>(v)));
  }
  template <ValuesArg V = Values>
  TaskIds Emit(Stream s, const Tuple& anchor, V&& v) {
    return EmitTo(s.id, {&anchor}, detail::Pass(std::forward<V>(v)));
  }
  template <ValuesArg V = Values>
  TaskIds Emit(Stream s, Anchors anchors, V&& v) {
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
    EmitDirectTo(task, kDefaultStream, {&anchor}, detail::Pass(std::forward<V>(v)));
  }
  template <ValuesArg V = Values>
  void EmitDirect(int32_t task, Anchors anchors, V&& v) {
    EmitDirectTo(task, kDefaultStream, anchors, detail::Pass(std::forward<V>(v)));
  }
  template <ValuesArg V = Values>
  void EmitDirect(int32_t task, Stream s, V&& v) {
    EmitDirectTo(task, s.id, {}, detail::Pass(std::forward<V>(v)));
  }
  template <ValuesArg V = Values>
  void EmitDirect(int32_t task, Stream s, const Tuple& anchor, V&& v) {
    EmitDirectTo(task, s.id, {&anchor}, detail::Pass(std::forward<V>(v)));
  }
  template <ValuesArg V = Values>
  void EmitDirect(int32_t task, Stream s, Anchors anchors, V&& v) {
    EmitDirectTo(task, s.id, anchors, detail::Pass(std::forward<V>(v)));
  }

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
  // into the tuple.
  virtual TaskIds EmitTo(std::string_view stream, Anchors anchors, Values&& values) = 0;
  virtual void EmitDirectTo(int32_t task, std::string_view stream, Anchors anchors,
                            Values&& values) = 0;
};

class SpoutOutputCollector {
 public:
  virtual ~SpoutOutputCollector() = default;

  // With a MessageId the tuple is reliable: its tree is tracked and the
  // spout's Ack(id) or Fail(id) runs when it completes, fails or times out.
  // Without one it is fire-and-forget.
  template <ValuesArg V = Values>
  TaskIds Emit(V&& v) {
    return EmitTo(kDefaultStream, detail::Pass(std::forward<V>(v)), std::nullopt);
  }
  template <ValuesArg V = Values>
  TaskIds Emit(V&& v, MessageId id) {
    return EmitTo(kDefaultStream, detail::Pass(std::forward<V>(v)), id);
  }
  template <ValuesArg V = Values>
  TaskIds Emit(Stream s, V&& v) {
    return EmitTo(s.id, detail::Pass(std::forward<V>(v)), std::nullopt);
  }
  template <ValuesArg V = Values>
  TaskIds Emit(Stream s, V&& v, MessageId id) {
    return EmitTo(s.id, detail::Pass(std::forward<V>(v)), id);
  }

  template <ValuesArg V = Values>
  void EmitDirect(int32_t task, V&& v) {
    EmitDirectTo(task, kDefaultStream, detail::Pass(std::forward<V>(v)), std::nullopt);
  }
  template <ValuesArg V = Values>
  void EmitDirect(int32_t task, V&& v, MessageId id) {
    EmitDirectTo(task, kDefaultStream, detail::Pass(std::forward<V>(v)), id);
  }
  template <ValuesArg V = Values>
  void EmitDirect(int32_t task, Stream s, V&& v) {
    EmitDirectTo(task, s.id, detail::Pass(std::forward<V>(v)), std::nullopt);
  }
  template <ValuesArg V = Values>
  void EmitDirect(int32_t task, Stream s, V&& v, MessageId id) {
    EmitDirectTo(task, s.id, detail::Pass(std::forward<V>(v)), id);
  }

  virtual void ReportError(std::string_view message) = 0;

 protected:
  virtual TaskIds EmitTo(std::string_view stream, Values&& values,
                         std::optional<MessageId> id) = 0;
  virtual void EmitDirectTo(int32_t task, std::string_view stream, Values&& values,
                            std::optional<MessageId> id) = 0;
};

}  // namespace gale
