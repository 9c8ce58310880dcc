#pragma once
/// @file repair.h
/// REPAIR (Jordan et al. 2022, arXiv 2211.08403): interpolated networks suffer variance
/// collapse; rescale every hidden unit of θ(α) = (1−α)θ_A + αθ_B so that the mean and std of
/// its Linear output on data equal the interpolation of the endpoints' statistics,
///   μ_t = (1−α)μ_A + αμ_B,  σ_t = (1−α)σ_A + ασ_B,
/// and fold the affine correction into the Linear layer: W_row ← W_row·σ_t/σ,
/// b ← (b − μ)·σ_t/σ + μ_t. Layers are corrected in order, each measured after the
/// corrections of the layers before it.
///
/// For LayerNorm nets ("+ln") REPAIR is defined the same way on the Linear output (the
/// LayerNorm's input); the LayerNorm, with the interpolated γ(α), β(α), then renormalises
/// each row, so the correction acts through the relative scale and offset of the units.
///
/// Transformers: every block's MLP is a hidden layer, its units fc1's outputs measured over
/// every token position; the correction is folded into fc1 the same way, blocks in order.
/// Attention, LayerNorm and the residual stream stay as interpolated (REPAIR's paper corrects
/// the hidden units of convolutional and MLP layers only).
#include <string>
#include <vector>

#include "ridgeline/align/activation_matching.h"
#include "ridgeline/core/backend.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/paths/interpolation.h"
#include "ridgeline/models/mlp/mlp.h"
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/core/progress.h"

namespace ridgeline {

struct RepairConfig {
  int samples = 5000;  ///< first N rows of the data (0 = all)
  int batch = 1000;    ///< rows per backend pass
};

/// Linear-output statistics of both endpoints on the same rows (unit_statistics of each).
/// MLPs and transformers (each block's MLP is a hidden layer: fc1's outputs over every token
/// position); throws InputError naming "REPAIR statistics" for another kind.
struct RepairStatistics {
  UnitStatistics a, b;
};

/// Why REPAIR cannot act on this architecture ("" for MLPs and transformers).
std::string repair_unsupported(const ModelArch& arch);

RepairStatistics repair_statistics(Backend& backend, const Model& a, const Model& b,
                                   const Dataset& data, const RepairConfig& cfg = {},
                                   const CancelToken* cancel = nullptr);

/// θ(α) = θ_A + α(θ_B − θ_A) in float, as the plain interpolation path computes it; θ_B
/// exactly at α = 1.
Mlp interpolate_params(const Mlp& a, const Mlp& b, double alpha);

/// The REPAIRed θ(α), statistics of the interpolated net measured on the first cfg.samples
/// rows of `data`. At α = 0 and α = 1 (where REPAIR is the identity up to float rounding)
/// returns the endpoints exactly. Throws InputError on mismatched models or data.
Mlp repair_interpolated(Backend& backend, const Mlp& a, const Mlp& b, double alpha,
                        const Dataset& data, const RepairConfig& cfg = {},
                        const CancelToken* cancel = nullptr);

/// Same with the endpoint statistics precomputed (repair_statistics on the same data and
/// cfg), so a path evaluation measures the endpoints once.
Mlp repair_interpolated(Backend& backend, const Mlp& a, const Mlp& b, double alpha,
                        const Dataset& data, const RepairConfig& cfg,
                        const RepairStatistics& endpoints, const CancelToken* cancel = nullptr);

/// The REPAIRed θ(α) of any model REPAIR acts on (MLPs, transformers), endpoint statistics
/// measured here on the same rows.
std::vector<float> repair_interpolated_params(Backend& backend, const Model& a, const Model& b,
                                              double alpha, const Dataset& data,
                                              const RepairConfig& cfg = {},
                                              const CancelToken* cancel = nullptr);

/// The REPAIR targets at α per hidden layer and unit: μ_t and σ_t of the Linear output.
void repair_targets(const RepairStatistics& endpoints, double alpha,
                    std::vector<std::vector<double>>& mean, std::vector<std::vector<double>>& std);

/// Loss and error along the REPAIRed path: every α of alpha_grid(cfg.points) repaired with
/// statistics from data.train (rcfg), then all α evaluated together on the requested splits
/// (the evaluator over parameter points with per-point hooks: layer 0 affine in α with
/// REPAIR's per-unit scale, later
/// layers batched over α), with the barriers of interpolation.h. The values equal those of
/// evaluating each repair_interpolated model by itself up to float rounding (the scale is
/// applied to X·W(α)ᵀ instead of to W(α), and GEMMs are blocked differently); at α = 0 and 1
/// they are exactly interpolate()'s. Progress units are repaired α points, then data chunks.
InterpolationResult interpolate_repaired(Backend& backend, const Model& a, const Model& b,
                                         const DataSplits& data, const InterpolationConfig& cfg,
                                         const RepairConfig& rcfg = {},
                                         const ProgressFn& progress = {},
                                         const CancelToken* cancel = nullptr);

}  // namespace ridgeline
