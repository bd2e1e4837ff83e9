// core/tuple/tuple_codec.h
//
// The wire format of values and tuples: versioned, little-endian, and
// bounds-checked on decode. Decoding never reads past the end of its input
// and never trusts a length: a truncated or corrupted input is an error
// (Status kInvalidArgument), never a crash. The format is documented in
// core/tuple/README.md. Stateless functions; safe from any thread.
#pragma once

#include "core/common/little_endian.h"
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

// Checks the bytes of a batch of rows (gale/rows.h) whose stream has
// `fields` fields, as they arrive from another process, before any bolt
// reads them: the count, every tag and length, nothing after the last row,
// at least one row, a stream with fields (rows of no values are never
// batched). Sets `rows` to the count.
Status CheckRows(std::string_view bytes, size_t fields, uint32_t& rows);

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

// Reads a frame tuple by tuple, for a receiver that builds its own tuples
// instead of WireTuples (a worker builds them in its queues' envelopes, and
// saves a copy of every value). It checks what DecodeFrameInto checks, in
// the same order and with the same messages (DecodeFrameInto is built on
// it). After an error the reader must not be used again.
class FrameReader {
 public:
  // A tuple's fields before its values.
  struct Head {
    int32_t target_task = 0;
    int32_t source_task = 0;
    uint32_t stream = 0;
    size_t values = 0;            // how many ReadValues reads
    std::string_view root_bytes;  // (root id, edge id) pairs: ForEachRoot
    size_t roots() const { return root_bytes.size() / 16; }
  };

  // Checks the header; count() tuples follow.
  Status Open(std::string_view frame);
  size_t count() const { return count_; }
  // The next tuple's head; then ReadValues, before the next Next.
  Status Next(Head& head);
  // Appends the head's values to `out`.
  Status ReadValues(const Head& head, Values& out);
  // Nothing is left after the last tuple.
  Status Finish() const;

  template <typename F>  // f(root id, edge id)
  static void ForEachRoot(const Head& head, F&& f) {
    for (size_t at = 0; at + 16 <= head.root_bytes.size(); at += 16) {
      f(LoadLittle64(head.root_bytes.data() + at), LoadLittle64(head.root_bytes.data() + at + 8));
    }
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  size_t count_ = 0;
};

// Varints (LEB128), zig-zag for signed; exposed for other wire formats.
void PutVarint(uint64_t v, std::string& out);
bool GetVarint(std::string_view& in, uint64_t& v);

}  // namespace gale::tuple
