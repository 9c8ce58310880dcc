#pragma once
// The naive CPU reference backend ("reference"): plain loops, no OpenMP, no BLAS, every
// reduction (GEMM, column sums, softmax, LayerNorm, dot) accumulated in float64. It is the
// oracle of the backend-ops tests (tests/backend_ops): slow and simple on purpose, registered
// with role Reference so "auto" never picks it; `--device reference` may name it.
#include <memory>

#include "ridgeline/core/backend.h"

namespace ridgeline {
std::unique_ptr<Backend> make_reference_backend();
/// The registry entry "reference" (role Reference, always available).
BackendFactory reference_backend_factory();
}  // namespace ridgeline
