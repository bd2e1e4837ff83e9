// core/include/gale/tuple.h
//
// Tuple is one input a bolt receives: the values, the fields that name them,
// and where it came from. The executor owns each Tuple; a bolt gets it by
// const reference for the duration of Execute() and may keep a copy to ack
// later. A copy carries the tuple's tree ids and the edges anchored to it so
// far; anchor to and ack the same object (copy or original), since edges of
// emits anchored to one are not seen by the other.
#pragma once

#include <gale/fields.h>
#include <gale/values.h>

#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gale {

inline constexpr std::string_view kDefaultStream = "default";
inline constexpr std::string_view kSystemComponent = "__system";
inline constexpr std::string_view kTickStream = "__tick";
inline constexpr int32_t kSystemTaskId = -1;

// What every tuple of one (component, stream) shares. Owned by the runtime,
// which keeps it alive for the topology's life; tuples point at it.
struct StreamMeta {
  std::string component;
  std::string stream;
  Fields fields;
  bool is_tick = false;
  uint32_t index = 0;  // the stream's position among the component's outputs
  // Set on the meta of a batch of rows (gale/rows.h): the stream its rows
  // are of. Null for every other tuple.
  const StreamMeta* row_meta = nullptr;
};

namespace internal {

// The runtime's access to a Tuple's acking identity. Declared here, defined
// only in Gale's core (core/tuple/tuple_access.h): plugin code cannot read
// or change a tuple's tree ids, so a bolt cannot corrupt a tuple tree.
struct TupleAccess;

// The (root id -> edge id) pairs of a tuple in one or more tuple trees.
// Almost every tuple is in zero or one tree, so one pair is stored inline.
class RootEdges {
 public:
  struct Pair {
    uint64_t root;
    uint64_t edge;
  };
  size_t size() const { return first_set_ ? 1 + more_.size() : 0; }
  bool empty() const { return !first_set_; }
  const Pair& operator[](size_t i) const { return i == 0 ? first_ : more_[i - 1]; }
  // XORs `edge` into the entry of `root`, adding it when absent.
  void XorInto(uint64_t root, uint64_t edge) {
    if (first_set_ && first_.root == root) {
      first_.edge ^= edge;
      return;
    }
    for (auto& p : more_) {
      if (p.root == root) {
        p.edge ^= edge;
        return;
      }
    }
    if (!first_set_) {
      first_ = {root, edge};
      first_set_ = true;
      return;
    }
    more_.push_back({root, edge});
  }
  template <typename F>
  void ForEach(F&& f) const {
    if (!first_set_) return;
    f(first_);
    for (const auto& p : more_) f(p);
  }

 private:
  Pair first_{0, 0};
  bool first_set_ = false;
  std::vector<Pair> more_;
};

}  // namespace internal

class Tuple {
 public:
  Tuple(const StreamMeta* meta, int32_t source_task, Values&& values)
      : meta_(meta), source_task_(source_task), values_(std::move(values)) {}
  Tuple(const StreamMeta* meta, int32_t source_task, const Values& values)
      : meta_(meta), source_task_(source_task), values_(values) {}
  Tuple(const Tuple& o) : meta_(o.meta_), source_task_(o.source_task_), values_(o.values_) {
    TreeFrom(o);
  }
  Tuple(Tuple&& o) noexcept
      : meta_(o.meta_), source_task_(o.source_task_), values_(std::move(o.values_)) {
    TreeFrom(std::move(o));
  }
  Tuple& operator=(const Tuple& o) {
    if (this != &o) {
      values_ = o.values_;
      meta_ = o.meta_;
      source_task_ = o.source_task_;
      TreeFrom(o);
    }
    return *this;
  }
  Tuple& operator=(Tuple&& o) noexcept {
    if (this != &o) {
      values_ = std::move(o.values_);
      meta_ = o.meta_;
      source_task_ = o.source_task_;
      TreeFrom(std::move(o));
    }
    return *this;
  }
  ~Tuple() { DropTree(); }

  const std::string& source_component() const { return meta_->component; }
  const std::string& source_stream() const { return meta_->stream; }
  int32_t source_task() const { return source_task_; }
  const Fields& fields() const { return meta_->fields; }
  // A tick tuple comes from `__system` on `__tick` and carries the tick
  // frequency in seconds as its only value.
  bool IsTick() const { return meta_->is_tick; }

  size_t size() const { return values_.size(); }
  const Values& values() const { return values_; }

  // Access by position or by field name. Both throw std::out_of_range naming
  // the index or field (and the stream) when it does not exist.
  const Value& Get(size_t i) const {
    if (i >= values_.size()) [[unlikely]]
      ThrowNoIndex(i);
    return values_[i];
  }
  const Value& Get(std::string_view field) const {
    auto i = meta_->fields.IndexOf(field);
    if (!i) [[unlikely]]
      ThrowNoField(field);
    return Get(*i);
  }
  template <typename K>
  bool GetBool(K k) const {
    return Get(k).AsBool();
  }
  template <typename K>
  int64_t GetInt(K k) const {
    return Get(k).AsInt();
  }
  template <typename K>
  double GetDouble(K k) const {
    return Get(k).AsDouble();
  }
  template <typename K>
  const std::string& GetString(K k) const {
    return Get(k).AsString();
  }
  template <typename K>
  const Bytes& GetBytes(K k) const {
    return Get(k).AsBytes();
  }
  template <typename K>
  bool IsNull(K k) const {
    return Get(k).is_null();
  }

  // What every tuple of this stream shares: one address per (component,
  // stream) for the topology's life, so a bolt may key a cache on it (say,
  // a field's index looked up once per stream).
  const StreamMeta* meta() const { return meta_; }

 private:
  // The acking identity (tree ids and the XOR of the children's edges) is
  // the runtime's alone: internal::TupleAccess.
  friend struct internal::TupleAccess;

  std::string Where() const { return meta_->component + ":" + meta_->stream; }
  // Out of line and cold, so that Get() is small enough to inline into a
  // bolt's Execute (with the messages built inline it was a call of its
  // own per field read: ~4% of W5's instructions, callgrind).
  [[noreturn, gnu::cold, gnu::noinline]] void ThrowNoIndex(size_t i) const {
    throw std::out_of_range("tuple from " + Where() + " has " + std::to_string(values_.size()) +
                            " values, no index " + std::to_string(i));
  }
  [[noreturn, gnu::cold, gnu::noinline]] void ThrowNoField(std::string_view field) const {
    throw std::out_of_range("stream " + Where() + " has no field '" + std::string(field) + "'");
  }

  // A tuple's place in its tuple trees: built on first use, so that a tuple
  // in no tree (acking off, an unanchored emit) never writes or reads these
  // bytes. They come last: such a tuple of up to two values then spans the
  // first two of its envelope's four cache lines (core/runtime/queue.h),
  // and only those travel between the producer's and the consumer's cores.
  struct Tree {
    internal::RootEdges roots;
    // XOR of the edge ids of the children anchored to this tuple so far;
    // sent with its ack.
    uint64_t ack_val = 0;
  };
  Tree* tree() const { return std::launder(reinterpret_cast<Tree*>(tree_)); }
  // Anchoring happens through the const Tuple& a bolt holds.
  Tree& MutableTree() const {
    if (!in_tree_) {
      new (tree_) Tree();
      in_tree_ = true;
    }
    return *tree();
  }
  void DropTree() {
    if (!in_tree_) return;
    tree()->~Tree();
    in_tree_ = false;
  }
  // This tuple's tree part becomes a copy of `o`'s, or takes it over; none
  // when `o` has none.
  void TreeFrom(const Tuple& o) { o.in_tree_ ? SetTree(*o.tree()) : DropTree(); }
  void TreeFrom(Tuple&& o) { o.in_tree_ ? SetTree(std::move(*o.tree())) : DropTree(); }
  template <typename T>  // const Tree& or Tree&&
  void SetTree(T&& from) {
    if (in_tree_) {
      *tree() = std::forward<T>(from);
    } else {
      new (tree_) Tree(std::forward<T>(from));
      in_tree_ = true;
    }
  }

  const StreamMeta* meta_;
  int32_t source_task_;
  mutable bool in_tree_ = false;  // tree_ holds a Tree
  Values values_;
  alignas(Tree) mutable unsigned char tree_[sizeof(Tree)];
};

}  // namespace gale
