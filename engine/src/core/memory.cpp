// Heap policy (memory.h).
#include "ridgeline/core/memory.h"

#include <cstdlib>  // defines __GLIBC__ on glibc systems, which the test below needs

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace ridgeline {

void retain_freed_memory() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's maximum on 64-bit systems
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

}  // namespace ridgeline
