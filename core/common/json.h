// core/common/json.h
//
// JSON: a writer that builds RFC 8259 text in one pass (gale-ui's REST
// answers, `gale list/info --json`), and a small parser (what clients POST,
// what the tests read back). Both are bounded and never throw: a malformed document is an
// error naming the byte offset where it went wrong.
//
// Threading: a JsonWriter or JsonValue belongs to one thread.
#pragma once

#include "core/common/result.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gale {

// Writes JSON text. Keys and values are appended in call order; commas are
// placed automatically. Strings are escaped (control characters as \u00XX,
// bytes that are not valid UTF-8 as U+FFFD) so any input gives valid JSON.
class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  // Inside an object: the next member's name.
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  // Finite values with up to `decimals` digits after the point; NaN and
  // infinities (which JSON lacks) as null.
  JsonWriter& Double(double value, int decimals = 3);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();

  // Key(key) followed by the value.
  JsonWriter& Field(std::string_view key, std::string_view value) { return Key(key).String(value); }
  JsonWriter& Field(std::string_view key, const char* value) { return Key(key).String(value); }
  JsonWriter& Field(std::string_view key, int64_t value) { return Key(key).Int(value); }
  JsonWriter& Field(std::string_view key, int32_t value) { return Key(key).Int(value); }
  JsonWriter& Field(std::string_view key, bool value) { return Key(key).Bool(value); }

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Separate();
  std::string out_;
  // Per open container: whether a value was written in it yet.
  std::vector<bool> has_value_;
  bool after_key_ = false;
};

// Appends `text` to `out` as a JSON string literal, quotes included.
void AppendJsonString(std::string& out, std::string_view text);

// A parsed JSON value.
struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<JsonValue> array;
  std::map<std::string, JsonValue> object;  // a repeated key: the last wins

  bool is_object() const { return kind == Kind::kObject; }
  // The member `key` of an object, or nullptr.
  const JsonValue* Find(const std::string& key) const;
};

// Parses one JSON document (surrounding whitespace allowed). Nesting deeper
// than 64 levels is refused. Errors: "invalid JSON at byte N: <what>".
Result<JsonValue> ParseJson(std::string_view text);

}  // namespace gale
