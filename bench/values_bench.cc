// gale-bench-values: the cost of building a tuple's Values and handing it on,
// in the ways a spout or bolt writes it (issue 20: a braced list against
// emplace_back). Each round builds a Values and passes it by rvalue to a
// function the compiler cannot inline, which move-assigns it into a static
// Values, as an emit hands its values to the runtime. Prints nanoseconds per
// round; for instructions per round, run it under
// `valgrind --tool=callgrind` and divide the total by --rounds.
//
//   gale-bench-values --form braced-view|emplace-view|braced-line|emplace-line|braced-word|empty
//                     [--rounds N]
//
//   braced-view   {string_view(word), int64_t{1}}  (W4's SplitBolt)
//   emplace-view  the same by emplace_back          (W5's SplitWordsBolt)
//   braced-line   {line}, a 65-byte std::string lvalue (a spout's line)
//   emplace-line  the same by emplace_back
//   braced-word   {word, 1}, a short std::string lvalue (the word count's bolts)
//   empty         {}: the round's fixed cost
#include <gale/values.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace {

gale::Values sink;

[[gnu::noinline]] void HandOn(gale::Values&& values) { sink = std::move(values); }

const char* Arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string form = Arg(argc, argv, "--form", "braced-view");
  const long rounds = std::strtol(Arg(argc, argv, "--rounds", "1000000"), nullptr, 10);
  const std::string line = "the quick brown fox jumps over the lazy dog and keeps running far";
  const std::string word = "quick";
  const auto start = std::chrono::steady_clock::now();
  if (form == "braced-view") {
    for (long i = 0; i < rounds; ++i) HandOn({std::string_view(word), int64_t{1}});
  } else if (form == "emplace-view") {
    for (long i = 0; i < rounds; ++i) {
      gale::Values v;
      v.emplace_back(std::string_view(word));
      v.emplace_back(int64_t{1});
      HandOn(std::move(v));
    }
  } else if (form == "braced-line") {
    for (long i = 0; i < rounds; ++i) HandOn({line});
  } else if (form == "emplace-line") {
    for (long i = 0; i < rounds; ++i) {
      gale::Values v;
      v.emplace_back(line);
      HandOn(std::move(v));
    }
  } else if (form == "braced-word") {
    for (long i = 0; i < rounds; ++i) HandOn({word, 1});
  } else if (form == "empty") {
    for (long i = 0; i < rounds; ++i) HandOn({});
  } else {
    std::fprintf(stderr, "gale-bench-values: unknown --form '%s'\n", form.c_str());
    return 2;
  }
  const std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
  std::printf("form=%s rounds=%ld ns_per_round=%.1f values=%zu\n", form.c_str(), rounds,
              took.count() / static_cast<double>(rounds > 0 ? rounds : 1), sink.size());
  return 0;
}
