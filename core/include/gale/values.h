// core/include/gale/values.h
//
// Value is one field of a tuple: null, bool, int64, double, string or bytes.
// Values is the ordered list a tuple carries. Both are plain value types,
// safe to copy and move between threads.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <new>
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
                                             !std::is_same_v<I, char>,
                                         int> = 0>
  Value(I i) : rep_(static_cast<int64_t>(i)) {}
  Value(double d) : rep_(d) {}
  Value(float d) : rep_(static_cast<double>(d)) {}
  // Two overloads, not one by value: a by-value string would be copied and
  // then moved, and moving a short string just written stalls the load
  // (its bytes are still in the store buffer; perf, W1).
  Value(const std::string& s) : rep_(s) {}
  Value(std::string&& s) : rep_(std::move(s)) {}
  Value(std::string_view s) : rep_(std::in_place_type<std::string>, s) {}
  Value(const char* s) : rep_(std::in_place_type<std::string>, s) {}
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
    if (const T* p = std::get_if<T>(&rep_)) [[likely]]
      return *p;
    ThrowNot(want);
  }
  // Cold and out of line: the typed reads stay small enough to inline.
  [[noreturn, gnu::cold, gnu::noinline]] void ThrowNot(ValueType want) const {
    throw std::invalid_argument(std::string("value is ") + ValueTypeName(type()) + ", not " +
                                ValueTypeName(want));
  }

  std::variant<std::monostate, bool, int64_t, double, std::string, Bytes> rep_;
};

class Values;
class ValueInit;

namespace internal {
// A number or bool a Value takes: a ValueInit keeps it by value (a bit-field
// or a packed member has no address to refer to).
template <typename T>
concept ValueNumber = std::is_arithmetic_v<T> && std::constructible_from<Value, T>;
// Anything else a Value can be built from: a ValueInit refers to it.
template <typename T>
concept ValueSource =
    !std::same_as<std::remove_cvref_t<T>, ValueInit> &&
    !std::is_arithmetic_v<std::remove_cvref_t<T>> && std::constructible_from<Value, T&&>;
}  // namespace internal

// One element of a braced list of values, `{word, 1}` or `Emit({line})`.
// A string, Bytes or Value in it is referred to, not copied: Values builds
// its Value from the argument directly, moving it when it is an rvalue.
// (A list of Value built every value first; the list's elements are const,
// so Values then copied each once more: a string's bytes twice, and a long
// string's allocation twice. gale-bench-values: 499 instructions to build
// and hand on a tuple of one 65-byte string, 272 now.) The argument lives until the
// end of the full-expression that holds the list, which is where Values is
// built; keep no ValueInit (or std::initializer_list of them) beyond it.
class ValueInit {
 public:
  ValueInit() noexcept : emplace_(&EmplaceNull) {}  // `{}`: a null value
  template <internal::ValueNumber T>
  ValueInit(T n) noexcept {
    if constexpr (std::is_same_v<T, bool>) {
      bool_ = n;
      emplace_ = &EmplaceBool;
    } else if constexpr (std::is_integral_v<T>) {
      int_ = static_cast<int64_t>(n);
      emplace_ = &EmplaceInt;
    } else {
      double_ = static_cast<double>(n);
      emplace_ = &EmplaceDouble;
    }
  }
  template <internal::ValueSource T>
  ValueInit(T&& arg) noexcept
      : arg_(const_cast<void*>(static_cast<const void*>(std::addressof(arg)))),
        emplace_(&EmplaceFrom<T&&>) {}

 private:
  friend class Values;
  using Emplace = void (*)(const ValueInit&, Values&);
  template <typename T>
  static void EmplaceFrom(const ValueInit& init, Values& into);
  static void EmplaceNull(const ValueInit& init, Values& into);
  static void EmplaceBool(const ValueInit& init, Values& into);
  static void EmplaceInt(const ValueInit& init, Values& into);
  static void EmplaceDouble(const ValueInit& init, Values& into);

  union {
    void* arg_;  // the argument, whose type emplace_ knows
    bool bool_;
    int64_t int_;
    double double_;
  };
  Emplace emplace_;
};

// Values is the ordered list of a tuple's fields. It behaves like
// std::vector<Value> (the operations below are vector's, with its
// meaning) but keeps up to kInline values inside itself: a tuple of four
// fields or fewer costs no heap allocation to emit, queue or free, and
// tuples are created and freed on different threads millions of times a
// second. Longer lists move to the heap as a vector would.
class Values {
 public:
  static constexpr size_t kInline = 4;
  using value_type = Value;
  using size_type = size_t;
  using difference_type = std::ptrdiff_t;
  using reference = Value&;
  using const_reference = const Value&;
  using pointer = Value*;
  using const_pointer = const Value*;
  using iterator = Value*;
  using const_iterator = const Value*;

  Values() noexcept = default;
  Values(std::initializer_list<ValueInit> list) { Append(list); }
  // n null values. Integers only: an enum or a char in braces, which no
  // Value takes, would otherwise count nulls (`Values{'a'}`: 97).
  template <std::integral N>
  requires(!std::same_as<N, bool> && !std::same_as<N, char>) explicit Values(N n) {
    const auto count = static_cast<size_t>(n);
    reserve(count);
    for (size_t i = 0; i < count; ++i) emplace_back();
  }
  template <typename It, typename = decltype(*std::declval<It&>()),
            typename = decltype(++std::declval<It&>())>
  Values(It first, It last) {
    for (; first != last; ++first) emplace_back(*first);
  }
  Values(const Values& o) { Append(o.begin(), o.end()); }
  Values(Values&& o) noexcept { StealFrom(o); }
  Values& operator=(const Values& o) {
    if (this != &o) {
      clear();
      Append(o.begin(), o.end());
    }
    return *this;
  }
  Values& operator=(Values&& o) noexcept {
    if (this != &o) {
      Release();
      StealFrom(o);
    }
    return *this;
  }
  // Built aside first: the list may refer to this one's own values
  // (`v = {v[1], v[0]}`), which clear() would destroy before they are read.
  Values& operator=(std::initializer_list<ValueInit> list) { return *this = Values(list); }
  ~Values() { Release(); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return capacity_; }
  Value* data() { return data_; }
  const Value* data() const { return data_; }
  Value* begin() { return data_; }
  Value* end() { return data_ + size_; }
  const Value* begin() const { return data_; }
  const Value* end() const { return data_ + size_; }
  const Value* cbegin() const { return data_; }
  const Value* cend() const { return data_ + size_; }
  Value& operator[](size_t i) { return data_[i]; }
  const Value& operator[](size_t i) const { return data_[i]; }
  Value& at(size_t i) { return data_[Checked(i)]; }
  const Value& at(size_t i) const { return data_[Checked(i)]; }
  Value& front() { return data_[0]; }
  const Value& front() const { return data_[0]; }
  Value& back() { return data_[size_ - 1]; }
  const Value& back() const { return data_[size_ - 1]; }

  void reserve(size_t n) {
    if (n > capacity_) Grow(n);
  }
  // GCC 12 at -O2 takes a Value moved in here from a temporary,
  // `push_back(Value(s))`, for uninitialized once the temporary's address
  // also goes to GrowAndEmplace: a false -Wmaybe-uninitialized in the
  // variant's move, which a plugin built with -Werror would fail on.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
  template <typename... A>
  Value& emplace_back(A&&... args) {
    if (size_ == capacity_) [[unlikely]]
      return GrowAndEmplace(std::forward<A>(args)...);
    Value* v = new (data_ + size_) Value(std::forward<A>(args)...);
    ++size_;
    return *v;
  }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
  void push_back(const Value& v) { emplace_back(v); }
  void push_back(Value&& v) { emplace_back(std::move(v)); }
  void pop_back() { data_[--size_].~Value(); }
  void resize(size_t n) {
    while (size_ > n) pop_back();
    reserve(n);
    while (size_ < n) emplace_back();
  }
  void clear() {
    for (size_t i = 0; i < size_; ++i) data_[i].~Value();
    size_ = 0;
  }

  friend bool operator==(const Values& a, const Values& b) {
    if (a.size_ != b.size_) return false;
    for (size_t i = 0; i < a.size_; ++i) {
      if (!(a.data_[i] == b.data_[i])) return false;
    }
    return true;
  }

 private:
  bool is_inline() const { return data_ == Inline(); }
  Value* Inline() { return reinterpret_cast<Value*>(inline_); }
  const Value* Inline() const { return reinterpret_cast<const Value*>(inline_); }
  size_t Checked(size_t i) const {
    if (i >= size_) {
      throw std::out_of_range("Values::at: index " + std::to_string(i) + " of " +
                              std::to_string(size_));
    }
    return i;
  }
  void Append(std::initializer_list<ValueInit> list) {
    reserve(size_ + list.size());
    for (const ValueInit& v : list) v.emplace_(v, *this);
  }
  template <typename It>
  void Append(It first, It last) {
    reserve(size_ + static_cast<size_t>(last - first));
    for (; first != last; ++first) emplace_back(*first);
  }
  void Grow(size_t n) {
    if (n < kInline) n = kInline;
    Value* fresh = static_cast<Value*>(::operator new(n * sizeof(Value)));
    for (size_t i = 0; i < size_; ++i) {
      new (fresh + i) Value(std::move(data_[i]));
      data_[i].~Value();
    }
    if (!is_inline()) ::operator delete(data_);
    data_ = fresh;
    capacity_ = static_cast<uint32_t>(n);
  }
  // emplace_back when full. The value is built before the others move:
  // `args` may be one of them (`v.push_back(v[0])`), as a vector allows.
  template <typename... A>
  [[gnu::noinline]] Value& GrowAndEmplace(A&&... args) {
    Value fresh(std::forward<A>(args)...);
    Grow(capacity_ * 2);
    return *new (data_ + size_++) Value(std::move(fresh));
  }
  // Leaves this empty and inline, its heap buffer (if any) freed.
  void Release() {
    clear();
    if (!is_inline()) ::operator delete(data_);
    data_ = Inline();
    capacity_ = kInline;
  }
  // REQUIRES: this is empty and inline.
  void StealFrom(Values& o) noexcept {
    if (o.is_inline()) {
      for (size_t i = 0; i < o.size_; ++i) {
        new (Inline() + i) Value(std::move(o.data_[i]));
        o.data_[i].~Value();
      }
      size_ = o.size_;
    } else {
      data_ = o.data_;
      size_ = o.size_;
      capacity_ = o.capacity_;
      o.data_ = o.Inline();
      o.capacity_ = kInline;
    }
    o.size_ = 0;
  }

  Value* data_ = Inline();
  uint32_t size_ = 0;
  uint32_t capacity_ = kInline;
  alignas(Value) unsigned char inline_[kInline * sizeof(Value)];
};

template <typename T>
void ValueInit::EmplaceFrom(const ValueInit& init, Values& into) {
  into.emplace_back(std::forward<T>(*static_cast<std::remove_reference_t<T>*>(init.arg_)));
}
inline void ValueInit::EmplaceNull(const ValueInit&, Values& into) { into.emplace_back(); }
inline void ValueInit::EmplaceBool(const ValueInit& init, Values& into) {
  into.emplace_back(init.bool_);
}
inline void ValueInit::EmplaceInt(const ValueInit& init, Values& into) {
  into.emplace_back(init.int_);
}
inline void ValueInit::EmplaceDouble(const ValueInit& init, Values& into) {
  into.emplace_back(init.double_);
}

}  // namespace gale
