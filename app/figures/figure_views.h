#pragma once
/// @file figure_views.h
/// The paper figure of every view (docs/ARCHITECTURE.md, "Paper figures"): the one table from
/// view names to figure builders that `ridgeline figure` and File ▸ Export figure… share. Each
/// step kind's view carries its figure: a kind adds its builder as one entry of
/// figure_views(). Builders read engine result structs (load_run's RunSummary and the resolved
/// spec) and never compute an analysis: barriers come from the results.
#include <functional>
#include <string>
#include <vector>

#include "ridgeline/experiment/run.h"
#include "ridgeline/experiment/spec.h"
#include "ridgeline/experiment/study.h"
#include "widgets/figure/figure.h"

namespace ridgeline::figures {

/// A run (and, for "compare", a second one) as load_run gives it.
struct FigureInput {
  const RunSummary* run = nullptr;
  const ExperimentSpec* spec = nullptr;
  std::string label;  ///< how the figure names the run ("A" in compare): its folder name
  const RunSummary* other = nullptr;
  const ExperimentSpec* other_spec = nullptr;
  std::string other_label;
  /// A study folder's aggregate (the "study" view; run and spec are null then).
  const StudyAggregate* study = nullptr;
  /// The study view's band around each mean: "auto" (± std where n ≥ 3, else min–max), "std"
  /// (± std; none where n < 2) or "minmax".
  std::string band = "auto";
  /// The study view's x variable (--x; empty: the first varying swept variable) and the cells
  /// it draws (--where "key=value[,key=value]"; empty: all).
  std::string x_key = "";
  std::string where = "";
  /// The spectra view's weight matrix (--layer; empty: the first).
  std::string layer = "";
};

/// One entry of the table: a view name (or a prefix such as "paths:" followed by a step id),
/// the names of it this run can draw, and its builder.
struct FigureView {
  std::string name;    ///< "training", "alignment", "paths:", "all-paths", "compare"
  /// The step type whose results it draws ("train", "align", "interpolate"); "study" for the
  /// view of a study folder (only it is asked about a study input).
  std::string type;
  std::string about;   ///< one line for --help
  std::string needs;   ///< what a run lacks when names() is empty ("two or more paths")
  /// The full view names the input can draw (empty: none).
  std::function<std::vector<std::string>(const FigureInput&)> names;
  /// Builds the figure of `view` (a name from names()). Throws InputError when it cannot.
  std::function<figure::Figure(const FigureInput&, const std::string& view)> build;
};

/// Every view's figure, in the order --help lists them.
const std::vector<FigureView>& figure_views();

/// The view names the input can draw, in table order ("compare" only with a second run).
std::vector<std::string> available_views(const FigureInput& in);

/// The figure of `view`. Throws InputError naming the views this run can draw when `view` is
/// not one of them ("--view x: unknown view; this run can draw: training, paths:naive, ...").
figure::Figure build_figure(const FigureInput& in, const std::string& view);

// One builder per step kind's view (app/figures/<kind>_figure.cpp).
FigureView training_figure_view();
FigureView alignment_figure_view();
FigureView path_figure_view();
FigureView all_paths_figure_view();
FigureView compare_figure_view();
FigureView study_figure_view();
FigureView landscape_figure_view();
FigureView layerwise_figure_view();
FigureView spectra_figure_view();
FigureView esd_figure_view();
FigureView hessian_figure_view();
FigureView hessian_layers_figure_view();
FigureView attention_figure_view();

}  // namespace ridgeline::figures
