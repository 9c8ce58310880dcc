// An attention step's figure ("attention:<id>"; docs/USER_GUIDE.md, "The attention lab"): the
// maps of the step's first model on its first kept test input, one panel per layer (the mean
// over the layer's heads), on one colour scale; query i is row i counted from the bottom (as
// matplotlib's imshow with origin="lower"), key j column j.
#include <algorithm>
#include <cmath>

#include "figures/figure_views.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/steps/attention_step.h"

namespace ridgeline::figures {

namespace {

std::vector<std::pair<std::string, const AttentionStepResult*>> attention_steps(
    const FigureInput& in) {
  std::vector<std::pair<std::string, const AttentionStepResult*>> out;
  if (!in.run) return out;
  for (const StepResult& r : in.run->results)
    if (const auto* a = r.as<AttentionStepResult>()) out.emplace_back(r.id, a);
  return out;
}

figure::Figure attention_figure(const FigureInput& in, const std::string& view) {
  const std::string id = view.substr(std::string("attention:").size());
  for (const auto& [step, r] : attention_steps(in)) {
    if (step != id) continue;
    if (r->analyses.empty() || r->analyses.front().shown.empty())
      throw InputError("--view " + view + ": the step kept no maps (its 'show' is 0)");
    const AttentionAnalysis& a = r->analyses.front();
    const int N = a.tokens, H = a.heads;
    figure::Figure fig;
    fig.view = view;
    // The head means, and one colour range over every layer.
    std::vector<std::vector<double>> means(a.layers, std::vector<double>(static_cast<size_t>(N) * N, 0));
    double lo = 0, hi = 0;
    for (int l = 0; l < a.layers; ++l)
      for (int h = 0; h < H; ++h)
        for (int i = 0; i < N * N; ++i) {
          double& m = means[l][i];
          m += a.maps[(static_cast<size_t>(l) * H + h) * N * N + i] / H;
          if (h == H - 1) {
            lo = std::min(lo, m);
            hi = std::max(hi, m);
          }
        }
    for (int l = 0; l < a.layers; ++l) {
      figure::Panel p;
      p.equal_aspect = true;
      p.field.label = "attention weight";
      p.field.min = lo;
      p.field.max = hi > lo ? hi : lo + 1;
      p.field.source = "results/" + id + "." + r->models.front() + "-maps.npy [input " +
                       std::to_string(a.shown.front()) + ", layer " + std::to_string(l) +
                       ", mean over heads]";
      // The contour map's field interpolates between nodes; an attention map is cells. Cell i
      // spans [i − ½, i + ½): two nodes per cell with the cell's value, the second a hair
      // before the next cell's first, so the picture is crisp cells, not a blur.
      const double eps = 1e-6;
      for (int j = 0; j < N; ++j) {
        p.field.xs.push_back(j - 0.5);
        p.field.xs.push_back(j + 0.5 - eps);
      }
      p.field.ys = p.field.xs;
      const size_t M = static_cast<size_t>(2 * N);
      p.field.z.resize(M * M);
      for (size_t iy = 0; iy < M; ++iy)
        for (size_t ix = 0; ix < M; ++ix)
          p.field.z[iy * M + ix] = means[l][(iy / 2) * N + ix / 2];
      // Short: two panels side by side in one 89 mm column must not run into each other.
      p.x.title = "key (layer " + std::to_string(l) + (H > 1 ? ", head mean)" : ")");
      p.y.title = "query position";
      p.x.min = p.y.min = -0.5;
      p.x.max = p.y.max = N - 0.5;
      fig.panels.push_back(std::move(p));
    }
    return fig;
  }
  throw InputError("--view " + view + ": no attention step '" + id + "'");
}

}  // namespace

FigureView attention_figure_view() {
  return {"attention:",
          "attention",
          "attention:<step id>: the attention maps of the step's first model on its first kept "
          "test input, one panel per layer (mean over heads)",
          "an attention step",
          [](const FigureInput& in) {
            std::vector<std::string> names;
            for (const auto& [id, r] : attention_steps(in)) names.push_back("attention:" + id);
            return names;
          },
          attention_figure};
}

}  // namespace ridgeline::figures
