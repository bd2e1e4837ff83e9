// gale-bench-wordcount-ref: W5's reference pipeline (issue 20), the word
// count hand-written in plain C++ as the practical ceiling for Gale's W5: a
// reader thread splits a text's lines (in memory) on single spaces into
// batches of words, each word copied into a string of its own as a tuple
// would carry it (slots are reused, so short words allocate nothing); a
// lock-free single-producer single-consumer ring hands the batches to a
// counter thread, which adds them into a hash map of strings. Both threads
// spin (pause) when the ring is full or empty.
//
//   gale-bench-wordcount-ref FILE [--warmup SECS] [--secs SECS]
//       words/s over SECS after SECS of warm-up; prints words_per_sec=...
//   gale-bench-wordcount-ref FILE --passes N
//       N passes over the text, then "<count> <word>" lines sorted by word
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <immintrin.h>

namespace {

constexpr size_t kBatch = 256;   // words per batch
constexpr size_t kSlots = 1024;  // batches in the ring

struct Slot {
  std::string words[kBatch];
  size_t n = 0;
};

struct alignas(64) Index {
  std::atomic<uint64_t> value{0};
};

class Ring {
 public:
  Slot& producer_slot() { return slots_[head_local_ % kSlots]; }
  // Waits for a free slot; false when told to stop meanwhile.
  bool WaitFree(const std::atomic<bool>& stop) {
    while (head_local_ - tail_.value.load(std::memory_order_acquire) >= kSlots) {
      if (stop.load(std::memory_order_relaxed)) return false;
      _mm_pause();
    }
    return true;
  }
  void Publish() { head_.value.store(++head_local_, std::memory_order_release); }
  // The next full slot, or nullptr when none is there now.
  Slot* Peek() {
    if (tail_local_ == head_.value.load(std::memory_order_acquire)) return nullptr;
    return &slots_[tail_local_ % kSlots];
  }
  void Release() { tail_.value.store(++tail_local_, std::memory_order_release); }

 private:
  Index head_, tail_;
  alignas(64) uint64_t head_local_ = 0;
  alignas(64) uint64_t tail_local_ = 0;
  Slot slots_[kSlots];
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: gale-bench-wordcount-ref FILE [--warmup S] [--secs S] [--passes N]\n");
    return 2;
  }
  double warmup = 2, secs = 10;
  long passes = 0;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--warmup")) warmup = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--secs")) secs = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--passes")) passes = std::atol(argv[i + 1]);
  }
  std::ifstream in(argv[1]);
  if (!in) {
    std::fprintf(stderr, "gale-bench-wordcount-ref: cannot read '%s'\n", argv[1]);
    return 1;
  }
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);

  auto ring = std::make_unique<Ring>();
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> counted{0};
  std::unordered_map<std::string, int64_t> counts;

  std::thread counter([&] {
    uint64_t n = 0;
    for (;;) {
      Slot* s = ring->Peek();
      if (!s) {
        if (stop.load(std::memory_order_acquire) && !ring->Peek()) break;
        _mm_pause();
        continue;
      }
      for (size_t i = 0; i < s->n; ++i) ++counts[s->words[i]];
      n += s->n;
      ring->Release();
      counted.store(n, std::memory_order_relaxed);
    }
  });

  auto reader = [&] {
    for (long pass = 0; passes == 0 || pass < passes; ++pass) {
      for (const std::string& line : lines) {
        size_t start = 0;
        while (start < line.size()) {
          size_t end = line.find(' ', start);
          if (end == std::string::npos) end = line.size();
          if (end > start) {
            Slot& s = ring->producer_slot();
            s.words[s.n++].assign(line, start, end - start);
            if (s.n == kBatch) {
              ring->Publish();
              if (!ring->WaitFree(stop)) return;
              ring->producer_slot().n = 0;
            }
          }
          start = end + 1;
        }
      }
    }
    if (ring->producer_slot().n > 0) ring->Publish();
  };

  if (passes > 0) {
    ring->WaitFree(stop);
    ring->producer_slot().n = 0;
    reader();
    stop.store(true, std::memory_order_release);
    counter.join();
    std::map<std::string, int64_t> sorted(counts.begin(), counts.end());
    for (const auto& [word, n] : sorted) {
      std::printf("%lld %s\n", static_cast<long long>(n), word.c_str());
    }
    return 0;
  }
  ring->producer_slot().n = 0;
  std::thread producer(reader);
  using Clock = std::chrono::steady_clock;
  std::this_thread::sleep_for(std::chrono::duration<double>(warmup));
  const auto t0 = Clock::now();
  const uint64_t c0 = counted.load();
  std::this_thread::sleep_for(std::chrono::duration<double>(secs));
  const uint64_t c1 = counted.load();
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  stop.store(true, std::memory_order_release);
  producer.join();
  counter.join();
  std::printf("words_per_sec=%.0f words=%llu secs=%.3f\n", static_cast<double>(c1 - c0) / elapsed,
              static_cast<unsigned long long>(c1 - c0), elapsed);
  return 0;
}
