#pragma once
// One row of the backend-ops table and the runner that checks it: the row names the op, its
// edge case, the buffers it needs (random contents, generated once and uploaded to both
// backends inside sentinel pads), which buffers it writes, and the tolerance with its reason.
// The runner executes the row on the naive reference and on the backend under test and
// compares: pads untouched, inputs untouched, outputs finite where the reference is, elements
// outside an output's written region untouched, nmse within tolerance.
#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "backend_compare.h"
#include "ridgeline/core/backend.h"

namespace ridgeline::test {

/// A float buffer of n values uniform in [lo, hi]; with `integral`, whole numbers in [lo, hi)
/// (float labels).
struct FloatSpec {
  FloatSpec(size_t n_, float lo_ = -1.0f, float hi_ = 1.0f, bool integral_ = false)
      : n(n_), lo(lo_), hi(hi_), integral(integral_) {}
  size_t n;
  float lo, hi;
  bool integral;
};

/// An int32 buffer of n values uniform in [lo, hi).
struct IntSpec {
  IntSpec(size_t n_, int lo_, int hi_) : n(n_), lo(lo_), hi(hi_) {}
  size_t n;
  int lo, hi;
};

/// A float buffer the op writes. `written(i)` says whether the op may write element i (default
/// all); the others must keep their initial bits. The nmse is taken over the written elements.
struct Output {
  Output(int buffer_, double tolerance_, const char* reason_,
         std::function<bool(size_t)> written_ = {})
      : buffer(buffer_), tolerance(tolerance_), reason(reason_), written(std::move(written_)) {}
  int buffer;
  double tolerance;
  const char* reason;
  std::function<bool(size_t)> written;
};

/// Device pointers of the row's buffers (inside the pads) and the op's scalar results.
struct Args {
  std::vector<float*> f;
  std::vector<int*> i;
  std::vector<double> scalars;
};

struct OpCase {
  OpCase(Op op_, std::string edge_) : op(op_), edge(std::move(edge_)) {}
  Op op;
  std::string edge;  ///< what this row exercises, e.g. "odd 33×7×1031, ld > width"
  std::vector<FloatSpec> floats;
  std::vector<IntSpec> ints;
  std::vector<Output> outputs;
  double scalar_tolerance = kExact;  ///< for ops returning host values (dot, nrm2)
  const char* scalar_reason = "";
  std::function<void(Backend&, Args&)> run;

  std::string title() const { return std::string(to_string(op)) + " " + edge; }
};

namespace detail {

struct Placed {
  std::vector<DeviceBuffer> f;
  std::vector<IntBuffer> i;
  Args args;
};

inline Placed place(Backend& b, const std::vector<std::vector<float>>& fh,
                    const std::vector<std::vector<int>>& ih) {
  Placed p;
  for (const auto& h : fh) {
    std::vector<float> padded(h.size() + 2 * kPad, kSentinel);
    std::copy(h.begin(), h.end(), padded.begin() + kPad);
    p.f.emplace_back(b, padded.size());
    b.upload(p.f.back().data(), padded.data(), padded.size());
    p.args.f.push_back(p.f.back().data() + kPad);
  }
  for (const auto& h : ih) {
    std::vector<int> padded(h.size() + 2 * kPad, kIntSentinel);
    std::copy(h.begin(), h.end(), padded.begin() + kPad);
    p.i.emplace_back(b, padded.size());
    b.upload_int(p.i.back().data(), padded.data(), padded.size());
    p.args.i.push_back(p.i.back().data() + kPad);
  }
  return p;
}

inline std::vector<float> fetch(Backend& b, const DeviceBuffer& buf) {
  std::vector<float> h(buf.size());
  b.download(h.data(), buf.data(), h.size());
  return h;
}

inline std::vector<int> fetch(Backend& b, const IntBuffer& buf) {
  std::vector<int> h(buf.size());
  b.download_int(h.data(), buf.data(), h.size());
  return h;
}

}  // namespace detail

/// Runs `c` on `ref` and `got`; returns the first problem found, empty when they agree.
/// `worst` (optional) receives the largest nmse seen over the outputs and values.
inline std::string run_case(const OpCase& c, Backend& ref, Backend& got, unsigned seed,
                            double* worst = nullptr) {
  double unused = 0.0;
  double& max_e = worst ? *worst : unused;
  max_e = 0.0;
  std::mt19937 rng(seed);
  std::vector<std::vector<float>> fh;
  std::vector<std::vector<int>> ih;
  for (const FloatSpec& s : c.floats) {
    std::vector<float> v = random_vector(rng, s.n, s.lo, s.hi);
    if (s.integral)
      for (float& x : v) x = std::min(std::floor(x), s.hi - 1.0f);
    fh.push_back(std::move(v));
  }
  for (const IntSpec& s : c.ints) {
    std::uniform_int_distribution<int> dist(s.lo, s.hi - 1);
    std::vector<int> v(s.n);
    for (int& x : v) x = dist(rng);
    ih.push_back(std::move(v));
  }
  detail::Placed r = detail::place(ref, fh, ih), g = detail::place(got, fh, ih);
  c.run(ref, r.args);
  c.run(got, g.args);
  const std::string who = got.name();

  std::vector<const Output*> output_of(fh.size(), nullptr);
  for (const Output& o : c.outputs) output_of[size_t(o.buffer)] = &o;
  for (size_t b = 0; b < fh.size(); ++b) {
    const std::vector<float> rf = detail::fetch(ref, r.f[b]), gf = detail::fetch(got, g.f[b]);
    const std::string what = "buffer " + std::to_string(b);
    for (size_t k = 0; k < kPad; ++k) {
      const size_t hi = kPad + fh[b].size() + k;
      if (!same_bits(gf[k], kSentinel) || !same_bits(gf[hi], kSentinel))
        return who + " wrote outside " + what;
      if (!same_bits(rf[k], kSentinel) || !same_bits(rf[hi], kSentinel))
        return "the reference wrote outside " + what;
    }
    const Output* o = output_of[b];
    std::vector<float> ref_vals, got_vals;
    for (size_t k = 0; k < fh[b].size(); ++k) {
      const float rv = rf[kPad + k], gv = gf[kPad + k], initial = fh[b][k];
      const bool may_write = o && (!o->written || o->written(k));
      if (!may_write) {
        if (!same_bits(gv, initial))
          return who + " changed element " + std::to_string(k) + " of " + what +
                 ", which the op must not write";
        if (!same_bits(rv, initial))
          return "the reference changed element " + std::to_string(k) + " of " + what;
        continue;
      }
      if (!std::isfinite(rv))
        return "the reference gives " + sci(rv) + " at " + std::to_string(k) + " of " + what;
      if (!std::isfinite(gv))
        return who + " gives " + sci(gv) + " at " + std::to_string(k) + " of " + what;
      ref_vals.push_back(rv);
      got_vals.push_back(gv);
    }
    if (!o) continue;
    const double e = nmse(ref_vals, got_vals);
    max_e = std::max(max_e, e);
    if (!(e <= o->tolerance))
      return what + ": nmse " + sci(e) + " > tolerance " + sci(o->tolerance) + " (" + o->reason +
             ")";
  }
  for (size_t b = 0; b < ih.size(); ++b) {
    const std::vector<int> gi = detail::fetch(got, g.i[b]);
    for (size_t k = 0; k < gi.size(); ++k) {
      const bool pad = k < kPad || k >= kPad + ih[b].size();
      if (gi[k] != (pad ? kIntSentinel : ih[b][k - kPad]))
        return who + " changed int buffer " + std::to_string(b) + " at " + std::to_string(k);
    }
  }
  if (r.args.scalars.size() != g.args.scalars.size())
    return who + " returned " + std::to_string(g.args.scalars.size()) + " values, the reference " +
           std::to_string(r.args.scalars.size());
  for (size_t k = 0; k < r.args.scalars.size(); ++k)
    if (!std::isfinite(g.args.scalars[k]))
      return who + " returned " + sci(g.args.scalars[k]) + " for value " + std::to_string(k);
  const double e = nmse(r.args.scalars, g.args.scalars);
  max_e = std::max(max_e, e);
  if (!(e <= c.scalar_tolerance))
    return "values: nmse " + sci(e) + " > tolerance " + sci(c.scalar_tolerance) + " (" +
           c.scalar_reason + ")";
  return {};
}

}  // namespace ridgeline::test
