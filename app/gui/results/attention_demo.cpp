// Attention maps of a variant on seeded random Q, K (attention_demo.h).
#include "gui/results/attention_demo.h"

#include <random>

#include "ridgeline/attention/attention.h"

namespace ridgeline::gui {

widgets::AttentionMaps random_input_maps(const std::string& variant, int n, int d, int layers, int heads,
                                         uint64_t seed, bool causal) {
  const auto v = attention::make_variant(variant, d);
  widgets::AttentionMaps m;
  m.title = QString::fromStdString(variant) + " on random Q, K (seed " + QString::number(seed) + "; not a trained model)";
  m.layers = layers;
  m.heads = heads;
  m.n = n;
  m.values.reserve(static_cast<size_t>(layers) * heads * n * n);
  for (int l = 0; l < layers; ++l)
    for (int h = 0; h < heads; ++h) {
      std::mt19937_64 rng(seed + static_cast<uint64_t>(l) * heads + h);
      std::normal_distribution<double> normal(0.0, 1.0);
      attention::MatrixD q(n, d), k(n, d);
      for (double& x : q.data) x = normal(rng);
      for (double& x : k.data) x = normal(rng);
      const attention::MatrixD a = v->materialise(q, k, causal);
      m.values.insert(m.values.end(), a.data.begin(), a.data.end());
    }
  for (int i = 0; i < n; ++i) m.tokens.push_back(QString("t%1").arg(i));
  return m;
}

}  // namespace ridgeline::gui
