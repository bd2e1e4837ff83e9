// core/include/gale/values.h
//
// Value is one field of a tuple: null, bool, int64, double, string or bytes.
// Values is the ordered list a tuple carries. Both are plain value types,
// safe to copy and move between threads.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace gale {

// Raw bytes, kept apart from text so that a consumer knows which one it got.
struct Bytes {
  std::string data;
  bool operator==(const Bytes&) const = default;
};

enum class ValueType : uint8_t { kNull = 0, kBool, kInt, kDouble, kString, kBytes };

inline const char* ValueTypeName(ValueType t) {
  switch (t) {
    case ValueType::kNull: return "null";
    case ValueType::kBool: return "bool";
    case ValueType::kInt: return "int";
    case ValueType::kDouble: return "double";
    case ValueType::kString: return "string";
    case ValueType::kBytes: return "bytes";
  }
  return "?";
}

class Value {
 public:
  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : rep_(b) {}
  // Every integral type except bool becomes int64, so `Value(size_t{3})` and
  // `Value(7)` both work without casts.
  template <typename I, std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool> &&
                                             !std::is_same_v<I, char>, int> = 0>
  Value(I i) : rep_(static_cast<int64_t>(i)) {}
  Value(double d) : rep_(d) {}
  Value(float d) : rep_(static_cast<double>(d)) {}
  Value(std::string s) : rep_(std::move(s)) {}
  Value(std::string_view s) : rep_(std::string(s)) {}
  Value(const char* s) : rep_(std::string(s)) {}
  Value(Bytes b) : rep_(std::move(b)) {}
  // Any other pointer would silently become a bool; refuse it instead.
  Value(const void*) = delete;

  ValueType type() const { return static_cast<ValueType>(rep_.index()); }
  bool is_null() const { return type() == ValueType::kNull; }

  // Typed access. Each throws std::invalid_argument naming the actual type
  // when the value holds another one; inside Execute() that fails the input.
  bool AsBool() const { return Get<bool>(ValueType::kBool); }
  int64_t AsInt() const { return Get<int64_t>(ValueType::kInt); }
  double AsDouble() const { return Get<double>(ValueType::kDouble); }
  const std::string& AsString() const { return Get<std::string>(ValueType::kString); }
  const Bytes& AsBytes() const { return Get<Bytes>(ValueType::kBytes); }

  bool operator==(const Value&) const = default;

  // Readable form for logs and reports: strings unquoted, bytes as <N bytes>.
  std::string ToString() const {
    switch (type()) {
      case ValueType::kNull: return "null";
      case ValueType::kBool: return AsBool() ? "true" : "false";
      case ValueType::kInt: return std::to_string(AsInt());
      case ValueType::kDouble: {
        std::string s = std::to_string(AsDouble());
        return s;
      }
      case ValueType::kString: return AsString();
      case ValueType::kBytes: return "<" + std::to_string(AsBytes().data.size()) + " bytes>";
    }
    return "?";
  }

 private:
  template <typename T>
  const T& Get(ValueType want) const {
    if (const T* p = std::get_if<T>(&rep_)) return *p;
    throw std::invalid_argument(std::string("value is ") + ValueTypeName(type()) + ", not " +
                                ValueTypeName(want));
  }

  std::variant<std::monostate, bool, int64_t, double, std::string, Bytes> rep_;
};

using Values = std::vector<Value>;

}  // namespace gale
