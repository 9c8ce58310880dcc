#pragma once
/// @file merge_step.h
/// The "merge" step kind: MergeMany over StepSpec::models, producing the model named by the
/// step's id (checkpoints/<id>.safetensors, results/<id>.json).
#include <cstdint>
#include <vector>

#include "ridgeline/train/evaluate.h"

namespace ridgeline {

struct MergeParams {
  uint64_t seed = 0;    ///< sweep order
  int max_sweeps = 100;
};

/// What a merge step reports (live runs; results/<id>.json holds the same and more).
struct MergeStepResult {
  int sweeps = 0;
  double seconds = 0;
  LossError merged_test;
  std::vector<double> function_checks;  ///< max |logit difference| per input model
};

}  // namespace ridgeline
