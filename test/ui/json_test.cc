// The UI's JSON writer and parser (nimbus/ui/json.h).
#include "core/common/json.h"

#include <catch2/catch.hpp>

#include <cmath>

namespace gale {
namespace {

TEST_CASE("JsonWriter places commas and escapes every string", "[ui][json]") {
  JsonWriter w;
  w.BeginObject()
      .Field("a", int64_t{1})
      .Key("b")
      .BeginArray()
      .String("x")
      .Int(-2)
      .Bool(false)
      .Null();
  w.EndArray().Field("c", "q\"uote\\back\nline\ttab\x01\x7f").Key("d").BeginObject().EndObject();
  w.Key("e").Double(1.23456).Key("f").Double(std::nan("")).EndObject();
  CHECK(
      w.str() ==
      "{\"a\":1,\"b\":[\"x\",-2,false,null],\"c\":\"q\\\"uote\\\\back\\nline\\ttab\\u0001\\u007f\","
      "\"d\":{},\"e\":1.235,\"f\":null}");
}

TEST_CASE("JsonWriter keeps valid UTF-8 and replaces invalid bytes", "[ui][json]") {
  std::string out;
  AppendJsonString(out, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");  // é € 😀
  CHECK(out == "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  out.clear();
  // A lone continuation byte, a truncated sequence, an overlong '/', a surrogate.
  AppendJsonString(out, "a\x80z\xe2\x82 \xc0\xaf \xed\xa0\x80");
  CHECK(out ==
        "\"a\xef\xbf\xbdz\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd "
        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
  // Whatever comes in, the parser reads back what the writer wrote.
  std::string text;
  AppendJsonString(text, std::string("x\0y\"\\\x1f", 6));
  auto back = ParseJson(text);
  REQUIRE(back.ok());
  CHECK(back->string == std::string("x\0y\"\\\x1f", 6));
}

TEST_CASE("ParseJson reads Storm's rebalance body", "[ui][json]") {
  auto v = ParseJson(
      " {\"rebalanceOptions\": {\"numWorkers\": 2, \"executors\": {\"spout\": \"5\", \"split\": "
      "7}},"
      " \"callback\": \"foo\", \"x\": [1.5e2, -0.25, true, null, \"\\u00e9\\ud83d\\ude00\"]} ");
  REQUIRE(v.ok());
  const JsonValue* opts = v->Find("rebalanceOptions");
  REQUIRE(opts);
  CHECK(opts->Find("numWorkers")->number == 2);
  CHECK(opts->Find("executors")->Find("spout")->string == "5");
  CHECK(opts->Find("executors")->Find("split")->number == 7);
  const auto& x = v->Find("x")->array;
  REQUIRE(x.size() == 5);
  CHECK(x[0].number == 150);
  CHECK(x[1].number == -0.25);
  CHECK(x[2].boolean);
  CHECK(x[3].kind == JsonValue::Kind::kNull);
  CHECK(x[4].string == "\xc3\xa9\xf0\x9f\x98\x80");
}

TEST_CASE("ParseJson says where a document is malformed", "[ui][json]") {
  auto message = [](std::string_view text) {
    auto v = ParseJson(text);
    REQUIRE(!v.ok());
    return v.status().message();
  };
  CHECK(message("") == "invalid JSON at byte 0: unexpected end");
  CHECK(message("{\"a\" 1}") == "invalid JSON at byte 5: expected ':' after a member name");
  CHECK(message("[1,]") == "invalid JSON at byte 3: expected a value");
  CHECK(message("{} x") == "invalid JSON at byte 3: unexpected text after the document");
  CHECK(message("\"abc") == "invalid JSON at byte 4: unterminated string");
  CHECK(message("\"\\ud800\"") == "invalid JSON at byte 7: lone surrogate in \\u escape");
  CHECK(message("tru") == "invalid JSON at byte 0: unknown literal");
  CHECK(message(std::string(100, '[')) == "invalid JSON at byte 65: nested deeper than 64 levels");
}

}  // namespace
}  // namespace gale
