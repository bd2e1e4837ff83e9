#include "core/acking/rotating_map.h"
#include "core/acking/acker_bolt.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace gale::acking {
namespace {

TEST_CASE("RotatingMap expires an entry after N rotations without a Put", "[acking]") {
  RotatingMap<int, std::string> m(2);
  m.Put(1, "one");
  std::vector<int> expired;
  auto collect = [&](int k, std::string&) { expired.push_back(k); };
  m.Rotate(collect);
  CHECK(expired.empty());
  CHECK(m.Contains(1));
  m.Rotate(collect);
  CHECK(expired == std::vector<int>{1});
  CHECK(m.empty());
}

TEST_CASE("RotatingMap Put moves an entry back to the newest bucket", "[acking]") {
  RotatingMap<int, int> m(3);
  m.Put(7, 1);
  m.Rotate([](int, int&) {});
  m.Rotate([](int, int&) {});
  m.Put(7, 2);  // reset
  int expired = 0;
  m.Rotate([&](int, int&) { ++expired; });
  m.Rotate([&](int, int&) { ++expired; });
  CHECK(expired == 0);
  REQUIRE(m.Get(7) != nullptr);
  CHECK(*m.Get(7) == 2);
  CHECK(m.size() == 1);
  int out = 0;
  CHECK(m.Remove(7, &out));
  CHECK(out == 2);
  CHECK_FALSE(m.Remove(7));
}

// The flat table against a model of Storm's buckets (one std::map per
// bucket), over random operations on keys that share their low bits (as an
// acker's do) and enough of them to make the table grow and wrap.
TEST_CASE("RotatingMap behaves like N buckets of maps under random operations", "[acking]") {
  const size_t n = GENERATE(2, 3);
  RotatingMap<uint64_t, int> m(n);
  std::vector<std::map<uint64_t, int>> model(n);
  std::mt19937_64 rng(42 + n);
  auto key = [&] { return (rng() % 3000) * 8 + 5; };  // all = 5 mod 8
  auto model_find = [&](uint64_t k) -> int* {
    for (auto& b : model) {
      auto it = b.find(k);
      if (it != b.end()) return &it->second;
    }
    return nullptr;
  };
  for (int step = 0; step < 200000; ++step) {
    const uint64_t op = rng() % 100;
    const uint64_t k = key();
    if (op < 50) {
      const int v = static_cast<int>(rng() % 1000);
      for (auto& b : model) b.erase(k);
      model[0][k] = v;
      m.Put(k, v);
    } else if (op < 75) {
      int got = -1, want = -1;
      bool found = false;
      for (auto& b : model) {
        auto it = b.find(k);
        if (it != b.end()) {
          want = it->second;
          b.erase(it);
          found = true;
        }
      }
      REQUIRE(m.Remove(k, &got) == found);
      if (found) REQUIRE(got == want);
    } else if (op < 99) {
      int* want = model_find(k);
      int* got = m.Get(k);
      REQUIRE((got == nullptr) == (want == nullptr));
      if (got) REQUIRE(*got == *want);
    } else {
      std::map<uint64_t, int> want = model.back();
      model.pop_back();
      model.insert(model.begin(), std::map<uint64_t, int>{});
      std::map<uint64_t, int> got;
      m.Rotate([&](uint64_t k2, int& v) { got[k2] = v; });
      REQUIRE(got == want);
    }
    size_t total = 0;
    for (auto& b : model) total += b.size();
    REQUIRE(m.size() == total);
  }
}

TEST_CASE("RotatingMap lets the expiry callback put entries back", "[acking]") {
  RotatingMap<int, int> m(2);
  for (int i = 0; i < 100; ++i) m.Put(i, i);
  m.Rotate([](int, int&) {});
  std::vector<int> expired;
  m.Rotate([&](int k, int& v) {
    expired.push_back(k);
    m.Put(k + 1000, v);  // a replay, as a spout's Fail() may do
  });
  CHECK(expired.size() == 100);
  CHECK(m.size() == 100);
  CHECK(m.Contains(1000));
  CHECK_FALSE(m.Contains(0));
}

}  // namespace
}  // namespace gale::acking
