// The multilang codecs: JSON as Storm frames it, Gale's msgpack frames.
#include "core/multilang/codec.h"
#include "core/multilang/shell_component.h"

#include <catch2/catch.hpp>

namespace gale::multilang {
namespace {

Node Sample() {
  Node m = Node::Map();
  m.Add("command", Node::Str("emit"));
  Node anchors = Node::List();
  anchors.list.push_back(Node::Str("17"));
  m.Add("anchors", std::move(anchors));
  Node tuple = Node::List();
  tuple.list.push_back(Node::Str("h\u00e9llo \"quoted\"\nline\ttab\\"));
  tuple.list.push_back(Node::Int(INT64_MAX));
  tuple.list.push_back(Node::Int(INT64_MIN));
  tuple.list.push_back(Node::Int(-3));
  tuple.list.push_back(Node::Double(1.5));
  tuple.list.push_back(Node::Double(2.0));
  tuple.list.push_back(Node::Bool(true));
  tuple.list.push_back(Node::Null());
  m.Add("tuple", std::move(tuple));
  return m;
}

TEST_CASE("JSON round-trips messages with exact 64-bit integers and escapes", "[multilang]") {
  const Node m = Sample();
  const std::string text = ToJson(m);
  CHECK(text.find("9223372036854775807") != std::string::npos);
  auto back = ParseJson(text);
  REQUIRE(back.ok());
  CHECK(*back == m);
  // 2.0 stays a double.
  CHECK(back->Find("tuple")->list[5].kind == Node::Kind::kDouble);
}

TEST_CASE("JSON parses what Python's json.dumps writes", "[multilang]") {
  auto n = ParseJson(
      R"({"command": "emit", "tuple": ["caf\u00e9", "\ud83d\ude00", 1e3, -0.5, [1, {"a": null}]]})");
  REQUIRE(n.ok());
  const auto& t = n->Find("tuple")->list;
  CHECK(t[0].s == "caf\xc3\xa9");
  CHECK(t[1].s == "\xf0\x9f\x98\x80");
  CHECK(t[2].d == 1000.0);
  CHECK(t[3].d == -0.5);
  // A list in a tuple becomes its JSON text (Gale's values are scalars).
  CHECK(ToValue(t[4]) == Value(std::string(R"([1,{"a":null}])")));
}

TEST_CASE("JSON errors say where", "[multilang]") {
  for (const char* bad : {"{", "{\"a\" 1}", "[1,]", "nul", "\"abc", "{} x", "[\"\\q\"]"}) {
    auto n = ParseJson(bad);
    INFO(bad);
    REQUIRE(!n.ok());
    CHECK(n.status().message().rfind("invalid JSON at byte ", 0) == 0);
  }
}

TEST_CASE("msgpack round-trips every kind, bytes included", "[multilang]") {
  Node m = Sample();
  Node bytes;
  bytes.kind = Node::Kind::kBytes;
  bytes.s = std::string("\x00\x01\xff", 3);
  m.Find("tuple");
  m.map.back().second.list.push_back(bytes);
  Node big = Node::List();
  for (int i = 0; i < 70000; ++i) big.list.push_back(Node::Int(i - 35000));
  m.Add("big", big);
  m.Add("long", Node::Str(std::string(70000, 'x')));
  std::string wire;
  AppendMsgpack(m, wire);
  auto back = ParseMsgpack(wire);
  REQUIRE(back.ok());
  CHECK(*back == m);
  CHECK(!ParseMsgpack(wire.substr(0, wire.size() - 1)).ok());
  CHECK(!ParseMsgpack(std::string("\xc1", 1)).ok());
}

TEST_CASE("gale::Value converts both ways", "[multilang]") {
  for (const Value& v : {Value(), Value(true), Value(int64_t{-7}), Value(2.5), Value("text"),
                         Value(Bytes{std::string("\x01\x02", 2)})}) {
    CHECK(ToValue(FromValue(v)) == v);
  }
}

TEST_CASE("FrameReader cuts JSON at 'end' lines however the bytes arrive", "[multilang]") {
  const std::string stream = "{\"pid\": 12}\nend\n{\"command\":\n \"sync\"}\nend\n[1,2]\nend\n";
  for (size_t step : {size_t{1}, size_t{2}, size_t{7}, stream.size()}) {
    FrameReader r(Serializer::kJson);
    std::vector<Node> got;
    for (size_t at = 0; at < stream.size(); at += step) {
      r.Feed(std::string_view(stream).substr(at, step));
      Node n;
      while (true) {
        auto more = r.Next(n);
        REQUIRE(more.ok());
        if (!*more) break;
        got.push_back(n);
      }
    }
    REQUIRE(got.size() == 3);
    CHECK(got[0].Find("pid")->i == 12);
    CHECK(got[1].Find("command")->s == "sync");
    CHECK(got[2].list.size() == 2);
  }
}

TEST_CASE("FrameReader reports a malformed message quoting it", "[multilang]") {
  FrameReader r(Serializer::kJson);
  r.Feed("this is not json\nend\n");
  Node n;
  auto got = r.Next(n);
  REQUIRE(!got.ok());
  CHECK(got.status().message() ==
        "invalid JSON at byte 0: unknown literal in message 'this is not json '");
  FrameReader e(Serializer::kJson);
  e.Feed("end\n");
  CHECK(!e.Next(n).ok());
}

TEST_CASE("FrameReader cuts msgpack frames by their length", "[multilang]") {
  std::string wire;
  AppendFrame(Serializer::kMsgpack, Sample(), wire);
  AppendFrame(Serializer::kMsgpack, Node::Str("second"), wire);
  CHECK(static_cast<uint8_t>(wire[0]) == 0xce);
  FrameReader r(Serializer::kMsgpack);
  std::vector<Node> got;
  for (char c : wire) {
    r.Feed(std::string_view(&c, 1));
    Node n;
    auto more = r.Next(n);
    REQUIRE(more.ok());
    if (*more) got.push_back(n);
  }
  REQUIRE(got.size() == 2);
  CHECK(got[0] == Sample());
  CHECK(got[1].s == "second");
  FrameReader bad(Serializer::kMsgpack);
  bad.Feed(std::string("\xce\x7f\xff\xff\xff", 5));
  CHECK(!bad.Next(got[0]).ok());
  FrameReader unframed(Serializer::kMsgpack);
  unframed.Feed(
      std::string("\x81\xa1"
                  "a\x01\x00",
                  5));
  auto e = unframed.Next(got[0]);
  REQUIRE(!e.ok());
  CHECK(e.status().message().find("must start with its length as a msgpack uint32") !=
        std::string::npos);
}

TEST_CASE("Commands and output fields travel as JSON config values", "[multilang]") {
  Config c;
  c.Set(std::string(kCommandKey), Value(EncodeCommand({"python3", "a b.py"})));
  c.Set(std::string(kOutputFieldsKey),
        Value(EncodeOutputFields({{"default", {"word"}}, {"errors", {"msg", "at"}}})));
  auto argv = CommandOf(c);
  REQUIRE(argv.ok());
  CHECK(*argv == std::vector<std::string>{"python3", "a b.py"});
  auto f = OutputFieldsOf(c);
  REQUIRE(f.ok());
  REQUIRE(f->size() == 2);
  CHECK((*f)[1].second == std::vector<std::string>{"msg", "at"});
  CHECK(!CommandOf(Config()).ok());
}

TEST_CASE("CheckCommand names a missing program or script", "[multilang]") {
  CHECK(CheckCommand({"sh", "-c", "true"}, "/").empty());
  auto e = CheckCommand({"python-that-does-not-exist", "nope.py"}, "/tmp");
  REQUIRE(e.size() == 2);
  CHECK(e[0].rfind("program 'python-that-does-not-exist' not found on PATH", 0) == 0);
  CHECK(e[1] == "script 'nope.py' not found in /tmp");
  auto rel = CheckCommand({"./missing.sh"}, "/tmp");
  REQUIRE(rel.size() == 1);
  CHECK(rel[0] == "program './missing.sh' not found (looked for /tmp/./missing.sh)");
}

}  // namespace
}  // namespace gale::multilang
