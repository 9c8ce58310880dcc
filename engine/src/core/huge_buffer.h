#pragma once
// A heap array of doubles in 2 MiB-aligned memory advised for transparent huge pages (Linux,
// MADV_HUGEPAGE; elsewhere plain aligned memory). For arrays of several MB that are written
// once and read many times: with 4 KiB pages, first-touching them cost a page fault per page,
// which on the project's VM was a third of a Lanczos step's time (docs/PERFORMANCE.md,
// "Curvature"), and every pass over them walks more TLB entries.
#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>

namespace ridgeline {

class HugeBuffer {
 public:
  HugeBuffer() = default;
  /// n doubles, uninitialised. Arrays under 1 MiB use ordinary aligned memory.
  explicit HugeBuffer(std::size_t n) : n_(n) {
    constexpr std::size_t kHuge = std::size_t{2} << 20;
    const std::size_t want = (n ? n : 1) * sizeof(double);
    const std::size_t align = want >= (kHuge / 2) ? kHuge : 64;
    const std::size_t bytes = (want + align - 1) / align * align;
    p_.reset(static_cast<double*>(std::aligned_alloc(align, bytes)));
    if (!p_) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    if (align == kHuge) madvise(p_.get(), bytes, MADV_HUGEPAGE);
#endif
  }
  double* data() { return p_.get(); }
  const double* data() const { return p_.get(); }
  std::size_t size() const { return n_; }
  explicit operator bool() const { return static_cast<bool>(p_); }

 private:
  struct Free {
    void operator()(double* p) const { std::free(p); }
  };
  std::unique_ptr<double, Free> p_;
  std::size_t n_ = 0;
};

}  // namespace ridgeline
