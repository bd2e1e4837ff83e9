// core/common/random.h
//
// Fast 64-bit ids for acking: a SplitMix64-seeded xoshiro256** generator.
// One instance per executor thread, seeded from the OS, so ids of different
// executors are independent. Not cryptographic; an accidental zero XOR is
// about 2^-64 per tree.
#pragma once

#include <cstdint>
#include <random>

namespace gale {

class IdGenerator {
 public:
  IdGenerator() : IdGenerator(std::random_device{}() ^ (uint64_t{std::random_device{}()} << 32)) {}
  explicit IdGenerator(uint64_t seed) {
    for (auto& s : s_) s = SplitMix(seed);
  }

  // Never returns 0, which would vanish under XOR.
  uint64_t Next() {
    uint64_t r;
    do {
      r = Rotl(s_[1] * 5, 7) * 9;
      const uint64_t t = s_[1] << 17;
      s_[2] ^= s_[0];
      s_[3] ^= s_[1];
      s_[1] ^= s_[2];
      s_[0] ^= s_[3];
      s_[2] ^= t;
      s_[3] = Rotl(s_[3], 45);
    } while (r == 0);
    return r;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t SplitMix(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t s_[4];
};

}  // namespace gale
