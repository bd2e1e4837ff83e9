#include "connectors/files/line_offsets.h"

namespace gale::connectors::files {

bool LineOffsets::Emitted(uint64_t begin, uint64_t end) {
  if (begin != read_ || end <= begin) return false;
  lines_.emplace(begin, Line{end, false});
  read_ = end;
  ++pending_;
  return true;
}

bool LineOffsets::Acked(uint64_t begin) {
  auto it = lines_.find(begin);
  if (it == lines_.end() || it->second.acked) return false;
  it->second.acked = true;
  --pending_;
  // Only the front can move the commit point; acked lines behind a pending
  // one wait in the map until it is acked too.
  while (!lines_.empty() && lines_.begin()->second.acked) {
    committed_ = lines_.begin()->second.end;
    lines_.erase(lines_.begin());
  }
  return true;
}

}  // namespace gale::connectors::files
