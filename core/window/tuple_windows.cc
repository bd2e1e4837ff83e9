#include "core/window/tuple_windows.h"

#include <algorithm>
#include <unordered_map>
#include <utility>

namespace gale::window {
TupleWindows::TupleWindows(const topology::WindowConfig& config, size_t input_streams, Sink& sink)
    : config_(config),
      sink_(sink),
      time_(config, input_streams),
      slides_(config.slide.count() ? 1 : config.slide.value),
      tumbling_(config.punctuation() || config.slide == config.length) {}

void TupleWindows::Add(const Tuple& t, int64_t now_ms) {
  if (config_.punctuation() && t.source_stream() == config_.punctuation_stream) {
    Close(window_.size(), std::max(now_ms, time_.watermark()));
    sink_.Expire(t);  // the punctuation is in no window
    return;
  }
  std::string why;
  const auto ts = time_.Admit(t, now_ms, &why);
  if (!ts) {
    sink_.Late(t, why);
    return;
  }
  if (time_.event_time()) {
    Touch(next_aid_, last_added_);
    pending_.push_back(Entry{t, *ts, 0, next_aid_++});
    std::push_heap(pending_.begin(), pending_.end(), Later);
    return;
  }
  // Processing time: close what is due before this tuple joins.
  if (!config_.punctuation() && !config_.slide.count() && slides_.started() &&
      *ts >= slides_.next()) {
    Tick(now_ms);
  }
  Touch(next_aid_, last_added_);
  Release(Entry{t, *ts, 0, next_aid_++});
}

void TupleWindows::Release(Entry e) {
  e.seq = next_seq_++;
  const int64_t ts = e.ts;
  window_.push_back(std::move(e));
  if (config_.punctuation()) return;
  if (!config_.slide.count()) {
    slides_.Start(ts);
    return;
  }
  if (++since_slide_ >= config_.slide.value) {
    since_slide_ = 0;
    Close(window_.size(), ts + 1);
  }
}

void TupleWindows::ReleaseUpTo(int64_t watermark) {
  while (!pending_.empty() && pending_.front().ts < watermark) {
    std::pop_heap(pending_.begin(), pending_.end(), Later);
    Entry e = std::move(pending_.back());
    pending_.pop_back();
    Release(std::move(e));
  }
}

void TupleWindows::Tick(int64_t now_ms) {
  const auto moved = time_.Advance(now_ms);
  if (!moved) return;
  if (time_.event_time()) ReleaseUpTo(*moved);
  if (config_.punctuation() || config_.slide.count()) return;
  const int64_t w = *moved;
  while (slides_.started() && slides_.next() <= w) {
    if (window_.empty()) {
      slides_.Stop();
      break;
    }
    const int64_t end = slides_.next();
    Close(FirstAtOrAfter(end), end);
    slides_.Step();
    if (!window_.empty()) slides_.SkipTo(window_.front().ts);
  }
}

size_t TupleWindows::FirstAtOrAfter(int64_t ts) const {
  auto it = std::partition_point(window_.begin(), window_.end(),
                                 [&](const Entry& e) { return e.ts < ts; });
  return static_cast<size_t>(it - window_.begin());
}

void TupleWindows::Close(size_t k, int64_t end_ms) {
  size_t evict = 0;
  if (!config_.punctuation()) {
    if (config_.length.count()) {
      const auto n = static_cast<size_t>(config_.length.value);
      evict = k > n ? k - n : 0;
    } else {
      const int64_t start = end_ms - config_.length.value;
      while (evict < k && window_[evict].ts < start) ++evict;
    }
  }
  out_.tuples_.clear();
  out_.new_.clear();
  out_.expired_.clear();
  for (size_t i = 0; i < evict; ++i) out_.expired_.push_back(&window_[i].tuple);
  for (size_t i = evict; i < k; ++i) {
    out_.tuples_.push_back(&window_[i].tuple);
    if (window_[i].seq >= first_new_seq_) out_.new_.push_back(&window_[i].tuple);
  }
  if (k > 0) first_new_seq_ = std::max(first_new_seq_, window_[k - 1].seq + 1);
  out_.end_ms_ = end_ms;
  out_.start_ms_.reset();
  if (!config_.punctuation() && !config_.length.count()) {
    out_.start_ms_ = end_ms - config_.length.value;
  }
  if (!out_.tuples_.empty()) sink_.Execute(out_);
  out_.tuples_.clear();
  out_.new_.clear();
  out_.expired_.clear();
  // A tumbling window's tuples are in no later window: they leave now.
  const size_t leave = tumbling_ ? k : evict;
  for (size_t i = 0; i < leave; ++i) {
    Touch(window_.front().aid, last_left_);
    sink_.Expire(window_.front().tuple);
    window_.pop_front();
  }
}

void TupleWindows::Save(KeyValueState& state) {
  // The dirty segments' tuples, found in one pass (consecutive entries are
  // nearly always of one segment: one lookup per segment change).
  std::unordered_map<uint64_t, std::string> segments;
  uint64_t current = UINT64_MAX;
  std::string* out = nullptr;
  auto visit = [&](const Entry& e) {
    if (e.aid / kSegment != current) {
      current = e.aid / kSegment;
      out = dirty_.count(current) ? &segments[current] : nullptr;
    }
    if (out == nullptr) return;
    PutInt(static_cast<int64_t>(e.aid % kSegment), *out);
    EncodeSavedTuple(e.tuple, streams_.IndexOf(e.tuple.meta()), e.ts, *out);
  };
  if (!dirty_.empty()) {
    for (const Entry& e : window_) visit(e);
    for (const Entry& e : pending_) visit(e);
  }
  SaveDirty(
      state, "t", dirty_,
      [&](uint64_t seg) -> std::optional<std::string> {
        auto it = segments.find(seg);
        if (it == segments.end()) return std::nullopt;
        return std::move(it->second);
      },
      saved_);
  dirty_.clear();
  last_added_ = last_left_ = UINT64_MAX;
  SaveClock(state, "tuples.clock",
            {static_cast<int64_t>(next_aid_),
             static_cast<int64_t>(window_.empty() ? next_seq_ : window_.front().seq),
             static_cast<int64_t>(first_new_seq_), since_slide_, slides_.next()},
            time_, streams_);
}

void TupleWindows::Reset() {
  window_.clear();
  pending_.clear();
  dirty_.clear();
  saved_.clear();
  last_added_ = last_left_ = UINT64_MAX;
  next_seq_ = first_new_seq_ = next_aid_ = 0;
  since_slide_ = 0;
  slides_.Stop();
  time_.Reset();
}

Status TupleWindows::Load(const KeyValueState& state) {
  Reset();
  const auto corrupt = [&] {
    Reset();
    return Status::InvalidArgument("a persistent window's saved clock is corrupt");
  };
  std::vector<int64_t> clock(5);
  bool found = false;
  if (!LoadClock(state, "tuples.clock", clock, time_, streams_, &found)) return corrupt();
  if (!found) return Status::Ok();
  const auto front_seq = static_cast<uint64_t>(clock[1]);
  const int64_t watermark = time_.watermark();
  std::vector<Entry> entries;
  Status bad;
  const bool read = ForEachSaved(state, "t", saved_, [&](int64_t seg, std::string_view in) {
    while (bad.ok() && !in.empty()) {
      int64_t offset = 0;
      if (seg < 0 || !GetInt(in, offset) || offset < 0 ||
          offset >= static_cast<int64_t>(kSegment)) {
        return false;
      }
      std::optional<Tuple> t;
      int64_t ts = 0;
      bad = DecodeSavedTuple(in, streams_, &t, &ts);
      if (bad.ok()) {
        entries.push_back(
            Entry{std::move(*t), ts, 0,
                  static_cast<uint64_t>(seg) * kSegment + static_cast<uint64_t>(offset)});
      }
    }
    return bad.ok();
  });
  if (!read) {
    Reset();
    return bad.ok() ? Status::InvalidArgument("a persistent window's saved tuples are corrupt")
                    : bad;
  }
  // Released entries are in (time, arrival) order, and in event time
  // exactly those behind the watermark; the rest wait in the heap.
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return Later(b, a); });
  for (Entry& e : entries) {
    if (time_.event_time() && e.ts >= watermark) {
      pending_.push_back(std::move(e));
    } else {
      e.seq = front_seq + window_.size();
      window_.push_back(std::move(e));
    }
  }
  std::make_heap(pending_.begin(), pending_.end(), Later);
  next_seq_ = front_seq + window_.size();
  next_aid_ = static_cast<uint64_t>(clock[0]);
  first_new_seq_ = static_cast<uint64_t>(clock[2]);
  since_slide_ = clock[3];
  slides_.Restore(clock[4]);
  return Status::Ok();
}

}  // namespace gale::window
