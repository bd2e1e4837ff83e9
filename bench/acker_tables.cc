// gale-bench-acker-tables: a spout's pending map and its hosted acker's
// table (core/acking) alone, as W3 acked drives them: trees are emitted
// with random roots (a pending entry and an acker Init each), and once
// --in-flight trees are pending, the oldest 64 are acked in two packs of
// 64 acks (the IdBolt's ack with its anchored child's edge, then the
// NullBolt's), completing each tree (its pending entry removed). Rounds
// alternate without and with the prefetches the spout executor uses
// (RotatingMap::Prefetch: the next root's entries while a tree is built, a
// pack's roots before its acks apply), and print nanoseconds per tree.
//
//   gale-bench-acker-tables [--in-flight N] [--trees N] [--rounds N]
#include "core/acking/acker_bolt.h"
#include "core/acking/rotating_map.h"

#include "bench_args.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <random>
#include <string>
#include <utility>

namespace {

using gale::bench::ArgSize;

struct Pending {
  uint32_t task_index = 0;
  uint64_t id = 0;
  int64_t start_nanos = -1;
};

struct Result {
  double nanos_per_tree = 0;
  uint64_t completed = 0;
};

void Put64(std::string& s, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  s.append(b, 8);
}

Result Run(size_t in_flight, size_t trees, bool prefetch) {
  using gale::acking::AckerTable;
  gale::acking::RotatingMap<uint64_t, Pending> pending(2);
  AckerTable table;
  std::mt19937_64 rng(42);
  const gale::StreamMeta meta{"__acker", "__ack_pack", gale::Fields{"acks"}, false, 0};
  std::deque<std::pair<uint64_t, uint64_t>> waiting;  // (root, its edge to the bolt)
  constexpr uint64_t kChildEdge = 0x9e3779b97f4a7c15ULL;
  std::string first, second;
  uint64_t next = rng(), completed = 0;
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < trees; ++i) {
    const uint64_t root = next;
    next = rng();
    if (prefetch) {
      pending.Prefetch(next);
      table.Prefetch(next);
    }
    const uint64_t edge = rng() | 1;
    pending.Put(root, Pending{0, i, -1});
    table.Init(root, edge, 1);
    waiting.emplace_back(root, edge);
    if (waiting.size() < in_flight + 64) continue;
    first.clear();
    second.clear();
    for (int k = 0; k < 64; ++k) {
      const auto [r, e] = waiting.front();
      waiting.pop_front();
      Put64(first, r);
      Put64(first, e ^ kChildEdge);  // acks its input, anchored one child
      Put64(second, r);
      Put64(second, kChildEdge);  // acks the child
    }
    for (std::string* bytes : {&first, &second}) {
      gale::Tuple pack(&meta, 3, gale::Values{gale::Value(gale::Bytes{*bytes})});
      auto answer = [&](const AckerTable::Outcome& out) {
        Pending p;
        if (out.kind == AckerTable::Outcome::kAck && pending.Remove(out.root, &p)) ++completed;
      };
      if (prefetch) {
        table.Apply(pack, answer, [&](uint64_t r) { pending.Prefetch(r); });
      } else {
        table.Apply(pack, answer);
      }
    }
  }
  const std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
  return {took.count() / static_cast<double>(trees), completed};
}

}  // namespace

int main(int argc, char** argv) {
  const size_t in_flight = ArgSize(argc, argv, "--in-flight", 5000);
  const size_t trees = ArgSize(argc, argv, "--trees", 5'000'000);
  const size_t rounds = ArgSize(argc, argv, "--rounds", 3);
  if (in_flight == 0 || trees < in_flight + 64 || rounds == 0) {
    std::fprintf(stderr,
                 "usage: gale-bench-acker-tables [--in-flight N >= 1] [--trees N >= "
                 "in-flight + 64] [--rounds N >= 1]\n");
    return 2;
  }
  // Trees are acked 64 at a time once in-flight + 64 are waiting: every
  // tree completes but the last in-flight to 63 more, in every round.
  const uint64_t expected = (trees - in_flight) / 64 * 64;
  for (size_t round = 0; round < rounds; ++round) {
    for (const bool prefetch : {false, true}) {
      const Result r = Run(in_flight, trees, prefetch);
      std::printf("in_flight=%zu prefetch=%s ns_per_tree=%.1f completed=%llu\n", in_flight,
                  prefetch ? "on" : "off", r.nanos_per_tree,
                  static_cast<unsigned long long>(r.completed));
      if (r.completed != expected) {
        std::fprintf(stderr, "completed %llu trees, expected %llu\n",
                     static_cast<unsigned long long>(r.completed),
                     static_cast<unsigned long long>(expected));
        return 1;
      }
    }
  }
  return 0;
}
