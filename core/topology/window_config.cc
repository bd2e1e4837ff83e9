#include "core/topology/window_config.h"

#include "core/topology/topology_settings.h"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace gale::topology {
namespace {

constexpr std::string_view kKeys[] = {
    kWindowLengthCount, kWindowLengthMs,       kWindowSlideCount,
    kWindowSlideMs,     kWindowTimestampField, kWindowLagMs,
    kWindowWatermarkMs, kWindowLateStream,     kWindowPunctuationStream};

Status ReadPositive(const Config& config, std::string_view key, int64_t min,
                    std::optional<int64_t>* out) {
  const Value* v = config.Find(key);
  if (!v) return Status::Ok();
  if (v->type() != ValueType::kInt || v->AsInt() < min) {
    return Status::InvalidArgument(std::string(key) + " must be an integer >= " +
                                   std::to_string(min) + ", got " + v->ToString());
  }
  *out = v->AsInt();
  return Status::Ok();
}

Status ReadString(const Config& config, std::string_view key, std::string* out) {
  const Value* v = config.Find(key);
  if (!v) return Status::Ok();
  if (v->type() != ValueType::kString || v->AsString().empty()) {
    return Status::InvalidArgument(std::string(key) + " must be a non-empty string, got " +
                                   v->ToString());
  }
  *out = v->AsString();
  return Status::Ok();
}

Status OneOf(std::string_view count_key, const std::optional<int64_t>& count,
             std::string_view ms_key, const std::optional<int64_t>& ms,
             std::optional<Extent>* out) {
  if (count && ms) {
    return Status::InvalidArgument("set " + std::string(count_key) + " or " + std::string(ms_key) +
                                   ", not both");
  }
  if (count) *out = Extent{Extent::Kind::kCount, *count};
  if (ms) *out = Extent{Extent::Kind::kDuration, *ms};
  return Status::Ok();
}

}  // namespace

std::string Extent::ToString() const {
  return std::to_string(value) + (count() ? (value == 1 ? " tuple" : " tuples") : " ms");
}

double WindowConfig::TickSecs() const {
  if (punctuation()) return 0;
  // Fine enough that a window closes within 1/20 of its slide (at least
  // every 10 ms, at most every second).
  int64_t every = 0;
  if (!slide.count()) every = slide.value / 20;
  if (event_time()) every = every ? std::min(every, watermark_interval_ms) : watermark_interval_ms;
  if (every == 0 && slide.count() && !event_time()) return 0;
  every = std::clamp<int64_t>(every, 10, 1000);
  return static_cast<double>(every) / 1000.0;
}

bool HasWindowKeys(const Config& config) {
  return std::any_of(std::begin(kKeys), std::end(kKeys),
                     [&](std::string_view k) { return config.Contains(k); });
}

bool IsPersistentWindow(const Config& effective) {
  const bool windowed = effective.Contains(kWindowLengthCount) ||
                        effective.Contains(kWindowLengthMs) ||
                        effective.Contains(kWindowPunctuationStream);
  auto on = [&](std::string_view key) {
    const Value* v = effective.Find(key);
    return v && v->type() == ValueType::kBool && v->AsBool();
  };
  return windowed && (on(kWindowPersistent) || on(kExactlyOnceKey));
}

Result<std::optional<WindowConfig>> ReadWindowConfig(const Config& config) {
  if (!HasWindowKeys(config)) return std::optional<WindowConfig>();
  WindowConfig w;
  std::optional<int64_t> len_count, len_ms, slide_count, slide_ms, lag, watermark;
  GALE_RETURN_IF_ERROR(ReadPositive(config, kWindowLengthCount, 1, &len_count));
  GALE_RETURN_IF_ERROR(ReadPositive(config, kWindowLengthMs, 1, &len_ms));
  GALE_RETURN_IF_ERROR(ReadPositive(config, kWindowSlideCount, 1, &slide_count));
  GALE_RETURN_IF_ERROR(ReadPositive(config, kWindowSlideMs, 1, &slide_ms));
  GALE_RETURN_IF_ERROR(ReadPositive(config, kWindowLagMs, 0, &lag));
  GALE_RETURN_IF_ERROR(ReadPositive(config, kWindowWatermarkMs, 1, &watermark));
  GALE_RETURN_IF_ERROR(ReadString(config, kWindowTimestampField, &w.timestamp_field));
  GALE_RETURN_IF_ERROR(ReadString(config, kWindowLateStream, &w.late_stream));
  GALE_RETURN_IF_ERROR(ReadString(config, kWindowPunctuationStream, &w.punctuation_stream));
  std::optional<Extent> length, slide;
  GALE_RETURN_IF_ERROR(OneOf(kWindowLengthCount, len_count, kWindowLengthMs, len_ms, &length));
  GALE_RETURN_IF_ERROR(OneOf(kWindowSlideCount, slide_count, kWindowSlideMs, slide_ms, &slide));

  if (w.punctuation()) {
    if (length || slide) {
      return Status::InvalidArgument(
          "a punctuation window (" + std::string(kWindowPunctuationStream) +
          ") closes on its stream's tuples: it takes no window length or sliding interval");
    }
    if (w.event_time()) {
      return Status::InvalidArgument(
          "a punctuation window (" + std::string(kWindowPunctuationStream) +
          ") cannot use event time (" + std::string(kWindowTimestampField) + ")");
    }
  } else {
    if (!length) {
      return Status::InvalidArgument(
          "a windowed bolt needs a window length: set " + std::string(kWindowLengthCount) + " or " +
          std::string(kWindowLengthMs) +
          " (in the topology file: window: { length: 30s, slide: 10s })");
    }
    w.length = *length;
    w.slide = slide ? *slide : Extent{Extent::Kind::kCount, 1};
    if (w.slide.kind == w.length.kind && w.slide.value > w.length.value) {
      return Status::InvalidArgument("the sliding interval (" + w.slide.ToString() +
                                     ") is larger than the window length (" + w.length.ToString() +
                                     "): tuples between windows would be in none");
    }
  }
  if (!w.event_time()) {
    for (auto key : {kWindowLagMs, kWindowWatermarkMs, kWindowLateStream}) {
      if (config.Contains(key)) {
        return Status::InvalidArgument(std::string(key) + " applies to event time only: set " +
                                       std::string(kWindowTimestampField) + " too");
      }
    }
  }
  if (lag) w.lag_ms = *lag;
  if (watermark) w.watermark_interval_ms = *watermark;
  return std::optional<WindowConfig>(std::move(w));
}

std::vector<std::string> MergeCodeConfig(Config& file, const Config& code) {
  auto group = [](std::string_view key) -> std::vector<std::string_view> {
    if (key == kWindowLengthCount || key == kWindowLengthMs)
      return {kWindowLengthCount, kWindowLengthMs};
    if (key == kWindowSlideCount || key == kWindowSlideMs)
      return {kWindowSlideCount, kWindowSlideMs};
    return {key};
  };
  std::vector<std::string> added;
  for (const auto& [key, value] : code.entries()) {
    const auto keys = group(key);
    if (std::any_of(keys.begin(), keys.end(),
                    [&](std::string_view k) { return file.Contains(k); })) {
      continue;
    }
    added.push_back(key);
  }
  for (const auto& key : added) file.Set(key, *code.Find(key));
  return added;
}

Result<Extent> ParseExtent(std::string_view text) {
  auto bad = [&] {
    return Status::InvalidArgument(
        "expected a count of tuples (100) or a duration with a unit (500ms, 30s, 5m, 1h), got '" +
        std::string(text) + "'");
  };
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || n < 1) return bad();
  const std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  if (unit.empty()) return Extent{Extent::Kind::kCount, n};
  int64_t ms_per = 0;
  if (unit == "ms") ms_per = 1;
  else if (unit == "s") ms_per = 1000;
  else if (unit == "m" || unit == "min") ms_per = 60'000;
  else if (unit == "h") ms_per = 3'600'000;
  else return bad();
  if (n > INT64_MAX / ms_per) return bad();
  return Extent{Extent::Kind::kDuration, n * ms_per};
}

}  // namespace gale::topology
