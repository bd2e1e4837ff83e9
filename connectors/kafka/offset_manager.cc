#include "connectors/kafka/offset_manager.h"

#include <algorithm>

namespace gale::connectors::kafka {

void OffsetManager::Emitted(int64_t offset) {
  if (committed_ < 0) committed_ = offset;
  in_flight_.emplace(offset, Retry{});
  last_emitted_ = std::max(last_emitted_, offset);
}

void OffsetManager::Acked(int64_t offset) { in_flight_.erase(offset); }

bool OffsetManager::Failed(int64_t offset, Clock::time_point now) {
  auto it = in_flight_.find(offset);
  if (it == in_flight_.end()) return false;
  Retry& r = it->second;
  ++r.failures;
  if (policy_.max_retries >= 0 && r.failures > policy_.max_retries) {
    in_flight_.erase(it);  // out of retries: dropped, so the commit point moves on
    return false;
  }
  auto delay = policy_.initial;
  for (int i = 1; i < r.failures && delay < policy_.max; ++i) {
    delay = delay.count() == 0 ? std::chrono::milliseconds(1) : delay * 2;
  }
  r.due = now + std::min(delay, policy_.max);
  r.scheduled = true;
  return true;
}

std::vector<int64_t> OffsetManager::DueRetries(Clock::time_point now) {
  std::vector<int64_t> due;
  for (auto& [offset, r] : in_flight_) {
    if (r.scheduled && r.due <= now) {
      r.scheduled = false;
      due.push_back(offset);
    }
  }
  return due;
}

std::optional<int64_t> OffsetManager::NextCommit() const {
  if (last_emitted_ < 0) return std::nullopt;
  const int64_t next = in_flight_.empty() ? last_emitted_ + 1 : in_flight_.begin()->first;
  if (next <= committed_) return std::nullopt;
  return next;
}

int64_t OffsetManager::uncommitted() const {
  if (last_emitted_ < 0 || committed_ < 0) return 0;
  return std::max<int64_t>(0, last_emitted_ + 1 - committed_);
}

}  // namespace gale::connectors::kafka
