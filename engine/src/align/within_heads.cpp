// Permutations inside attention heads (within_heads.h).
#include "ridgeline/align/within_heads.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "models/transformer/transformer_layout.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/symmetry/assignment.h"

namespace ridgeline {

namespace {

const TransformerArch& transformer_of(const Model& m, const char* which) {
  const TransformerArch* t = m.arch ? as_transformer_arch(*m.arch) : nullptr;
  if (!t)
    throw InputError(std::string("permutations within heads: model ") + which +
                     " is not a transformer" + (m.arch ? " (" + m.arch->to_string() + ")" : ""));
  if (m.params.size() != m.arch->num_params())
    throw InputError(std::string("permutations within heads: model ") + which + " has " +
                     std::to_string(m.params.size()) + " parameters, its architecture " +
                     std::to_string(m.arch->num_params()));
  return *t;
}

// Σ over the rows r0 + i (i < n) of two [rows × cols] row-major blocks: G[i][j] += a_i·b_j.
void add_row_gains(const float* a, const float* b, size_t r0, int n, int cols,
                   std::vector<double>& g) {
  for (int i = 0; i < n; ++i) {
    const float* ai = a + (r0 + i) * static_cast<size_t>(cols);
    for (int j = 0; j < n; ++j) {
      const float* bj = b + (r0 + j) * static_cast<size_t>(cols);
      double s = 0;
      for (int c = 0; c < cols; ++c) s += static_cast<double>(ai[c]) * bj[c];
      g[static_cast<size_t>(i) * n + j] += s;
    }
  }
}

// The same over columns c0 + i of [rows × cols] blocks.
void add_col_gains(const float* a, const float* b, size_t c0, int n, int rows, int cols,
                   std::vector<double>& g) {
  for (int r = 0; r < rows; ++r) {
    const float* ar = a + static_cast<size_t>(r) * cols + c0;
    const float* br = b + static_cast<size_t>(r) * cols + c0;
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) g[static_cast<size_t>(i) * n + j] += static_cast<double>(ar[i]) * br[j];
  }
}

void check_permutation(const Permutation& p, int n, const std::string& what) {
  if (static_cast<int>(p.size()) != n)
    throw InputError(what + ": " + std::to_string(p.size()) + " entries, the head has " +
                     std::to_string(n) + " dimensions");
  std::vector<char> seen(static_cast<size_t>(n), 0);
  for (int v : p) {
    if (v < 0 || v >= n || seen[static_cast<size_t>(v)])
      throw InputError(what + ": not a permutation of 0.." + std::to_string(n - 1));
    seen[static_cast<size_t>(v)] = 1;
  }
}

}  // namespace

std::string within_heads_qk_unsupported(const TransformerArch& arch) {
  static const std::set<std::string> kInvariant = {"softmax",     "linear_elu", "linear_relu",
                                                   "cosformer",   "transnormer", "inline"};
  if (kInvariant.count(arch.attention)) return {};
  return "attention '" + arch.attention +
         "' does not compare queries and keys through q·k or an elementwise map (Performer's "
         "random features, FLatten's and Hedgehog's learned per-dimension parameters), so its "
         "query/key dimensions are not permuted; value/output dimensions are";
}

Model apply_within_heads(const Model& m, const std::vector<Permutation>& qk,
                         const std::vector<Permutation>& vo) {
  const TransformerArch& t = transformer_of(m, "to permute");
  const TransformerLayout lay(t);
  const int d = t.d, dh = t.head_dim(), H = t.heads, n = t.layers * H;
  for (const auto* list : {&qk, &vo})
    if (!list->empty() && static_cast<int>(list->size()) != n)
      throw InputError("permutations within heads: " + std::to_string(list->size()) +
                       " permutations for " + std::to_string(n) + " heads");
  Model out = m;
  const std::vector<float>& src = m.params;
  std::vector<float>& dst = out.params;
  for (int l = 0; l < t.layers; ++l) {
    const TransformerBlockOffsets& b = lay.blocks[static_cast<size_t>(l)];
    for (int h = 0; h < H; ++h) {
      const size_t k = static_cast<size_t>(l) * H + h;
      const size_t base = static_cast<size_t>(h) * dh;
      auto move_rows = [&](const Permutation& p, size_t block_row0) {
        for (int i = 0; i < dh; ++i) {
          const size_t to = block_row0 + base + i, from = block_row0 + base + p[static_cast<size_t>(i)];
          std::copy_n(src.begin() + b.qkv_w + from * d, d, dst.begin() + b.qkv_w + to * d);
          dst[b.qkv_b + to] = src[b.qkv_b + from];
        }
      };
      if (!qk.empty()) {
        check_permutation(qk[k], dh, "block " + std::to_string(l) + " head " + std::to_string(h) + " query/key");
        move_rows(qk[k], 0);
        move_rows(qk[k], static_cast<size_t>(d));
      }
      if (!vo.empty()) {
        const Permutation& p = vo[k];
        check_permutation(p, dh, "block " + std::to_string(l) + " head " + std::to_string(h) + " value/output");
        move_rows(p, 2 * static_cast<size_t>(d));
        for (int r = 0; r < d; ++r)
          for (int i = 0; i < dh; ++i)
            dst[b.proj_w + static_cast<size_t>(r) * d + base + i] =
                src[b.proj_w + static_cast<size_t>(r) * d + base + p[static_cast<size_t>(i)]];
      }
    }
  }
  return out;
}

WithinHeadsResult align_within_heads(const Model& a, const Model& b) {
  const auto t0 = std::chrono::steady_clock::now();
  const TransformerArch& ta = transformer_of(a, "A");
  const TransformerArch& tb = transformer_of(b, "B");
  if (!(ta == tb))
    throw InputError("permutations within heads: the models differ (" + ta.to_string() + " and " +
                     tb.to_string() + ")");
  const TransformerLayout lay(ta);
  const int d = ta.d, dh = ta.head_dim(), H = ta.heads;
  WithinHeadsResult r;
  r.heads = ta.layers * H;
  r.qk_skipped = within_heads_qk_unsupported(ta);
  const float* pa = a.params.data();
  const float* pb = b.params.data();
  auto solve = [&](const std::vector<double>& g, double& before, double& after, int& moved) {
    double trace = 0;
    for (int i = 0; i < dh; ++i) trace += g[static_cast<size_t>(i) * dh + i];
    const AssignmentResult s = solve_assignment(g, dh, true);
    // Keep the identity unless the assignment gains (ties and rounding leave B as it is).
    const bool gain = s.objective > trace + 1e-12 * std::max(1.0, std::abs(trace));
    Permutation p(static_cast<size_t>(dh));
    for (int i = 0; i < dh; ++i) p[static_cast<size_t>(i)] = gain ? s.col_for_row[static_cast<size_t>(i)] : i;
    before += trace;
    after += gain ? s.objective : trace;
    moved += gain;
    return p;
  };
  for (int l = 0; l < ta.layers; ++l) {
    const TransformerBlockOffsets& o = lay.blocks[static_cast<size_t>(l)];
    for (int h = 0; h < H; ++h) {
      const size_t base = static_cast<size_t>(h) * dh;
      std::vector<double> g(static_cast<size_t>(dh) * dh, 0.0);
      if (r.qk_skipped.empty()) {
        add_row_gains(pa + o.qkv_w, pb + o.qkv_w, base, dh, d, g);                       // W_Q
        add_row_gains(pa + o.qkv_w, pb + o.qkv_w, static_cast<size_t>(d) + base, dh, d, g);  // W_K
        add_row_gains(pa + o.qkv_b, pb + o.qkv_b, base, dh, 1, g);
        add_row_gains(pa + o.qkv_b, pb + o.qkv_b, static_cast<size_t>(d) + base, dh, 1, g);
        r.qk.push_back(solve(g, r.qk_before, r.qk_after, r.qk_moved));
      } else {
        Permutation id(static_cast<size_t>(dh));
        for (int i = 0; i < dh; ++i) id[static_cast<size_t>(i)] = i;
        r.qk.push_back(id);
      }
      std::fill(g.begin(), g.end(), 0.0);
      add_row_gains(pa + o.qkv_w, pb + o.qkv_w, 2 * static_cast<size_t>(d) + base, dh, d, g);  // W_V
      add_row_gains(pa + o.qkv_b, pb + o.qkv_b, 2 * static_cast<size_t>(d) + base, dh, 1, g);
      add_col_gains(pa + o.proj_w, pb + o.proj_w, base, dh, d, d, g);  // W_O's columns
      r.vo.push_back(solve(g, r.vo_before, r.vo_after, r.vo_moved));
    }
  }
  r.aligned = apply_within_heads(b, r.qk_skipped.empty() ? r.qk : std::vector<Permutation>{}, r.vo);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace ridgeline
