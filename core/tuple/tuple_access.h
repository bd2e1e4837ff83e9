// core/tuple/tuple_access.h
//
// The runtime's access to a Tuple's acking identity: its (root, edge) pairs
// and the XOR of the edges of the children anchored to it. The SDK header
// only declares TupleAccess (and makes it Tuple's friend), so plugin code,
// which sees the SDK headers alone, cannot read or change them: a bolt can
// neither corrupt a tuple tree nor forge an ack.
#pragma once

#include <gale/tuple.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace gale::internal {

struct TupleAccess {
  static const RootEdges& roots(const Tuple& t) {
    static const RootEdges kNone;
    return t.in_tree_ ? t.tree()->roots : kNone;
  }
  // Builds the tuple's tree part when it has none yet: call it only to add
  // a root (a tuple in no tree never touches that part).
  static RootEdges& mutable_roots(Tuple& t) { return t.MutableTree().roots; }
  static uint64_t ack_val(const Tuple& t) { return t.in_tree_ ? t.tree()->ack_val : 0; }
  // Anchoring happens through the const Tuple& a bolt holds.
  static void XorAckVal(const Tuple& t, uint64_t v) { t.MutableTree().ack_val ^= v; }
  // A tuple's values, to decode into where it already lies (a remote
  // tuple, in its envelope: WorkerRuntime::DeliverFrame).
  static Values& mutable_values(Tuple& t) { return t.values_; }
  // The bytes of value `i`, which must hold bytes, to append to: an acker
  // pack still in its sender's batch (Executor::PackAck). Value offers only
  // const access; the Value itself is not const, so the cast is sound.
  static std::string& mutable_bytes(Tuple& t, size_t i) {
    return const_cast<std::string&>(t.values_[i].AsBytes().data);
  }
};

}  // namespace gale::internal
