// core/tuple/tuple_codec.h
//
// The wire format of values and tuples: versioned, little-endian, and
// bounds-checked on decode. Decoding never reads past the end of its input
// and never trusts a length: a truncated or corrupted input is an error
// (Status kInvalidArgument), never a crash. The format is documented in
// core/tuple/README.md. Stateless functions; safe from any thread.
#pragma once

#include "core/common/result.h"
#include "core/common/status.h"

#include <gale/tuple.h>
#include <gale/values.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gale::tuple {

inline constexpr uint8_t kCodecVersion = 2;

// Appends the encoding of one value / a list of values to `out`.
void EncodeValue(const Value& v, std::string& out);
// The version-1 encoding of a value (large ints as 9- or 10-byte varints):
// what grouping::FieldsHash hashes, which must never change.
void EncodeValueV1(const Value& v, std::string& out);
void EncodeValues(const Values& values, std::string& out);

// Reads from `in`, advancing it past what was read.
Status DecodeValue(std::string_view& in, Value& out);
Status DecodeValues(std::string_view& in, Values& out);

// A tuple as it crosses a process boundary. `stream` is the source
// component's stream index (the same in every process of a topology).
struct WireTuple {
  int32_t target_task = 0;
  int32_t source_task = 0;
  uint32_t stream = 0;
  std::vector<std::pair<uint64_t, uint64_t>> roots;  // (root id, edge id)
  Values values;
  bool operator==(const WireTuple&) const = default;
};

// A frame is a header (magic "GF", version, tuple count) and the tuples.
void EncodeFrame(const std::vector<WireTuple>& tuples, std::string& out);
Result<std::vector<WireTuple>> DecodeFrame(std::string_view in);

// The parts of a frame, for a sender that encodes tuples as they are sent
// and frames them later: the header for `count` tuples, and one tuple's
// encoding (what EncodeFrame writes after the header). A runtime tuple
// encodes as the WireTuple with its source task, its stream's index, its
// roots and values.
void EncodeFrameHeader(size_t count, std::string& out);
void EncodeTuple(const WireTuple& tuple, std::string& out);
void EncodeTuple(int32_t target_task, const Tuple& tuple, std::string& out);

// DecodeFrame into `out`, reusing the storage of its elements (their root
// vectors and values), so that a receiver decoding every frame into one
// vector allocates nothing once warm. On error `out` is unspecified.
Status DecodeFrameInto(std::string_view in, std::vector<WireTuple>& out);

// Varints (LEB128), zig-zag for signed; exposed for other wire formats.
void PutVarint(uint64_t v, std::string& out);
bool GetVarint(std::string_view& in, uint64_t& v);

}  // namespace gale::tuple
