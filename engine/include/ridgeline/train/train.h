#pragma once
/// @file train.h
/// Mini-batch training of an MLP on a backend: SGD (momentum, weight decay) or Adam, seeded
/// shuffling, learning-rate schedules, per-epoch metrics and checkpoints, progress and cancel.
/// The batches come from BatchSampler (batch_sampler.h) and the steps from Optimizer
/// (optimizer.h), which the straight-through estimator shares.
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "ridgeline/core/backend.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/models/mlp/mlp.h"
#include "ridgeline/core/progress.h"

namespace ridgeline {

enum class OptimizerKind { Sgd, Adam };
enum class Schedule { Constant, Step, Cosine, Triangular };

struct TrainConfig {
  OptimizerKind optimizer = OptimizerKind::Adam;
  double lr = 1e-3;
  double momentum = 0.9;      ///< SGD only
  double weight_decay = 0.0;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  ///< Adam only
  int batch = 128;
  int epochs = 10;
  Schedule schedule = Schedule::Constant;
  double warmup_epochs = 5;   ///< triangular: linear rise to lr, then linear decay to 0
  int step_every = 30;        ///< step: multiply by step_gamma every step_every epochs
  double step_gamma = 0.1;
  bool drop_last = false;
  bool eval_test_each_epoch = true;
  int checkpoint_every = 0;   ///< callers save a checkpoint every N epochs (0 = final only)
  int checkpoint_every_steps = 0;  ///< on_checkpoint_step every N optimizer steps (0 = never)
  /// Transformers with hedgehog attention: weight of the attention-distillation loss added to
  /// the task loss (train/distill.h); 0: the task loss only. Any other model refuses > 0.
  double distill = 0;

  /// Throws InputError "<where><key>: ..." for non-finite or out-of-range values; `where` is
  /// a key-path prefix such as "spec.json: train." or "--" (then keys print as options).
  void validate(const std::string& where) const;
};

OptimizerKind parse_optimizer(const std::string& s, const std::string& where);
Schedule parse_schedule(const std::string& s, const std::string& where);
std::string to_string(OptimizerKind k);
std::string to_string(Schedule s);

/// Learning rate at fractional epoch position t ∈ [0, epochs) (what Optimizer::step applies).
double learning_rate_at(const TrainConfig& cfg, double epoch_position);

struct EpochMetrics {
  int epoch = 0;             ///< 1-based
  double train_loss = 0;     ///< mean loss over the epoch's mini-batches
  double train_error = 0;
  double test_loss = -1;     ///< −1 when not evaluated
  double test_error = -1;
  double lr = 0;             ///< learning rate at the end of the epoch
  double seconds = 0;
  /// Mean attention-distillation loss over the epoch's mini-batches (TrainConfig::distill);
  /// NaN when the training does not distil.
  double distill_loss = std::numeric_limits<double>::quiet_NaN();
};

struct StepMetrics {
  int epoch = 0;
  long long step = 0;        ///< global, 1-based
  long long total_steps = 0;
  double loss = 0;
  double error = 0;
  double distill_loss = std::numeric_limits<double>::quiet_NaN();  ///< as EpochMetrics'
};

struct TrainCallbacks {
  std::function<void(const StepMetrics&)> on_step;    ///< every step (keep it cheap)
  std::function<void(const EpochMetrics&, const Mlp&)> on_epoch;  ///< e.g. checkpoints
  /// After every global step that is a multiple of cfg.checkpoint_every_steps (> 0).
  std::function<void(long long step, const Mlp&)> on_checkpoint_step;
};

/// Where training starts. By default from the initialisation at step 0; a spawned model
/// (Frankle et al. 2020, arXiv 1912.05671) starts from given parameters after `step` global
/// optimizer steps: it trains the remaining steps step+1 … epochs·steps_per_epoch with its own
/// shuffle seed (a partial first epoch visits the batches of a fresh shuffle from the same
/// offset), the schedule at the same positions as an uninterrupted run, and fresh optimizer
/// state (SGD momentum and Adam moments start at zero: checkpoints hold weights only).
struct TrainStart {
  const std::vector<float>* params = nullptr;  ///< nullptr: the initialisation of `seed`
  long long step = 0;                          ///< optimizer steps already taken
};

struct TrainResult {
  Mlp model;
  std::vector<EpochMetrics> epochs;
  double seconds = 0;
  double samples_per_second = 0;
};

/// Trains from init_mlp(arch, seed); the shuffle is seeded from `seed` too.
/// Throws RunError "diverged: non-finite loss at epoch E, step S" and Cancelled.
TrainResult train_mlp(Backend& backend, const MlpArch& arch, const DataSplits& data,
                      const TrainConfig& cfg, uint64_t seed, const TrainCallbacks& cb = {},
                      const CancelToken* cancel = nullptr, const TrainStart& start = {});

/// Optimizer steps per epoch of train_mlp on `train_rows` rows (what BatchSampler counts).
int steps_per_epoch(const TrainConfig& cfg, int train_rows);

}  // namespace ridgeline
