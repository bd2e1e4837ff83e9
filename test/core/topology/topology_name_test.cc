#include "core/topology/topology_name.h"

#include <catch2/catch.hpp>

namespace gale::topology {
namespace {

const std::string kRule =
    "a topology name is 1 to 128 printable ASCII characters, without white space, '/', '.', ':' "
    "or '\\', and does not start with '-'";

std::string Why(std::string_view name) {
  auto e = ValidateTopologyName(name);
  REQUIRE(e.has_value());
  CHECK(e->find('\n') == std::string::npos);
  CHECK(e->find('\r') == std::string::npos);
  CHECK(e->find('\0') == std::string::npos);
  return *e;
}

TEST_CASE("Topology names: printable ASCII without white space or Storm's four characters",
          "[topology]") {
  for (const char* good :
       {"wordcount", "a", "Word_Count-2", "wc+odd@name~1", "x$y!%(z)", "a-", "1234", "[x]{y}"}) {
    INFO(good);
    CHECK_FALSE(ValidateTopologyName(good).has_value());
  }
  CHECK_FALSE(ValidateTopologyName(std::string(128, 'n')).has_value());

  CHECK(Why("") == "invalid topology name '': it is empty; " + kRule);
  CHECK(Why("x sp2") == "invalid topology name 'x sp2': it contains a space; " + kRule);
  CHECK(Why("a\tb") == "invalid topology name 'a\\tb': it contains a tab; " + kRule);
  CHECK(Why("a\nINFO forged") ==
        "invalid topology name 'a\\nINFO forged': it contains a line break ('\\n'); " + kRule);
  CHECK(Why("a\rb") ==
        "invalid topology name 'a\\rb': it contains a carriage return ('\\r'); " + kRule);
  CHECK(Why(std::string("cut\0off", 7)) ==
        "invalid topology name 'cut\\x00off': it contains a NUL byte ('\\x00'); " + kRule);
  CHECK(Why("bell\a") ==
        "invalid topology name 'bell\\x07': it contains the control character '\\x07'; " + kRule);
  CHECK(Why("del\x7f") ==
        "invalid topology name 'del\\x7f': it contains the control character '\\x7f'; " + kRule);
  CHECK(Why("caf\xc3\xa9") ==
        "invalid topology name 'caf\\xc3\\xa9': it contains the non-ASCII byte '\\xc3'; " + kRule);
  for (const char* storm : {"a/b", "a.b", "a:b", "a\\b"}) {
    INFO(storm);
    CHECK(Why(storm) == std::string("invalid topology name '") + storm + "': it contains '" +
                            storm[1] + "'; " + kRule);
  }
  CHECK(Why("-x") == "invalid topology name '-x': it starts with '-'; " + kRule);
  // The first problem found is named: length, then characters, then the dash.
  CHECK_THAT(Why("- x"), Catch::Contains("it contains a space"));
}

TEST_CASE("A name too long is cut short in its message", "[topology]") {
  const std::string name(129, 'a');
  CHECK(Why(name) == "invalid topology name '" + std::string(64, 'a') +
                         "... (129 characters)': it has 129 characters, more than 128; " + kRule);
  CHECK(Why(std::string(100000, 'b')).size() < 400);
}

TEST_CASE("Topology ids take the characters of names and room for nimbus's numbers", "[topology]") {
  CHECK_FALSE(ValidateTopologyId("wordcount-1-1733000000").has_value());
  CHECK_FALSE(ValidateTopologyId(std::string(128, 'n') + "-9223372036854775807-"
                                                         "9223372036854775807")
                  .has_value());
  CHECK_THAT(*ValidateTopologyId("x y-1-1"),
             Catch::StartsWith("invalid topology id 'x y-1-1': it contains a space; "));
  CHECK(ValidateTopologyId("../etc-1-1").has_value());
  CHECK(ValidateTopologyId("").has_value());
  CHECK(ValidateTopologyId(std::string(171, 'n')).has_value());
}

TEST_CASE("PrintableForMessage escapes what could forge a line and cuts long text", "[topology]") {
  CHECK(PrintableForMessage("plain") == "plain");
  CHECK(PrintableForMessage("a\nb\rc\td") == "a\\nb\\rc\\td");
  CHECK(PrintableForMessage(std::string("\0\x1b\xff", 3)) == "\\x00\\x1b\\xff");
  CHECK(PrintableForMessage("abcdef", 3) == "abc... (6 characters)");
}

}  // namespace
}  // namespace gale::topology
