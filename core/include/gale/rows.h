// core/include/gale/rows.h
//
// Batches of rows: many tuples of one stream in one envelope.
//
// A bolt or spout emits a row with `collector.EmitRow({word, 1})`: the
// values are written straight into bytes (no Values, no Tuple), and the
// runtime appends them to a batch per target task, which travels as one
// envelope of up to topology.producer.batch.rows rows (default 256). A bolt
// that overrides ExecuteRows() (bolt.h) reads a whole batch at once through
// Rows and RowView; any other bolt gets each row as a Tuple in Execute(), as
// if it had been emitted with Emit(). So a row is a tuple to every part of
// the topology; only its cost differs (core/include/gale/README.md, "Rows").
//
// The encoding, in a batch's single Bytes value: the row count (4 bytes,
// little-endian), then each row's values in order, each a tag byte and its
// payload: 0 null, 1 false, 2 true, 3 an int (8 bytes), 4 a double (8 bytes,
// its IEEE bits), 5 a string and 6 bytes (a 4-byte length, then the bytes);
// numbers and lengths little-endian. The runtime checks a batch that arrives
// from another worker before any bolt reads it, so RowView trusts it.
#pragma once

#include <gale/tuple.h>
#include <gale/values.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace gale {

namespace rows {

enum Tag : uint8_t { kNull = 0, kFalse, kTrue, kInt, kDouble, kString, kBytes };
inline constexpr size_t kCountBytes = 4;  // the row count before the rows

// Little-endian, whatever the host: a memcpy on a little-endian one (a
// byte loop was not merged into one load or store by GCC 12: callgrind put
// it at a third of a row's reading).
template <typename U>
inline void Store(char* p, U v) {
  if constexpr (std::endian::native != std::endian::little) {
    for (size_t i = 0; i < sizeof(U); ++i) p[i] = static_cast<char>(v >> (8 * i));
  } else {
    std::memcpy(p, &v, sizeof(U));
  }
}
template <typename U>
inline U Load(const char* p) {
  U v = 0;
  if constexpr (std::endian::native != std::endian::little) {
    for (size_t i = 0; i < sizeof(U); ++i)
      v |= static_cast<U>(static_cast<unsigned char>(p[i])) << (8 * i);
  } else {
    std::memcpy(&v, p, sizeof(U));
  }
  return v;
}
inline void Store32(char* p, uint32_t v) { Store(p, v); }
inline void Store64(char* p, uint64_t v) { Store(p, v); }
inline uint32_t Load32(const char* p) { return Load<uint32_t>(p); }
inline uint64_t Load64(const char* p) { return Load<uint64_t>(p); }

// The value that starts at `p` ends here: its tag's fixed size, plus the
// length of a string or bytes (a table and an add, no jump).
inline const char* Skip(const char* p) {
  static constexpr uint8_t kFixed[8] = {1, 1, 1, 9, 9, 5, 5, 1};
  const auto tag = static_cast<uint8_t>(*p);
  const char* next = p + kFixed[tag & 7];
  return tag >= kString ? next + Load32(p + 1) : next;
}

inline ValueType TypeOf(const char* p) {
  switch (static_cast<uint8_t>(*p)) {
    case kNull: return ValueType::kNull;
    case kFalse:
    case kTrue: return ValueType::kBool;
    case kInt: return ValueType::kInt;
    case kDouble: return ValueType::kDouble;
    case kString: return ValueType::kString;
    default: return ValueType::kBytes;
  }
}

// A string's or bytes' view, at its tag.
inline std::string_view Text(const char* p) { return {p + 5, Load32(p + 1)}; }

// A copy of the value at `p`.
inline Value ValueAt(const char* p) {
  switch (static_cast<uint8_t>(*p)) {
    case kNull: return Value();
    case kFalse: return Value(false);
    case kTrue: return Value(true);
    case kInt: return Value(static_cast<int64_t>(Load64(p + 1)));
    case kDouble: return Value(std::bit_cast<double>(Load64(p + 1)));
    case kString: return Value(Text(p));
    default: return Value(Bytes{std::string(Text(p))});
  }
}

// The `n` values from `p`, as Values.
inline Values ToValues(const char* p, size_t n) {
  Values v;
  v.reserve(n);
  for (size_t i = 0; i < n; ++i, p = Skip(p)) v.push_back(ValueAt(p));
  return v;
}

// What a row's value can be built from.
template <typename D>
concept StorableDecayed =
    std::is_same_v<D, bool> || std::is_same_v<D, std::nullptr_t> ||
    (std::is_integral_v<D> && !std::is_same_v<D, char>) ||
    std::is_floating_point_v<D> || std::is_same_v<D, Bytes> || std::is_same_v<D, Value>;
template <typename T>
concept Storable =
    StorableDecayed<std::decay_t<T>> || std::is_convertible_v<const T&, std::string_view>;

inline size_t TextSize(std::string_view s) {
  if (s.size() > UINT32_MAX) [[unlikely]]
    throw std::length_error("a row value of 4 GiB or more");
  return 5 + s.size();
}
// Copies `n` bytes; up to 16 with two overlapping loads and stores of 8,
// 4 or 1 bytes, never reading outside [s, s + n), rather than a call of
// memcpy (callgrind, W5: a word's copy was a quarter of its emit).
inline void Copy(char* d, const char* s, size_t n) {
  if (n >= 8 && n <= 16) {
    const auto head = Load<uint64_t>(s), tail = Load<uint64_t>(s + n - 8);
    Store(d, head);
    Store(d + n - 8, tail);
  } else if (n >= 4 && n < 8) {
    const auto head = Load<uint32_t>(s), tail = Load<uint32_t>(s + n - 4);
    Store(d, head);
    Store(d + n - 4, tail);
  } else if (n < 4) {
    for (size_t i = 0; i < n; ++i) d[i] = s[i];
  } else {
    std::memcpy(d, s, n);
  }
}
inline char* PutText(char* p, uint8_t tag, std::string_view s) {
  p[0] = static_cast<char>(tag);
  Store32(p + 1, static_cast<uint32_t>(s.size()));
  Copy(p + 5, s.data(), s.size());
  return p + 5 + s.size();
}
inline char* PutWord(char* p, uint8_t tag, uint64_t bits) {
  p[0] = static_cast<char>(tag);
  Store64(p + 1, bits);
  return p + 9;
}

// The bytes `v` takes in a row.
template <Storable T>
size_t SizeOf(const T& v) {
  using D = std::decay_t<T>;
  if constexpr (std::is_same_v<D, bool> || std::is_same_v<D, std::nullptr_t>) {
    return 1;
  } else if constexpr (std::is_arithmetic_v<D>) {
    return 9;
  } else if constexpr (std::is_same_v<D, Bytes>) {
    return TextSize(v.data);
  } else if constexpr (std::is_same_v<D, Value>) {
    switch (v.type()) {
      case ValueType::kNull:
      case ValueType::kBool: return 1;
      case ValueType::kInt:
      case ValueType::kDouble: return 9;
      case ValueType::kString: return TextSize(v.AsString());
      case ValueType::kBytes: return TextSize(v.AsBytes().data);
    }
    return 1;
  } else {
    return TextSize(std::string_view(v));
  }
}

// Writes `v` at `p` (SizeOf(v) bytes); returns where it ends.
template <Storable T>
char* Put(char* p, const T& v) {
  using D = std::decay_t<T>;
  if constexpr (std::is_same_v<D, bool>) {
    *p = static_cast<char>(v ? kTrue : kFalse);
    return p + 1;
  } else if constexpr (std::is_same_v<D, std::nullptr_t>) {
    *p = static_cast<char>(kNull);
    return p + 1;
  } else if constexpr (std::is_integral_v<D>) {
    return PutWord(p, kInt, static_cast<uint64_t>(static_cast<int64_t>(v)));
  } else if constexpr (std::is_floating_point_v<D>) {
    return PutWord(p, kDouble, std::bit_cast<uint64_t>(static_cast<double>(v)));
  } else if constexpr (std::is_same_v<D, Bytes>) {
    return PutText(p, kBytes, v.data);
  } else if constexpr (std::is_same_v<D, Value>) {
    switch (v.type()) {
      case ValueType::kNull: return Put(p, nullptr);
      case ValueType::kBool: return Put(p, v.AsBool());
      case ValueType::kInt: return Put(p, v.AsInt());
      case ValueType::kDouble: return Put(p, v.AsDouble());
      case ValueType::kString: return PutText(p, kString, v.AsString());
      case ValueType::kBytes: return PutText(p, kBytes, v.AsBytes().data);
    }
    return p;
  } else {
    return PutText(p, kString, std::string_view(v));
  }
}

// The runtime's open batch of rows for a collector's default stream, which
// an unanchored EmitRow fills without a call while it has room (the
// runtime binds it when a stream goes to one task whatever the values, and
// unbinds it, null, when the batch leaves). `rows` counts its rows; the
// batch is full at `max`.
struct Channel {
  char* cursor = nullptr;
  char* limit = nullptr;
  uint32_t rows = 0;
  uint32_t max = 0;
};

// Writes a row of `values` into `c` when there is one (null: none bound),
// its stream has as many fields, the batch has room for it and will not be
// full with it (the runtime closes a full batch, so the row that fills one
// goes through the collector's call). True when it did. Inline into the
// caller's loop: as a call of its own, saving and restoring registers was
// a third of an emit (callgrind, W5).
template <Storable... A>
[[gnu::always_inline]] inline bool TryAppend(Channel* c, size_t fields, const A&... values) {
  if (c == nullptr || sizeof...(A) != fields || c->rows + 1 >= c->max) return false;
  const size_t need = (SizeOf(values) + ...);
  if (need > static_cast<size_t>(c->limit - c->cursor)) return false;
  char* p = c->cursor;
  ((p = Put(p, values)), ...);
  c->cursor = p;
  ++c->rows;
  return true;
}
// The same for a row already encoded: `bytes` holding `values` values.
inline bool TryAppendEncoded(Channel* c, size_t fields, std::string_view bytes, size_t values) {
  if (c == nullptr || values != fields || c->rows + 1 >= c->max ||
      bytes.size() > static_cast<size_t>(c->limit - c->cursor)) {
    return false;
  }
  std::memcpy(c->cursor, bytes.data(), bytes.size());
  c->cursor += bytes.size();
  ++c->rows;
  return true;
}

}  // namespace rows

// One row being built: its values, encoded. Built from a braced list,
// `EmitRow({word, 1})`, or value by value with Add(). Up to 64 bytes of
// values stay in the object; more go to the heap.
class Row {
 public:
  Row() = default;
  template <rows::Storable... A>
  requires(sizeof...(A) > 0) Row(const A&... values) { (Add(values), ...); }
  Row(const Row&) = delete;
  Row& operator=(const Row&) = delete;

  // Appends a value: null (nullptr), a bool, an integer, a double, a string
  // (std::string, string_view, a C string), Bytes or a Value.
  template <rows::Storable T>
  Row& Add(const T& v) {
    rows::Put(Grow(rows::SizeOf(v)), v);
    ++count_;
    return *this;
  }

  // How many values it has.
  size_t size() const { return count_; }
  // The encoded values (rows.h's header).
  std::string_view bytes() const { return {data_, size_}; }
  // The values it holds, as Values.
  Values ToValues() const { return rows::ToValues(data_, count_); }

 private:
  // Room for `n` more bytes, returned.
  char* Grow(size_t n) {
    if (size_ + n > cap_) [[unlikely]]
      Reallocate(size_ + n);
    char* p = data_ + size_;
    size_ += n;
    return p;
  }
  void Reallocate(size_t need) {
    size_t cap = cap_ * 2 > need ? cap_ * 2 : need;
    std::unique_ptr<char[]> bigger(new char[cap]);
    std::memcpy(bigger.get(), data_, size_);
    heap_ = std::move(bigger);
    data_ = heap_.get();
    cap_ = cap;
  }

  char inline_[64];
  char* data_ = inline_;
  size_t size_ = 0, cap_ = sizeof(inline_);
  size_t count_ = 0;
  std::unique_ptr<char[]> heap_;
};

// One row of a batch a bolt reads in ExecuteRows(), valid during that call.
// Access by position or field name, as Tuple's; strings and bytes are views
// into the batch. A typed read of another type throws std::invalid_argument,
// an index or field that does not exist std::out_of_range (as Tuple's do).
class RowView {
 public:
  RowView(const char* p, const StreamMeta* meta)
      : RowView(p, meta, static_cast<uint32_t>(meta->fields.size())) {}
  RowView(const char* p, const StreamMeta* meta, uint32_t values)
      : p_(p), meta_(meta), size_(values) {}

  size_t size() const { return size_; }
  const Fields& fields() const { return meta_->fields; }

  template <typename K>
  ValueType TypeOf(K k) const {
    return rows::TypeOf(At(k));
  }
  template <typename K>
  bool IsNull(K k) const {
    return *At(k) == rows::kNull;
  }
  template <typename K>
  bool GetBool(K k) const {
    const char* p = At(k);
    if (*p != rows::kTrue && *p != rows::kFalse) [[unlikely]]
      ThrowNot(p, ValueType::kBool);
    return *p == rows::kTrue;
  }
  template <typename K>
  int64_t GetInt(K k) const {
    return static_cast<int64_t>(rows::Load64(Want(At(k), rows::kInt, ValueType::kInt) + 1));
  }
  template <typename K>
  double GetDouble(K k) const {
    return std::bit_cast<double>(rows::Load64(Want(At(k), rows::kDouble, ValueType::kDouble) + 1));
  }
  template <typename K>
  std::string_view GetString(K k) const {
    return rows::Text(Want(At(k), rows::kString, ValueType::kString));
  }
  template <typename K>
  std::string_view GetBytes(K k) const {
    return rows::Text(Want(At(k), rows::kBytes, ValueType::kBytes));
  }
  // A copy of a value, or of all of them.
  template <typename K>
  Value Get(K k) const {
    return rows::ValueAt(At(k));
  }
  Values ToValues() const { return rows::ToValues(p_, size()); }

  // Where the row starts, and where it ends (the next row starts).
  const char* data() const { return p_; }
  const char* end() const {
    const char* p = p_;
    for (uint32_t i = 0; i < size_; ++i) p = rows::Skip(p);
    return p;
  }

 private:
  // A walk from the row's start: a row has a few values, and a walk is a
  // load and an add per value. (Keeping every value's place, found in one
  // walk, cost more: callgrind, chained W5, 40 → 66 instructions a word.)
  const char* At(size_t i) const {
    if (i >= size_) [[unlikely]]
      ThrowNoIndex(i);
    const char* p = p_;
    for (; i > 0; --i) p = rows::Skip(p);
    return p;
  }
  const char* At(std::string_view field) const {
    auto i = meta_->fields.IndexOf(field);
    if (!i) [[unlikely]]
      ThrowNoField(field);
    return At(*i);
  }
  const char* At(const char* field) const { return At(std::string_view(field)); }
  const char* At(const std::string& field) const { return At(std::string_view(field)); }
  template <typename I>
  requires std::is_integral_v<I>
  const char* At(I i) const { return At(static_cast<size_t>(i)); }
  // `p`, when its value has `tag` (of type `want`).
  static const char* Want(const char* p, uint8_t tag, ValueType want) {
    if (static_cast<uint8_t>(*p) != tag) [[unlikely]]
      ThrowNot(p, want);
    return p;
  }
  [[noreturn, gnu::cold, gnu::noinline]] void ThrowNoIndex(size_t i) const {
    throw std::out_of_range("row of " + meta_->component + ":" + meta_->stream + " has " +
                            std::to_string(size()) + " values, no index " + std::to_string(i));
  }
  [[noreturn, gnu::cold, gnu::noinline]] void ThrowNoField(std::string_view field) const {
    throw std::out_of_range("stream " + meta_->component + ":" + meta_->stream + " has no field '" +
                            std::string(field) + "'");
  }
  [[noreturn, gnu::cold, gnu::noinline]] static void ThrowNot(const char* p, ValueType want) {
    throw std::invalid_argument(std::string("value is ") + ValueTypeName(rows::TypeOf(p)) +
                                ", not " + ValueTypeName(want));
  }

  const char* p_;
  const StreamMeta* meta_;
  uint32_t size_;  // the stream's field count
};

// A batch of rows as ExecuteRows() gets it: iterate it for RowViews, in
// the order they were emitted. `tuple()` is the batch as one input: ack or
// fail it once for all its rows (a bolt that ExecuteRows() acks nothing
// else). A batch is in no tuple tree (rows in a tree travel as tuples), so
// anchoring to it adds nothing.
class Rows {
 public:
  explicit Rows(const Tuple& batch)
      : tuple_(batch), meta_(batch.meta()->row_meta), bytes_(batch.values()[0].AsBytes().data) {}

  // How many rows.
  size_t size() const { return rows::Load32(bytes_.data()); }
  bool empty() const { return size() == 0; }
  const Tuple& tuple() const { return tuple_; }
  // The stream every row is of (a Tuple of a row would have this meta()).
  const StreamMeta* meta() const { return meta_; }
  const std::string& source_component() const { return meta_->component; }
  const std::string& source_stream() const { return meta_->stream; }
  int32_t source_task() const { return tuple_.source_task(); }

  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = RowView;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = RowView;
    iterator() = default;
    iterator(const char* p, const StreamMeta* meta)
        : p_(p), meta_(meta), n_(static_cast<uint32_t>(meta->fields.size())) {}
    RowView operator*() const { return RowView(p_, meta_, n_); }
    iterator& operator++() {
      for (uint32_t i = 0; i < n_; ++i) p_ = rows::Skip(p_);
      return *this;
    }
    iterator operator++(int) {
      iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const iterator& o) const { return p_ == o.p_; }

   private:
    const char* p_ = nullptr;
    const StreamMeta* meta_ = nullptr;
    uint32_t n_ = 0;
  };
  iterator begin() const { return {bytes_.data() + rows::kCountBytes, meta_}; }
  iterator end() const { return {bytes_.data() + bytes_.size(), meta_}; }

 private:
  const Tuple& tuple_;
  const StreamMeta* meta_;
  const std::string& bytes_;
};

}  // namespace gale
