// connectors/kafka/offset_manager.h
//
// KafkaSpout's bookkeeping for one partition, as Storm's OffsetManager
// keeps it: the offsets emitted and not yet acked, and from them the offset
// that may be committed: the first offset not acked (or, when everything
// emitted is acked, the one after the last emitted). Failed offsets are
// retried with exponential backoff up to a maximum number of retries, after
// which they count as acked (dropped), as Storm does. Time is passed in.
//
// Threading: the spout's executor thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace gale::connectors::kafka {

struct RetryPolicy {
  std::chrono::milliseconds initial{0};  // delay before the first retry
  std::chrono::milliseconds max{10000};  // delays double up to this
  int max_retries = -1;                  // -1: no limit
};

class OffsetManager {
 public:
  using Clock = std::chrono::steady_clock;

  // `committed`: the partition's committed offset (the next to read), or
  // -1 when it has none yet (the first emitted offset starts the count).
  OffsetManager(int64_t committed, RetryPolicy policy) : committed_(committed), policy_(policy) {}

  // An offset was emitted (the first time). Offsets come in increasing
  // order, possibly with gaps (compaction, transaction markers).
  void Emitted(int64_t offset);
  void Acked(int64_t offset);
  // The offset's tuple failed: schedules its retry and returns true, or
  // returns false when it ran out of retries (it is then dropped: acked).
  bool Failed(int64_t offset, Clock::time_point now);
  // Offsets whose retry is due, in order; each is handed out once per failure.
  std::vector<int64_t> DueRetries(Clock::time_point now);

  // What to commit now: the first offset not yet acked, or after the last
  // emitted; nullopt when it would not move the commit point.
  std::optional<int64_t> NextCommit() const;
  void Committed(int64_t offset) { committed_ = offset; }
  int64_t committed() const { return committed_; }

  // Offsets emitted beyond the committed offset (Storm's count for
  // max.uncommitted.offsets).
  int64_t uncommitted() const;
  size_t in_flight() const { return in_flight_.size(); }

 private:
  struct Retry {
    int failures = 0;
    Clock::time_point due{};
    bool scheduled = false;
  };
  int64_t committed_;
  RetryPolicy policy_;
  int64_t last_emitted_ = -1;
  std::map<int64_t, Retry> in_flight_;  // emitted, not acked (failed ones included)
};

}  // namespace gale::connectors::kafka
