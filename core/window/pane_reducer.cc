#include "core/window/pane_reducer.h"

#include "core/tuple/tuple_codec.h"

#include <chrono>
#include <numeric>
#include <utility>

namespace gale::window {
namespace {

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

size_t ValueHash::operator()(const Value& v) const {
  switch (v.type()) {
    case ValueType::kNull: return 0;
    case ValueType::kBool: return v.AsBool() ? 1 : 2;
    case ValueType::kInt: return std::hash<int64_t>()(v.AsInt()) * 0x9E3779B97F4A7C15ull;
    case ValueType::kDouble: return std::hash<double>()(v.AsDouble());
    case ValueType::kString: return std::hash<std::string>()(v.AsString());
    case ValueType::kBytes: return std::hash<std::string>()(v.AsBytes().data) ^ 0x5bd1e995;
  }
  return 0;
}

std::string PaneReducer::Check(const topology::WindowConfig& config) {
  if (config.punctuation())
    return "a keyed window reduce needs a length and a slide, not a punctuation stream";
  if (config.length.kind != config.slide.kind) {
    return "a keyed window reduce needs a length and a slide of one kind (both counts or both "
           "durations), got " +
           config.length.ToString() + " and " + config.slide.ToString();
  }
  if (config.event_time() && config.length.count()) {
    return "a keyed window reduce by count counts inputs as they arrive: event time needs a "
           "duration length and slide";
  }
  return "";
}

PaneReducer::PaneReducer(const topology::WindowConfig& config, size_t input_streams,
                         const WindowReducer& reducer, bool use_inverse, std::string key_field,
                         std::string value_field, Sink& sink)
    : config_(config),
      f_(reducer),
      inverse_(use_inverse && reducer.HasInverse()),
      counts_tuples_(reducer.CountsTuples()),
      key_field_(std::move(key_field)),
      value_field_(std::move(value_field)),
      sink_(sink),
      time_(config, input_streams),
      clock_(config.slide.count() ? 1 : config.slide.value),
      pane_(std::gcd(config.length.value, config.slide.value)) {}

bool PaneReducer::Resolve(const Tuple& t, const Value** key, const Value** value,
                          std::string* why) {
  if (t.meta() != meta_) {
    meta_ = t.meta();
    auto k = t.fields().IndexOf(key_field_);
    key_index_ = k ? static_cast<int>(*k) : -1;
    value_index_ = -1;
    if (!counts_tuples_) {
      auto v = t.fields().IndexOf(value_field_);
      value_index_ = v ? static_cast<int>(*v) : -1;
    }
  }
  auto missing = [&](const std::string& field) {
    *why = "tuple from " + t.source_component() + ":" + t.source_stream() + " has no field '" +
           field + "'";
    return false;
  };
  if (key_index_ < 0 || static_cast<size_t>(key_index_) >= t.size()) return missing(key_field_);
  *key = &t.values()[static_cast<size_t>(key_index_)];
  if (counts_tuples_) {
    *value = &one_;
    return true;
  }
  if (value_index_ < 0 || static_cast<size_t>(value_index_) >= t.size()) {
    return missing(value_field_);
  }
  *value = &t.values()[static_cast<size_t>(value_index_)];
  return true;
}

void PaneReducer::Add(const Tuple& t, int64_t now_ms) {
  std::string why;
  const Value* key = nullptr;
  const Value* value = nullptr;
  if (!Resolve(t, &key, &value, &why)) {
    sink_.Late(t, why);
    return;
  }
  int64_t pane = 0;
  if (config_.length.count()) {
    pane = static_cast<int64_t>(seen_) / pane_;
  } else {
    const auto ts = time_.Admit(t, now_ms, &why);
    if (!ts) {
      sink_.Late(t, why);
      return;
    }
    if (!time_.event_time() && clock_.started() && *ts >= clock_.next()) Tick(now_ms);
    clock_.Start(*ts);
    pane = FloorDiv(*ts, pane_);
  }
  // Nearly every input goes to the pane of the one before it: skip the
  // map's search (log of the window's panes, each a cache miss) for it.
  if (pane != cached_pane_ || cached_ == nullptr) {
    cached_ = &panes_[pane];
    cached_pane_ = pane;
  }
  if (persistent_ && pane != last_dirty_) {
    dirty_.insert(pane);
    last_dirty_ = pane;
  }
  KeyMap& p = *cached_;
  auto [it, inserted] = p.try_emplace(*key, *value);
  if (!inserted) f_.Reduce(it->second, *value);
  if (config_.length.count() && ++seen_ % static_cast<uint64_t>(config_.slide.value) == 0) {
    Close(static_cast<int64_t>(seen_) / pane_, now_ms);
  }
}

void PaneReducer::Tick(int64_t now_ms) {
  if (config_.length.count()) return;
  const auto moved = time_.Advance(now_ms);
  if (!moved) return;
  while (clock_.started() && clock_.next() <= *moved) {
    if (panes_.empty() && window_.empty()) {
      clock_.Stop();
      break;
    }
    const int64_t end = clock_.next();
    Close(FloorDiv(end, pane_), end);
    clock_.Step();
    if (window_.empty() && !panes_.empty()) clock_.SkipTo(panes_.begin()->first * pane_);
  }
}

void PaneReducer::Enter(const KeyMap& pane) {
  for (const auto& [k, v] : pane) {
    auto [slot, inserted] = window_.try_emplace(k);
    if (slot->second.panes++ == 0) {
      slot->second.acc = v;
    } else {
      f_.Reduce(slot->second.acc, v);
    }
  }
}

void PaneReducer::Close(int64_t end_pane, int64_t end_ms) {
  const auto start = std::chrono::steady_clock::now();
  const int64_t nhi = end_pane;
  const int64_t nlo = end_pane - config_.length.value / pane_;
  if (inverse_) {
    if (!closed_once_) {
      lo_ = hi_ = nlo;
      closed_once_ = true;
    }
    // Panes leaving: those held that the new window does not cover.
    for (auto it = panes_.lower_bound(lo_); it != panes_.end() && it->first < std::min(hi_, nlo);
         ++it) {
      for (const auto& [k, v] : it->second) {
        auto slot = window_.find(k);
        if (slot == window_.end()) continue;
        if (--slot->second.panes == 0) {
          window_.erase(slot);
        } else {
          f_.Inverse(slot->second.acc, v);
        }
      }
    }
    // Panes entering: those the new window covers that were not held.
    for (auto it = panes_.lower_bound(std::max(hi_, nlo)); it != panes_.end() && it->first < nhi;
         ++it) {
      Enter(it->second);
    }
    lo_ = nlo;
    hi_ = nhi;
    for (const auto& [k, slot] : window_) sink_.Result(k, slot.acc, end_ms);
  } else {
    KeyMap result;
    for (auto it = panes_.lower_bound(nlo); it != panes_.end() && it->first < nhi; ++it) {
      for (const auto& [k, v] : it->second) {
        auto [r, inserted] = result.try_emplace(k, v);
        if (!inserted) f_.Reduce(r->second, v);
      }
    }
    for (const auto& [k, v] : result) sink_.Result(k, v, end_ms);
  }
  // Panes before the window are in no later one (persistent: their saved
  // entries go at the next save).
  const auto gone = panes_.lower_bound(nlo);
  if (persistent_) {
    for (auto it = panes_.begin(); it != gone; ++it) dirty_.insert(it->first);
  }
  panes_.erase(panes_.begin(), gone);
  if (cached_pane_ < nlo) cached_ = nullptr;
  ++slides_closed_;
  slide_nanos_ += static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count());
}

void PaneReducer::Save(KeyValueState& state) {
  SaveDirty(
      state, "pane", dirty_,
      [&](int64_t pane) -> std::optional<std::string> {
        auto p = panes_.find(pane);
        if (p == panes_.end()) return std::nullopt;  // it left the window
        std::string bytes;
        PutInt(static_cast<int64_t>(p->second.size()), bytes);
        for (const auto& [k, v] : p->second) {
          tuple::EncodeValue(k, bytes);
          tuple::EncodeValue(v, bytes);
        }
        return bytes;
      },
      saved_);
  dirty_.clear();
  last_dirty_ = kNoTime;
  SaveClock(state, "panes.clock",
            {lo_, hi_, closed_once_ ? 1 : 0, static_cast<int64_t>(seen_), clock_.next()}, time_,
            streams_);
}

void PaneReducer::Reset() {
  panes_.clear();
  window_.clear();
  dirty_.clear();
  saved_.clear();
  last_dirty_ = kNoTime;
  cached_ = nullptr;
  lo_ = hi_ = 0;
  closed_once_ = false;
  seen_ = 0;
  clock_.Stop();
  time_.Reset();
}

Status PaneReducer::Load(const KeyValueState& state) {
  Reset();
  std::vector<int64_t> clock(5);
  bool found = false;
  const bool ok = LoadClock(state, "panes.clock", clock, time_, streams_, &found) &&
                  ForEachSaved(state, "pane", saved_, [&](int64_t pane, std::string_view p) {
                    int64_t n = 0;
                    if (!GetInt(p, n) || n < 0) return false;
                    KeyMap& keys = panes_[pane];
                    for (int64_t i = 0; i < n; ++i) {
                      Value k, v;
                      if (!tuple::DecodeValue(p, k).ok() || !tuple::DecodeValue(p, v).ok())
                        return false;
                      keys.emplace(std::move(k), std::move(v));
                    }
                    return p.empty();
                  });
  if (!ok) {
    Reset();
    return Status::InvalidArgument("a persistent window's saved panes are corrupt");
  }
  if (!found) {
    Reset();  // no clock, no window (entries without one are not ours to read)
    return Status::Ok();
  }
  lo_ = clock[0];
  hi_ = clock[1];
  closed_once_ = clock[2] != 0;
  seen_ = static_cast<uint64_t>(clock[3]);
  clock_.Restore(clock[4]);
  // The window's result per key: its panes [lo_, hi_) folded again.
  if (inverse_ && closed_once_) {
    for (auto it = panes_.lower_bound(lo_); it != panes_.end() && it->first < hi_; ++it) {
      Enter(it->second);
    }
  }
  return Status::Ok();
}

}  // namespace gale::window
