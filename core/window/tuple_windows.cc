#include "core/window/tuple_windows.h"

#include <algorithm>
#include <utility>

namespace gale::window {
namespace {

bool LaterTs(const auto& a, const auto& b) { return a.ts > b.ts; }

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
    pending_.push_back(Entry{t, *ts, 0});
    std::push_heap(pending_.begin(), pending_.end(), LaterTs<Entry, Entry>);
    return;
  }
  // Processing time: close what is due before this tuple joins.
  if (!config_.punctuation() && !config_.slide.count() && slides_.started() &&
      *ts >= slides_.next()) {
    Tick(now_ms);
  }
  Release(Entry{t, *ts, 0});
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
    std::pop_heap(pending_.begin(), pending_.end(), LaterTs<Entry, Entry>);
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
    sink_.Expire(window_.front().tuple);
    window_.pop_front();
  }
}

}  // namespace gale::window
