// The registry of attention variants: names, defaults of each paper, option checks, and the
// input checks shared by all variants.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>

#include "attention/linear_attention.h"
#include "ridgeline/core/errors.h"

namespace ridgeline::attention {
namespace {

struct Entry {
  const char* name;
  bool uses_features, uses_eps;
  std::function<std::unique_ptr<AttentionVariant>(int d, const VariantOptions&)> make;
};

double eps_or(const VariantOptions& o, double paper) { return o.eps >= 0 ? o.eps : paper; }

LinearSpec spec(const char* name, std::string description, int d, std::unique_ptr<FeatureMap> map,
                RowNormaliser::Kind kind, double eps) {
  LinearSpec s;
  s.name = name;
  s.description = std::move(description);
  s.head_dim = d;
  s.map = std::move(map);
  s.normaliser.kind = kind;
  s.normaliser.eps = eps;
  return s;
}

std::string num(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

const std::vector<Entry>& entries() {
  using K = RowNormaliser::Kind;
  static const std::vector<Entry> table = {
      {"softmax", false, false,
       [](int d, const VariantOptions&) { return make_softmax_variant(d); }},
      {"linear_elu", false, true,
       [](int d, const VariantOptions& o) {
         const double eps = eps_or(o, 1e-6);
         return make_linear_variant(
             spec("linear_elu",
                  "linear attention, φ = elu(x)+1, a_ij = φ(q_i)·φ(k_j) / (Σ_s φ(q_i)·φ(k_s) + " +
                      num(eps) + ")",
                  d, make_elu_plus_one_map(d), K::Sum, eps));
       }},
      {"linear_relu", false, true,
       [](int d, const VariantOptions& o) {
         const double eps = eps_or(o, 1e-6);
         return make_linear_variant(
             spec("linear_relu",
                  "linear attention, φ = relu(x), a_ij = φ(q_i)·φ(k_j) / (Σ_s φ(q_i)·φ(k_s) + " +
                      num(eps) + ")",
                  d, make_relu_map(d), K::Sum, eps));
       }},
      {"cosformer", false, true,
       [](int d, const VariantOptions& o) {
         const double eps = eps_or(o, 1e-6);
         return make_linear_variant(
             spec("cosformer",
                  "cosFormer: a_ij ∝ relu(q_i)·relu(k_j)·cos(π(i−j)/2N), denominator clamped at " +
                      num(eps),
                  d, make_cosformer_map(d), K::SumClamp, eps));
       }},
      {"performer", true, true,
       [](int d, const VariantOptions& o) {
         const int m =
             o.features > 0 ? o.features : static_cast<int>(d * std::log(static_cast<double>(d)));
         const double eps = eps_or(o, 1e-4);
         auto omega = gaussian_orthogonal_features(std::max(m, 1), d, o.seed);
         return make_linear_variant(
             spec("performer",
                  "Performer FAVOR+: φ(x) = m^-1/2 (exp(ω·x̃ − |x̃|²/2 − c) + " + num(eps) +
                      "), x̃ = d^-1/4 x, m = " + std::to_string(std::max(m, 1)) +
                      " orthogonal random features (seed " + std::to_string(o.seed) + ")",
                  d, make_performer_map(d, std::max(m, 1), std::move(omega), eps), K::Sum, 0.0));
       }},
      {"transnormer", false, true,
       [](int d, const VariantOptions& o) {
         const double eps = eps_or(o, 1e-6);
         LinearSpec s = spec("transnormer",
                             "TransNormer NormAttention: O = RMSNorm((φ(Q)φ(K)ᵀ)V), φ = elu, no "
                             "denominator, RMSNorm eps " +
                                 num(eps),
                             d, make_elu_map(d), K::None, 0.0);
         s.output_norm = OutputNorm::Rms;
         s.output_norm_eps = eps;
         return make_linear_variant(std::move(s));
       }},
      {"inline", false, false,
       [](int d, const VariantOptions&) {
         LinearSpec s = spec("inline",
                             "InLine: a_ij = (d^-1/2/n)(q_i·k_j − mean_s q_i·k_s) + 1/n over the n "
                             "visible keys, no division (rows sum to 1; entries may be negative)",
                             d, make_identity_map(d), K::InLine, 0.0);
         s.normaliser.scale = 1.0 / std::sqrt(static_cast<double>(d));
         return make_linear_variant(std::move(s));
       }},
      {"flatten", false, true,
       [](int d, const VariantOptions& o) {
         const double eps = eps_or(o, 1e-6);
         LinearSpec s =
             spec("flatten",
                  "focused linear attention (FLatten): φ = f_3(relu(x)+1e-6 / softplus(s)), "
                  "Z_i = 1/(φ(q_i)·mean_j φ(k_j) + " +
                      num(eps) + "), learned scale s",
                  d, make_focused_map(d, 3), K::Mean, eps);
         s.params.assign(d, 0.0);
         s.param_blocks = {{"scale", {d}}};
         return make_linear_variant(std::move(s));
       }},
      {"hedgehog", true, true,
       [](int d, const VariantOptions& o) {
         const int f = o.features > 0 ? o.features : d;
         const double eps = eps_or(o, 1e-12);
         LinearSpec s =
             spec("hedgehog",
                  "Hedgehog (LoLCATs softmax_dim): φ(x) = [softmax(xW), softmax(−xW)], W learned "
                  "[d, " +
                      std::to_string(f) + "], row-sum eps " + num(eps),
                  d, make_hedgehog_map(d, f), K::Sum, eps);
         s.params.assign(static_cast<size_t>(d) * f, 0.0);
         if (f == d) {
           for (int c = 0; c < d; ++c) s.params[static_cast<size_t>(c) * f + c] = 1.0;
         } else {
           std::mt19937_64 gen(o.seed);
           std::normal_distribution<double> normal(0.0, 1.0 / std::sqrt(static_cast<double>(d)));
           for (auto& w : s.params) w = normal(gen);
         }
         s.param_blocks = {{"W", {d, f}}};
         return make_linear_variant(std::move(s));
       }},
  };
  return table;
}

}  // namespace

void AttentionVariant::set_params(std::vector<double> p) {
  if (p.size() != params_.size())
    throw InputError("attention variant " + name() + ": " + std::to_string(p.size()) +
                     " parameters given, it has " + std::to_string(params_.size()));
  params_ = std::move(p);
}

std::vector<std::string> variant_names() {
  std::vector<std::string> names;
  for (const auto& e : entries()) names.emplace_back(e.name);
  return names;
}

std::unique_ptr<AttentionVariant> make_variant(const std::string& name, int head_dim,
                                               const VariantOptions& options) {
  for (const auto& e : entries()) {
    if (name != e.name) continue;
    if (head_dim < 1)
      throw InputError("attention variant " + name + ": head width must be ≥ 1, got " +
                       std::to_string(head_dim));
    if (options.features < 0 || (options.features > 0 && !e.uses_features))
      throw InputError(
          "attention variant " + name + ": option 'features' " +
          (options.features < 0 ? "must be ≥ 0" : "applies to performer and hedgehog only"));
    if (options.eps >= 0 && !e.uses_eps)
      throw InputError("attention variant " + name + ": it has no eps option");
    if (!std::isfinite(options.eps))
      throw InputError("attention variant " + name + ": eps must be a finite number");
    return e.make(head_dim, options);
  }
  std::string known;
  for (const auto& n : variant_names()) known += (known.empty() ? "" : ", ") + n;
  throw InputError("unknown attention variant '" + echo_input(name) + "' (known: " + known + ")");
}

template <class T>
void check_head_inputs(const std::string& who, int d, const HeadMatrix<T>& Q,
                       const HeadMatrix<T>& K, const HeadMatrix<T>* V, const HeadMatrix<T>* dO) {
  auto shape = [](const HeadMatrix<T>& m) {
    return std::to_string(m.rows) + "×" + std::to_string(m.cols);
  };
  auto consistent = [](const HeadMatrix<T>& m) {
    return m.rows >= 0 && m.cols >= 0 && m.data.size() == static_cast<size_t>(m.rows) * m.cols;
  };
  const int N = Q.rows;
  if (!consistent(Q) || !consistent(K) || (V && !consistent(*V)) || (dO && !consistent(*dO)))
    throw InputError("attention " + who + ": a matrix's data size differs from rows×cols");
  if (N < 1) throw InputError("attention " + who + ": the sequence is empty");
  if (Q.cols != d || K.cols != d || K.rows != N)
    throw InputError("attention " + who + ": Q " + shape(Q) + " and K " + shape(K) +
                     " must both be N×" + std::to_string(d));
  if (V && (V->rows != N || V->cols < 1))
    throw InputError("attention " + who + ": V " + shape(*V) +
                     " must have N = " + std::to_string(N) + " rows");
  if (dO && V && (dO->rows != N || dO->cols != V->cols))
    throw InputError("attention " + who + ": dO " + shape(*dO) + " must be the shape of O, " +
                     std::to_string(N) + "×" + std::to_string(V->cols));
}

template <class T>
void check_map_gradient(const std::string& who, const HeadMatrix<T>& Q, const HeadMatrix<T>& dA) {
  if (dA.rows != Q.rows || dA.cols != Q.rows ||
      dA.data.size() != static_cast<size_t>(dA.rows) * dA.cols)
    throw InputError("attention " + who + ": dA " + std::to_string(dA.rows) + "×" +
                     std::to_string(dA.cols) + " must be N×N, N = " + std::to_string(Q.rows));
}

template void check_map_gradient<float>(const std::string&, const MatrixF&, const MatrixF&);
template void check_map_gradient<double>(const std::string&, const MatrixD&, const MatrixD&);
template void check_head_inputs<float>(const std::string&, int, const MatrixF&, const MatrixF&,
                                       const MatrixF*, const MatrixF*);
template void check_head_inputs<double>(const std::string&, int, const MatrixD&, const MatrixD&,
                                        const MatrixD*, const MatrixD*);

}  // namespace ridgeline::attention
