// core/common/little_endian.h
//
// 64-bit integers as 8 little-endian bytes, the order of every fixed-width
// field Gale puts on the wire (the tuple codec's roots and fixed ints, the
// transport's frame stamps). Header-only; the compiler turns each into one
// load or store on a little-endian machine.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace gale {

inline uint64_t LoadLittle64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

inline void StoreLittle64(char* p, uint64_t v) {
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
}

}  // namespace gale
