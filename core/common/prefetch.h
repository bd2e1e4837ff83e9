// core/common/prefetch.h
//
// PrefetchForWrite asks the core to fetch a cache line in the state that
// lets it write the line (x86's PREFETCHW), without waiting for it.
//
// Why: a producer writes each tuple into memory that its consumer, on the
// other core, touched last (batches go back and forth). Every such store
// needs the line back from the other core first, and stores wait for their
// lines in order, so a thread that writes tuples one after another waits a
// full cross-core round trip per line. Fetching the lines a few tuples
// ahead overlaps those round trips. On this project's 2-core VM the round
// trip is ~125 ns on most runs but ~570 ns when the host places the two
// vCPUs far apart; there W1 went from 4.7–5.0 M to 9.8–10.2 M tuples/s
// with it (core/runtime/README.md has the rest of the figures).
//
// A plain read prefetch would not do: it fetches the line shared, and the
// store must then ask the other core a second time.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gale {

namespace detail {
// CPUID's PRFCHW bit: whether the CPU has PREFETCHW. Without it a plain
// prefetch is the best there is.
extern const bool kHasPrefetchW;
}  // namespace detail

inline void PrefetchForWrite(const void* p) {
#if defined(__x86_64__)
  if (detail::kHasPrefetchW) {
    asm volatile("prefetchw %0" : : "m"(*static_cast<const char*>(p)));
    return;
  }
#endif
  __builtin_prefetch(p, 1, 3);
}

// Every cache line that holds part of the `size` bytes at `p` (an object
// need not start a line: a 256-byte one can touch five).
inline void PrefetchForWrite(const void* p, size_t size) {
  const uintptr_t end = reinterpret_cast<uintptr_t>(p) + size;
  for (uintptr_t a = reinterpret_cast<uintptr_t>(p) & ~uintptr_t{63}; a < end; a += 64) {
    PrefetchForWrite(reinterpret_cast<const void*>(a));
  }
}

}  // namespace gale
