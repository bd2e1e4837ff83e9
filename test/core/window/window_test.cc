// The window engines as pure logic: tuples in, windows (or keyed results)
// out, on a clock the test turns.
#include <catch2/catch.hpp>

#include <map>
#include <random>

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

}  // namespace
}  // namespace gale::window
