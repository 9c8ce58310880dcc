// The train stage's figure ("training"): loss and error per epoch of every trained model, one
// colour and marker per model, train dashed (the epoch's mean mini-batch value) and test solid
// (evaluated after the epoch).
#include <cmath>

#include "figures/figure_parts.h"
#include "figures/figure_views.h"
#include "ridgeline/core/errors.h"

namespace ridgeline::figures {

using namespace figure;

namespace {

Figure training_figure(const FigureInput& in, const std::string&) {
  const auto models = in.run->training();
  Panel loss, error;
  for (Panel* p : {&loss, &error}) {
    p->x.title = "epoch";
    p->x.integer = true;
  }
  loss.y.title = "loss";
  error.y.title = "error";
  error.y.percent = true;
  Figure f;
  bool any_test = false, any_train = false, any_error = false;
  size_t k = 0;
  for (const auto& [model, epochs] : models) {
    if (epochs.empty()) continue;
    std::vector<double> x, tl, te, vl, ve;
    for (const EpochMetrics& e : epochs) {
      x.push_back(e.epoch);
      tl.push_back(e.train_loss);
      te.push_back(e.train_error);
      // −1: not evaluated on the test split that epoch.
      vl.push_back(e.test_loss < 0 ? NAN : e.test_loss);
      ve.push_back(e.test_error < 0 ? NAN : e.test_error);
    }
    const std::string src = "results/train-" + model + ".json epochs[].";
    for (bool train : {false, true}) {
      const auto& l = train ? tl : vl;
      const auto& e = train ? te : ve;
      if (!detail::any_finite(l)) continue;
      (train ? any_train : any_test) = true;
      const std::string split = train ? "train" : "test";
      const Style style = detail::split_style(palette(k), marker_cycle(k), train);
      loss.series.push_back(detail::line(model + " " + split + " loss", src + split + "_loss", x, l, style));
      if (detail::any_finite(e)) {
        any_error = true;
        error.series.push_back(detail::line(model + " " + split + " error", src + split + "_error", x, e, style));
      }
    }
    f.legend.push_back({model, {palette(k), LineStyle::Solid, marker_cycle(k), false}});
    ++k;
  }
  if (k == 0) throw InputError("--view training: this run has no training records (reused checkpoints)");
  f.panels.push_back(loss);
  if (any_error) f.panels.push_back(error);
  for (auto& e : detail::split_legend(any_test, any_train)) f.legend.push_back(e);
  return f;
}

}  // namespace

FigureView training_figure_view() {
  return {"training", "train", "loss and error per epoch of every model, train dashed, test solid",
          "training records (a rerun that reused every checkpoint has none)",
          [](const FigureInput& in) {
            for (const auto& [model, epochs] : in.run->training())
              if (!epochs.empty()) return std::vector<std::string>{"training"};
            return std::vector<std::string>{};
          },
          training_figure};
}

}  // namespace ridgeline::figures
