// The transformer's permutation symmetries and its function check (transformer_symmetry.h).
#include "ridgeline/models/transformer/transformer_symmetry.h"

#include <algorithm>
#include <cmath>

#include "ridgeline/core/backend.h"
#include "ridgeline/core/errors.h"
#include "transformer_compute.h"
#include "transformer_layout.h"

namespace ridgeline {

PermutationSpec transformer_permutation_spec(const TransformerArch& a) {
  const TransformerLayout lay(a);
  const int d = a.d, H = a.heads, dh = a.head_dim(), ff = a.ff;
  PermutationSpec s;
  const int R = s.add_permutation("residual", d);
  auto grouped = [](std::string name, size_t off, std::vector<int> shape, std::vector<int> perm,
                    std::vector<int> group) {
    ParamBlock b;
    b.name = std::move(name);
    b.offset = off;
    b.shape = std::move(shape);
    b.axis_perm = std::move(perm);
    b.axis_group = std::move(group);
    return b;
  };
  if (a.is_image()) {
    s.blocks.push_back(matrix_block("patch_embed.weight", lay.patch_w, d, a.patch * a.patch, R, -1));
    s.blocks.push_back(vector_block("patch_embed.bias", lay.patch_b, d, R));
    if (a.cls_token) s.blocks.push_back(matrix_block("cls_token", lay.cls, 1, d, -1, R));
  } else {
    s.blocks.push_back(matrix_block("tok_embed.weight", lay.embed, a.vocab, d, -1, R));
  }
  s.blocks.push_back(matrix_block("pos_embed", lay.pos, a.tokens(), d, -1, R));
  for (int l = 0; l < a.layers; ++l) {
    const TransformerBlockOffsets& b = lay.blocks[l];
    const std::string p = "blocks." + std::to_string(l) + ".";
    const int heads = H > 1 ? s.add_permutation("block" + std::to_string(l) + ".heads", H) : -1;
    const int mlp = s.add_permutation("block" + std::to_string(l) + ".mlp", ff);
    s.blocks.push_back(vector_block(p + "ln1.weight", b.ln1_w, d, R));
    s.blocks.push_back(vector_block(p + "ln1.bias", b.ln1_b, d, R));
    // qkv.weight [3d, d] read as [3, d, d]: Q, K and V rows of a head move as one group.
    s.blocks.push_back(grouped(p + "attn.qkv.weight", b.qkv_w, {3, d, d}, {-1, heads, R}, {1, dh, 1}));
    s.blocks.push_back(grouped(p + "attn.qkv.bias", b.qkv_b, {3, d}, {-1, heads}, {1, dh}));
    if (lay.variant_params > 0 && !b.variant.empty())  // per head, contiguous: [H, params]
      s.blocks.push_back(grouped(p + "attn.variant", b.variant[0], {H, lay.variant_params},
                                 {heads, -1}, {1, 1}));
    s.blocks.push_back(grouped(p + "attn.proj.weight", b.proj_w, {d, d}, {R, heads}, {1, dh}));
    s.blocks.push_back(vector_block(p + "attn.proj.bias", b.proj_b, d, R));
    s.blocks.push_back(vector_block(p + "ln2.weight", b.ln2_w, d, R));
    s.blocks.push_back(vector_block(p + "ln2.bias", b.ln2_b, d, R));
    s.blocks.push_back(matrix_block(p + "mlp.fc1.weight", b.fc1_w, ff, d, mlp, R));
    s.blocks.push_back(vector_block(p + "mlp.fc1.bias", b.fc1_b, ff, mlp));
    s.blocks.push_back(matrix_block(p + "mlp.fc2.weight", b.fc2_w, d, ff, R, mlp));
    s.blocks.push_back(vector_block(p + "mlp.fc2.bias", b.fc2_b, d, R));
  }
  s.blocks.push_back(vector_block("ln_f.weight", lay.lnf_w, d, R));
  s.blocks.push_back(vector_block("ln_f.bias", lay.lnf_b, d, R));
  if (!a.tied) s.blocks.push_back(matrix_block("head.weight", lay.head_w, a.outputs(), d, -1, R));
  s.num_params = lay.total;
  s.validate();
  return s;
}

std::vector<float> transformer_logits(const Model& model, const std::vector<float>& x, int rows) {
  const TransformerArch* a = model.arch ? as_transformer_arch(*model.arch) : nullptr;
  if (!a) throw InputError("transformer logits: the model is not a transformer");
  if (model.params.size() != model.arch->num_params())
    throw InputError("transformer logits: " + std::to_string(model.params.size()) +
                     " parameters do not fit " + a->to_string());
  if (rows < 1 || x.size() < static_cast<size_t>(rows) * a->inputs())
    throw InputError("transformer logits: " + std::to_string(x.size()) + " input values for " +
                     std::to_string(rows) + " examples of " + std::to_string(a->inputs()));
  auto be = make_backend("cpu", host_threads());  // the caller's thread count, not all cores
  TransformerCompute net(*be, *a, rows);
  net.forward(model.params.data(), x.data(), rows, {});
  return net.logits(model.params.data(), rows);
}

double transformer_max_logit_difference(const Model& a, const Model& b, const Dataset& data,
                                        int samples, double* max_abs_logit) {
  if (!a.arch || !b.arch) throw InputError("function check: a model has no architecture");
  check_same_shape(*a.arch, *b.arch, "function check");
  a.arch->check_fits(data, "function check: model");
  const int rows = std::min(std::max(samples, 1), data.n);
  if (rows < 1) throw InputError("function check: " + data.name + " has no samples");
  double diff = 0, top = 0;
  const int chunk = 64;  // examples per forward: bounded memory for long sequences
  for (int start = 0; start < rows; start += chunk) {
    const int n = std::min(chunk, rows - start);
    const auto first = data.x.begin() + static_cast<ptrdiff_t>(start) * data.dim;
    const std::vector<float> x(first, first + static_cast<ptrdiff_t>(n) * data.dim);
    const std::vector<float> la = transformer_logits(a, x, n), lb = transformer_logits(b, x, n);
    for (size_t i = 0; i < la.size(); ++i) {
      const double dv = std::fabs(static_cast<double>(la[i]) - lb[i]);
      diff = std::isnan(dv) ? dv : std::max(diff, dv);
      top = std::max(top, std::fabs(static_cast<double>(la[i])));
      if (std::isnan(diff)) break;
    }
  }
  if (max_abs_logit) *max_abs_logit = top;
  return diff;
}

}  // namespace ridgeline
