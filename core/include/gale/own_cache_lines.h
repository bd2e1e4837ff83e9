// core/include/gale/own_cache_lines.h
//
// OwnCacheLines gives every object of a class derived from it, allocated
// with `new`, whole 64-byte cache lines of its own. Spouts and bolts derive
// from it: instances on different executor threads write their own state
// on every tuple (a counter, a next id), and two of them on one cache line
// would turn each such write into a transfer of the line between cores
// (false sharing), an effect that depends on where the allocator happened
// to put them.
#pragma once

#include <cstddef>
#include <new>

namespace gale {

struct OwnCacheLines {
  static constexpr std::size_t kCacheLine = 64;
  static void* operator new(std::size_t n) {
    return ::operator new ((n + kCacheLine - 1) / kCacheLine * kCacheLine,
                           std::align_val_t{kCacheLine});
  }
  static void operator delete(void* p) { ::operator delete (p, std::align_val_t{kCacheLine}); }
};

}  // namespace gale
