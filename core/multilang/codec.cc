#include "core/multilang/codec.h"

#include "core/common/json.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace gale::multilang {

const Node* Node::Find(std::string_view key) const {
  if (kind != Kind::kMap) return nullptr;
  for (const auto& [k, v] : map) {
    if (k == key) return &v;
  }
  return nullptr;
}

const char* KindName(Node::Kind kind) {
  switch (kind) {
    case Node::Kind::kNull: return "null";
    case Node::Kind::kBool: return "a boolean";
    case Node::Kind::kInt: return "an integer";
    case Node::Kind::kDouble: return "a number";
    case Node::Kind::kString: return "a string";
    case Node::Kind::kBytes: return "bytes";
    case Node::Kind::kList: return "a list";
    case Node::Kind::kMap: return "a map";
  }
  return "?";
}

Node FromValue(const Value& v) {
  switch (v.type()) {
    case ValueType::kNull: return Node::Null();
    case ValueType::kBool: return Node::Bool(v.AsBool());
    case ValueType::kInt: return Node::Int(v.AsInt());
    case ValueType::kDouble: return Node::Double(v.AsDouble());
    case ValueType::kString: return Node::Str(v.AsString());
    case ValueType::kBytes: {
      Node n;
      n.kind = Node::Kind::kBytes;
      n.s = v.AsBytes().data;
      return n;
    }
  }
  return Node::Null();
}

Value ToValue(const Node& n) {
  switch (n.kind) {
    case Node::Kind::kNull: return Value();
    case Node::Kind::kBool: return Value(n.b);
    case Node::Kind::kInt: return Value(n.i);
    case Node::Kind::kDouble: return Value(n.d);
    case Node::Kind::kString: return Value(n.s);
    case Node::Kind::kBytes: return Value(Bytes{n.s});
    case Node::Kind::kList:
    case Node::Kind::kMap: return Value(ToJson(n));
  }
  return Value();
}

// ---------------------------------------------------------------------------
// JSON

namespace {

// Strings are written by core/common/json.h's AppendJsonString (control
// characters escaped, bytes that are not UTF-8 as U+FFFD: always valid JSON,
// which Python's json module needs). The parser below is this codec's own:
// integers stay exact int64 and maps keep their order, which JsonValue does
// not do.
class JsonParser {
 public:
  explicit JsonParser(std::string_view s) : s_(s) {}

  Result<Node> Parse() {
    Node n;
    if (!Value(n, 0)) return Err();
    Ws();
    if (pos_ != s_.size()) {
      what_ = "unexpected text after the value";
      return Err();
    }
    return n;
  }

 private:
  Status Err() const {
    return Status::InvalidArgument("invalid JSON at byte " + std::to_string(pos_) + ": " + what_);
  }
  bool Fail(const char* what) {
    what_ = what;
    return false;
  }
  void Ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t'))
      ++pos_;
  }
  bool Lit(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return Fail("unknown literal");
    pos_ += word.size();
    return true;
  }
  bool Value(Node& n, int depth) {
    if (depth > 64) return Fail("nested deeper than 64 levels");
    Ws();
    if (pos_ >= s_.size()) return Fail("unexpected end of input");
    const char c = s_[pos_];
    if (c == '{') return Object(n, depth);
    if (c == '[') return Array(n, depth);
    if (c == '"') {
      n.kind = Node::Kind::kString;
      return String(n.s);
    }
    if (c == 't') {
      n = Node::Bool(true);
      return Lit("true");
    }
    if (c == 'f') {
      n = Node::Bool(false);
      return Lit("false");
    }
    if (c == 'n') {
      n = Node::Null();
      return Lit("null");
    }
    if (c == '-' || (c >= '0' && c <= '9')) return Number(n);
    return Fail("expected a value");
  }
  bool Object(Node& n, int depth) {
    n.kind = Node::Kind::kMap;
    ++pos_;
    Ws();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      Ws();
      if (pos_ >= s_.size() || s_[pos_] != '"') return Fail("expected a string key");
      std::string key;
      if (!String(key)) return false;
      Ws();
      if (pos_ >= s_.size() || s_[pos_] != ':') return Fail("expected ':'");
      ++pos_;
      Node v;
      if (!Value(v, depth + 1)) return false;
      n.map.emplace_back(std::move(key), std::move(v));
      Ws();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return true;
      }
      return Fail("expected ',' or '}'");
    }
  }
  bool Array(Node& n, int depth) {
    n.kind = Node::Kind::kList;
    ++pos_;
    Ws();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      Node v;
      if (!Value(v, depth + 1)) return false;
      n.list.push_back(std::move(v));
      Ws();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return true;
      }
      return Fail("expected ',' or ']'");
    }
  }
  static void Utf8(uint32_t cp, std::string& out) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  bool Hex4(uint32_t& v) {
    if (pos_ + 4 > s_.size()) return Fail("short \\u escape");
    v = 0;
    for (int k = 0; k < 4; ++k) {
      const char h = s_[pos_++];
      v <<= 4;
      if (h >= '0' && h <= '9') v |= static_cast<uint32_t>(h - '0');
      else if (h >= 'a' && h <= 'f') v |= static_cast<uint32_t>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') v |= static_cast<uint32_t>(h - 'A' + 10);
      else return Fail("bad \\u escape");
    }
    return true;
  }
  bool String(std::string& out) {
    ++pos_;  // the quote
    while (true) {
      // Copy the run without escapes at once.
      size_t run = pos_;
      while (run < s_.size() && s_[run] != '"' && s_[run] != '\\') ++run;
      out.append(s_.data() + pos_, run - pos_);
      pos_ = run;
      if (pos_ >= s_.size()) return Fail("unterminated string");
      if (s_[pos_] == '"') {
        ++pos_;
        return true;
      }
      ++pos_;  // backslash
      if (pos_ >= s_.size()) return Fail("unterminated string");
      const char e = s_[pos_++];
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00 && s_.substr(pos_, 2) == "\\u") {
            pos_ += 2;
            uint32_t lo;
            if (!Hex4(lo)) return false;
            if (lo >= 0xDC00 && lo < 0xE000) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else {
              Utf8(cp, out);
              cp = lo;
            }
          }
          Utf8(cp, out);
          break;
        }
        default: return Fail("bad escape");
      }
    }
  }
  bool Number(Node& n) {
    const size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    bool integral = true;
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c >= '0' && c <= '9') {
        ++pos_;
      } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
        integral = false;
        ++pos_;
      } else {
        break;
      }
    }
    const std::string text(s_.substr(start, pos_ - start));
    if (text == "-") return Fail("bad number");
    if (integral) {
      errno = 0;
      char* end = nullptr;
      const long long v = std::strtoll(text.c_str(), &end, 10);
      if (errno == 0 && end && *end == '\0') {
        n = Node::Int(v);
        return true;
      }
    }
    char* end = nullptr;
    const double d = std::strtod(text.c_str(), &end);
    if (!end || *end != '\0') return Fail("bad number");
    n = Node::Double(d);
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0;
  const char* what_ = "";
};

}  // namespace

void AppendJson(const Node& n, std::string& out) {
  switch (n.kind) {
    case Node::Kind::kNull: out += "null"; break;
    case Node::Kind::kBool: out += n.b ? "true" : "false"; break;
    case Node::Kind::kInt: out += std::to_string(n.i); break;
    case Node::Kind::kDouble: {
      if (!std::isfinite(n.d)) {
        out += "null";
        break;
      }
      char buf[32];
      const int len = std::snprintf(buf, sizeof buf, "%.17g", n.d);
      out.append(buf, static_cast<size_t>(len));
      // Keep it a double on the way back ("1" would read as an int).
      if (std::strpbrk(buf, ".eE") == nullptr) out += ".0";
      break;
    }
    case Node::Kind::kString: AppendJsonString(out, n.s); break;
    case Node::Kind::kBytes: {
      out.push_back('[');
      for (size_t k = 0; k < n.s.size(); ++k) {
        if (k) out.push_back(',');
        out += std::to_string(static_cast<unsigned char>(n.s[k]));
      }
      out.push_back(']');
      break;
    }
    case Node::Kind::kList: {
      out.push_back('[');
      for (size_t k = 0; k < n.list.size(); ++k) {
        if (k) out.push_back(',');
        AppendJson(n.list[k], out);
      }
      out.push_back(']');
      break;
    }
    case Node::Kind::kMap: {
      out.push_back('{');
      for (size_t k = 0; k < n.map.size(); ++k) {
        if (k) out.push_back(',');
        AppendJsonString(out, n.map[k].first);
        out.push_back(':');
        AppendJson(n.map[k].second, out);
      }
      out.push_back('}');
      break;
    }
  }
}

std::string ToJson(const Node& n) {
  std::string out;
  AppendJson(n, out);
  return out;
}

Result<Node> ParseJson(std::string_view text) { return JsonParser(text).Parse(); }

// ---------------------------------------------------------------------------
// MessagePack

namespace {

void Put8(std::string& out, uint8_t v) { out.push_back(static_cast<char>(v)); }
void PutBE(std::string& out, uint64_t v, int bytes) {
  for (int k = bytes - 1; k >= 0; --k) out.push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
}
void PutStrHeader(std::string& out, size_t len, bool bin) {
  if (bin) {
    if (len < 256) {
      Put8(out, 0xc4);
      PutBE(out, len, 1);
    } else if (len < 65536) {
      Put8(out, 0xc5);
      PutBE(out, len, 2);
    } else {
      Put8(out, 0xc6);
      PutBE(out, len, 4);
    }
    return;
  }
  if (len < 32) {
    Put8(out, static_cast<uint8_t>(0xa0 | len));
  } else if (len < 256) {
    Put8(out, 0xd9);
    PutBE(out, len, 1);
  } else if (len < 65536) {
    Put8(out, 0xda);
    PutBE(out, len, 2);
  } else {
    Put8(out, 0xdb);
    PutBE(out, len, 4);
  }
}
void PutContainerHeader(std::string& out, size_t len, bool map) {
  if (len < 16) {
    Put8(out, static_cast<uint8_t>((map ? 0x80 : 0x90) | len));
  } else if (len < 65536) {
    Put8(out, map ? 0xde : 0xdc);
    PutBE(out, len, 2);
  } else {
    Put8(out, map ? 0xdf : 0xdd);
    PutBE(out, len, 4);
  }
}

class MsgpackParser {
 public:
  explicit MsgpackParser(std::string_view s) : s_(s) {}
  Result<Node> Parse() {
    Node n;
    if (!Value(n, 0)) return Err();
    if (pos_ != s_.size()) {
      what_ = "bytes left after the value";
      return Err();
    }
    return n;
  }

 private:
  Status Err() const {
    return Status::InvalidArgument("invalid msgpack at byte " + std::to_string(pos_) + ": " +
                                   what_);
  }
  bool Fail(const char* what) {
    what_ = what;
    return false;
  }
  bool Need(size_t n) { return pos_ + n <= s_.size() ? true : Fail("truncated value"); }
  uint64_t BE(int bytes) {
    uint64_t v = 0;
    for (int k = 0; k < bytes; ++k) v = (v << 8) | static_cast<uint8_t>(s_[pos_++]);
    return v;
  }
  bool Bytes(Node& n, size_t len, Node::Kind kind) {
    if (!Need(len)) return false;
    n.kind = kind;
    n.s.assign(s_.data() + pos_, len);
    pos_ += len;
    return true;
  }
  bool Value(Node& n, int depth) {
    if (depth > 64) return Fail("nested deeper than 64 levels");
    if (!Need(1)) return false;
    const uint8_t t = static_cast<uint8_t>(s_[pos_++]);
    if (t <= 0x7f) {
      n = Node::Int(t);
      return true;
    }
    if (t >= 0xe0) {
      n = Node::Int(static_cast<int8_t>(t));
      return true;
    }
    if ((t & 0xe0) == 0xa0) return Bytes(n, t & 0x1f, Node::Kind::kString);
    if ((t & 0xf0) == 0x90) return List(n, t & 0x0f, depth);
    if ((t & 0xf0) == 0x80) return Map(n, t & 0x0f, depth);
    switch (t) {
      case 0xc0: n = Node::Null(); return true;
      case 0xc2: n = Node::Bool(false); return true;
      case 0xc3: n = Node::Bool(true); return true;
      case 0xc4: return Need(1) && Bytes(n, BE(1), Node::Kind::kBytes);
      case 0xc5: return Need(2) && Bytes(n, BE(2), Node::Kind::kBytes);
      case 0xc6: return Need(4) && Bytes(n, BE(4), Node::Kind::kBytes);
      case 0xca: {
        if (!Need(4)) return false;
        const uint32_t bits = static_cast<uint32_t>(BE(4));
        float f;
        std::memcpy(&f, &bits, 4);
        n = Node::Double(f);
        return true;
      }
      case 0xcb: {
        if (!Need(8)) return false;
        const uint64_t bits = BE(8);
        double d;
        std::memcpy(&d, &bits, 8);
        n = Node::Double(d);
        return true;
      }
      case 0xcc: return Need(1) && (n = Node::Int(static_cast<int64_t>(BE(1))), true);
      case 0xcd: return Need(2) && (n = Node::Int(static_cast<int64_t>(BE(2))), true);
      case 0xce: return Need(4) && (n = Node::Int(static_cast<int64_t>(BE(4))), true);
      case 0xcf: {
        if (!Need(8)) return false;
        const uint64_t v = BE(8);
        if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
          return Fail("unsigned integer beyond int64");
        n = Node::Int(static_cast<int64_t>(v));
        return true;
      }
      case 0xd0: return Need(1) && (n = Node::Int(static_cast<int8_t>(BE(1))), true);
      case 0xd1: return Need(2) && (n = Node::Int(static_cast<int16_t>(BE(2))), true);
      case 0xd2: return Need(4) && (n = Node::Int(static_cast<int32_t>(BE(4))), true);
      case 0xd3: return Need(8) && (n = Node::Int(static_cast<int64_t>(BE(8))), true);
      case 0xd9: return Need(1) && Bytes(n, BE(1), Node::Kind::kString);
      case 0xda: return Need(2) && Bytes(n, BE(2), Node::Kind::kString);
      case 0xdb: return Need(4) && Bytes(n, BE(4), Node::Kind::kString);
      case 0xdc: return Need(2) && List(n, BE(2), depth);
      case 0xdd: return Need(4) && List(n, BE(4), depth);
      case 0xde: return Need(2) && Map(n, BE(2), depth);
      case 0xdf: return Need(4) && Map(n, BE(4), depth);
      default: return Fail("unsupported type byte (ext types are not supported)");
    }
  }
  bool List(Node& n, uint64_t len, int depth) {
    n.kind = Node::Kind::kList;
    if (len > s_.size() - pos_) return Fail("list longer than the message");
    n.list.resize(len);
    for (auto& v : n.list) {
      if (!Value(v, depth + 1)) return false;
    }
    return true;
  }
  bool Map(Node& n, uint64_t len, int depth) {
    n.kind = Node::Kind::kMap;
    if (len > s_.size() - pos_) return Fail("map longer than the message");
    n.map.reserve(len);
    for (uint64_t k = 0; k < len; ++k) {
      Node key;
      if (!Value(key, depth + 1)) return false;
      if (key.kind != Node::Kind::kString) return Fail("map key is not a string");
      Node v;
      if (!Value(v, depth + 1)) return false;
      n.map.emplace_back(std::move(key.s), std::move(v));
    }
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0;
  const char* what_ = "";
};

}  // namespace

void AppendMsgpack(const Node& n, std::string& out) {
  switch (n.kind) {
    case Node::Kind::kNull: Put8(out, 0xc0); break;
    case Node::Kind::kBool: Put8(out, n.b ? 0xc3 : 0xc2); break;
    case Node::Kind::kInt: {
      const int64_t v = n.i;
      if (v >= 0 && v <= 0x7f) {
        Put8(out, static_cast<uint8_t>(v));
      } else if (v < 0 && v >= -32) {
        Put8(out, static_cast<uint8_t>(static_cast<int8_t>(v)));
      } else if (v >= INT32_MIN && v <= INT32_MAX) {
        Put8(out, 0xd2);
        PutBE(out, static_cast<uint32_t>(static_cast<int32_t>(v)), 4);
      } else {
        Put8(out, 0xd3);
        PutBE(out, static_cast<uint64_t>(v), 8);
      }
      break;
    }
    case Node::Kind::kDouble: {
      uint64_t bits;
      std::memcpy(&bits, &n.d, 8);
      Put8(out, 0xcb);
      PutBE(out, bits, 8);
      break;
    }
    case Node::Kind::kString:
    case Node::Kind::kBytes:
      PutStrHeader(out, n.s.size(), n.kind == Node::Kind::kBytes);
      out += n.s;
      break;
    case Node::Kind::kList:
      PutContainerHeader(out, n.list.size(), false);
      for (const auto& v : n.list) AppendMsgpack(v, out);
      break;
    case Node::Kind::kMap:
      PutContainerHeader(out, n.map.size(), true);
      for (const auto& [k, v] : n.map) {
        PutStrHeader(out, k.size(), false);
        out += k;
        AppendMsgpack(v, out);
      }
      break;
  }
}

Result<Node> ParseMsgpack(std::string_view data) { return MsgpackParser(data).Parse(); }

bool ParseSerializer(std::string_view name, Serializer* out) {
  if (name == "json") {
    *out = Serializer::kJson;
    return true;
  }
  if (name == "msgpack") {
    *out = Serializer::kMsgpack;
    return true;
  }
  return false;
}

const char* SerializerName(Serializer s) { return s == Serializer::kJson ? "json" : "msgpack"; }

void AppendFrame(Serializer s, const Node& n, std::string& out) {
  if (s == Serializer::kJson) {
    AppendJson(n, out);
    out += "\nend\n";
    return;
  }
  // A msgpack uint32 (0xce, 4 bytes big-endian) with the body's length, then
  // the body: a fixed header to cut frames by, and the stream stays a valid
  // sequence of msgpack values, which a streaming unpacker reads in one go.
  const size_t at = out.size();
  out.append(5, '\0');
  AppendMsgpack(n, out);
  const uint64_t len = out.size() - at - 5;
  out[at] = static_cast<char>(0xce);
  for (int k = 0; k < 4; ++k) {
    out[at + 1 + static_cast<size_t>(k)] = static_cast<char>((len >> (8 * (3 - k))) & 0xFF);
  }
}

namespace {
std::string Quote(std::string_view text) {
  std::string q(text.substr(0, 200));
  for (char& c : q) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return "'" + q + (text.size() > 200 ? "...'" : "'");
}
}  // namespace

Result<bool> FrameReader::Next(Node& out) {
  if (serializer_ == Serializer::kMsgpack) {
    if (buf_.size() - pos_ < 5) return false;
    if (static_cast<uint8_t>(buf_[pos_]) != 0xce) {
      return Status::InvalidArgument(
          "a msgpack frame must start with its length as a msgpack uint32 (0xce), got byte " +
          std::to_string(static_cast<uint8_t>(buf_[pos_])) + " in " +
          Quote(std::string_view(buf_).substr(pos_, 40)));
    }
    uint64_t len = 0;
    for (int k = 1; k <= 4; ++k) {
      len = (len << 8) | static_cast<uint8_t>(buf_[pos_ + static_cast<size_t>(k)]);
    }
    if (len > (uint64_t{1} << 30)) {
      return Status::InvalidArgument(
          "msgpack frame of " + std::to_string(len) +
          " bytes announced (more than 1 GiB): not a Gale msgpack stream");
    }
    if (buf_.size() - pos_ - 5 < len) return false;
    const std::string_view body(buf_.data() + pos_ + 5, len);
    pos_ += 5 + len;
    auto n = ParseMsgpack(body);
    if (pos_ == buf_.size()) {
      buf_.clear();
      pos_ = 0;
    } else if (pos_ > (1 << 16) && pos_ * 2 > buf_.size()) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
    if (!n.ok()) return n.status();
    out = std::move(*n);
    return true;
  }
  // JSON: lines up to a line "end".
  while (true) {
    const size_t line = pos_ + scanned_;
    const size_t nl = buf_.find('\n', line);
    if (nl == std::string::npos) return false;
    std::string_view text(buf_.data() + line, nl - line);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (text != "end") {
      scanned_ = nl + 1 - pos_;
      continue;
    }
    std::string_view msg(buf_.data() + pos_, line - pos_);
    const std::string_view whole = msg;
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r')) msg.remove_suffix(1);
    Result<Node> n = msg.empty()
                         ? Result<Node>(Status::InvalidArgument("empty message before 'end'"))
                         : ParseJson(msg);
    std::string quoted;
    if (!n.ok()) quoted = Quote(whole);
    pos_ = nl + 1;
    scanned_ = 0;
    if (pos_ == buf_.size()) {
      buf_.clear();
      pos_ = 0;
    } else if (pos_ > (1 << 16) && pos_ * 2 > buf_.size()) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
    if (!n.ok()) return Status::InvalidArgument(n.status().message() + " in message " + quoted);
    out = std::move(*n);
    return true;
  }
}

}  // namespace gale::multilang
