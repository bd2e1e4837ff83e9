// connectors/files/line_offsets.h
//
// The acked-prefix logic of FileSpout, one instance per file: lines are
// emitted in file order as byte ranges [begin, end); they are acked in any
// order; committed() is the end of the longest prefix of the file whose
// lines are all acked, which is what the offsets file may record. A failed
// line stays pending (the spout emits it again) and holds the prefix back
// until it is acked.
//
// Threading: the spout's executor thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>

namespace gale::connectors::files {

class LineOffsets {
 public:
  explicit LineOffsets(uint64_t committed = 0) : committed_(committed), read_(committed) {}

  // A line [begin, end) was read and emitted. REQUIRES: begin == read(),
  // end > begin (lines are read in order, each at least its newline).
  // Returns false (and records nothing) when the range does not follow on.
  bool Emitted(uint64_t begin, uint64_t end);

  // The line starting at `begin` was acked. Advances committed() over every
  // acked line at its front. False for an unknown or already-acked line.
  bool Acked(uint64_t begin);

  // The end of the acked prefix: every byte before it belongs to acked lines.
  uint64_t committed() const { return committed_; }
  // Where the next line starts: the end of the last emitted line.
  uint64_t read() const { return read_; }
  // Lines emitted and not yet acked (including failed ones awaiting replay).
  size_t pending() const { return pending_; }
  bool idle() const { return lines_.empty(); }

 private:
  struct Line {
    uint64_t end;
    bool acked;
  };
  uint64_t committed_;
  uint64_t read_;
  size_t pending_ = 0;
  std::map<uint64_t, Line> lines_;  // begin -> line, for lines at or after committed_
};

}  // namespace gale::connectors::files
