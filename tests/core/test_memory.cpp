// retain_freed_memory (core/memory.h): after it, memory freed by the engine's pattern of
// many ~1 MB buffers per pass is reused without new page faults. Without it, glibc returned
// such buffers to the system and every pass first-touched fresh pages (docs/PERFORMANCE.md,
// "Attention variants"). Its own process: the setting is process-wide.
#include <QtTest>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "ridgeline/core/memory.h"
#include "test_support.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RIDGELINE_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define RIDGELINE_ASAN 1
#endif

namespace {

long minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

// One pass: 40 buffers of 1 MiB, each written once, then all freed.
void pass() {
  std::vector<char*> bufs;
  for (int i = 0; i < 40; ++i) {
    char* p = static_cast<char*>(std::malloc(1 << 20));
    std::memset(p, i, 1 << 20);
    bufs.push_back(p);
  }
  for (char* p : bufs) std::free(p);
}

}  // namespace

class TestMemory : public QObject {
  Q_OBJECT
 private slots:
  void freedBuffersAreReusedWithoutPageFaults() {
    ridgeline::retain_freed_memory();
    pass();  // the heap grows once
    const long before = minor_faults();
    for (int i = 0; i < 5; ++i) pass();
    const long faults = minor_faults() - before;
    // 5 passes touch 200 MiB = 51,200 pages (without the call: 51,077 faults measured); kept
    // memory needs (almost) none of them again.
    QVERIFY2(faults < 2000, qPrintable(QString("%1 page faults in 5 passes").arg(faults)));
  }
};

#if defined(RIDGELINE_ASAN)
constexpr bool kApplies = false;  // AddressSanitizer's allocator replaces glibc's, ignores mallopt
#elif defined(__GLIBC__)
constexpr bool kApplies = true;
#else
constexpr bool kApplies = false;  // retain_freed_memory does nothing outside glibc
#endif
RIDGELINE_DATA_TEST_MAIN(TestMemory, kApplies,
                         "retain_freed_memory applies to glibc's allocator only (not here)")
#include "test_memory.moc"
