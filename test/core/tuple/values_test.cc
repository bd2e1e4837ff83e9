// Values keeps up to kInline values inside itself and spills to the heap
// beyond: every operation must behave as std::vector<Value>'s on both sides
// of that line, and moves must leave the source empty and usable.
#include <gale/values.h>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace gale {
namespace {

// A string too long for std::string's inline buffer, so that a copy that
// shares or loses its heap buffer shows (under ASan too).
std::string Long(int i) { return "a string long enough to live on the heap #" + std::to_string(i); }

Values Make(size_t n) {
  Values v;
  for (size_t i = 0; i < n; ++i) {
    if (i % 2) {
      v.push_back(Long(static_cast<int>(i)));
    } else {
      v.emplace_back(static_cast<int64_t>(i));
    }
  }
  return v;
}

std::vector<Value> AsVector(const Values& v) { return std::vector<Value>(v.begin(), v.end()); }

TEST_CASE("Values behaves like a vector of Value inline and on the heap", "[tuple]") {
  const size_t n = GENERATE(size_t{0}, size_t{1}, Values::kInline, Values::kInline + 1, size_t{40});
  Values v = Make(n);
  REQUIRE(v.size() == n);
  CHECK(v.empty() == (n == 0));
  CHECK(v.capacity() >= n);
  for (size_t i = 0; i < n; ++i) {
    if (i % 2) {
      CHECK(v[i].AsString() == Long(static_cast<int>(i)));
    } else {
      CHECK(v.at(i).AsInt() == static_cast<int64_t>(i));
    }
  }
  CHECK_THROWS_AS(v.at(n), std::out_of_range);

  SECTION("copies are equal and independent") {
    Values c = v;
    CHECK(c == v);
    c.push_back("more");
    CHECK(c.size() == n + 1);
    CHECK(v.size() == n);
    CHECK_FALSE(c == v);
    Values d;
    d = v;
    CHECK(d == v);
    d = d;  // self-assignment keeps it
    CHECK(d == v);
  }
  SECTION("moves take everything and leave the source empty and usable") {
    const auto before = AsVector(v);
    Values m = std::move(v);
    CHECK(AsVector(m) == before);
    CHECK(v.empty());  // NOLINT(bugprone-use-after-move): documented state
    v.push_back(1);
    CHECK(v.size() == 1);
    Values a = Make(Values::kInline + 3);
    a = std::move(m);
    CHECK(AsVector(a) == before);
    Values& self = a;
    a = std::move(self);
    CHECK(AsVector(a) == before);
  }
  SECTION("resize, pop_back, clear and reserve") {
    v.resize(n + 2);
    CHECK(v.size() == n + 2);
    CHECK(v.back().is_null());
    v.pop_back();
    CHECK(v.size() == n + 1);
    v.reserve(100);
    CHECK(v.capacity() >= 100);
    CHECK(v.size() == n + 1);
    v.resize(1);
    CHECK(v.size() == 1);
    v.clear();
    CHECK(v.empty());
  }
}

TEST_CASE("Values builds from braces, iterators and a count", "[tuple]") {
  Values a{"x", 2, 3.5, true, nullptr};
  REQUIRE(a.size() == 5);
  CHECK(a[0].AsString() == "x");
  CHECK(a[1].AsInt() == 2);
  CHECK(a[4].is_null());
  const std::vector<Value> source{1, 2, 3};
  Values b(source.begin(), source.end());
  CHECK(AsVector(b) == source);
  Values c(3);
  CHECK(c.size() == 3);
  CHECK(c[2].is_null());
  c = {7};
  CHECK(c.size() == 1);
  CHECK(c.front().AsInt() == 7);
  Values single{int64_t{5}};  // braces mean a list, as with std::vector
  CHECK(single.size() == 1);
}

TEST_CASE("A braced list builds each value from its argument: rvalues moved, lvalues copied",
          "[tuple]") {
  std::string kept = Long(1);
  std::string given = Long(2);
  const char* given_bytes = given.data();
  const Bytes blob{"\x01\x02"};
  const Value boxed = 9;
  Values v{kept,
           std::move(given),
           std::string_view(kept).substr(0, 8),
           "lit",
           Bytes{"b"},
           blob,
           boxed,
           Value(2.5),
           int8_t{-3},
           uint16_t{7},
           1.5f,
           false,
           nullptr};
  REQUIRE(v.size() == 13);
  CHECK(kept == Long(1));  // copied
  CHECK(v[0].AsString() == Long(1));
  CHECK(v[0].AsString().data() != kept.data());
  // Moved: the Value holds the very buffer `given` had, and `given` let it go.
  CHECK(v[1].AsString() == Long(2));
  CHECK(v[1].AsString().data() == given_bytes);
  CHECK(v[2].AsString() == "a string");
  CHECK(v[3].AsString() == "lit");
  CHECK(v[4].AsBytes().data == "b");
  CHECK(v[5].AsBytes() == blob);
  CHECK(v[6].AsInt() == 9);
  CHECK(v[7].AsDouble() == 2.5);
  CHECK(v[8].AsInt() == -3);
  CHECK(v[9].AsInt() == 7);
  CHECK(v[10].AsDouble() == 1.5);
  CHECK(v[11].AsBool() == false);
  CHECK(v[12].is_null());

  // Past kInline, and assigned from braces over values on the heap.
  Values w = Make(6);
  w = {Long(3), kept, 4};
  REQUIRE(w.size() == 3);
  CHECK(w[0].AsString() == Long(3));
  CHECK(w[1].AsString() == Long(1));
  CHECK(w[2].AsInt() == 4);
  Values none = {};
  CHECK(none.empty());

  // Numbers are kept by value (a bit-field has no address); `{}` is a null.
  struct Packed {
    int small : 4;
  } bits{5};
  Values n{bits.small, {}, std::string("w"), {}};
  REQUIRE(n.size() == 4);
  CHECK(n[0].AsInt() == 5);
  CHECK(n[1].is_null());
  CHECK(n[3].is_null());
  Values one_null{{}};
  CHECK(one_null.size() == 1);

  // What Value refuses, a braced list refuses too: a pointer would be a bool,
  // and a char or an enum is ambiguous. Nor do they count nulls through
  // Values(n), as a size_t parameter would let them (`Values{'a'}`: 97).
  enum Plain { kThree = 3 };
  static_assert(!std::is_constructible_v<ValueInit, const int*>);
  static_assert(!std::is_constructible_v<ValueInit, Values>);
  static_assert(!std::is_constructible_v<ValueInit, char>);
  static_assert(!std::is_constructible_v<ValueInit, Plain>);
  static_assert(!std::is_constructible_v<Values, char>);
  static_assert(!std::is_constructible_v<Values, Plain>);
  static_assert(std::is_constructible_v<ValueInit, std::string&&>);
}

TEST_CASE("Values takes its own values: push_back when full, braces assigned from itself",
          "[tuple]") {
  // Full inline, then full on the heap: the new value is read before the
  // old ones move (under ASan a read after the move is caught).
  for (size_t n : {Values::kInline, 2 * Values::kInline}) {
    Values v = Make(n);
    REQUIRE(v.size() == v.capacity());
    v.push_back(v[1]);
    v.emplace_back(v[1]);
    REQUIRE(v.size() == n + 2);
    CHECK(v[n].AsString() == Long(1));
    CHECK(v[n + 1].AsString() == Long(1));
    CHECK(v[1].AsString() == Long(1));
  }
  Values w{Long(1), Long(2)};
  w = {w[1], w[0], std::move(w[1])};
  REQUIRE(w.size() == 3);
  CHECK(w[0].AsString() == Long(2));
  CHECK(w[1].AsString() == Long(1));
  CHECK(w[2].AsString() == Long(2));
}

}  // namespace
}  // namespace gale
