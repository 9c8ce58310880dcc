#pragma once
/// @file barrier_predictions.h
/// The second-order barrier predictions of a hessian report set side by side with the measured
/// barriers, per selection (the whole model, each layer), and joined onto a layerwise result
/// (docs/USER_GUIDE.md, "Curvature"). Pure functions over result structs: they pick and match
/// numbers the analyses computed, and compute nothing new beyond ratios.
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "ridgeline/curvature/hessian_report.h"
#include "ridgeline/paths/layerwise.h"

namespace ridgeline {

/// One selection's path: its measured barrier and the two second-order forms, on the Hessian
/// batch. The comparison is at α = ½, the one point where all three are defined (the endpoint
/// form predicts only b(½)); the largest b(α) of the measured curve and of the midpoint form
/// (over the path's α, endpoints included, so never below 0) come with it.
struct BarrierComparison {
  std::string selection;  ///< "" = the whole model
  size_t size = 0;        ///< parameters in the selection
  double delta_norm = 0;  ///< ‖Δ‖ over the selection
  /// b(½) measured, by the midpoint form −½·¼·ΔᵀH(θ(½))Δ and by the endpoint form; the first
  /// two are NaN when α = ½ is not on the path's grid (an even path_points).
  double measured_half = NAN, midpoint_half = NAN, endpoint_half = NAN;
  double measured_max = 0, measured_alpha = 0;    ///< PathCurvature::measured_max and its α
  double predicted_max = 0, predicted_alpha = 0;  ///< PathCurvature::predicted_max and its α
};

/// One comparison per path of `r`, in the report's order (the whole model first when present).
std::vector<BarrierComparison> barrier_comparisons(const HessianReport& r);

/// True when `r` followed its path per layer or per block (a path with a non-empty selection).
bool has_selection_paths(const HessianReport& r);

/// predicted / measured, or NaN when it says nothing: measured is (nearly) zero — |measured|
/// ≤ 1e-9·max(1, |predicted|) — or either is not finite. A ratio of 1 is an exact prediction;
/// a negative one means the prediction has the wrong sign.
double prediction_ratio(double predicted, double measured);

/// The midpoint-form predictions of a hessian step joined onto a layerwise result: per layer of
/// the layerwise result, the largest b(α) of the midpoint form along the same partial path (that
/// layer moves, the others stay at A) — the quantity the layerwise bars measure (the linear-form
/// barrier, largest over α) — but on the Hessian's batch, not the layerwise split.
struct LayerwisePredictions {
  std::string step;   ///< the hessian step's id
  std::string batch;  ///< its batch's name
  int rows = 0;       ///< samples in its batch
  /// One per layer of the layerwise result, in its order; NaN where the report has no path of
  /// that layer.
  std::vector<std::string> layers;
  std::vector<double> predicted, predicted_alpha;
  /// The whole model's midpoint-form barrier (NaN when the report has no whole-model path).
  double whole = NAN, whole_alpha = NAN;
  bool empty() const { return step.empty(); }
};

/// The first hessian result (of `hessians`: step id and report, in run order) whose model is
/// `lw.a`, whose path_to is `lw.b` and which holds at least one layer path matching a layer of
/// `lw`; an empty LayerwisePredictions when there is none.
LayerwisePredictions layerwise_predictions(
    const LayerwiseResult& lw,
    const std::vector<std::pair<std::string, const HessianReport*>>& hessians);

}  // namespace ridgeline
