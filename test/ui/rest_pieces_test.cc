// The request parsing and formatting pieces of gale-ui (nimbus/ui/rest_api.h).
#include "core/http/http.h"
#include "nimbus/ui/rest_api.h"

#include <catch2/catch.hpp>

namespace gale::ui {
namespace {

using http::ParseTarget;

TEST_CASE("ParseTarget decodes path segments and query pairs", "[ui]") {
  auto t = ParseTarget("/api/v1/topology/word%20count/component/a%2Fb?window=%3Aall-time&sys=1&x");
  REQUIRE(t.ok());
  CHECK(t->segments ==
        std::vector<std::string>{"api", "v1", "topology", "word count", "component", "a/b"});
  CHECK(t->Query("window", "") == ":all-time");
  CHECK(t->Query("sys", "0") == "1");
  CHECK(t->Query("x", "?") == "");
  CHECK(t->Query("missing", "fallback") == "fallback");
  CHECK(ParseTarget("//a///b/")->segments == std::vector<std::string>{"a", "b"});
  CHECK(ParseTarget("/q?a=b+c")->Query("a", "") == "b c");
}

TEST_CASE("ParseTarget refuses malformed escapes and targets", "[ui]") {
  CHECK(!ParseTarget("/a%zz").ok());
  CHECK(!ParseTarget("/a%2").ok());
  CHECK(!ParseTarget("/a%").ok());
  CHECK(!ParseTarget("/?w=%g0").ok());
  CHECK(!ParseTarget("http://x/").ok());
  CHECK(!ParseTarget("").ok());
}

TEST_CASE("PrettyUptime is Storm's d h m s", "[ui]") {
  CHECK(PrettyUptime(0) == "0s");
  CHECK(PrettyUptime(59) == "59s");
  CHECK(PrettyUptime(61) == "1m 1s");
  CHECK(PrettyUptime(3600) == "1h 0m 0s");
  CHECK(PrettyUptime(600) == "10m 0s");
  CHECK(PrettyUptime(86400 + 3661) == "1d 1h 1m 1s");
  CHECK(PrettyUptime(-5) == "0s");
}

TEST_CASE("PromLabelValue escapes what the exposition format requires", "[ui]") {
  CHECK(PromLabelValue("plain") == "plain");
  CHECK(PromLabelValue("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
}

}  // namespace
}  // namespace gale::ui
