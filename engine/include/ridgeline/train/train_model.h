#pragma once
/// @file train_model.h
/// Training of any model kind through the model interface. MLPs train on mini-batches
/// (train_mlp in train.h, unchanged); a kind that uses no data (the quadratic oracle) takes
/// one full-gradient step per epoch with the configured optimiser and schedule.
#include <cstdint>
#include <functional>
#include <vector>

#include "ridgeline/core/backend.h"
#include "ridgeline/core/progress.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/models/model.h"
#include "ridgeline/train/train.h"

namespace ridgeline {

struct ModelTrainResult {
  Model model;
  std::vector<EpochMetrics> epochs;  ///< train_loss per epoch; errors NaN without accuracy
  double seconds = 0;
  double samples_per_second = 0;     ///< 0 for models without data
};

struct ModelTrainCallbacks {
  std::function<void(const StepMetrics&)> on_step;
  std::function<void(const EpochMetrics&, const Model&)> on_epoch;
  std::function<void(long long step, const Model&)> on_checkpoint_step;  ///< train.h
};

/// Mini-batch training of a model kind whose loss uses data, through its ModelCompute:
/// shuffled batches seeded from `seed`, the optimizer of `cfg`, per-epoch test evaluation.
/// train_model() and train_mlp() run it.
ModelTrainResult train_on_data(Backend& backend, const std::shared_ptr<const ModelArch>& arch,
                               const DataSplits& data, const TrainConfig& cfg, uint64_t seed,
                               const ModelTrainCallbacks& cb, const CancelToken* cancel,
                               const TrainStart& start);

/// Trains from arch.init(seed), or from `start` (train.h, TrainStart). MLPs go through
/// train_mlp (bit-identical to it). Throws RunError on a non-finite loss, Cancelled when
/// cancelled.
ModelTrainResult train_model(Backend& backend, const std::shared_ptr<const ModelArch>& arch,
                             const DataSplits& data, const TrainConfig& cfg, uint64_t seed,
                             const ModelTrainCallbacks& cb = {},
                             const CancelToken* cancel = nullptr, const TrainStart& start = {});
/// Optimizer steps per epoch for `arch` on `data` (one for a model that uses no data).
int model_steps_per_epoch(const ModelArch& arch, const TrainConfig& cfg, const DataSplits& data);

}  // namespace ridgeline
