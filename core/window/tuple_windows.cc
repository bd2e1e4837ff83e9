#include "core/window/tuple_windows.h"

#include <algorithm>
#include <unordered_map>
#include <utility>

namespace gale::window {
namespace {

constexpr int64_t kSnapshotVersion = 1;

}  // namespace

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
  for (uint64_t seg : dirty_) {
    const Value key = SnapshotKey("t", static_cast<int64_t>(seg));
    auto it = segments.find(seg);
    if (it != segments.end()) {
      state.Put(key, Bytes{std::move(it->second)});
      saved_.insert(seg);
    } else if (saved_.erase(seg)) {
      state.Delete(key);
    }
  }
  dirty_.clear();
  last_added_ = last_left_ = UINT64_MAX;
  std::string bytes;
  bytes.clear();
  PutInt(kSnapshotVersion, bytes);
  PutInt(static_cast<int64_t>(next_aid_), bytes);
  PutInt(static_cast<int64_t>(window_.empty() ? next_seq_ : window_.front().seq), bytes);
  PutInt(static_cast<int64_t>(first_new_seq_), bytes);
  PutInt(since_slide_, bytes);
  PutInt(slides_.next(), bytes);
  std::string time;
  time_.Save(streams_, time);
  streams_.Encode(bytes);
  bytes += time;
  state.Put(SnapshotKey("tuples.clock"), Bytes{bytes});
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
  const auto clock = state.Get(SnapshotKey("tuples.clock"));
  if (!clock) return Status::Ok();
  const auto corrupt = [&] {
    Reset();
    return Status::InvalidArgument("a persistent window's saved clock is corrupt");
  };
  if (clock->type() != ValueType::kBytes) return corrupt();
  std::string_view in(clock->AsBytes().data);
  int64_t version = 0, next_aid = 0, front_seq = 0, first_new = 0, next_end = 0;
  if (!GetInt(in, version) || version != kSnapshotVersion || !GetInt(in, next_aid) ||
      !GetInt(in, front_seq) || !GetInt(in, first_new) || !GetInt(in, since_slide_) ||
      !GetInt(in, next_end) || !streams_.Decode(in).ok() || !time_.Load(in, streams_) ||
      !in.empty()) {
    return corrupt();
  }
  const int64_t watermark = time_.watermark();
  std::vector<Entry> entries;
  Status bad;
  state.ForEach([&](const Value& key, const Value& value) {
    std::string_view name;
    int64_t seg = 0;
    if (!bad.ok() || !ParseSnapshotKey(key, &name, &seg) || name != "t") return;
    if (value.type() != ValueType::kBytes || seg < 0) {
      bad = Status::InvalidArgument("a persistent window's saved tuples are corrupt");
      return;
    }
    saved_.insert(static_cast<uint64_t>(seg));
    std::string_view in(value.AsBytes().data);
    while (bad.ok() && !in.empty()) {
      int64_t offset = 0;
      if (!GetInt(in, offset) || offset < 0 || offset >= static_cast<int64_t>(kSegment)) {
        bad = Status::InvalidArgument("a persistent window's saved tuples are corrupt");
        return;
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
  });
  if (!bad.ok()) {
    Reset();
    return bad;
  }
  // Released entries are in (time, arrival) order, and in event time
  // exactly those behind the watermark; the rest wait in the heap.
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return Later(b, a); });
  for (Entry& e : entries) {
    if (time_.event_time() && e.ts >= watermark) {
      pending_.push_back(std::move(e));
    } else {
      e.seq = static_cast<uint64_t>(front_seq) + window_.size();
      window_.push_back(std::move(e));
    }
  }
  std::make_heap(pending_.begin(), pending_.end(), Later);
  next_seq_ = static_cast<uint64_t>(front_seq) + window_.size();
  first_new_seq_ = static_cast<uint64_t>(first_new);
  next_aid_ = static_cast<uint64_t>(next_aid);
  slides_.Restore(next_end);
  return Status::Ok();
}

}  // namespace gale::window
