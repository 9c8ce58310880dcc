// Singular-vector alignment of two models (Ito et al., arXiv 2402.04051; docs/ARCHITECTURE.md
// and docs/USER_GUIDE.md, "Spectra"): the overlap matrices U_Aᵀ U_B and V_Aᵀ V_B, the score
// R(γ) and the decomposition ⟨W_A, W_B⟩ = Σ_ij s_i^A s_j^B (u_i^A·u_j^B)(v_i^A·v_j^B).
#include <Eigen/Dense>
#include <algorithm>
#include <cstdio>
#include <cmath>
#include <limits>

#include "ridgeline/core/errors.h"
#include "ridgeline/spectra/spectra.h"

namespace ridgeline {
namespace {

using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// How many of the descending singular values pass s ≥ γ·s_max.
int passing(const std::vector<double>& s, double gamma) {
  if (s.empty()) return 0;
  const double t = gamma * s.front();
  return static_cast<int>(std::count_if(s.begin(), s.end(), [&](double x) { return x >= t; }));
}

LayerAlignment align_layer(const ParamBlockInfo& blk, const float* wa, const float* wb, int top_k,
                           const std::vector<double>& gammas) {
  LayerAlignment out;
  out.name = blk.name;
  out.rows = static_cast<int>(blk.shape[0]);
  out.cols = static_cast<int>(blk.shape[1]);
  const Svd a = svd(wa, out.rows, out.cols, true), b = svd(wb, out.rows, out.cols, true);
  const int r = a.rank();
  const Eigen::Map<const RowMat> ua(a.u.data(), out.rows, r), ub(b.u.data(), out.rows, r);
  const Eigen::Map<const RowMat> va(a.v.data(), out.cols, r), vb(b.v.data(), out.cols, r);
  const RowMat mu = ua.transpose() * ub, mv = va.transpose() * vb;
  const RowMat prod = mu.cwiseProduct(mv);  // (u_i^A·u_j^B)(v_i^A·v_j^B)
  out.k = std::min(top_k, r);
  out.u_overlap.resize(static_cast<size_t>(out.k) * out.k);
  out.v_overlap.resize(out.u_overlap.size());
  for (int i = 0; i < out.k; ++i)
    for (int j = 0; j < out.k; ++j) {
      out.u_overlap[static_cast<size_t>(i) * out.k + j] = std::abs(mu(i, j));
      out.v_overlap[static_cast<size_t>(i) * out.k + j] = std::abs(mv(i, j));
    }
  for (int i = 0; i < r; ++i)
    for (int j = 0; j < r; ++j) {
      const double t = a.s[i] * b.s[j] * prod(i, j);
      out.inner_product += t;
      if (i < out.k && j < out.k) out.inner_top_k += t;
    }
  out.top_k_share = out.inner_product != 0 ? out.inner_top_k / out.inner_product
                                           : std::numeric_limits<double>::quiet_NaN();
  for (double g : gammas) {
    const int na = passing(a.s, g), nb = passing(b.s, g);
    out.r_sum.push_back(prod.topLeftCorner(na, nb).sum());
    out.r_count.push_back(std::min(na, nb));
  }
  return out;
}

}  // namespace

SpectraAlignment spectra_alignment(const Model& a, const std::string& a_name, const Model& b,
                                   const std::string& b_name, int top_k,
                                   const std::vector<double>& gammas) {
  check_compatible(a.architecture(), a_name, b.architecture(), b_name);
  if (top_k < 1) throw InputError("top_k must be at least 1");
  for (double g : gammas)
    if (!(g >= 0 && g <= 1)) throw InputError("gamma " + std::to_string(g) + " is outside [0, 1]");
  SpectraAlignment out;
  out.a = a_name;
  out.b = b_name;
  out.top_k = top_k;
  out.gammas = gammas;
  const auto mats = weight_matrices(a.architecture());
  if (mats.empty())
    throw InputError(a_name + ": the model (" + a.architecture().to_string() +
                     ") has no weight matrices");
  std::vector<double> num(gammas.size(), 0.0), den(gammas.size(), 0.0);
  for (const auto& blk : mats) {
    out.layers.push_back(align_layer(blk, a.params.data() + blk.offset, b.params.data() + blk.offset,
                                     top_k, gammas));
    const auto& l = out.layers.back();
    out.inner_product += l.inner_product;
    out.inner_top_k += l.inner_top_k;
    for (size_t g = 0; g < gammas.size(); ++g) {
      num[g] += l.r_sum[g];
      den[g] += l.r_count[g];
    }
  }
  for (size_t g = 0; g < gammas.size(); ++g)
    out.r.push_back(den[g] > 0 ? num[g] / den[g] : std::numeric_limits<double>::quiet_NaN());
  return out;
}

std::string format_alignment_score(double r) {
  if (!std::isfinite(r)) return "—";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", r);
  return buf;
}

double r_at(const SpectraAlignment& al, double gamma) {
  for (size_t g = 0; g < al.gammas.size() && g < al.r.size(); ++g)
    if (std::abs(al.gammas[g] - gamma) < 1e-9) return al.r[g];
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace ridgeline
