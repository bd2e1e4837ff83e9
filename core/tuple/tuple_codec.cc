// core/tuple/tuple_codec.cc
//
// The wire format is described byte by byte in core/tuple/README.md.
//
// Decoding treats its input as hostile: every length and count is checked
// against the bytes that are actually left *before* anything is reserved, so
// a 20-byte input can never make us allocate more than a small multiple of
// 20 bytes. Every encoding is canonical (minimal varints, one tag per value),
// so a frame that decodes re-encodes to exactly the same bytes.
#include "core/tuple/tuple_codec.h"

#include <gale/rows.h>

#include "core/tuple/tuple_access.h"

#include <bit>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

namespace gale::tuple {
namespace {

// One byte in front of every value. Never renumber: FieldsHash hashes these.
enum Tag : uint8_t {
  kTagNull = 0,
  kTagFalse = 1,
  kTagTrue = 2,
  kTagInt = 3,
  kTagDouble = 4,
  kTagString = 5,
  kTagBytes = 6,
  kTagInt64 = 7,  // version 2: an int whose zig-zag varint would take 9 or 10 bytes
};

// Ints whose zig-zag form reaches this take 9 or 10 varint bytes; version 2
// writes them as 8 fixed bytes (random 64-bit ids, as in every acker
// message, are almost all such ints).
constexpr uint64_t kFixedIntFrom = uint64_t{1} << 56;

constexpr char kMagic[2] = {'G', 'F'};
constexpr size_t kHeaderBytes = 3;  // magic, version
constexpr size_t kMaxVarintBytes = 10;

// The fewest bytes each item can take; a count that the remaining input
// cannot hold at this size is rejected before anything is reserved.
constexpr size_t kMinValueBytes = 1;  // a tag
constexpr size_t kMinRootBytes = 16;  // two u64
constexpr size_t kMinTupleBytes = 5;  // target, source, stream, roots count, values count

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t u) { return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1)); }

enum class VarintError { kOk, kTruncated, kTooLong, kOverflow, kOverlong };

// Parses a varint from [p, p + n). On kOk sets `v` and `len`.
VarintError ParseVarint(const char* p, size_t n, uint64_t& v, size_t& len) {
  uint64_t result = 0;
  for (size_t i = 0; i < kMaxVarintBytes; ++i) {
    if (i == n) return VarintError::kTruncated;
    const uint8_t byte = static_cast<uint8_t>(p[i]);
    if (i == kMaxVarintBytes - 1) {
      if (byte & 0x80) return VarintError::kTooLong;
      if (byte > 1) return VarintError::kOverflow;  // only bit 63 is left
    }
    result |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      // A zero last byte (other than a lone 0) adds nothing: not minimal.
      if (byte == 0 && i > 0) return VarintError::kOverlong;
      v = result;
      len = i + 1;
      return VarintError::kOk;
    }
  }
  return VarintError::kTooLong;
}

// A cursor over the input that knows its byte offset, for error messages.
class Reader {
 public:
  // `kind` names the input in messages: "frame", "value", "values".
  Reader(std::string_view in, const char* kind, size_t pos = 0) : in_(in), pos_(pos), kind_(kind) {}

  size_t offset() const { return pos_; }
  size_t left() const { return in_.size() - pos_; }
  std::string_view rest() const { return in_.substr(pos_); }

  Status Varint(const char* what, uint64_t& v) {
    // Most varints (tasks, streams, counts, short lengths) are one byte.
    if (pos_ < in_.size() && static_cast<uint8_t>(in_[pos_]) < 0x80) {
      v = static_cast<uint8_t>(in_[pos_++]);
      return Status::Ok();
    }
    size_t len = 0;
    switch (ParseVarint(in_.data() + pos_, left(), v, len)) {
      case VarintError::kOk: pos_ += len; return Status::Ok();
      case VarintError::kTruncated:
        return Truncated(std::string(what) + " varint runs past the end");
      case VarintError::kTooLong: return Bad(std::string(what) + " varint is longer than 10 bytes");
      case VarintError::kOverflow: return Bad(std::string(what) + " varint overflows 64 bits");
      case VarintError::kOverlong:
        return Bad(std::string(what) + " varint is not minimally encoded");
    }
    return Bad("unreachable");
  }

  Status SignedVarint(const char* what, int64_t& v) {
    uint64_t u = 0;
    GALE_RETURN_IF_ERROR(Varint(what, u));
    v = UnZigZag(u);
    return Status::Ok();
  }

  // A count of items that take at least `min_bytes` each.
  Status Count(const char* what, size_t min_bytes, uint64_t& n) {
    const size_t at = pos_;
    GALE_RETURN_IF_ERROR(Varint(what, n));
    if (n > left() / min_bytes) {
      return Status::InvalidArgument(
          std::string(kind_) + " truncated at byte " + std::to_string(at) + ": " + what + " " +
          std::to_string(n) + " needs at least " + std::to_string(min_bytes) +
          " bytes each but only " + std::to_string(left()) + " bytes are left");
    }
    return Status::Ok();
  }

  // REQUIRES: n <= left()
  void Skip(size_t n) { pos_ += n; }

  Status Byte(const char* what, uint8_t& b) {
    if (left() < 1) return Truncated(std::string(what) + " runs past the end");
    b = static_cast<uint8_t>(in_[pos_++]);
    return Status::Ok();
  }

  Status Fixed64(const char* what, uint64_t& v) {
    if (left() < 8) {
      return Truncated(std::string(what) + " needs 8 bytes but " + std::to_string(left()) +
                       " are left");
    }
    v = LoadLittle64(in_.data() + pos_);
    pos_ += 8;
    return Status::Ok();
  }

  // A varint length followed by that many bytes.
  Status LengthPrefixed(const char* what, std::string_view& out) {
    uint64_t len = 0;
    GALE_RETURN_IF_ERROR(Varint(what, len));
    if (len > left()) {
      return Truncated(std::string(what) + " length " + std::to_string(len) + " exceeds the " +
                       std::to_string(left()) + " bytes left");
    }
    out = in_.substr(pos_, static_cast<size_t>(len));
    pos_ += static_cast<size_t>(len);
    return Status::Ok();
  }
  Status LengthPrefixed(const char* what, std::string& out) {
    std::string_view view;
    GALE_RETURN_IF_ERROR(LengthPrefixed(what, view));
    out.assign(view);
    return Status::Ok();
  }

  Status ReadValue(Value& out);
  Status ReadValues(Values& out);
  // Appends `count` values (the count already read and checked).
  Status AppendValues(size_t count, Values& out);
  // A tuple's fields up to its values, and the value count.
  Status ReadHead(FrameReader::Head& out);

  Status Truncated(const std::string& detail) const {
    return Status::InvalidArgument(std::string(kind_) + " truncated at byte " +
                                   std::to_string(pos_) + ": " + detail);
  }
  Status Bad(const std::string& detail, size_t at) const {
    return Status::InvalidArgument(std::string("bad ") + kind_ + " at byte " + std::to_string(at) +
                                   ": " + detail);
  }
  Status Bad(const std::string& detail) const { return Bad(detail, pos_); }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  const char* kind_;
};

Status Reader::ReadValue(Value& out) {
  const size_t at = pos_;
  uint8_t tag = 0;
  GALE_RETURN_IF_ERROR(Byte("value tag", tag));
  switch (tag) {
    case kTagNull: out = Value(); return Status::Ok();
    case kTagFalse: out = Value(false); return Status::Ok();
    case kTagTrue: out = Value(true); return Status::Ok();
    case kTagInt: {
      uint64_t u = 0;
      GALE_RETURN_IF_ERROR(Varint("int", u));
      if (u >= kFixedIntFrom)
        return Bad("int " + std::to_string(UnZigZag(u)) + " must use tag 7", at);
      out = Value(UnZigZag(u));
      return Status::Ok();
    }
    case kTagInt64: {
      uint64_t bits = 0;
      GALE_RETURN_IF_ERROR(Fixed64("int64", bits));
      const auto v = static_cast<int64_t>(bits);
      if (ZigZag(v) < kFixedIntFrom) return Bad("int " + std::to_string(v) + " must use tag 3", at);
      out = Value(v);
      return Status::Ok();
    }
    case kTagDouble: {
      uint64_t bits = 0;
      GALE_RETURN_IF_ERROR(Fixed64("double", bits));
      out = Value(std::bit_cast<double>(bits));
      return Status::Ok();
    }
    case kTagString: {
      std::string_view s;
      GALE_RETURN_IF_ERROR(LengthPrefixed("string", s));
      out = Value(s);
      return Status::Ok();
    }
    case kTagBytes: {
      Bytes b;
      GALE_RETURN_IF_ERROR(LengthPrefixed("bytes", b.data));
      out = Value(std::move(b));
      return Status::Ok();
    }
  }
  return Bad("unknown value tag " + std::to_string(tag), at);
}

Status Reader::ReadValues(Values& out) {
  uint64_t count = 0;
  GALE_RETURN_IF_ERROR(Count("value count", kMinValueBytes, count));
  out.clear();
  return AppendValues(static_cast<size_t>(count), out);
}

Status Reader::AppendValues(size_t count, Values& out) {
  out.reserve(out.size() + count);
  for (size_t i = 0; i < count; ++i) {
    // Most values in a frame are short strings: read them without the
    // general path's checks on a varint and the tag switch.
    if (left() >= 2 && in_[pos_] == static_cast<char>(kTagString) &&
        static_cast<uint8_t>(in_[pos_ + 1]) < 0x80 &&
        static_cast<uint8_t>(in_[pos_ + 1]) <= left() - 2) {
      const size_t len = static_cast<uint8_t>(in_[pos_ + 1]);
      out.emplace_back(in_.substr(pos_ + 2, len));
      pos_ += 2 + len;
      continue;
    }
    GALE_RETURN_IF_ERROR(ReadValue(out.emplace_back()));
  }
  return Status::Ok();
}

Status Reader::ReadHead(FrameReader::Head& out) {
  constexpr int64_t kMin32 = std::numeric_limits<int32_t>::min();
  constexpr int64_t kMax32 = std::numeric_limits<int32_t>::max();
  // Most heads are one-byte varints (tasks and streams below 64, a root or
  // none, a few values): read them without the general path's calls.
  // Anything else, or a count the input cannot hold, takes the general
  // path below, from the start, which says what is wrong.
  if (left() >= 5) {
    const auto* b = reinterpret_cast<const uint8_t*>(in_.data() + pos_);
    if (((b[0] | b[1] | b[2] | b[3]) & 0x80) == 0) {
      const size_t value_count_at = 4 + size_t{b[3]} * kMinRootBytes;
      if (value_count_at < left()) {
        const uint8_t values = b[value_count_at];
        if (values < 0x80 && values * kMinValueBytes <= left() - value_count_at - 1) {
          out.target_task = static_cast<int32_t>(UnZigZag(b[0]));
          out.source_task = static_cast<int32_t>(UnZigZag(b[1]));
          out.stream = b[2];
          out.root_bytes = in_.substr(pos_ + 4, value_count_at - 4);
          out.values = values;
          pos_ += value_count_at + 1;
          return Status::Ok();
        }
      }
    }
  }
  size_t at = pos_;
  int64_t target = 0;
  GALE_RETURN_IF_ERROR(SignedVarint("target_task", target));
  if (target < kMin32 || target > kMax32) {
    return Bad("target_task " + std::to_string(target) + " is out of the int32 range", at);
  }
  at = pos_;
  int64_t source = 0;
  GALE_RETURN_IF_ERROR(SignedVarint("source_task", source));
  if (source < kMin32 || source > kMax32) {
    return Bad("source_task " + std::to_string(source) + " is out of the int32 range", at);
  }
  at = pos_;
  uint64_t stream = 0;
  GALE_RETURN_IF_ERROR(Varint("stream", stream));
  if (stream > std::numeric_limits<uint32_t>::max()) {
    return Bad("stream " + std::to_string(stream) + " is out of the uint32 range", at);
  }
  out.target_task = static_cast<int32_t>(target);
  out.source_task = static_cast<int32_t>(source);
  out.stream = static_cast<uint32_t>(stream);

  uint64_t roots = 0;
  GALE_RETURN_IF_ERROR(Count("root count", kMinRootBytes, roots));
  out.root_bytes = in_.substr(pos_, static_cast<size_t>(roots) * kMinRootBytes);
  Skip(out.root_bytes.size());
  uint64_t values = 0;
  GALE_RETURN_IF_ERROR(Count("value count", kMinValueBytes, values));
  out.values = static_cast<size_t>(values);
  return Status::Ok();
}

}  // namespace

bool GetVarint(std::string_view& in, uint64_t& v) {
  size_t len = 0;
  if (ParseVarint(in.data(), in.size(), v, len) != VarintError::kOk) return false;
  in.remove_prefix(len);
  return true;
}

namespace {

// Appends to a string through a buffer on the stack, so that a tuple's
// fields cost one append instead of one (with its capacity check, and a
// call to memcpy for each fixed-size field) per byte or field: encoding was
// 40% of a sending spout's thread (perf, W3 acking off). Long strings and
// bytes go straight to the string. Flush() before the string is read.
class Appender {
 public:
  explicit Appender(std::string& out) : out_(out) {}

  void Byte(uint8_t b) {
    Room(1);
    buf_[n_++] = static_cast<char>(b);
  }
  void Varint(uint64_t v) {
    Room(kMaxVarintBytes);
    while (v >= 0x80) {
      buf_[n_++] = static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    buf_[n_++] = static_cast<char>(v);
  }
  void Fixed64(uint64_t v) {
    Room(8);
    StoreLittle64(buf_ + n_, v);
    n_ += 8;
  }
  void Raw(std::string_view bytes) {
    if (bytes.size() > kCopyUpTo) {
      Flush();
      out_.append(bytes);
      return;
    }
    Room(bytes.size());
    std::memcpy(buf_ + n_, bytes.data(), bytes.size());
    n_ += bytes.size();
  }
  void Flush() {
    if (n_ == 0) return;
    out_.append(buf_, n_);
    n_ = 0;
  }

 private:
  static constexpr size_t kCopyUpTo = 64;
  void Room(size_t k) {
    if (n_ + k > sizeof(buf_)) Flush();
  }

  std::string& out_;
  size_t n_ = 0;
  char buf_[256];
};

// `version`: the wire's (kCodecVersion) or 1, for FieldsHash.
template <int version>
void EncodeValueAs(const Value& v, Appender& out) {
  switch (v.type()) {
    case ValueType::kNull: out.Byte(kTagNull); return;
    case ValueType::kBool: out.Byte(v.AsBool() ? kTagTrue : kTagFalse); return;
    case ValueType::kInt: {
      const uint64_t z = ZigZag(v.AsInt());
      if (version >= 2 && z >= kFixedIntFrom) {
        out.Byte(kTagInt64);
        out.Fixed64(static_cast<uint64_t>(v.AsInt()));
      } else {
        out.Byte(kTagInt);
        out.Varint(z);
      }
      return;
    }
    case ValueType::kDouble:
      out.Byte(kTagDouble);
      out.Fixed64(std::bit_cast<uint64_t>(v.AsDouble()));
      return;
    case ValueType::kString:
      out.Byte(kTagString);
      out.Varint(v.AsString().size());
      out.Raw(v.AsString());
      return;
    case ValueType::kBytes:
      out.Byte(kTagBytes);
      out.Varint(v.AsBytes().data.size());
      out.Raw(v.AsBytes().data);
      return;
  }
}

void EncodeValuesTo(const Values& values, Appender& out) {
  out.Varint(values.size());
  for (const Value& v : values) EncodeValueAs<kCodecVersion>(v, out);
}

}  // namespace

void PutVarint(uint64_t v, std::string& out) {
  Appender a(out);
  a.Varint(v);
  a.Flush();
}

void EncodeValue(const Value& v, std::string& out) {
  Appender a(out);
  EncodeValueAs<kCodecVersion>(v, a);
  a.Flush();
}
void EncodeValueV1(const Value& v, std::string& out) {
  Appender a(out);
  EncodeValueAs<1>(v, a);
  a.Flush();
}

void EncodeValues(const Values& values, std::string& out) {
  Appender a(out);
  EncodeValuesTo(values, a);
  a.Flush();
}

// On error `in` is left where it was and `out` is unspecified.
Status DecodeValue(std::string_view& in, Value& out) {
  Reader reader(in, "value");
  GALE_RETURN_IF_ERROR(reader.ReadValue(out));
  in = reader.rest();
  return Status::Ok();
}

Status DecodeValues(std::string_view& in, Values& out) {
  Reader reader(in, "values");
  GALE_RETURN_IF_ERROR(reader.ReadValues(out));
  in = reader.rest();
  return Status::Ok();
}

Status CheckRows(std::string_view bytes, size_t fields, uint32_t& rows) {
  if (fields == 0) return Status::InvalidArgument("a batch of rows of a stream with no fields");
  if (bytes.size() < rows::kCountBytes) {
    return Status::InvalidArgument("a batch of rows of " + std::to_string(bytes.size()) +
                                   " bytes has no row count");
  }
  rows = rows::Load32(bytes.data());
  if (rows == 0) return Status::InvalidArgument("a batch of rows holds no row");
  size_t at = rows::kCountBytes;
  for (uint32_t r = 0; r < rows; ++r) {
    for (size_t f = 0; f < fields; ++f) {
      auto bad = [&](const std::string& what) {
        return Status::InvalidArgument("batch of rows, row " + std::to_string(r) + " value " +
                                       std::to_string(f) + ": " + what);
      };
      if (at >= bytes.size()) return bad("ends early");
      const auto tag = static_cast<uint8_t>(bytes[at]);
      size_t need = 1;
      switch (tag) {
        case rows::kNull:
        case rows::kFalse:
        case rows::kTrue: break;
        case rows::kInt:
        case rows::kDouble: need = 9; break;
        case rows::kString:
        case rows::kBytes:
          if (bytes.size() - at < 5) return bad("ends inside a length");
          need = 5 + static_cast<size_t>(rows::Load32(bytes.data() + at + 1));
          break;
        default: return bad("unknown tag " + std::to_string(tag));
      }
      if (bytes.size() - at < need) return bad("ends early");
      at += need;
    }
  }
  if (at != bytes.size()) {
    return Status::InvalidArgument("batch of rows: " + std::to_string(bytes.size() - at) +
                                   " bytes after its " + std::to_string(rows) + " rows");
  }
  return Status::Ok();
}

void EncodeFrameHeader(size_t count, std::string& out) {
  out.append(kMagic, sizeof(kMagic));
  out.push_back(static_cast<char>(kCodecVersion));
  PutVarint(count, out);
}

void EncodeTuple(const WireTuple& t, std::string& out) {
  Appender a(out);
  a.Varint(ZigZag(t.target_task));
  a.Varint(ZigZag(t.source_task));
  a.Varint(t.stream);
  a.Varint(t.roots.size());
  for (const auto& [root, edge] : t.roots) {
    a.Fixed64(root);
    a.Fixed64(edge);
  }
  EncodeValuesTo(t.values, a);
  a.Flush();
}

void EncodeTuple(int32_t target_task, const Tuple& t, std::string& out) {
  Appender a(out);
  a.Varint(ZigZag(target_task));
  a.Varint(ZigZag(t.source_task()));
  a.Varint(t.meta()->index);
  const internal::RootEdges& roots = internal::TupleAccess::roots(t);
  a.Varint(roots.size());
  roots.ForEach([&](const internal::RootEdges::Pair& p) {
    a.Fixed64(p.root);
    a.Fixed64(p.edge);
  });
  EncodeValuesTo(t.values(), a);
  a.Flush();
}

void EncodeFrame(const std::vector<WireTuple>& tuples, std::string& out) {
  EncodeFrameHeader(tuples.size(), out);
  for (const WireTuple& t : tuples) EncodeTuple(t, out);
}

Status FrameReader::Open(std::string_view frame) {
  in_ = frame;
  pos_ = 0;
  count_ = 0;
  Reader reader(frame, "frame");
  if (frame.size() < kHeaderBytes) {
    return Status::InvalidArgument("frame truncated at byte " + std::to_string(frame.size()) +
                                   ": the header needs 3 bytes");
  }
  if (frame[0] != kMagic[0] || frame[1] != kMagic[1]) {
    return reader.Bad("magic is not \"GF\"", 0);
  }
  const uint8_t version = static_cast<uint8_t>(frame[2]);
  if (version != kCodecVersion) {
    return reader.Bad("unsupported codec version " + std::to_string(version) +
                          " (this build reads version " + std::to_string(kCodecVersion) + ")",
                      2);
  }
  reader.Skip(kHeaderBytes);
  uint64_t count = 0;
  GALE_RETURN_IF_ERROR(reader.Count("tuple count", kMinTupleBytes, count));
  count_ = static_cast<size_t>(count);
  pos_ = reader.offset();
  return Status::Ok();
}

Status FrameReader::Next(Head& head) {
  Reader reader(in_, "frame", pos_);
  GALE_RETURN_IF_ERROR(reader.ReadHead(head));
  pos_ = reader.offset();
  return Status::Ok();
}

Status FrameReader::ReadValues(const Head& head, Values& out) {
  Reader reader(in_, "frame", pos_);
  GALE_RETURN_IF_ERROR(reader.AppendValues(head.values, out));
  pos_ = reader.offset();
  return Status::Ok();
}

Status FrameReader::Finish() const {
  if (pos_ == in_.size()) return Status::Ok();
  return Reader(in_, "frame", pos_)
      .Bad(std::to_string(in_.size() - pos_) + " bytes of trailing garbage after " +
           std::to_string(count_) + " tuples");
}

Status DecodeFrameInto(std::string_view in, std::vector<WireTuple>& out) {
  FrameReader reader;
  GALE_RETURN_IF_ERROR(reader.Open(in));
  out.resize(reader.count());
  FrameReader::Head head;
  for (WireTuple& t : out) {
    GALE_RETURN_IF_ERROR(reader.Next(head));
    t.target_task = head.target_task;
    t.source_task = head.source_task;
    t.stream = head.stream;
    t.roots.clear();
    t.roots.reserve(head.roots());
    FrameReader::ForEachRoot(
        head, [&](uint64_t root, uint64_t edge) { t.roots.emplace_back(root, edge); });
    t.values.clear();
    GALE_RETURN_IF_ERROR(reader.ReadValues(head, t.values));
  }
  return reader.Finish();
}

Result<std::vector<WireTuple>> DecodeFrame(std::string_view in) {
  std::vector<WireTuple> tuples;
  GALE_RETURN_IF_ERROR(DecodeFrameInto(in, tuples));
  return tuples;
}

}  // namespace gale::tuple
