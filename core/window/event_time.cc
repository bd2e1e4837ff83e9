#include "core/window/event_time.h"

#include <algorithm>

namespace gale::window {

EventTime::EventTime(const topology::WindowConfig& config, size_t input_streams)
    : event_time_(config.event_time()),
      field_(config.timestamp_field),
      lag_ms_(config.lag_ms),
      interval_ms_(config.watermark_interval_ms),
      input_streams_(input_streams) {}

std::optional<int64_t> EventTime::Stamp(const Tuple& t, int64_t now_ms, std::string* why) {
  if (!event_time_) {
    last_now_ = std::max(last_now_, now_ms);
    return last_now_;
  }
  if (t.meta() != field_stream_) {
    field_stream_ = t.meta();
    auto i = t.fields().IndexOf(field_);
    field_present_ = i.has_value();
    field_index_ = i.value_or(0);
  }
  if (!field_present_ || field_index_ >= t.size()) {
    *why = "tuple from " + t.source_component() + ":" + t.source_stream() +
           " has no timestamp field '" + field_ + "'";
    return std::nullopt;
  }
  const Value& v = t.values()[field_index_];
  if (v.type() != ValueType::kInt) {
    *why = "timestamp field '" + field_ + "' of a tuple from " + t.source_component() + ":" +
           t.source_stream() + " is " + ValueTypeName(v.type()) + " (" + v.ToString() +
           "), expected an int (milliseconds)";
    return std::nullopt;
  }
  const int64_t ts = v.AsInt();
  auto it = std::find_if(streams_.begin(), streams_.end(),
                         [&](const StreamMax& s) { return s.stream == t.meta(); });
  if (it == streams_.end()) {
    // A stream read back from a saved window is known by its names.
    it = std::find_if(streams_.begin(), streams_.end(), [&](const StreamMax& s) {
      return s.stream->component == t.source_component() && s.stream->stream == t.source_stream();
    });
    if (it != streams_.end()) it->stream = t.meta();
  }
  if (it == streams_.end()) {
    streams_.push_back({t.meta(), ts});
  } else {
    it->max_ts = std::max(it->max_ts, ts);
  }
  return ts;
}

std::optional<int64_t> EventTime::Advance(int64_t now_ms) {
  if (!event_time_) {
    last_now_ = std::max(last_now_, now_ms);
    if (last_now_ <= watermark_) return std::nullopt;
    watermark_ = last_now_;
    return watermark_;
  }
  if (next_watermark_at_ != kNoTime && now_ms < next_watermark_at_) return std::nullopt;
  next_watermark_at_ = now_ms + interval_ms_;
  if (streams_.empty() || streams_.size() < input_streams_) return std::nullopt;
  int64_t low = streams_.front().max_ts;
  for (const auto& s : streams_) low = std::min(low, s.max_ts);
  const int64_t w = low - lag_ms_;
  if (watermark_ != kNoTime && w <= watermark_) return std::nullopt;
  watermark_ = w;
  return watermark_;
}

void EventTime::Save(StreamTable& streams, std::string& out) const {
  PutInt(watermark_, out);
  PutInt(last_now_, out);
  PutInt(next_watermark_at_, out);
  PutInt(static_cast<int64_t>(streams_.size()), out);
  for (const auto& s : streams_) {
    PutInt(streams.IndexOf(s.stream), out);
    PutInt(s.max_ts, out);
  }
}

bool EventTime::Load(std::string_view& in, const StreamTable& streams) {
  Reset();
  int64_t n = 0;
  if (!GetInt(in, watermark_) || !GetInt(in, last_now_) || !GetInt(in, next_watermark_at_) ||
      !GetInt(in, n) || n < 0) {
    return false;
  }
  for (int64_t i = 0; i < n; ++i) {
    int64_t index = 0, max_ts = 0;
    if (!GetInt(in, index) || !GetInt(in, max_ts) || index < 0) return false;
    const StreamMeta* meta = streams.At(static_cast<uint32_t>(index));
    if (meta == nullptr) return false;
    streams_.push_back({meta, max_ts});
  }
  return true;
}

void EventTime::Reset() {
  streams_.clear();
  watermark_ = last_now_ = next_watermark_at_ = kNoTime;
}

namespace {

constexpr int64_t kClockVersion = 1;

}  // namespace

void SaveClock(KeyValueState& state, std::string_view key, std::initializer_list<int64_t> ints,
               const EventTime& time, StreamTable& streams) {
  std::string bytes, times;
  PutInt(kClockVersion, bytes);
  for (int64_t i : ints) PutInt(i, bytes);
  time.Save(streams, times);  // registers the streams: encode them after
  streams.Encode(bytes);
  bytes += times;
  state.Put(SnapshotKey(key), Bytes{std::move(bytes)});
}

bool LoadClock(const KeyValueState& state, std::string_view key, std::vector<int64_t>& ints,
               EventTime& time, StreamTable& streams, bool* found) {
  const auto clock = state.Get(SnapshotKey(key));
  *found = clock.has_value();
  if (!clock) return true;
  if (clock->type() != ValueType::kBytes) return false;
  std::string_view in(clock->AsBytes().data);
  int64_t version = 0;
  if (!GetInt(in, version) || version != kClockVersion) return false;
  for (int64_t& i : ints) {
    if (!GetInt(in, i)) return false;
  }
  return streams.Decode(in).ok() && time.Load(in, streams) && in.empty();
}

}  // namespace gale::window
