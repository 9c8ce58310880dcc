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

// G[i][j] += a_{ra+i}·b_{rb+j} over the rows of two [rows × cols] row-major blocks (i, j < n).
void add_pair_gains(const float* a, const float* b, size_t ra, size_t rb, int n, int cols,
                    std::vector<double>& g) {
  for (int i = 0; i < n; ++i) {
    const float* ai = a + (ra + i) * static_cast<size_t>(cols);
    for (int j = 0; j < n; ++j) {
      const float* bj = b + (rb + j) * static_cast<size_t>(cols);
      double s = 0;
      for (int c = 0; c < cols; ++c) s += static_cast<double>(ai[c]) * bj[c];
      g[static_cast<size_t>(i) * n + j] += s;
    }
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

// B with the heads of every layer permuted as whole heads: head h of the result is B's head
// heads[l][h] (its query, key and value rows with their biases, the projection's columns that
// read it, its variant parameters), as the permutation spec's "block<l>.heads" moves them.
std::vector<float> move_heads(const TransformerArch& t, const TransformerLayout& lay,
                              const std::vector<float>& src, const std::vector<Permutation>& heads) {
  const int d = t.d, dh = t.head_dim(), H = t.heads, P = lay.variant_params;
  std::vector<float> dst = src;
  for (int l = 0; l < t.layers; ++l) {
    const TransformerBlockOffsets& b = lay.blocks[static_cast<size_t>(l)];
    const Permutation& pi = heads[static_cast<size_t>(l)];
    for (int h = 0; h < H; ++h) {
      const size_t to = static_cast<size_t>(h) * dh, from = static_cast<size_t>(pi[static_cast<size_t>(h)]) * dh;
      for (int part = 0; part < 3; ++part)  // Q, K, V
        for (int i = 0; i < dh; ++i) {
          const size_t rt = static_cast<size_t>(part) * d + to + i, rf = static_cast<size_t>(part) * d + from + i;
          std::copy_n(src.begin() + b.qkv_w + rf * d, d, dst.begin() + b.qkv_w + rt * d);
          dst[b.qkv_b + rt] = src[b.qkv_b + rf];
        }
      for (int r = 0; r < d; ++r)
        for (int i = 0; i < dh; ++i)
          dst[b.proj_w + static_cast<size_t>(r) * d + to + i] = src[b.proj_w + static_cast<size_t>(r) * d + from + i];
      if (P > 0)
        std::copy_n(src.begin() + b.variant[static_cast<size_t>(pi[static_cast<size_t>(h)])], P,
                    dst.begin() + b.variant[static_cast<size_t>(h)]);
    }
  }
  return dst;
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
  // The gain matrices of A's head ha against B's head hb (the rows and columns each
  // permutation moves; d_head × d_head each).
  auto qk_gain = [&](const TransformerBlockOffsets& o, int ha, int hb) {
    std::vector<double> g(static_cast<size_t>(dh) * dh, 0.0);
    const size_t ra = static_cast<size_t>(ha) * dh, rb = static_cast<size_t>(hb) * dh;
    for (size_t part : {size_t{0}, static_cast<size_t>(d)}) {  // W_Q, W_K rows and biases
      add_pair_gains(pa + o.qkv_w, pb + o.qkv_w, part + ra, part + rb, dh, d, g);
      add_pair_gains(pa + o.qkv_b, pb + o.qkv_b, part + ra, part + rb, dh, 1, g);
    }
    return g;
  };
  auto vo_gain = [&](const TransformerBlockOffsets& o, int ha, int hb) {
    std::vector<double> g(static_cast<size_t>(dh) * dh, 0.0);
    const size_t ra = static_cast<size_t>(ha) * dh, rb = static_cast<size_t>(hb) * dh;
    const size_t v0 = 2 * static_cast<size_t>(d);
    add_pair_gains(pa + o.qkv_w, pb + o.qkv_w, v0 + ra, v0 + rb, dh, d, g);  // W_V
    add_pair_gains(pa + o.qkv_b, pb + o.qkv_b, v0 + ra, v0 + rb, dh, 1, g);
    for (int row = 0; row < d; ++row)  // W_O's columns
      for (int i = 0; i < dh; ++i)
        for (int j = 0; j < dh; ++j)
          g[static_cast<size_t>(i) * dh + j] +=
              static_cast<double>(pa[o.proj_w + static_cast<size_t>(row) * d + ra + i]) *
              pb[o.proj_w + static_cast<size_t>(row) * d + rb + j];
    return g;
  };
  struct Match {
    Permutation p;
    double trace = 0, best = 0;
  };
  // The best permutation of one gain matrix; the identity unless it gains (ties and rounding
  // leave B as it is). `permute` false: the identity (query/key dimensions a variant forbids).
  auto match = [&](const std::vector<double>& g, bool permute) {
    Match m;
    m.p.resize(static_cast<size_t>(dh));
    for (int i = 0; i < dh; ++i) m.trace += g[static_cast<size_t>(i) * dh + i];
    m.best = m.trace;
    for (int i = 0; i < dh; ++i) m.p[static_cast<size_t>(i)] = i;
    if (!permute) return m;
    const AssignmentResult a = solve_assignment(g, dh, true);
    if (a.objective > m.trace + 1e-12 * std::max(1.0, std::abs(m.trace))) {
      m.best = a.objective;
      m.p = a.col_for_row;
    }
    return m;
  };
  const bool qk_ok = r.qk_skipped.empty();
  std::vector<Permutation> heads;
  for (int l = 0; l < ta.layers; ++l) {
    const TransformerBlockOffsets& o = lay.blocks[static_cast<size_t>(l)];
    // Whole heads again, on a cost their inner permutations cannot change: for each pair, the
    // best gain over σ and τ (Theus et al. 2025 pair heads by their QK and OV products, which
    // are invariant too). Keeps the method's pairing unless this one gains.
    std::vector<std::vector<Match>> qk(H), vo(H);
    std::vector<double> cost(static_cast<size_t>(H) * H);
    for (int ha = 0; ha < H; ++ha)
      for (int hb = 0; hb < H; ++hb) {
        qk[ha].push_back(match(qk_gain(o, ha, hb), qk_ok));
        vo[ha].push_back(match(vo_gain(o, ha, hb), true));
        cost[static_cast<size_t>(ha) * H + hb] = qk[ha][hb].best + vo[ha][hb].best;
      }
    Permutation pi(static_cast<size_t>(H));
    double keep = 0;
    for (int h = 0; h < H; ++h) {
      pi[static_cast<size_t>(h)] = h;
      keep += cost[static_cast<size_t>(h) * H + h];
    }
    if (H > 1) {
      const AssignmentResult a = solve_assignment(cost, H, true);
      if (a.objective > keep + 1e-12 * std::max(1.0, std::abs(keep))) pi = a.col_for_row;
    }
    for (int h = 0; h < H; ++h) {
      const int from = pi[static_cast<size_t>(h)];
      r.heads_moved += from != h;
      const Match& q = qk[h][from];
      const Match& v = vo[h][from];
      // Gains at the method's pairing with the identity inside, and after.
      r.qk_before += qk[h][h].trace;
      r.vo_before += vo[h][h].trace;
      r.qk_after += q.best;
      r.vo_after += v.best;
      bool qmoved = false, vmoved = false;
      for (int i = 0; i < dh; ++i) {
        qmoved |= q.p[static_cast<size_t>(i)] != i;
        vmoved |= v.p[static_cast<size_t>(i)] != i;
      }
      r.qk_moved += qmoved;
      r.vo_moved += vmoved;
      r.qk.push_back(q.p);
      r.vo.push_back(v.p);
    }
    heads.push_back(pi);
  }
  Model moved = b;
  moved.params = move_heads(ta, lay, b.params, heads);
  r.head_perms = heads;
  r.aligned = apply_within_heads(moved, qk_ok ? r.qk : std::vector<Permutation>{}, r.vo);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace ridgeline
