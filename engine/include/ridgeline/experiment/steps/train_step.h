#pragma once
/// @file train_step.h
/// The "train" step kind: the training stage of a run, one step per entry of the spec's
/// `models` (not a `steps` entry). Its schema fragment is the spec's `train` object; its
/// result is a TrainStageResult (run.h). docs/ARCHITECTURE.md, "Step kinds".
#include <cstdint>
#include <string>

#include "ridgeline/train/train.h"

namespace ridgeline {

struct ExperimentSpec;
struct ModelSpec;
struct StepSpec;

/// A training step's parameters: the spec's recipe, the model's seed and, for a spawned
/// model, the checkpoint it starts from ("seed0@epoch2").
struct TrainStepParams {
  TrainConfig config;
  uint64_t seed = 0;
  std::string from;
};

/// The training step of model `m` of `spec`: type "train", id "train-<model>", `a` the model's
/// name (the model it produces).
StepSpec train_step(const ExperimentSpec& spec, const ModelSpec& m);

}  // namespace ridgeline
