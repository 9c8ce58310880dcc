// The MLP's permutation symmetry and its function check (mlp_symmetry.h).
#include "ridgeline/models/mlp/mlp_symmetry.h"

#include <algorithm>
#include <cmath>

#include "ridgeline/core/errors.h"
#include "ridgeline/models/mlp/mlp_compute.h"

namespace ridgeline {

PermutationSpec mlp_permutation_spec(const MlpArch& arch) {
  PermutationSpec spec;
  const ParamLayout lay(arch);
  const int L = arch.num_layers();
  for (int l = 0; l + 1 < L; ++l) spec.add_permutation("P" + std::to_string(l), arch.widths[l + 1]);
  auto name = [&](int l, const char* what) {
    const std::string prefix =
        l < static_cast<int>(arch.layer_names.size()) ? arch.layer_names[l] : "fc" + std::to_string(l);
    return prefix + "." + what;
  };
  for (int l = 0; l < L; ++l) {
    const int out = arch.widths[l + 1], in = arch.widths[l];
    const int row_perm = l + 1 < L ? l : -1;  // the output layer's units are the classes
    const int col_perm = l > 0 ? l - 1 : -1;  // the input layer's columns are the pixels
    spec.blocks.push_back(matrix_block(name(l, "weight"), lay.weight_offset[l], out, in, row_perm, col_perm));
    spec.blocks.push_back(vector_block(name(l, "bias"), lay.bias_offset[l], out, row_perm));
    if (arch.layernorm && l + 1 < L) {
      const std::string ln = l < static_cast<int>(arch.norm_names.size()) ? arch.norm_names[l]
                                                                            : "ln" + std::to_string(l);
      spec.blocks.push_back(vector_block(ln + ".weight", lay.ln_weight_offset[l], out, row_perm));
      spec.blocks.push_back(vector_block(ln + ".bias", lay.ln_bias_offset[l], out, row_perm));
    }
  }
  spec.num_params = lay.total;
  return spec;
}

Mlp apply_permutations(const Mlp& model, const std::vector<Permutation>& perms) {
  Mlp out = model;
  out.params = apply_permutations(mlp_permutation_spec(model.arch), model.params, perms);
  return out;
}

double max_logit_difference(Backend& be, const Mlp& a, const Mlp& b, const Dataset& data,
                            int samples, double* max_abs_logit) {
  if (!a.arch.same_shape(b.arch)) throw InputError("function check: models differ in shape");
  const int n = std::max(1, std::min(samples, data.n));
  const int C = a.arch.classes();
  std::vector<float> la, lb;
  for (const Mlp* m : {&a, &b}) {
    MlpCompute net(be, m->arch, n);
    DeviceBuffer p(be, m->params.size()), x(be, static_cast<size_t>(n) * data.dim);
    be.upload(p.data(), m->params.data(), m->params.size());
    be.upload(x.data(), data.x.data(), static_cast<size_t>(n) * data.dim);
    net.forward(p.data(), x.data(), n);
    auto& dst = m == &a ? la : lb;
    dst.resize(static_cast<size_t>(n) * C);
    be.download(dst.data(), net.logits(), dst.size());
  }
  double worst = 0, biggest = 0;
  for (size_t i = 0; i < la.size(); ++i) {
    worst = std::max(worst, std::fabs(double(la[i]) - lb[i]));
    biggest = std::max(biggest, std::fabs(double(la[i])));
  }
  if (max_abs_logit) *max_abs_logit = biggest;
  return worst;
}

}  // namespace ridgeline
