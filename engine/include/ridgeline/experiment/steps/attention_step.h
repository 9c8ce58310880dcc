#pragma once
/// @file attention_step.h
/// The "attention" step kind: the attention analysis (attention/analysis.h) of each of the
/// step's transformer models on the test split. Its inputs are StepSpec::models; its result
/// payload is an AttentionStepResult: per model results/<id>.<model>.json and
/// results/<id>.<model>-maps.npy.
#include <string>
#include <vector>

#include "ridgeline/attention/analysis.h"

namespace ridgeline {

struct AttentionStepParams {
  int examples = 64;  ///< test inputs measured
  int show = 4;       ///< of those, inputs whose maps are kept
};

struct AttentionStepResult {
  std::vector<std::string> models;
  std::vector<AttentionAnalysis> analyses;  ///< one per model, in order
  double seconds = 0;
  /// > 0: a live look while training (not a step of the spec, never written to the run
  /// folder): the maps after this epoch. The train stage of a transformer sends one after
  /// every epoch through RunEvents::on_result (id "training-<model>") when a listener is set.
  int epoch = 0;
};

}  // namespace ridgeline
