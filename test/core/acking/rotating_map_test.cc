#include "core/acking/acker_bolt.h"
#include "core/acking/rotating_map.h"

#include <catch2/catch.hpp>

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

}  // namespace
}  // namespace gale::acking
