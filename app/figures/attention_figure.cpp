// An attention step's figure ("attention:<id>"; docs/USER_GUIDE.md, "The attention lab"): the
// maps of the step's first model on its first kept test input, one panel per layer (the mean
// over the layer's heads) or, with ":layer=<l>", one per head of that layer, on one colour
// scale; query i is row i counted from the bottom (as matplotlib's imshow with
// origin="lower"), key j column j.
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

// One panel: an N×N field (row-major, query i row i) drawn as crisp cells.
figure::Panel map_panel(const std::vector<double>& m, int N, double lo, double hi,
                        std::string source, std::string x_title) {
  figure::Panel p;
  p.equal_aspect = true;
  p.field.label = "attention weight";
  p.field.min = lo;
  p.field.max = hi > lo ? hi : lo + 1;
  p.field.source = std::move(source);
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
    for (size_t ix = 0; ix < M; ++ix) p.field.z[iy * M + ix] = m[(iy / 2) * N + ix / 2];
  p.x.title = std::move(x_title);
  p.y.title = "query position";
  p.x.min = p.y.min = -0.5;
  p.x.max = p.y.max = N - 0.5;
  return p;
}

// "attention:<id>" (one panel per layer, the head mean) or "attention:<id>:layer=<l>" (one
// panel per head of layer l).
figure::Figure attention_figure(const FigureInput& in, const std::string& view) {
  std::string id = view.substr(std::string("attention:").size());
  int layer = -1;
  if (const size_t colon = id.rfind(":layer="); colon != std::string::npos) {
    const std::string n = id.substr(colon + 7);
    if (n.empty() || n.size() > 4 || n.find_first_not_of("0123456789") != std::string::npos)
      throw InputError("--view " + view + ": layer=" + n + " is not a layer number");
    layer = std::stoi(n);
    id = id.substr(0, colon);
  }
  for (const auto& [step, r] : attention_steps(in)) {
    if (step != id) continue;
    if (r->analyses.empty() || r->analyses.front().shown.empty())
      throw InputError("--view " + view + ": the step kept no maps (its 'show' is 0)");
    const AttentionAnalysis& a = r->analyses.front();
    const int N = a.tokens, H = a.heads;
    if (layer >= a.layers)
      throw InputError("--view " + view + ": the model has " + std::to_string(a.layers) +
                       " layer(s), 0 to " + std::to_string(a.layers - 1));
    figure::Figure fig;
    fig.view = view;
    const std::string source = "results/" + id + "." + r->models.front() + "-maps.npy [input " +
                               std::to_string(a.shown.front()) + ", layer ";
    auto map_of = [&](int l, int h) {
      return a.maps.begin() + static_cast<std::ptrdiff_t>((static_cast<size_t>(l) * H + h) * N * N);
    };
    if (layer >= 0) {  // every head of one layer, one colour range over them
      double lo = 0, hi = 0;
      for (int h = 0; h < H; ++h) {
        const auto m = map_of(layer, h);
        for (int i = 0; i < N * N; ++i) {
          lo = std::min(lo, static_cast<double>(m[i]));
          hi = std::max(hi, static_cast<double>(m[i]));
        }
      }
      for (int h = 0; h < H; ++h) {
        const std::vector<double> m(map_of(layer, h), map_of(layer, h) + N * N);
        fig.panels.push_back(map_panel(m, N, lo, hi,
                                       source + std::to_string(layer) + ", head " + std::to_string(h) + "]",
                                       "key (L" + std::to_string(layer) + " head " + std::to_string(h) + ")"));
      }
      return fig;
    }
    // The head means, and one colour range over every layer.
    std::vector<std::vector<double>> means(a.layers, std::vector<double>(static_cast<size_t>(N) * N, 0));
    double lo = 0, hi = 0;
    for (int l = 0; l < a.layers; ++l)
      for (int h = 0; h < H; ++h)
        for (int i = 0; i < N * N; ++i) {
          double& m = means[l][i];
          m += map_of(l, h)[i] / H;
          if (h == H - 1) {
            lo = std::min(lo, m);
            hi = std::max(hi, m);
          }
        }
    for (int l = 0; l < a.layers; ++l)
      // Short: two panels side by side in one 89 mm column must not run into each other.
      fig.panels.push_back(map_panel(means[l], N, lo, hi,
                                     source + std::to_string(l) + ", mean over heads]",
                                     "key (layer " + std::to_string(l) + (H > 1 ? ", head mean)" : ")")));
    return fig;
  }
  throw InputError("--view " + view + ": no attention step '" + id + "'");
}

}  // namespace

FigureView attention_figure_view() {
  return {"attention:",
          "attention",
          "attention:<step id>: the attention maps of the step's first model on its first kept "
          "test input, one panel per layer (mean over heads); attention:<step id>:layer=<l>: "
          "one panel per head of layer l",
          "an attention step",
          [](const FigureInput& in) {
            std::vector<std::string> names;
            for (const auto& [id, r] : attention_steps(in)) {
              names.push_back("attention:" + id);
              const int layers = r->analyses.empty() ? 0 : r->analyses.front().layers;
              for (int l = 0; l < layers; ++l)
                names.push_back("attention:" + id + ":layer=" + std::to_string(l));
            }
            return names;
          },
          attention_figure};
}

}  // namespace ridgeline::figures
