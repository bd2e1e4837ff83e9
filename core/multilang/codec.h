// core/multilang/codec.h
//
// The messages of Storm's multilang protocol as a small document type
// (`Node`: null, bool, int64, double, string, bytes, list, map), and the two
// serializers a shell component may speak:
//
//   json     Storm's: one JSON document, then a line "end" (the document
//            itself may span lines). Integers stay exact int64.
//   msgpack  Gale's: each message its length as a msgpack uint32 (0xce and
//            4 bytes big-endian), then that many bytes of one MessagePack
//            value; the stream is a valid sequence of msgpack values. Storm has no msgpack
//            serializer (it closed the request as Won't Fix).
//
// `FrameReader` cuts a byte stream into messages for either. Everything
// here is pure (no I/O) and thread-compatible.
#pragma once

#include "core/common/result.h"

#include <gale/values.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gale::multilang {

struct Node {
  enum class Kind : uint8_t { kNull, kBool, kInt, kDouble, kString, kBytes, kList, kMap };
  Kind kind = Kind::kNull;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  std::string s;  // kString and kBytes
  std::vector<Node> list;
  std::vector<std::pair<std::string, Node>> map;  // in order; a repeated key: the first wins

  static Node Null() { return {}; }
  static Node Bool(bool v) {
    Node n;
    n.kind = Kind::kBool;
    n.b = v;
    return n;
  }
  static Node Int(int64_t v) {
    Node n;
    n.kind = Kind::kInt;
    n.i = v;
    return n;
  }
  static Node Double(double v) {
    Node n;
    n.kind = Kind::kDouble;
    n.d = v;
    return n;
  }
  static Node Str(std::string v) {
    Node n;
    n.kind = Kind::kString;
    n.s = std::move(v);
    return n;
  }
  static Node List() {
    Node n;
    n.kind = Kind::kList;
    return n;
  }
  static Node Map() {
    Node n;
    n.kind = Kind::kMap;
    return n;
  }

  bool is_null() const { return kind == Kind::kNull; }
  bool is_string() const { return kind == Kind::kString; }
  bool is_int() const { return kind == Kind::kInt; }
  bool is_list() const { return kind == Kind::kList; }
  bool is_map() const { return kind == Kind::kMap; }
  // A map's member, or nullptr (also for a non-map).
  const Node* Find(std::string_view key) const;
  Node& Add(std::string key, Node value) {
    map.emplace_back(std::move(key), std::move(value));
    return map.back().second;
  }
  bool operator==(const Node&) const = default;
};

const char* KindName(Node::Kind kind);

// gale::Value <-> Node. Bytes stay bytes (a JSON list of 0-255 numbers);
// a list or map coming back becomes its JSON text (tuple values are scalars
// in Gale).
Node FromValue(const Value& v);
Value ToValue(const Node& n);

// JSON text of `n` (compact, no newline). Bytes are written as a list of
// numbers; doubles that are not finite as null.
void AppendJson(const Node& n, std::string& out);
std::string ToJson(const Node& n);
// One JSON document. Errors: "invalid JSON at byte N: <what>".
Result<Node> ParseJson(std::string_view text);

// MessagePack (the spec's formats: nil, bool, ints, float 32/64, str, bin,
// array, map with string keys; ext types are refused).
void AppendMsgpack(const Node& n, std::string& out);
// Exactly one value filling `data`. Errors: "invalid msgpack at byte N: <what>".
Result<Node> ParseMsgpack(std::string_view data);

enum class Serializer { kJson, kMsgpack };
// "json" / "msgpack"; nullopt-like false for anything else.
bool ParseSerializer(std::string_view name, Serializer* out);
const char* SerializerName(Serializer s);

// One message, framed for the wire (JSON: text + "\nend\n"; msgpack: 0xce, length, value).
void AppendFrame(Serializer s, const Node& n, std::string& out);

// Cuts what a subprocess writes into messages.
class FrameReader {
 public:
  explicit FrameReader(Serializer s) : serializer_(s) {}
  void Feed(std::string_view bytes) { buf_.append(bytes.data(), bytes.size()); }
  // The next complete message: true and `out` set; false when more bytes
  // are needed. A message that does not parse is an error naming why and
  // quoting its start.
  Result<bool> Next(Node& out);
  // Bytes received but not yet a whole message.
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  Serializer serializer_;
  std::string buf_;
  size_t pos_ = 0;      // start of the unconsumed bytes
  size_t scanned_ = 0;  // JSON: bytes after pos_ already searched for an "end" line
};

}  // namespace gale::multilang
