// Hedgehog attention distillation while a transformer trains (distill.h).
#include "ridgeline/train/distill.h"

#include <exception>
#include <vector>

#include "models/transformer/transformer_compute.h"
#include "models/transformer/transformer_layout.h"
#include "ridgeline/attention/distillation.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/models/transformer/transformer.h"

namespace ridgeline {

namespace {

attention::MatrixD widen(const attention::MatrixF& m) {
  attention::MatrixD out(m.rows, m.cols);
  for (size_t i = 0; i < m.data.size(); ++i) out.data[i] = m.data[i];
  return out;
}

}  // namespace

std::string distill_unsupported(const ModelArch& arch) {
  const TransformerArch* t = as_transformer_arch(arch);
  if (!t)
    return "applies to transformers with hedgehog attention; " + arch.to_string() +
           " is not a transformer";
  if (t->attention != "hedgehog")
    return "applies to transformers with hedgehog attention; " + arch.to_string() +
           " has " + t->attention + " attention (no Hedgehog feature map to distil)";
  return {};
}

double add_distillation(ModelCompute& compute, const ModelArch& arch, float* grad, int rows,
                        double weight) {
  const std::string why = distill_unsupported(arch);
  if (!why.empty()) throw InputError("attention distillation: " + why);
  auto* tc = dynamic_cast<TransformerCompute*>(&compute);
  if (!tc) throw InputError("attention distillation: the compute object is not a transformer's");
  const TransformerArch& t = *as_transformer_arch(arch);
  const int L = t.layers, H = t.heads, LH = L * H;
  const bool want_grad = grad != nullptr;
  std::vector<double> loss(static_cast<size_t>(rows) * LH, 0.0);
  std::vector<std::vector<double>> dparams(static_cast<size_t>(rows) * LH);
  std::vector<std::exception_ptr> errors(rows);  // no exception may leave an OpenMP region
#pragma omp parallel for schedule(dynamic)
  for (int b = 0; b < rows; ++b) {
    try {
      const AttentionCapture c = tc->capture(b);
      for (int l = 0; l < L; ++l)
        for (int h = 0; h < H; ++h) {
          const size_t k = static_cast<size_t>(b) * LH + l * H + h;
          auto r = attention::distill_to_softmax(tc->variant(l, h), widen(c.query(l, h)),
                                                 widen(c.key(l, h)), t.causal, want_grad);
          loss[k] = r.loss;
          dparams[k] = std::move(r.grads.dparams);
        }
    } catch (...) {
      errors[b] = std::current_exception();
    }
  }
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
  const double scale = 1.0 / (static_cast<double>(rows) * LH);
  double total = 0;
  for (double v : loss) total += v;  // in order: the same sum on every run
  if (!want_grad) return total * scale;
  const TransformerLayout lay(t);
  const int P = lay.variant_params;
  for (int l = 0; l < L; ++l)
    for (int h = 0; h < H; ++h) {
      std::vector<double> s(P, 0.0);
      for (int b = 0; b < rows; ++b) {
        const std::vector<double>& g = dparams[static_cast<size_t>(b) * LH + l * H + h];
        for (int i = 0; i < P; ++i) s[i] += g[i];
      }
      float* out = grad + lay.blocks[l].variant[h];
      for (int i = 0; i < P; ++i) out[i] += static_cast<float>(weight * scale * s[i]);
    }
  return total * scale;
}

}  // namespace ridgeline
