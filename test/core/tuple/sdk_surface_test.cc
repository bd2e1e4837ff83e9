// What plugin code can and cannot do with a Tuple. This file includes the
// SDK alone, as a plugin does: a tuple's acking identity (its tree ids and
// the XOR of its children's edges) is out of reach, so a bolt can neither
// corrupt a tuple tree nor forge an ack; what a bolt needs is there.
#include <gale/gale.h>

#include <catch2/catch.hpp>

#include <cstdint>

namespace gale {
namespace {

template <typename T>
concept CanMutateRoots = requires(T& t) {
  t.mutable_roots();
};
template <typename T>
concept CanReadRoots = requires(const T& t) {
  t.roots();
};
template <typename T>
concept CanReadAckVal = requires(const T& t) {
  t.ack_val();
};
template <typename T>
concept CanXorAckVal = requires(const T& t) {
  t.XorAckVal(uint64_t{1});
};
template <typename T>
concept CanMutateValues = requires(T& t) {
  t.mutable_values();
};
template <typename T>
concept CanTouchMembers = requires(T& t) {
  t.in_tree_;
}
|| requires(T& t) { t.tree_; }
|| requires(T& t) { t.tree(); }
|| requires(T& t) { t.MutableTree(); };
template <typename T>
concept Complete = requires {
  sizeof(T);
};

static_assert(!CanMutateRoots<Tuple>);
static_assert(!CanReadRoots<Tuple>);
static_assert(!CanReadAckVal<Tuple>);
static_assert(!CanXorAckVal<Tuple>);
static_assert(!CanMutateValues<Tuple>);
static_assert(!CanTouchMembers<Tuple>);
// The runtime's accessor is declared by the SDK but defined only in Gale's
// core (core/tuple/tuple_access.h), which a plugin does not see.
static_assert(!Complete<internal::TupleAccess>);

// What a bolt does need is public.
template <typename T>
concept Readable = requires(const T& t) {
  t.Get(0);
  t.Get("field");
  t.GetString(0);
  t.values();
  t.fields();
  t.source_component();
  t.source_stream();
  t.source_task();
  t.IsTick();
  t.meta();
};
static_assert(Readable<Tuple>);
static_assert(std::is_copy_constructible_v<Tuple>);  // to hold and ack later

TEST_CASE("A tuple made in plugin code reads its values and fields", "[tuple]") {
  StreamMeta meta{"src", std::string(kDefaultStream), Fields{"word", "count"}, false, 0};
  const Tuple t(&meta, 3, Values{"storm", 2});
  const Tuple copy = t;
  CHECK(copy.GetString("word") == "storm");
  CHECK(copy.GetInt(1) == 2);
  CHECK(copy.source_task() == 3);
  CHECK(copy.meta() == &meta);
}

TEST_CASE("A read of a missing value, field or type says which, and where", "[tuple]") {
  StreamMeta meta{"src", std::string(kDefaultStream), Fields{"word", "count"}, false, 0};
  const Tuple t(&meta, 3, Values{"storm", 2});
  CHECK_THROWS_MATCHES(t.Get(2), std::out_of_range,
                       Catch::Message("tuple from src:default has 2 values, no index 2"));
  CHECK_THROWS_MATCHES(t.GetInt("user"), std::out_of_range,
                       Catch::Message("stream src:default has no field 'user'"));
  CHECK_THROWS_MATCHES(t.GetInt(0), std::invalid_argument,
                       Catch::Message("value is string, not int"));
  CHECK_THROWS_MATCHES(t.GetString("count"), std::invalid_argument,
                       Catch::Message("value is int, not string"));
  CHECK(t.GetString(0) == "storm");  // and the good reads still read
  CHECK(t.GetInt("count") == 2);
}

}  // namespace
}  // namespace gale
