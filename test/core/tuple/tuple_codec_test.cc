// test/core/tuple/tuple_codec_test.cc
//
// Also built into codec_asan_tests (AddressSanitizer + UBSan), so the
// truncation, corruption and garbage tests double as memory-safety checks.
#include "core/tuple/tuple_codec.h"

#include "core/tuple/tuple_access.h"

#include <gale/rows.h>

#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace gale::tuple {
namespace {

using namespace std::string_literals;

std::string Encoded(const Value& v) {
  std::string out;
  EncodeValue(v, out);
  return out;
}

std::string Frame(const std::vector<WireTuple>& tuples) {
  std::string out;
  EncodeFrame(tuples, out);
  return out;
}

Value RoundTrip(const Value& v) {
  std::string bytes = Encoded(v);
  std::string_view in = bytes;
  Value out = Value("sentinel");
  Status s = DecodeValue(in, out);
  REQUIRE(s.ok());
  REQUIRE(in.empty());
  return out;
}

// A frame with a bit of everything, small enough to corrupt byte by byte.
std::vector<WireTuple> SampleTuples(int count) {
  std::vector<WireTuple> tuples;
  for (int i = 0; i < count; ++i) {
    WireTuple t;
    t.target_task = i % 3 == 0 ? -1 : i * 37;
    t.source_task = i;
    t.stream = static_cast<uint32_t>(i % 4);
    for (int r = 0; r < i % 4; ++r) {
      t.roots.emplace_back(0x0123456789abcdefULL * (r + 1) + i, ~uint64_t{0} - r);
    }
    t.values = {Value(),
                Value(i % 2 == 0),
                Value(int64_t{-1000} * i),
                Value(i * 0.25),
                Value("word" + std::to_string(i)),
                Value(Bytes{std::string(i % 5, '\0')})};
    tuples.push_back(std::move(t));
  }
  return tuples;
}

// A decode that succeeds must have read a canonical encoding: encoding the
// result again gives back exactly the input.
void RequireCanonicalOrCleanError(std::string_view input) {
  Result<std::vector<WireTuple>> r = DecodeFrame(input);
  if (r.ok()) {
    REQUIRE(Frame(*r) == input);
  } else {
    REQUIRE(r.status().code() == StatusCode::kInvalidArgument);
    REQUIRE_FALSE(r.status().message().empty());
  }
}

TEST_CASE("TupleCodec round-trips every value type", "[tuple]") {
  const std::vector<Value> values = {
      Value(),
      Value(false),
      Value(true),
      Value(int64_t{0}),
      Value(int64_t{1}),
      Value(int64_t{-1}),
      Value(int64_t{63}),
      Value(int64_t{-64}),
      Value(int64_t{64}),
      Value(std::numeric_limits<int64_t>::max()),
      Value(std::numeric_limits<int64_t>::min()),
      Value(0.0),
      Value(1.5),
      Value(-1e300),
      Value(std::numeric_limits<double>::infinity()),
      Value(std::numeric_limits<double>::denorm_min()),
      Value(""),
      Value("hello"),
      Value("with\0nul\0bytes"s),
      Value(Bytes{}),
      Value(Bytes{"\x00\x01\xff"s}),
      Value(Bytes{std::string(1 << 20, '\xab')}),
  };
  for (const Value& v : values) {
    INFO(v.ToString());
    REQUIRE(RoundTrip(v) == v);
  }
}

TEST_CASE("TupleCodec keeps the exact bits of -0.0 and NaN payloads", "[tuple]") {
  const double negative_zero = RoundTrip(Value(-0.0)).AsDouble();
  REQUIRE(std::signbit(negative_zero));
  REQUIRE(negative_zero == 0.0);

  const uint64_t nan_bits = 0x7ff8000000000123ULL;
  const double nan = RoundTrip(Value(std::bit_cast<double>(nan_bits))).AsDouble();
  REQUIRE(std::isnan(nan));
  REQUIRE(std::bit_cast<uint64_t>(nan) == nan_bits);
}

TEST_CASE("TupleCodec encodes values with one tag byte", "[tuple]") {
  REQUIRE(Encoded(Value()) == "\x00"s);
  REQUIRE(Encoded(Value(false)) == "\x01"s);
  REQUIRE(Encoded(Value(true)) == "\x02"s);
  REQUIRE(Encoded(Value(-1)) == "\x03\x01"s);
  REQUIRE(Encoded(Value(300)) == "\x03\xd8\x04"s);  // zig-zag 600
  REQUIRE(Encoded(Value(std::numeric_limits<int64_t>::min())) ==
          "\x07\x00\x00\x00\x00\x00\x00\x00\x80"s);
  REQUIRE(Encoded(Value(1.5)) == "\x04\x00\x00\x00\x00\x00\x00\xf8\x3f"s);
  REQUIRE(Encoded(Value("hi")) == "\x05\x02hi"s);
  REQUIRE(Encoded(Value(Bytes{"\x00"s})) == "\x06\x01\x00"s);
}

TEST_CASE("TupleCodec writes ints from 2^55 up and below -2^55 in 8 fixed bytes and only those",
          "[tuple]") {
  const int64_t edge = int64_t{1} << 55;
  REQUIRE(Encoded(Value(edge - 1)) == "\x03\xfe\xff\xff\xff\xff\xff\xff\x7f"s);  // 8-byte varint
  REQUIRE(Encoded(Value(-edge)) == "\x03\xff\xff\xff\xff\xff\xff\xff\x7f"s);
  REQUIRE(Encoded(Value(edge)) == "\x07\x00\x00\x00\x00\x00\x00\x80\x00"s);
  REQUIRE(Encoded(Value(-edge - 1)) == "\x07\xff\xff\xff\xff\xff\xff\x7f\xff"s);
  for (int64_t v : {edge - 1, edge, -edge, -edge - 1, int64_t{0x1234567890abcdef},
                    std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}) {
    INFO(v);
    REQUIRE(RoundTrip(Value(v)) == Value(v));
  }
  auto message = [](const std::string& bytes) {
    std::string_view in = bytes;
    Value out;
    const Status s = DecodeValue(in, out);
    REQUIRE_FALSE(s.ok());
    REQUIRE(in.size() == bytes.size());  // untouched
    return s.message();
  };
  // Every int has one encoding, so that a decoded frame re-encodes to itself.
  std::string long_varint = "\x03"s;
  PutVarint(uint64_t{1} << 56, long_varint);  // the zig-zag form of 2^55
  REQUIRE(message(long_varint) == "bad value at byte 0: int 36028797018963968 must use tag 7");
  REQUIRE(message("\x07\x05\x00\x00\x00\x00\x00\x00\x00"s) ==
          "bad value at byte 0: int 5 must use tag 3");
  REQUIRE(message("\x07\x05\x00"s) ==
          "value truncated at byte 1: int64 needs 8 bytes but 2 are left");
}

TEST_CASE("TupleCodec decodes values one after another", "[tuple]") {
  Values values = {Value(7), Value("x"), Value(), Value(Bytes{"yz"})};
  std::string bytes;
  EncodeValues(values, bytes);
  bytes += "rest";
  std::string_view in = bytes;
  Values out = {Value("stale")};
  REQUIRE(DecodeValues(in, out).ok());
  REQUIRE(out == values);
  REQUIRE(in == "rest");

  Values empty;
  std::string empty_bytes;
  EncodeValues(empty, empty_bytes);
  REQUIRE(empty_bytes == "\x00"s);
}

TEST_CASE("TupleCodec round-trips frames with many tuples and roots", "[tuple]") {
  std::vector<WireTuple> tuples = SampleTuples(500);
  tuples[1].target_task = std::numeric_limits<int32_t>::min();
  tuples[2].source_task = std::numeric_limits<int32_t>::max();
  tuples[3].stream = std::numeric_limits<uint32_t>::max();
  tuples[4].values = {};
  Result<std::vector<WireTuple>> decoded = DecodeFrame(Frame(tuples));
  REQUIRE(decoded.ok());
  REQUIRE(*decoded == tuples);

  Result<std::vector<WireTuple>> none = DecodeFrame(Frame({}));
  REQUIRE(none.ok());
  REQUIRE(none->empty());
  REQUIRE(Frame({}) == "GF\x02\x00"s);
}

TEST_CASE("TupleCodec frame encoding is pinned byte for byte", "[tuple]") {
  // Changing any of these bytes is a wire format change: bump kCodecVersion
  // and update core/tuple/README.md (and remember FieldsHash hashes values).
  WireTuple t;
  t.target_task = 3;
  t.source_task = -1;
  t.stream = 2;
  t.roots = {{1, 0x1122334455667788ULL}};
  t.values = {Value(),
              Value(true),
              Value(-3),
              Value(300),
              Value(1.5),
              Value("hi"),
              Value(Bytes{"\x00\xff"s})};
  const std::string expected =
      "GF\x02"                                // magic, version
      "\x01"                                  // 1 tuple
      "\x06"                                  // target_task 3 (zig-zag 6)
      "\x01"                                  // source_task -1 (zig-zag 1)
      "\x02"                                  // stream 2
      "\x01"                                  // 1 root
      "\x01\x00\x00\x00\x00\x00\x00\x00"      // root id 1
      "\x88\x77\x66\x55\x44\x33\x22\x11"      // edge id
      "\x07"                                  // 7 values
      "\x00"                                  // null
      "\x02"                                  // true
      "\x03\x05"                              // int -3
      "\x03\xd8\x04"                          // int 300
      "\x04\x00\x00\x00\x00\x00\x00\xf8\x3f"  // double 1.5
      "\x05\x02hi"                            // string "hi"
      "\x06\x02\x00\xff"s;                    // bytes 00 ff
  REQUIRE(Frame({t}) == expected);
  Result<std::vector<WireTuple>> decoded = DecodeFrame(expected);
  REQUIRE(decoded.ok());
  REQUIRE(*decoded == std::vector<WireTuple>{t});
}

TEST_CASE("TupleCodec rejects every truncation of a valid frame", "[tuple]") {
  const std::string frame = Frame(SampleTuples(20));
  for (size_t len = 0; len < frame.size(); ++len) {
    INFO("prefix length " << len);
    Result<std::vector<WireTuple>> r = DecodeFrame(std::string_view(frame).substr(0, len));
    REQUIRE_FALSE(r.ok());
    REQUIRE(r.status().code() == StatusCode::kInvalidArgument);
    REQUIRE(r.status().message().find("byte ") != std::string::npos);
  }
}

TEST_CASE("TupleCodec rejects every truncation of a value", "[tuple]") {
  Values values = {Value(std::numeric_limits<int64_t>::min()), Value(2.5), Value("abc"),
                   Value(Bytes{"de"})};
  std::string bytes;
  EncodeValues(values, bytes);
  for (size_t len = 0; len < bytes.size(); ++len) {
    std::string_view in = std::string_view(bytes).substr(0, len);
    const std::string_view before = in;
    Values out;
    REQUIRE_FALSE(DecodeValues(in, out).ok());
    REQUIRE(in == before);  // not advanced on error
  }
}

TEST_CASE("TupleCodec survives every corrupted byte of a frame", "[tuple]") {
  const std::string frame = Frame(SampleTuples(12));
  int decoded = 0;
  for (size_t i = 0; i < frame.size(); ++i) {
    for (uint8_t mask : {0x01, 0x02, 0x10, 0x40, 0x80, 0xff}) {
      std::string corrupt = frame;
      corrupt[i] = static_cast<char>(corrupt[i] ^ mask);
      INFO("byte " << i << " xor " << int{mask});
      RequireCanonicalOrCleanError(corrupt);
      decoded += DecodeFrame(corrupt).ok();
    }
  }
  // Flips inside strings, doubles and ids decode to other tuples; both
  // outcomes must be exercised for the test to mean anything.
  REQUIRE(decoded > 0);
  REQUIRE(decoded < static_cast<int>(frame.size() * 6));
}

TEST_CASE("TupleCodec survives random garbage", "[tuple]") {
  std::mt19937_64 rng(20240611);
  const std::string valid = Frame(SampleTuples(3));
  for (int i = 0; i < 5000; ++i) {
    std::string input;
    // Half the inputs start with a valid header so that they get past it.
    if (i % 2 == 0) input = "GF\x02"s;
    const size_t len = rng() % 64;
    for (size_t j = 0; j < len; ++j) input.push_back(static_cast<char>(rng() & 0xff));
    RequireCanonicalOrCleanError(input);

    std::string_view in = input;
    Value v;
    if (DecodeValue(in, v).ok()) REQUIRE(Encoded(v) == input.substr(0, input.size() - in.size()));
  }
  // Valid frames with a random byte spliced in somewhere.
  for (int i = 0; i < 2000; ++i) {
    std::string input = valid;
    input.insert(input.begin() + static_cast<long>(rng() % input.size()),
                 static_cast<char>(rng() & 0xff));
    RequireCanonicalOrCleanError(input);
  }
}

TEST_CASE("TupleCodec rejects huge counts and lengths without allocating them", "[tuple]") {
  std::string frame = "GF\x02"s;
  PutVarint(uint64_t{1} << 40, frame);
  frame += "\x00\x00\x00\x00\x00"s;
  Result<std::vector<WireTuple>> r = DecodeFrame(frame);
  REQUIRE_FALSE(r.ok());
  REQUIRE(r.status().message() ==
          "frame truncated at byte 3: tuple count 1099511627776 needs at least 5 bytes each but "
          "only 5 bytes are left");

  std::string str = "\x05"s;
  PutVarint(uint64_t{1} << 62, str);
  str += "abcdefghijkl";
  std::string_view in = str;
  Value v;
  Status s = DecodeValue(in, v);
  REQUIRE(s.code() == StatusCode::kInvalidArgument);
  REQUIRE(s.message() ==
          "value truncated at byte 10: string length 4611686018427387904 exceeds the 12 bytes "
          "left");

  SECTION("a huge value count inside a frame") {
    std::string f = "GF\x02\x01\x00\x00\x00\x00"s;
    PutVarint(uint64_t{1} << 62, f);
    f += "\x00\x00";
    REQUIRE_FALSE(DecodeFrame(f).ok());
  }
  SECTION("a huge root count inside a frame") {
    std::string f = "GF\x02\x01\x00\x00\x00"s;
    PutVarint(~uint64_t{0}, f);
    f += std::string(40, '\0');
    Result<std::vector<WireTuple>> rr = DecodeFrame(f);
    REQUIRE_FALSE(rr.ok());
    REQUIRE(rr.status().message().find("root count") != std::string::npos);
  }
  SECTION("a huge bytes length inside a frame") {
    std::string f = "GF\x02\x01\x00\x00\x00\x00\x01\x06"s;
    PutVarint(uint64_t{1} << 40, f);
    f += "xyz";
    Result<std::vector<WireTuple>> rr = DecodeFrame(f);
    REQUIRE_FALSE(rr.ok());
    REQUIRE(rr.status().message() ==
            "frame truncated at byte 16: bytes length 1099511627776 exceeds the 3 bytes left");
  }
}

TEST_CASE("TupleCodec says what is wrong with a frame and where", "[tuple]") {
  const std::string good = Frame(SampleTuples(2));
  auto message = [](std::string_view in) {
    Result<std::vector<WireTuple>> r = DecodeFrame(in);
    REQUIRE_FALSE(r.ok());
    REQUIRE(r.status().code() == StatusCode::kInvalidArgument);
    return r.status().message();
  };
  REQUIRE(message("") == "frame truncated at byte 0: the header needs 3 bytes");
  REQUIRE(message("XF\x01\x00"s) == "bad frame at byte 0: magic is not \"GF\"");
  REQUIRE(message("GF\x01\x00"s) ==
          "bad frame at byte 2: unsupported codec version 1 (this build reads version 2)");
  REQUIRE(message(good + "zz") == "bad frame at byte " + std::to_string(good.size()) +
                                      ": 2 bytes of trailing garbage after 2 tuples");
  REQUIRE(message("GF\x02\x01\x00\x00\x00\x00\x01\x09"s) ==
          "bad frame at byte 9: unknown value tag 9");
  // target_task 2^31 does not fit an int32.
  std::string big_task = "GF\x02\x01"s;
  PutVarint(uint64_t{1} << 32, big_task);
  big_task += "\x00\x00\x00\x00"s;
  REQUIRE(message(big_task) ==
          "bad frame at byte 4: target_task 2147483648 is out of the int32 range");
  REQUIRE(message("GF\x02\x01\x00\x00\x00\x01\x01\x02\x03"s) ==
          "frame truncated at byte 7: root count 1 needs at least 16 bytes each but only 3 bytes "
          "are left");
}

TEST_CASE("Varints round-trip and reject malformed encodings", "[tuple]") {
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{127}, uint64_t{128}, uint64_t{16383},
                     uint64_t{16384}, uint64_t{1} << 63, ~uint64_t{0}}) {
    std::string bytes;
    PutVarint(v, bytes);
    REQUIRE(bytes.size() <= 10);
    std::string_view in = bytes;
    uint64_t out = 0;
    REQUIRE(GetVarint(in, out));
    REQUIRE(out == v);
    REQUIRE(in.empty());
  }
  auto rejects = [](const std::string& bytes) {
    std::string_view in = bytes;
    uint64_t out = 0;
    const bool ok = GetVarint(in, out);
    REQUIRE(in.size() == bytes.size());  // untouched
    return !ok;
  };
  REQUIRE(rejects(""));
  REQUIRE(rejects("\x80"));                                           // truncated
  REQUIRE(rejects("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02"s));      // overflows 64 bits
  REQUIRE(rejects("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x81\x00"s));  // 11 bytes
  REQUIRE(rejects("\x80\x00"s));                                      // not minimal
  REQUIRE(rejects("\xff\x80\x00"s));                                  // not minimal

  REQUIRE(DecodeFrame("GF\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"s).status().message() ==
          "bad frame at byte 3: tuple count varint is longer than 10 bytes");
}

TEST_CASE("A runtime Tuple encodes as the WireTuple it stands for", "[tuple]") {
  const StreamMeta meta{"split", "words", Fields{"a", "b", "c"}, false, 2};
  Tuple t(&meta, 5, Values{Value("word"), Value(int64_t{-7}), Value(Bytes{"\x00\x01"s})});
  internal::TupleAccess::mutable_roots(t).XorInto(11, 3);
  internal::TupleAccess::mutable_roots(t).XorInto(99, 4);
  WireTuple w;
  w.target_task = 8;
  w.source_task = 5;
  w.stream = 2;
  w.roots = {{11, 3}, {99, 4}};
  w.values = t.values();
  std::string from_tuple, from_wire;
  EncodeTuple(8, t, from_tuple);
  EncodeTuple(w, from_wire);
  CHECK(from_tuple == from_wire);

  // A header and tuples encoded one by one make the frame EncodeFrame makes.
  std::string framed;
  EncodeFrameHeader(2, framed);
  EncodeTuple(8, t, framed);
  EncodeTuple(w, framed);
  CHECK(framed == Frame({w, w}));
}

TEST_CASE("A tuple far larger than the encoder's stack buffer encodes as its parts", "[tuple]") {
  // The encoder gathers small fields in a 256-byte buffer and appends long
  // strings directly: every length from 0 to 300, so every fill of the
  // buffer meets both (the decoder, separate code, accepts only the one
  // canonical encoding).
  WireTuple t;
  t.target_task = 70000;
  t.source_task = -5;
  t.stream = 300;
  for (uint64_t r = 0; r < 40; ++r) t.roots.push_back({~r, r * 0x0101010101010101ULL});
  for (size_t len = 0; len <= 300; ++len) {
    t.values.emplace_back(std::string(len, static_cast<char>('a' + len % 26)));
    t.values.emplace_back(static_cast<int64_t>(len) << (len % 64));
    if (len % 7 == 0) t.values.emplace_back(Bytes{std::string(len * 3, '\xff')});
  }
  std::string encoded;
  EncodeTuple(t, encoded);

  // The value part, written value by value: the same bytes.
  std::string values_alone;
  PutVarint(t.values.size(), values_alone);
  for (const Value& v : t.values) EncodeValue(v, values_alone);
  REQUIRE(encoded.size() > values_alone.size());
  CHECK(encoded.substr(encoded.size() - values_alone.size()) == values_alone);
  std::string values_at_once;
  EncodeValues(t.values, values_at_once);
  CHECK(values_at_once == values_alone);

  std::string framed;
  EncodeFrameHeader(1, framed);
  framed += encoded;
  Result<std::vector<WireTuple>> decoded = DecodeFrame(framed);
  REQUIRE(decoded.ok());
  REQUIRE(decoded->size() == 1);
  CHECK((*decoded)[0] == t);
}

TEST_CASE("The decoder's shortcuts give the general path's messages at their edges", "[tuple]") {
  auto error = [](const std::string& frame) {
    Result<std::vector<WireTuple>> r = DecodeFrame(frame);
    REQUIRE_FALSE(r.ok());
    return r.status().message();
  };
  const std::string head = "GF\x02\x01"s;  // one tuple
  // One-byte head, but two values where one byte is left.
  CHECK(error(head + "\x00\x00\x00\x00\x02\x00"s) ==
        "frame truncated at byte 8: value count 2 needs at least 1 bytes each but only 1 bytes "
        "are left");
  // A short string one byte longer than what is left.
  CHECK(error(head + "\x00\x00\x00\x00\x01\x05\x03"
                     "ab"s) ==
        "frame truncated at byte 11: string length 3 exceeds the 2 bytes left");
  // A root that ends exactly where the input does: no byte for the value count.
  CHECK(error(head + "\x00\x00\x00\x01"s + std::string(16, '\x07')) ==
        "frame truncated at byte 24: value count varint runs past the end");
  // The same edges, one byte more: whole.
  CHECK(DecodeFrame(head + "\x00\x00\x00\x00\x02\x00\x00"s).ok());
  CHECK(DecodeFrame(head + "\x00\x00\x00\x00\x01\x05\x03"
                           "abc"s)
            .ok());
  CHECK(DecodeFrame(head + "\x00\x00\x00\x01"s + std::string(16, '\x07') + "\x00"s).ok());
}

TEST_CASE("DecodeFrameInto reuses its vector and decodes as DecodeFrame", "[tuple]") {
  auto tuple = [](int64_t seq, size_t roots) {
    WireTuple t;
    t.target_task = 3;
    t.source_task = 1;
    t.stream = 0;
    for (size_t i = 0; i < roots; ++i) t.roots.push_back({static_cast<uint64_t>(seq), i + 1});
    t.values = {Value(seq), Value("v" + std::to_string(seq))};
    return t;
  };
  const std::vector<WireTuple> first = {tuple(1, 3), tuple(2, 0), tuple(3, 1)};
  const std::vector<WireTuple> second = {tuple(4, 1), tuple(5, 2)};
  std::vector<WireTuple> into;
  REQUIRE(DecodeFrameInto(Frame(first), into).ok());
  CHECK(into == first);
  const auto* roots_storage = into[0].roots.data();
  REQUIRE(DecodeFrameInto(Frame(second), into).ok());
  CHECK(into == second);
  CHECK(into[0].roots.data() == roots_storage);            // no new allocation for it
  CHECK_FALSE(DecodeFrameInto("GF\x02\x05"s, into).ok());  // truncated: an error, no crash
}

}  // namespace
}  // namespace gale::tuple

namespace gale::tuple {
namespace {

// A batch of rows' bytes: the count, then `body`.
std::string RowBytes(uint32_t count, const std::string& body) {
  std::string b(rows::kCountBytes, '\0');
  rows::Store32(b.data(), count);
  return b + body;
}

TEST_CASE("CheckRows takes a batch of rows as EmitRow builds it and names what is wrong in another",
          "[tuple]") {
  const Row a("hi", 7);
  const Row b(std::string(70, 'x'), -1);
  uint32_t rows = 0;
  REQUIRE(CheckRows(RowBytes(2, std::string(a.bytes()) + std::string(b.bytes())), 2, rows).ok());
  CHECK(rows == 2);

  auto message = [](const std::string& bytes, size_t fields) {
    uint32_t n = 0;
    const Status s = CheckRows(bytes, fields, n);
    CHECK_FALSE(s.ok());
    return s.message();
  };
  const std::string one(a.bytes());
  CHECK(message("ab", 2) == "a batch of rows of 2 bytes has no row count");
  // Rows of no values take no bytes: any count would pass without this.
  CHECK(message(RowBytes(1000, ""), 0) == "a batch of rows of a stream with no fields");
  CHECK(message(RowBytes(0, ""), 2) == "a batch of rows holds no row");
  CHECK(message(RowBytes(2, one), 2) == "batch of rows, row 1 value 0: ends early");
  CHECK(message(RowBytes(1, one.substr(0, 6)), 2) == "batch of rows, row 0 value 0: ends early");
  CHECK(message(RowBytes(1, one.substr(0, 3)), 2) ==
        "batch of rows, row 0 value 0: ends inside a length");
  CHECK(message(RowBytes(1, one + "z"), 2) == "batch of rows: 1 bytes after its 1 rows");
  CHECK(message(RowBytes(1, "\x09"), 1) == "batch of rows, row 0 value 0: unknown tag 9");
  // A length far past the end, and a count far past the rows.
  CHECK(message(RowBytes(1, std::string("\x05\xff\xff\xff\xff", 5)), 1) ==
        "batch of rows, row 0 value 0: ends early");
  CHECK(message(RowBytes(UINT32_MAX, one), 2) == "batch of rows, row 1 value 0: ends early");
}

}  // namespace
}  // namespace gale::tuple
