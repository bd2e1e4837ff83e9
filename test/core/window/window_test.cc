// The window engines as pure logic: tuples in, windows (or keyed results)
// out, on a clock the test turns.
#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "core/state/key_value_state.h"
#include "core/topology/window_config.h"
#include "core/window/pane_reducer.h"
#include "core/window/tuple_windows.h"

namespace gale::window {
namespace {

using topology::Extent;
using topology::WindowConfig;

Extent Count(int64_t n) { return {Extent::Kind::kCount, n}; }
Extent Ms(int64_t n) { return {Extent::Kind::kDuration, n}; }

WindowConfig Window(Extent length, Extent slide) {
  WindowConfig w;
  w.length = length;
  w.slide = slide;
  return w;
}

StreamMeta kNumbers{"spout", "default", Fields({"n", "ts"})};
StreamMeta kOther{"other", "default", Fields({"n", "ts"})};
StreamMeta kNoTs{"spout", "bare", Fields({"n"})};
StreamMeta kPunct{"spout", "punct", Fields({"n"})};

Tuple T(int64_t n, int64_t ts = 0, const StreamMeta* meta = &kNumbers) {
  if (meta->fields.size() == 1) return Tuple(meta, 1, Values{n});
  return Tuple(meta, 1, Values{n, ts});
}

std::vector<int64_t> Ns(const std::vector<const Tuple*>& ts) {
  std::vector<int64_t> out;
  for (const Tuple* t : ts) out.push_back(t->GetInt(0));
  return out;
}

struct Recorder : TupleWindows::Sink {
  struct Closed {
    std::vector<int64_t> all, fresh, expired;
    int64_t end;
    std::optional<int64_t> start;
    bool operator==(const Closed&) const = default;
  };
  std::vector<Closed> windows;
  std::vector<int64_t> acked, late;
  std::vector<std::string> why;
  void Execute(const TupleWindow& w) override {
    windows.push_back(
        {Ns(w.Get()), Ns(w.GetNew()), Ns(w.GetExpired()), w.EndTimestamp(), w.StartTimestamp()});
  }
  void Expire(const Tuple& t) override { acked.push_back(t.GetInt(0)); }
  void Late(const Tuple& t, const std::string& reason) override {
    late.push_back(t.GetInt(0));
    why.push_back(reason);
  }
};

using V = std::vector<int64_t>;

TEST_CASE("a sliding count window closes every slide over the last length tuples", "[window]") {
  Recorder r;
  TupleWindows w(Window(Count(4), Count(2)), 1, r);
  for (int64_t i = 1; i <= 8; ++i) w.Add(T(i), 1000);
  REQUIRE(r.windows.size() == 4);
  CHECK(r.windows[0].all == V{1, 2});
  CHECK(r.windows[1].all == V{1, 2, 3, 4});
  CHECK(r.windows[1].fresh == V{3, 4});
  CHECK(r.windows[2].all == V{3, 4, 5, 6});
  CHECK(r.windows[2].expired == V{1, 2});
  CHECK(r.windows[3].all == V{5, 6, 7, 8});
  CHECK(r.windows[3].expired == V{3, 4});
  CHECK_FALSE(r.windows[3].start.has_value());
  // Each tuple is acked once it has left every window.
  CHECK(r.acked == V{1, 2, 3, 4});
  CHECK(w.size() == 4);
}

TEST_CASE("a tumbling count window acks its tuples right after it executed", "[window]") {
  Recorder r;
  TupleWindows w(Window(Count(3), Count(3)), 1, r);
  for (int64_t i = 1; i <= 7; ++i) w.Add(T(i), 1000);
  REQUIRE(r.windows.size() == 2);
  CHECK(r.windows[0].all == V{1, 2, 3});
  CHECK(r.windows[1].all == V{4, 5, 6});
  CHECK(r.windows[1].expired.empty());
  CHECK(r.acked == V{1, 2, 3, 4, 5, 6});
  CHECK(w.size() == 1);
}

TEST_CASE("a sliding duration window closes at multiples of its slide", "[window]") {
  Recorder r;
  TupleWindows w(Window(Ms(1000), Ms(500)), 1, r);
  w.Add(T(1), 10'100);
  w.Add(T(2), 10'600);
  w.Tick(11'000);  // closes the windows ending at 10 500 and 11 000
  REQUIRE(r.windows.size() == 2);
  CHECK(r.windows[0].all == V{1});
  CHECK(r.windows[0].end == 10'500);
  CHECK(r.windows[0].start == 9'500);
  CHECK(r.windows[1].all == V{1, 2});
  CHECK(r.windows[1].fresh == V{2});
  w.Add(T(3), 11'100);
  w.Tick(11'499);
  CHECK(r.windows.size() == 2);
  w.Tick(11'500);  // [10 500, 11 500): 1 (at 10 100) has left
  REQUIRE(r.windows.size() == 3);
  CHECK(r.windows[2].all == V{2, 3});
  CHECK(r.windows[2].expired == V{1});
  CHECK(r.acked == V{1});
  // An idle stretch closes nothing and does not loop over it slide by slide.
  w.Tick(1'000'000'000);
  CHECK(r.windows.size() == 4);  // [11 000, 12 000) still had 3
  CHECK(r.acked == V{1, 2, 3});
  CHECK(w.size() == 0);
}

TEST_CASE("an event-time window closes when the watermark passes its end", "[window]") {
  Recorder r;
  WindowConfig c = Window(Ms(1000), Ms(1000));
  c.timestamp_field = "ts";
  c.lag_ms = 200;
  c.watermark_interval_ms = 100;
  TupleWindows w(c, 1, r);
  w.Add(T(1, 100), 0);
  w.Add(T(3, 1500), 0);
  w.Add(T(2, 900), 0);  // out of order, within the lag
  w.Tick(0);            // watermark 1500 - 200 = 1300: [0, 1000) closes
  REQUIRE(r.windows.size() == 1);
  CHECK(r.windows[0].all == V{1, 2});  // in timestamp order
  CHECK(r.windows[0].end == 1000);
  w.Add(T(4, 1250), 50);  // behind the watermark
  CHECK(r.late == V{4});
  CHECK(r.why[0].empty());
  w.Add(T(5, 2300), 50);
  w.Tick(50);  // within the watermark interval: nothing moves
  CHECK(r.windows.size() == 1);
  w.Tick(100);  // watermark 2100: [1000, 2000) closes
  REQUIRE(r.windows.size() == 2);
  CHECK(r.windows[1].all == V{3});
  CHECK(r.acked == V{1, 2, 3});
}

TEST_CASE("a tuple without its timestamp field is reported, not kept", "[window]") {
  Recorder r;
  WindowConfig c = Window(Ms(1000), Ms(1000));
  c.timestamp_field = "ts";
  TupleWindows w(c, 1, r);
  w.Add(T(7, 0, &kNoTs), 0);
  Tuple text(&kNumbers, 1, Values{int64_t{8}, "noon"});
  w.Add(text, 0);
  REQUIRE(r.late == V{7, 8});
  CHECK(r.why[0] == "tuple from spout:bare has no timestamp field 'ts'");
  CHECK(r.why[1] ==
        "timestamp field 'ts' of a tuple from spout:default is string (noon), expected an int "
        "(milliseconds)");
  CHECK(w.size() == 0);
}

TEST_CASE("the watermark waits for every input stream", "[window]") {
  Recorder r;
  WindowConfig c = Window(Ms(1000), Ms(1000));
  c.timestamp_field = "ts";
  TupleWindows w(c, 2, r);
  w.Add(T(1, 100), 0);
  w.Add(T(2, 5000), 0);
  w.Tick(0);
  CHECK(r.windows.empty());  // `other` has sent nothing yet
  w.Add(T(3, 1200, &kOther), 1000);
  w.Tick(1000);  // watermark min(5000, 1200) = 1200
  REQUIRE(r.windows.size() == 1);
  CHECK(r.windows[0].all == V{1});
}

TEST_CASE("a punctuation window closes at each tuple of its stream", "[window]") {
  Recorder r;
  WindowConfig c;
  c.punctuation_stream = "punct";
  TupleWindows w(c, 2, r);
  w.Add(T(1), 0);
  w.Add(T(2), 0);
  w.Add(T(100, 0, &kPunct), 5);
  w.Add(T(3), 6);
  w.Add(T(101, 0, &kPunct), 7);
  w.Add(T(102, 0, &kPunct), 8);  // an empty window is not executed
  REQUIRE(r.windows.size() == 2);
  CHECK(r.windows[0].all == V{1, 2});
  CHECK(r.windows[1].all == V{3});
  CHECK(r.acked == V{1, 2, 100, 3, 101, 102});
}

// ---- Keyed reduce ----

StreamMeta kKeyed{"spout", "default", Fields({"key", "v", "ts"})};

class Sum : public WindowReducer {
 public:
  void Reduce(Value& acc, const Value& v) const override { acc = acc.AsInt() + v.AsInt(); }
  bool HasInverse() const override { return true; }
  void Inverse(Value& acc, const Value& out) const override { acc = acc.AsInt() - out.AsInt(); }
};

struct Results : PaneReducer::Sink {
  std::map<int64_t, std::map<std::string, int64_t>> by_end;
  std::vector<std::string> late;
  void Result(const Value& key, const Value& value, int64_t end) override {
    by_end[end][key.AsString()] = value.AsInt();
  }
  void Late(const Tuple&, const std::string& why) override { late.push_back(why); }
};

TEST_CASE("a keyed reduce gives the same results with and without its inverse", "[window]") {
  Sum sum;
  const Extent length = GENERATE(Ms(1000), Ms(3000), Ms(2500));
  const Extent slide = GENERATE(Ms(500), Ms(1000));
  WindowConfig c = Window(length, slide);
  c.timestamp_field = "ts";
  c.lag_ms = 300;
  c.watermark_interval_ms = 1;
  Results with, without;
  PaneReducer inc(c, 1, sum, true, "key", "v", with);
  PaneReducer panes(c, 1, sum, false, "key", "v", without);
  REQUIRE(inc.incremental());
  REQUIRE_FALSE(panes.incremental());
  std::mt19937 rng(7);
  std::vector<std::tuple<std::string, int64_t, int64_t>> kept;  // not late
  int64_t now = 0, newest = 0;
  for (int i = 0; i < 3000; ++i) {
    now += 3;
    newest = std::max(newest, now);
    const int64_t ts = now - static_cast<int64_t>(rng() % 250);  // out of order within the lag
    const std::string key = "k" + std::to_string(rng() % 7);
    const int64_t v = static_cast<int64_t>(rng() % 100) - 20;
    Tuple t(&kKeyed, 1, Values{key, v, ts});
    const size_t late_before = with.late.size();
    inc.Add(t, now);
    panes.Add(t, now);
    if (with.late.size() == late_before) kept.emplace_back(key, v, ts);
    inc.Tick(now);
    panes.Tick(now);
  }
  CHECK(with.late.size() == without.late.size());
  REQUIRE(with.by_end.size() > 5);
  CHECK(with.by_end == without.by_end);
  // And both equal a sum over the raw tuples of each window.
  for (const auto& [end, got] : with.by_end) {
    std::map<std::string, int64_t> want;
    for (const auto& [key, v, ts] : kept) {
      if (ts >= end - length.value && ts < end) want[key] += v;
    }
    INFO("window ending at " << end);
    CHECK(got == want);
  }
  CHECK(inc.slides() == panes.slides());
}

TEST_CASE("a keyed count-window reduce slides by inputs", "[window]") {
  Sum sum;
  Results out;
  PaneReducer r(Window(Count(4), Count(2)), 1, sum, true, "key", "v", out);
  for (int64_t i = 1; i <= 6; ++i) r.Add(Tuple(&kKeyed, 1, Values{"a", i, int64_t{0}}), 100 * i);
  REQUIRE(out.by_end.size() == 3);
  CHECK(out.by_end[200]["a"] == 1 + 2);
  CHECK(out.by_end[400]["a"] == 1 + 2 + 3 + 4);
  CHECK(out.by_end[600]["a"] == 3 + 4 + 5 + 6);
}

TEST_CASE("a keyed reduce refuses windows it cannot cut into panes", "[window]") {
  CHECK(PaneReducer::Check(Window(Count(10), Ms(100))).find("of one kind") != std::string::npos);
  WindowConfig c = Window(Count(10), Count(5));
  c.timestamp_field = "ts";
  CHECK(PaneReducer::Check(c).find("event time needs a duration") != std::string::npos);
  CHECK(PaneReducer::Check(Window(Ms(1000), Ms(10))).empty());
}

// ---- Config ----

Result<std::optional<WindowConfig>> Read(std::initializer_list<std::pair<const char*, Value>> kv) {
  Config c;
  for (const auto& [k, v] : kv) c.Set(k, v);
  return topology::ReadWindowConfig(c);
}

TEST_CASE("window keys are read as Storm names them, and bad ones say what is wrong", "[window]") {
  auto w = Read({{"topology.bolts.window.length.duration.ms", 30000},
                 {"topology.bolts.window.sliding.interval.count", 10}});
  REQUIRE(w.ok());
  REQUIRE(w->has_value());
  CHECK((*w)->length == Ms(30000));
  CHECK((*w)->slide == Count(10));
  auto none = Read({{"topology.workers", 2}});
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  auto defaults = Read({{"topology.bolts.window.length.count", 5}});
  REQUIRE(defaults.ok());
  CHECK((*defaults)->slide == Count(1));  // Storm's default slide

  auto message = [](auto r) { return r.ok() ? std::string("ok") : r.status().message(); };
  CHECK(message(Read({{"topology.bolts.window.length.count", 0}})) ==
        "topology.bolts.window.length.count must be an integer >= 1, got 0");
  CHECK(message(Read({{"topology.bolts.window.length.count", 5},
                      {"topology.bolts.window.length.duration.ms", 5}})) ==
        "set topology.bolts.window.length.count or topology.bolts.window.length.duration.ms, not "
        "both");
  CHECK(message(Read({{"topology.bolts.window.length.count", 5},
                      {"topology.bolts.window.sliding.interval.count", 6}})) ==
        "the sliding interval (6 tuples) is larger than the window length (5 tuples): tuples "
        "between windows would be in none");
  CHECK(message(Read({{"topology.bolts.window.sliding.interval.count", 6}}))
            .find("needs a window length") != std::string::npos);
  CHECK(message(Read({{"topology.bolts.window.length.count", 5},
                      {"topology.bolts.late.tuple.stream", "late"}})) ==
        "topology.bolts.late.tuple.stream applies to event time only: set "
        "topology.bolts.tuple.timestamp.field.name too");
  CHECK(message(Read({{"topology.bolts.window.punctuation.stream", "p"},
                      {"topology.bolts.window.length.count", 5}}))
            .find("takes no window length") != std::string::npos);
}

TEST_CASE("window lengths in the topology file are counts or durations with a unit", "[window]") {
  CHECK(*topology::ParseExtent("100") == Count(100));
  CHECK(*topology::ParseExtent("500ms") == Ms(500));
  CHECK(*topology::ParseExtent("30s") == Ms(30000));
  CHECK(*topology::ParseExtent("5m") == Ms(300000));
  CHECK(*topology::ParseExtent("1h") == Ms(3600000));
  for (const char* bad : {"0", "-5", "10x", "s", "", "1.5s"}) {
    INFO(bad);
    CHECK_FALSE(topology::ParseExtent(bad).ok());
  }
}

TEST_CASE("ticks come often enough for the window", "[window]") {
  CHECK(Window(Count(10), Count(2)).TickSecs() == 0);
  CHECK(Window(Ms(60000), Ms(1000)).TickSecs() == Approx(0.05));
  CHECK(Window(Ms(60000), Ms(100)).TickSecs() == Approx(0.01));
  WindowConfig e = Window(Count(10), Count(2));
  e.timestamp_field = "ts";
  e.watermark_interval_ms = 200;
  CHECK(e.TickSecs() == Approx(0.2));
}

// ---- Persistent windows ----

// A task's state as core/state keeps it, in memory; committed, then opened
// again as a restarted task would.
std::unique_ptr<state::KeyValueStateImpl> OpenState(const std::string& ns) {
  auto s = state::KeyValueStateImpl::Open(state::OpenMemoryStore(ns));
  REQUIRE(s.ok());
  return std::move(s).value();
}

void Commit(state::KeyValueStateImpl& s) {
  const int64_t txid = std::max<int64_t>(s.committed_txid(), 0) + 1;
  REQUIRE(s.PrepareCommit(txid).ok());
  REQUIRE(s.Commit(txid).ok());
}

// What a window read back from `s` holds, and in how many state entries.
size_t SavedTuples(const WindowConfig& c, const KeyValueState& s) {
  Recorder r;
  TupleWindows w(c, 2, r);
  REQUIRE(w.Load(s).ok());
  return w.size();
}

size_t SavedSegments(const KeyValueState& s) {
  size_t n = 0;
  s.ForEach([&](const Value& k, const Value&) {
    std::string_view name;
    int64_t id = 0;
    if (ParseSnapshotKey(k, &name, &id) && name == "t") ++n;
  });
  return n;
}

struct Input {
  Tuple t;
  int64_t now;
};

// Tuples from two streams at 3 ms steps, out of order by up to 40 ms (in
// event time), with a punctuation every 9 when the window has one.
std::vector<Input> Inputs(const WindowConfig& c, int n) {
  std::mt19937 rng(11);
  std::vector<Input> out;
  for (int i = 0; i < n; ++i) {
    const int64_t now = 1000 + 3 * i;
    const int64_t ts = now - static_cast<int64_t>(rng() % 40);
    if (c.punctuation() && i % 9 == 8) {
      out.push_back({T(1000 + i, 0, &kPunct), now});
    } else {
      out.push_back({T(i, ts, i % 2 ? &kOther : &kNumbers), now});
    }
  }
  return out;
}

WindowConfig PersistedCase(int which) {
  WindowConfig c;
  switch (which) {
    case 0: c = Window(Count(5), Count(2)); break;
    case 1: c = Window(Count(4), Count(4)); break;
    case 2: c = Window(Ms(100), Ms(30)); break;
    case 3:
      c = Window(Ms(100), Ms(30));
      c.timestamp_field = "ts";
      c.lag_ms = 20;
      c.watermark_interval_ms = 5;
      break;
    case 4:
      c = Window(Count(6), Count(3));
      c.timestamp_field = "ts";
      c.lag_ms = 15;
      break;
    default: c.punctuation_stream = "punct"; break;
  }
  return c;
}

TEST_CASE("a window read back from its saved state goes on exactly as the one saved", "[window]") {
  const int which = GENERATE(0, 1, 2, 3, 4, 5);
  const WindowConfig c = PersistedCase(which);
  INFO("case " << which);
  const auto inputs = Inputs(c, 3000);
  const std::string ns = "window-persist-" + std::to_string(which);
  auto state = OpenState(ns);
  Recorder a;
  TupleWindows live(c, 2, a);
  live.Persist();
  size_t mark_windows = 0, mark_acked = 0, mark_late = 0;
  // Segments of 512 arrivals: the saves see segments filled, emptied, and
  // deleted.
  constexpr int kFirstSave = 1500, kLastSave = 2600;
  for (int i = 0; i < static_cast<int>(inputs.size()); ++i) {
    live.Add(inputs[i].t, inputs[i].now);
    live.Tick(inputs[i].now);
    if (i == kFirstSave || i == kLastSave) {
      // A save writes only what changed: the saved tuples are then
      // exactly those the window holds, in the segments it still has.
      live.Save(*state);
      Commit(*state);
      CHECK(SavedTuples(c, *state) == live.size());
      CHECK(SavedSegments(*state) <= live.size() / TupleWindows::kSegment + 2);
      mark_windows = a.windows.size();
      mark_acked = a.acked.size();
      mark_late = a.late.size();
    }
  }
  REQUIRE(a.windows.size() > mark_windows + 5);
  // A restarted task: the committed state, a new window.
  auto reopened = OpenState(ns);
  Recorder b;
  TupleWindows restored(c, 2, b);
  REQUIRE(restored.Load(*reopened).ok());
  for (int i = kLastSave + 1; i < static_cast<int>(inputs.size()); ++i) {
    restored.Add(inputs[i].t, inputs[i].now);
    restored.Tick(inputs[i].now);
  }
  CHECK(b.windows ==
        std::vector<Recorder::Closed>(a.windows.begin() + mark_windows, a.windows.end()));
  CHECK(b.acked == V(a.acked.begin() + mark_acked, a.acked.end()));
  CHECK(b.late == V(a.late.begin() + mark_late, a.late.end()));
}

TEST_CASE("a window rolled back to an empty state starts again empty", "[window]") {
  Recorder r;
  TupleWindows w(Window(Count(3), Count(3)), 1, r);
  auto state = OpenState("window-persist-empty");
  w.Persist();
  w.Add(T(1), 1);
  w.Add(T(2), 2);
  w.Save(*state);
  REQUIRE(state->Rollback().ok());  // the PREPARE failed: nothing committed
  REQUIRE(w.Load(*state).ok());
  CHECK(w.size() == 0);
  w.Add(T(3), 3);
  w.Add(T(4), 4);
  w.Add(T(5), 5);
  REQUIRE(r.windows.size() == 1);
  CHECK(r.windows[0].all == V{3, 4, 5});
}

TEST_CASE("a corrupt saved window is an error that names it, and leaves the window empty",
          "[window]") {
  Recorder r;
  TupleWindows w(Window(Count(3), Count(1)), 1, r);
  auto state = OpenState("window-persist-corrupt");
  w.Persist();
  w.Add(T(1), 1);
  w.Save(*state);
  state->Put(SnapshotKey("tuples.clock"), Bytes{"\x02"});
  const Status s = w.Load(*state);
  CHECK_FALSE(s.ok());
  CHECK(s.message() == "a persistent window's saved clock is corrupt");
  CHECK(w.size() == 0);
}

TEST_CASE("a StatefulWindowedBolt's view of its state hides the window's entries", "[window]") {
  auto state = OpenState("window-persist-view");
  Recorder r;
  TupleWindows w(Window(Count(3), Count(1)), 1, r);
  w.Persist();
  w.Add(T(1), 1);
  w.Save(*state);
  UserStateView view(*state);
  view.Put("total", int64_t{7});
  CHECK(state->size() == 3);  // the window's segment and clock, and the user's key
  CHECK(view.size() == 1);
  std::vector<std::string> keys;
  view.ForEach([&](const Value& k, const Value&) { keys.push_back(k.ToString()); });
  CHECK(keys == std::vector<std::string>{"total"});
  CHECK_FALSE(view.Get(SnapshotKey("tuples.clock")).has_value());
  CHECK_FALSE(view.Delete(SnapshotKey("tuples.clock")));
  CHECK_THROWS_WITH(view.Put(SnapshotKey("x"), int64_t{1}),
                    "keys beginning \"\\0gale.window/\" are Gale's own");
  CHECK(state->Get(SnapshotKey("tuples.clock")).has_value());
}

TEST_CASE("a keyed reduce read back from its saved panes gives the same results", "[window]") {
  Sum sum;
  const bool inverse = GENERATE(true, false);
  const int which = GENERATE(0, 1);
  WindowConfig c = which == 0 ? Window(Ms(300), Ms(100)) : Window(Count(12), Count(4));
  if (which == 0) {
    c.timestamp_field = "ts";
    c.lag_ms = 30;
    c.watermark_interval_ms = 1;
  }
  INFO("inverse " << inverse << ", case " << which);
  std::mt19937 rng(5);
  std::vector<Input> inputs;
  for (int i = 0; i < 2000; ++i) {
    const int64_t now = 3 * i;
    inputs.push_back(
        {Tuple(&kKeyed, 1,
               Values{"k" + std::to_string(rng() % 5), static_cast<int64_t>(rng() % 50),
                      now - static_cast<int64_t>(rng() % 25)}),
         now});
  }
  const std::string ns = "reduce-persist-" + std::to_string(inverse) + std::to_string(which);
  auto state = OpenState(ns);
  Results a;
  PaneReducer live(c, 1, sum, inverse, "key", "v", a);
  live.Persist();
  std::map<int64_t, std::map<std::string, int64_t>> before_save;
  size_t late_at_save = 0;
  for (int i = 0; i < 2000; ++i) {
    live.Add(inputs[i].t, inputs[i].now);
    live.Tick(inputs[i].now);
    if (i == 700 || i == 1200) {
      live.Save(*state);
      Commit(*state);
      before_save = a.by_end;
      late_at_save = a.late.size();
    }
  }
  Results b;
  PaneReducer restored(c, 1, sum, inverse, "key", "v", b);
  restored.Persist();
  auto reopened = OpenState(ns);
  REQUIRE(restored.Load(*reopened).ok());
  for (int i = 1201; i < 2000; ++i) {
    restored.Add(inputs[i].t, inputs[i].now);
    restored.Tick(inputs[i].now);
  }
  std::map<int64_t, std::map<std::string, int64_t>> after_save;
  for (const auto& [end, keys] : a.by_end) {
    if (!before_save.count(end)) after_save[end] = keys;
  }
  REQUIRE(after_save.size() > 5);
  CHECK(b.by_end == after_save);
  CHECK(b.late.size() == a.late.size() - late_at_save);
}

}  // namespace
}  // namespace gale::window
