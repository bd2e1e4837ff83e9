#include "core/common/prefetch.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace gale::detail {

namespace {
bool DetectPrefetchW() {
#if defined(__x86_64__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  return __get_cpuid(0x80000001u, &a, &b, &c, &d) != 0 && (c & bit_PRFCHW) != 0;
#else
  return false;
#endif
}
}  // namespace

const bool kHasPrefetchW = DetectPrefetchW();

}  // namespace gale::detail
