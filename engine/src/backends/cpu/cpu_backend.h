#pragma once
// The built-in CPU backend (Eigen GEMMs, OpenMP elementwise loops with static schedules so
// results are bit-identical for a fixed thread count).
#include <memory>

#include "ridgeline/core/backend.h"

namespace ridgeline {
std::unique_ptr<Backend> make_cpu_backend(int threads);
/// The registry entry "cpu" (role Host, always available).
BackendFactory cpu_backend_factory();
}
