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

/// A folder written by `ridgeline attention` (docs/USER_GUIDE.md, "The attention lab"):
/// comparison.json and, per model, <name>.json and <name>-maps.npy. True when comparison.json
/// is there and experiment.json (a run folder) is not.
bool is_attention_folder(const std::string& dir);

/// Its models' analyses in comparison.json's order, as an attention step's result. With
/// tokens.json (`--text`) the shown input's labels are the tokens' text. InputError naming the
/// file on anything missing or malformed (a model name that is not a plain file name, an
/// analysis whose maps do not match it).
AttentionStepResult read_attention_folder(const std::string& dir);

/// The two files of such a folder that are not analyses, as read_attention_folder reads them
/// (`file` names them in errors): comparison.json's model names (plain file names, each once,
/// at least one), and tokens.json's token texts.
std::vector<std::string> parse_attention_comparison(const std::string& text, const std::string& file);
std::vector<std::string> parse_attention_tokens(const std::string& text, const std::string& file);

}  // namespace ridgeline
