// MLP architecture parsing, parameter layout, PyTorch-default initialisation and the
// float64 reference forward/backward used as the oracle for every backend.
#include "ridgeline/models/mlp/mlp.h"

#include <cmath>
#include <numbers>
#include <random>
#include <sstream>

#include "ridgeline/core/errors.h"

namespace ridgeline {

std::string to_string(Activation a) { return a == Activation::Gelu ? "gelu" : "relu"; }

Activation parse_activation(const std::string& text, const std::string& what) {
  if (text == "relu") return Activation::Relu;
  if (text == "gelu") return Activation::Gelu;
  throw InputError(what + ": unknown activation '" + echo_input(text) + "' (expected relu or gelu)");
}

std::string MlpArch::widths_string() const {
  std::ostringstream s;
  s << "mlp:";
  for (size_t i = 0; i < widths.size(); ++i) s << (i ? "," : "") << widths[i];
  return s.str();
}

std::string MlpArch::to_string() const {
  std::string s = widths_string();
  if (num_hidden() <= 0) return s;  // no hidden layer: nothing for a LayerNorm or activation
  if (layernorm) s += "+ln";
  if (activation == Activation::Gelu) s += "+gelu";
  return s;
}

MlpArch parse_arch(const std::string& text, const std::string& what) {
  const std::string prefix = "mlp:";
  if (text.rfind(prefix, 0) != 0)
    throw InputError(what + ": '" + echo_input(text) +
                     "' is not an architecture (expected mlp:IN,HIDDEN...,CLASSES[+ln][+gelu])");
  MlpArch arch;
  const size_t plus = text.find('+');
  const std::string widths = text.substr(prefix.size(), plus == std::string::npos
                                                            ? std::string::npos
                                                            : plus - prefix.size());
  std::stringstream ss(widths);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t used = 0;
    long v = 0;
    try {
      v = std::stol(item, &used);
    } catch (...) {
      used = 0;
    }
    if (used != item.size() || item.empty() || v < 1 || v > (1 << 24))
      throw InputError(what + ": width '" + echo_input(item) + "' in '" + echo_input(text) + "' is not a positive integer");
    arch.widths.push_back(static_cast<int>(v));
  }
  if (!widths.empty() && widths.back() == ',')
    throw InputError(what + ": width '' in '" + echo_input(text) + "' is not a positive integer");
  if (arch.widths.size() < 2)
    throw InputError(what + ": '" + echo_input(text) + "' needs at least an input and an output width");
  if (arch.classes() < 2)
    throw InputError(what + ": '" + echo_input(text) + "' needs at least 2 output classes");
  if (plus != std::string::npos) {
    bool seen_ln = false, seen_act = false;
    std::stringstream sx(text.substr(plus + 1));
    while (std::getline(sx, item, '+')) {
      const bool dup = item == "ln" ? seen_ln : seen_act;
      if (item != "ln" && item != "relu" && item != "gelu")
        throw InputError(what + ": unknown suffix '+" + echo_input(item) + "' in '" + echo_input(text) +
                         "' (expected +ln, +relu or +gelu)");
      if (dup)
        throw InputError(what + ": '" + echo_input(text) + "' names " +
                         (item == "ln" ? "+ln" : "an activation") + " twice");
      if (item == "ln") {
        seen_ln = true;
        arch.layernorm = true;
      } else {
        seen_act = true;
        arch.activation = item == "gelu" ? Activation::Gelu : Activation::Relu;
      }
    }
    if (text.back() == '+')
      throw InputError(what + ": '" + echo_input(text) + "' ends with an empty suffix");
    if (arch.num_hidden() == 0 && (arch.layernorm || arch.activation != Activation::Relu))
      throw InputError(what + ": '" + echo_input(text) +
                       "' has no hidden layer for a LayerNorm or an activation");
  }
  return arch;
}

ParamLayout::ParamLayout(const MlpArch& arch) {
  size_t off = 0;
  for (int l = 0; l < arch.num_layers(); ++l) {
    weight_offset.push_back(off);
    off += static_cast<size_t>(arch.widths[l]) * arch.widths[l + 1];
    bias_offset.push_back(off);
    off += arch.widths[l + 1];
    if (arch.layernorm && l + 1 < arch.num_layers()) {
      ln_weight_offset.push_back(off);
      off += arch.widths[l + 1];
      ln_bias_offset.push_back(off);
      off += arch.widths[l + 1];
    }
  }
  total = off;
}

size_t ParamLayout::layer_end(int l) const {
  if (static_cast<size_t>(l) + 1 < weight_offset.size()) return weight_offset[l + 1];
  return total;
}

Mlp init_mlp(const MlpArch& arch, uint64_t seed) {
  Mlp m;
  m.arch = arch;
  ParamLayout lay(arch);
  m.params.resize(lay.total);
  std::mt19937_64 rng(seed);
  auto uniform = [&](double bound) {
    double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;  // [0,1), portable
    return static_cast<float>(bound * (2.0 * u - 1.0));
  };
  for (int l = 0; l < arch.num_layers(); ++l) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(arch.widths[l]));
    const size_t nw = static_cast<size_t>(arch.widths[l]) * arch.widths[l + 1];
    for (size_t i = 0; i < nw; ++i) m.params[lay.weight_offset[l] + i] = uniform(bound);
    for (int i = 0; i < arch.widths[l + 1]; ++i) m.params[lay.bias_offset[l] + i] = uniform(bound);
    if (!lay.ln_weight_offset.empty() && l < arch.num_hidden())
      for (int i = 0; i < arch.widths[l + 1]; ++i) {
        m.params[lay.ln_weight_offset[l] + i] = 1.0f;
        m.params[lay.ln_bias_offset[l] + i] = 0.0f;
      }
  }
  return m;
}

namespace {

double gelu_f64(double z) { return 0.5 * z * (1.0 + std::erf(z * std::numbers::sqrt2 / 2)); }
double gelu_grad_f64(double z) {
  const double phi = std::exp(-0.5 * z * z) / std::sqrt(2.0 * std::numbers::pi);
  return 0.5 * (1.0 + std::erf(z * std::numbers::sqrt2 / 2)) + z * phi;
}

}  // namespace

double mlp_loss_grad_f64(const MlpArch& arch, const std::vector<double>& params,
                         const std::vector<double>& x, const std::vector<int>& labels,
                         std::vector<double>* grad, std::vector<double>* logits) {
  const ParamLayout lay(arch);
  const int L = arch.num_layers();
  const size_t n = labels.size();
  const bool ln = arch.layernorm, gelu = arch.activation == Activation::Gelu;
  // acts[l]: input of layer l (acts[0] = x), the activation output for l ≥ 1 (the logits
  // for l = L). For hidden layer l: pre[l] the activation's input (the LayerNorm output, or
  // the Linear output without LayerNorm); xhat[l] the normalised Linear output and rstd[l]
  // its per-row 1/σ (LayerNorm nets only).
  std::vector<std::vector<double>> acts(L + 1), pre(L), xhat(L), rstd(L);
  acts[0] = x;
  for (int l = 0; l < L; ++l) {
    const int in = arch.widths[l], out = arch.widths[l + 1];
    const double* W = params.data() + lay.weight_offset[l];
    const double* b = params.data() + lay.bias_offset[l];
    std::vector<double> z(n * out);
    for (size_t r = 0; r < n; ++r)
      for (int o = 0; o < out; ++o) {
        double s = b[o];
        for (int i = 0; i < in; ++i) s += acts[l][r * in + i] * W[static_cast<size_t>(o) * in + i];
        z[r * out + o] = s;
      }
    if (l + 1 == L) {
      acts[L] = std::move(z);
      break;
    }
    if (ln) {
      const double* g = params.data() + lay.ln_weight_offset[l];
      const double* be = params.data() + lay.ln_bias_offset[l];
      xhat[l].resize(n * out);
      rstd[l].resize(n);
      for (size_t r = 0; r < n; ++r) {
        double mean = 0, var = 0;
        for (int o = 0; o < out; ++o) mean += z[r * out + o];
        mean /= out;
        for (int o = 0; o < out; ++o) var += (z[r * out + o] - mean) * (z[r * out + o] - mean);
        var /= out;  // biased, as torch.nn.LayerNorm
        rstd[l][r] = 1.0 / std::sqrt(var + static_cast<double>(kLayerNormEps));
        for (int o = 0; o < out; ++o) {
          const double xh = (z[r * out + o] - mean) * rstd[l][r];
          xhat[l][r * out + o] = xh;
          z[r * out + o] = xh * g[o] + be[o];
        }
      }
    }
    auto& a = acts[l + 1];
    a.resize(n * out);
    for (size_t i = 0; i < n * out; ++i) a[i] = gelu ? gelu_f64(z[i]) : (z[i] < 0 ? 0.0 : z[i]);
    pre[l] = std::move(z);
  }
  const int C = arch.classes();
  const auto& z = acts[L];
  if (logits) *logits = z;
  double total = 0;
  std::vector<double> dz(n * C);
  for (size_t r = 0; r < n; ++r) {
    double mx = z[r * C];
    for (int c = 1; c < C; ++c) mx = std::max(mx, z[r * C + c]);
    double s = 0;
    for (int c = 0; c < C; ++c) s += std::exp(z[r * C + c] - mx);
    const double lse = mx + std::log(s);
    total += lse - z[r * C + labels[r]];
    for (int c = 0; c < C; ++c)
      dz[r * C + c] = (std::exp(z[r * C + c] - lse) - (c == labels[r] ? 1.0 : 0.0)) / n;
  }
  if (grad) {
    grad->assign(lay.total, 0.0);
    std::vector<double> delta = dz;  // dL/dz of the current layer's Linear output
    for (int l = L - 1; l >= 0; --l) {
      const int in = arch.widths[l], out = arch.widths[l + 1];
      const double* W = params.data() + lay.weight_offset[l];
      double* gW = grad->data() + lay.weight_offset[l];
      double* gb = grad->data() + lay.bias_offset[l];
      for (size_t r = 0; r < n; ++r)
        for (int o = 0; o < out; ++o) {
          const double d = delta[r * out + o];
          gb[o] += d;
          for (int i = 0; i < in; ++i) gW[static_cast<size_t>(o) * in + i] += d * acts[l][r * in + i];
        }
      if (l == 0) break;
      // dL/d(activation output of hidden layer h = l − 1) = δ·W, then back through the
      // activation and the LayerNorm.
      const int h = l - 1;
      std::vector<double> prev(n * in, 0.0);
      for (size_t r = 0; r < n; ++r)
        for (int i = 0; i < in; ++i) {
          double s = 0;
          for (int o = 0; o < out; ++o) s += delta[r * out + o] * W[static_cast<size_t>(o) * in + i];
          const double u = pre[h][r * in + i];
          prev[r * in + i] = s * (gelu ? gelu_grad_f64(u) : (u > 0 ? 1.0 : 0.0));
        }
      if (ln) {
        const double* g = params.data() + lay.ln_weight_offset[h];
        double* gg = grad->data() + lay.ln_weight_offset[h];
        double* gbeta = grad->data() + lay.ln_bias_offset[h];
        for (size_t r = 0; r < n; ++r) {
          double s1 = 0, s2 = 0;  // Σ dy·γ and Σ dy·γ·x̂ over the row
          for (int i = 0; i < in; ++i) {
            const double dy = prev[r * in + i], xh = xhat[h][r * in + i];
            gg[i] += dy * xh;
            gbeta[i] += dy;
            s1 += dy * g[i];
            s2 += dy * g[i] * xh;
          }
          for (int i = 0; i < in; ++i) {
            const double xh = xhat[h][r * in + i];
            prev[r * in + i] = rstd[h][r] * (prev[r * in + i] * g[i] - s1 / in - xh * s2 / in);
          }
        }
      }
      delta.swap(prev);
    }
  }
  return total / n;
}

}  // namespace ridgeline

// The one "model fits the data" check (mlp.h).
#include "ridgeline/data/dataset.h"

namespace ridgeline {

void check_fits(const MlpArch& arch, const Dataset& data, const std::string& who) {
  if (data.label_width != 1)
    throw InputError(who + " " + echo_input(arch.to_string()) + " classifies whole rows but " +
                     data.name + " labels every position (token data needs a transformer)");
  if (data.dim != arch.in_dim())
    throw InputError(who + " " + echo_input(arch.to_string()) + " expects " + std::to_string(arch.in_dim()) +
                     " inputs but " + data.name + " has " + std::to_string(data.dim));
  if (data.classes > arch.classes())
    throw InputError(who + " " + echo_input(arch.to_string()) + " has " + std::to_string(arch.classes()) +
                     " outputs but " + data.name + " has " + std::to_string(data.classes) +
                     " classes");
}

}  // namespace ridgeline
