// Values keeps up to kInline values inside itself and spills to the heap
// beyond: every operation must behave as std::vector<Value>'s on both sides
// of that line, and moves must leave the source empty and usable.
#include <gale/values.h>

#include <catch2/catch.hpp>

#include <string>
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

}  // namespace
}  // namespace gale
