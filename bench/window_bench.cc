// gale-bench-window: W6 of scripts/bench.sh. A keyed sum over a sliding
// event-time window, on the keyed reduce engine (core/window/pane_reducer.h)
// in this one process: `rate` tuples per event-second over `keys` keys, the
// window `length` seconds sliding every second, with the inverse function
// (incremental: a slide costs the keys of the panes entering and leaving)
// and without (a slide sums every pane in the window). The window first
// fills (length seconds of event time), then `measure` slides are timed.
//
//   gale-bench-window [--rate 1000000] [--keys 1000] [--measure 20] LENGTH_SECS...
//
// One line per (length, inverse) pair:
//   window_secs=60 inverse=1 tuples_per_sec=... slide_us=... results_per_slide=...
#include "core/topology/window_config.h"
#include "core/window/pane_reducer.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using gale::Tuple;
using gale::Value;
using gale::Values;

class Sum : public gale::WindowReducer {
 public:
  void Reduce(Value& acc, const Value& v) const override { acc = acc.AsInt() + v.AsInt(); }
  bool HasInverse() const override { return true; }
  void Inverse(Value& acc, const Value& out) const override { acc = acc.AsInt() - out.AsInt(); }
};

struct CountResults : gale::window::PaneReducer::Sink {
  uint64_t results = 0;
  void Result(const Value&, const Value&, int64_t) override { ++results; }
  void Late(const Tuple&, const std::string&) override {}
};

struct Run {
  double tuples_per_sec, slide_us, results_per_slide;
};

Run Measure(int64_t length_secs, bool inverse, int64_t rate, int64_t keys, int64_t measure) {
  gale::topology::WindowConfig c;
  c.length = {gale::topology::Extent::Kind::kDuration, length_secs * 1000};
  c.slide = {gale::topology::Extent::Kind::kDuration, 1000};
  c.timestamp_field = "ts";
  c.watermark_interval_ms = 1;
  static const gale::StreamMeta meta{"spout", "default", gale::Fields({"key", "n", "ts"})};
  Sum sum;
  CountResults out;
  gale::window::PaneReducer r(c, 1, sum, inverse, "key", "n", out);
  // The tuples of one event-millisecond, built once: keys cycle.
  const int64_t per_ms = rate / 1000;
  std::vector<Tuple> ms_tuples;
  int64_t next_key = 0;
  auto run_ms = [&](int64_t ms) {
    for (int64_t i = 0; i < per_ms; ++i) {
      Tuple t(&meta, 1, Values{next_key, int64_t{1}, ms});
      next_key = (next_key + 1) % keys;
      r.Add(t, 0);
    }
    r.Tick(ms);  // the watermark follows the newest timestamp
  };
  int64_t ms = 0;
  for (; ms < length_secs * 1000; ++ms) run_ms(ms);
  const uint64_t slides0 = r.slides(), nanos0 = r.slide_nanos(), results0 = out.results;
  const auto start = std::chrono::steady_clock::now();
  for (const int64_t end = ms + measure * 1000; ms < end; ++ms) run_ms(ms);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double slides = static_cast<double>(r.slides() - slides0);
  return {static_cast<double>(measure * 1000 * per_ms) / secs,
          static_cast<double>(r.slide_nanos() - nanos0) / 1000.0 / slides,
          static_cast<double>(out.results - results0) / slides};
}

}  // namespace

int main(int argc, char** argv) {
  int64_t rate = 1'000'000, keys = 1000, measure = 20;
  std::vector<int64_t> lengths;
  for (int i = 1; i < argc; ++i) {
    auto num = [&](const char* name) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "gale-bench-window: %s needs a value\n", name);
        std::exit(2);
      }
      return std::strtoll(argv[++i], nullptr, 10);
    };
    if (!std::strcmp(argv[i], "--rate")) rate = num("--rate");
    else if (!std::strcmp(argv[i], "--keys")) keys = num("--keys");
    else if (!std::strcmp(argv[i], "--measure")) measure = num("--measure");
    else lengths.push_back(std::strtoll(argv[i], nullptr, 10));
  }
  if (lengths.empty() || rate < 1000 || keys < 1 || measure < 1) {
    std::fprintf(stderr,
                 "usage: gale-bench-window [--rate N>=1000] [--keys N] [--measure SLIDES] "
                 "LENGTH_SECS...\n");
    return 2;
  }
  for (int64_t length : lengths) {
    for (bool inverse : {true, false}) {
      const Run run = Measure(length, inverse, rate, keys, measure);
      std::printf(
          "window_secs=%lld inverse=%d rate=%lld keys=%lld tuples_per_sec=%.0f slide_us=%.1f "
          "results_per_slide=%.0f\n",
          static_cast<long long>(length), inverse ? 1 : 0, static_cast<long long>(rate),
          static_cast<long long>(keys), run.tuples_per_sec, run.slide_us, run.results_per_slide);
      std::fflush(stdout);
    }
  }
  return 0;
}
