// The evaluator over parameter points (see evaluator.h): argument checks, the line's points,
// and the rule that forms each point from the basis. The batched evaluation itself belongs to
// each model kind (ModelArch::evaluate_points).
#include "ridgeline/paths/evaluator.h"

#include <cmath>
#include <string>

#include "ridgeline/core/errors.h"

namespace ridgeline {

PointForm point_form(const std::vector<double>& row, int* unit_index) {
  int ones = 0, zeros = 0, one_at = -1;
  double sum = 0.0;
  for (size_t j = 0; j < row.size(); ++j) {
    if (row[j] == 1.0) ++ones, one_at = static_cast<int>(j);
    else if (row[j] == 0.0) ++zeros;
    sum += row[j];
  }
  if (ones == 1 && zeros + 1 == static_cast<int>(row.size())) {
    if (unit_index) *unit_index = one_at;
    return PointForm::Unit;
  }
  return std::abs(sum - 1.0) <= 1e-12 ? PointForm::Affine : PointForm::General;
}

ParameterPoints line_points(const std::vector<float>& a, const std::vector<float>& b,
                            const std::vector<double>& alpha) {
  ParameterPoints p;
  p.basis = {&a, &b};
  for (double t : alpha) p.coeffs.push_back({1.0 - t, t});
  return p;
}

void form_point(Backend& be, const std::vector<const float*>& basis, const std::vector<double>& c,
                size_t n, std::vector<DeviceBuffer>& diffs, bool& diffs_ready, float* dst) {
  const size_t K = basis.size();
  int unit = -1;
  switch (point_form(c, &unit)) {
    case PointForm::Unit:
      be.copy(dst, basis[unit], n);
      break;
    case PointForm::Affine:
      // θ_0 + Σ_{j≥1} c_j (θ_j − θ_0): the differences are formed once per basis.
      if (!diffs_ready) {
        diffs.resize(K > 0 ? K - 1 : 0);
        for (size_t j = 1; j < K; ++j) {
          DeviceBuffer& d = diffs[j - 1];
          if (d.size() < n) d = DeviceBuffer(be, n);
          be.copy(d.data(), basis[j], n);
          be.axpby(-1.0f, basis[0], 1.0f, d.data(), n);
        }
        diffs_ready = true;
      }
      if (K == 1) {
        be.copy(dst, basis[0], n);
        break;
      }
      be.lerp(dst, basis[0], diffs[0].data(), static_cast<float>(c[1]), n);
      for (size_t j = 2; j < K; ++j)
        be.lerp(dst, dst, diffs[j - 1].data(), static_cast<float>(c[j]), n);
      break;
    case PointForm::General:
      be.fill(dst, 0.0f, n);
      for (size_t j = 0; j < K; ++j)
        if (c[j] != 0.0) be.lerp(dst, dst, basis[j], static_cast<float>(c[j]), n);
      break;
  }
}

void form_points(Backend& be, const std::vector<const float*>& basis,
                 const std::vector<std::vector<double>>& coeffs, size_t n,
                 std::vector<DeviceBuffer>& diffs, float* out, size_t out_stride) {
  bool diffs_ready = false;
  for (size_t k = 0; k < coeffs.size(); ++k)
    form_point(be, basis, coeffs[k], n, diffs, diffs_ready, out + k * out_stride);
}

DevicePoints device_points(Backend& be, const ParameterPoints& points, size_t T,
                           const PointHooks& hooks) {
  DevicePoints d;
  for (const std::vector<float>* b : points.basis) {
    d.basis.emplace_back(be, T);
    be.upload(d.basis.back().data(), b->data(), T);
    d.basis_ptr.push_back(d.basis.back().data());
  }
  const size_t P = points.coeffs.size();
  d.params = DeviceBuffer(be, T * P);
  std::vector<DeviceBuffer> diffs;
  form_points(be, d.basis_ptr, points.coeffs, T, diffs, d.params.data(), T);
  if (hooks.on_params)
    for (size_t k = 0; k < P; ++k) hooks.on_params(be, static_cast<int>(k), d.params.data() + k * T);
  return d;
}

void check_precision(const ModelArch& arch, Precision p) {
  if (p == Precision::Fp32) return;
  if (!arch.supports_precision(p))
    throw InputError("precision " + to_string(p) + ": the " + arch.to_string() +
                     " model has no " + to_string(p) + " path (fp32 only)");
  const std::string why = bf16_unavailable_reason();
  if (!why.empty()) throw InputError("precision " + to_string(p) + ": " + why);
}

PointValues evaluate_points(Backend& be, const ModelArch& arch, const ParameterPoints& points,
                            const Dataset* data, int chunk, const PointHooks& hooks,
                            const std::function<void()>& on_chunk, const CancelToken* cancel) {
  const size_t K = points.basis.size();
  if (K == 0) throw InputError("evaluate_points: no basis vectors");
  for (size_t j = 0; j < K; ++j)
    if (!points.basis[j] || points.basis[j]->size() != arch.num_params())
      throw InputError("evaluate_points: basis vector " + std::to_string(j) + " does not fit " +
                       arch.to_string() + " (" + std::to_string(arch.num_params()) +
                       " parameters)");
  for (size_t k = 0; k < points.coeffs.size(); ++k)
    if (points.coeffs[k].size() != K)
      throw InputError("evaluate_points: point " + std::to_string(k) + " has " +
                       std::to_string(points.coeffs[k].size()) + " coefficients for " +
                       std::to_string(K) + " basis vectors");
  check_precision(arch, points.precision);
  if (arch.uses_data()) {
    if (!data) throw InputError("evaluate_points: " + arch.kind() + " models need data");
    if (data->n == 0) throw InputError(data->name + ": no samples");
    arch.check_fits(*data, "model");
  }
  return arch.evaluate_points(be, points, arch.uses_data() ? data : nullptr, std::max(1, chunk),
                              hooks, on_chunk, cancel);
}

}  // namespace ridgeline
