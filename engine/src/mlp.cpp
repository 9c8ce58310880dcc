// MLP architecture parsing, parameter layout, PyTorch-default initialisation and the
// float64 reference forward/backward used as the oracle for every backend.
#include "ridgeline/mlp.h"

#include <cmath>
#include <random>
#include <sstream>

#include "ridgeline/errors.h"

namespace ridgeline {

std::string MlpArch::to_string() const {
  std::ostringstream s;
  s << "mlp:";
  for (size_t i = 0; i < widths.size(); ++i) s << (i ? "," : "") << widths[i];
  return s.str();
}

MlpArch parse_arch(const std::string& text, const std::string& what) {
  const std::string prefix = "mlp:";
  if (text.rfind(prefix, 0) != 0)
    throw InputError(what + ": '" + text + "' is not an architecture (expected mlp:IN,HIDDEN...,CLASSES)");
  MlpArch arch;
  std::stringstream ss(text.substr(prefix.size()));
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
      throw InputError(what + ": width '" + item + "' in '" + text + "' is not a positive integer");
    arch.widths.push_back(static_cast<int>(v));
  }
  if (arch.widths.size() < 2)
    throw InputError(what + ": '" + text + "' needs at least an input and an output width");
  if (arch.classes() < 2)
    throw InputError(what + ": '" + text + "' needs at least 2 output classes");
  return arch;
}

ParamLayout::ParamLayout(const MlpArch& arch) {
  size_t off = 0;
  for (int l = 0; l < arch.num_layers(); ++l) {
    weight_offset.push_back(off);
    off += static_cast<size_t>(arch.widths[l]) * arch.widths[l + 1];
    bias_offset.push_back(off);
    off += arch.widths[l + 1];
  }
  total = off;
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
  }
  return m;
}

double mlp_loss_grad_f64(const MlpArch& arch, const std::vector<double>& params,
                         const std::vector<double>& x, const std::vector<int>& labels,
                         std::vector<double>* grad, std::vector<double>* logits) {
  const ParamLayout lay(arch);
  const int L = arch.num_layers();
  const size_t n = labels.size();
  // acts[l]: input of layer l (acts[0] = x), post-ReLU for l ≥ 1.
  std::vector<std::vector<double>> acts(L + 1);
  acts[0] = x;
  for (int l = 0; l < L; ++l) {
    const int in = arch.widths[l], out = arch.widths[l + 1];
    const double* W = params.data() + lay.weight_offset[l];
    const double* b = params.data() + lay.bias_offset[l];
    auto& z = acts[l + 1];
    z.assign(n * out, 0.0);
    for (size_t r = 0; r < n; ++r)
      for (int o = 0; o < out; ++o) {
        double s = b[o];
        for (int i = 0; i < in; ++i) s += acts[l][r * in + i] * W[static_cast<size_t>(o) * in + i];
        z[r * out + o] = (l + 1 < L && s < 0) ? 0.0 : s;
      }
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
    std::vector<double> delta = dz;  // dL/dz of the current layer
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
      std::vector<double> prev(n * in, 0.0);
      for (size_t r = 0; r < n; ++r)
        for (int i = 0; i < in; ++i) {
          if (!(acts[l][r * in + i] > 0)) continue;  // ReLU derivative
          double s = 0;
          for (int o = 0; o < out; ++o) s += delta[r * out + o] * W[static_cast<size_t>(o) * in + i];
          prev[r * in + i] = s;
        }
      delta.swap(prev);
    }
  }
  return total / n;
}

}  // namespace ridgeline
