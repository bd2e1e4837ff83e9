// gale-bench-values: the cost of building a tuple's Values and handing it on,
// in the ways a spout or bolt writes it (issue 20: a braced list against
// emplace_back). Each round builds a Values and passes it by rvalue to a
// function the compiler cannot inline, which move-assigns it into a static
// Values, as an emit hands its values to the runtime. Prints nanoseconds per
// round; for instructions per round, run it under
// `valgrind --tool=callgrind` and divide the total by --rounds.
//
//   gale-bench-values --form NAME|all [--rounds N]
//
// The forms are the table kForms below; `all` runs each in turn (the CTest).
#include <gale/values.h>

#include "bench_args.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

gale::Values sink;

[[gnu::noinline]] void HandOn(gale::Values&& values) { sink = std::move(values); }

const std::string kLine = "the quick brown fox jumps over the lazy dog and keeps running far";
const std::string kWord = "quick";

struct Form {
  const char* name;
  const char* what;
  void (*round)();
};

constexpr Form kForms[] = {
    {"braced-view", "{string_view(word), int64_t{1}} (W4's SplitBolt)",
     [] {
       HandOn({std::string_view(kWord), int64_t{1}});
     }},
    {"emplace-view", "the same by emplace_back (W5's SplitWordsBolt)",
     [] {
       gale::Values v;
       v.emplace_back(std::string_view(kWord));
       v.emplace_back(int64_t{1});
       HandOn(std::move(v));
     }},
    {"braced-line", "{line}, a 65-byte std::string lvalue (a spout's line)",
     [] { HandOn({kLine}); }},
    {"emplace-line", "the same by emplace_back",
     [] {
       gale::Values v;
       v.emplace_back(kLine);
       HandOn(std::move(v));
     }},
    {"braced-word", "{word, 1}, a short std::string lvalue (the word count's bolts)",
     [] {
       HandOn({kWord, 1});
     }},
    {"empty", "{}: the round's fixed cost", [] { HandOn({}); }},
};

void Run(const Form& form, long rounds) {
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < rounds; ++i) form.round();
  const std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
  std::printf("form=%s rounds=%ld ns_per_round=%.1f values=%zu\n", form.name, rounds,
              took.count() / static_cast<double>(rounds > 0 ? rounds : 1), sink.size());
}

}  // namespace

int main(int argc, char** argv) {
  const std::string form = gale::bench::ArgString(argc, argv, "--form", "braced-view");
  const long rounds = static_cast<long>(gale::bench::ArgSize(argc, argv, "--rounds", 1000000));
  bool ran = false;
  for (const Form& f : kForms) {
    if (form == "all" || form == f.name) {
      Run(f, rounds);
      ran = true;
    }
  }
  if (!ran) {
    std::fprintf(stderr, "gale-bench-values: unknown --form '%s'; one of:", form.c_str());
    for (const Form& f : kForms) std::fprintf(stderr, " %s", f.name);
    std::fprintf(stderr, ", all\n");
    for (const Form& f : kForms) std::fprintf(stderr, "  %-13s %s\n", f.name, f.what);
    return 2;
  }
  return 0;
}
