#pragma once
// Pieces shared by the subcommands: the process-wide cancel token (set by SIGINT), data
// options, and the option names every data-reading subcommand accepts.
#include <set>
#include <string>

#include "cli/args.h"
#include "cli/command_spec.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/models/mlp/mlp.h"
#include "ridgeline/models/model.h"
#include "ridgeline/core/progress.h"

namespace ridgeline::cli {

CancelToken& interrupt_token();
/// Installs a SIGINT/SIGTERM handler that cancels interrupt_token().
void install_interrupt_handler();

/// Loads model files (all of the same architecture; --activation applies to PyTorch files
/// without Ridgeline metadata) and the --data set, and checks that the models fit the data.
/// Errors name the file or option.
struct ModelsAndData {
  std::vector<Mlp> models;
  DataSplits data;
};
ModelsAndData load_models_and_data(const Args& args, const std::vector<std::string>& files);
/// Same for models of any kind (models/model.h); data is read only for kinds that use it.
struct AnyModelsAndData {
  std::vector<Model> models;
  DataSplits data;
};
AnyModelsAndData load_any_models_and_data(const Args& args, const std::vector<std::string>& files);

/// Names of data_option_specs() and compute_option_specs(), for a command parsed with the
/// ad-hoc Args form (a command with a CommandSpec joins the groups instead).
const std::set<std::string>& data_option_names();
DataOptions data_options(const Args& args);

// Each subcommand: its table (what it accepts and what --help prints) and its entry point.
const CommandSpec& train_spec();
const CommandSpec& interpolate_spec();
const CommandSpec& run_spec();
const CommandSpec& align_spec();
const CommandSpec& merge_spec();
const CommandSpec& runs_spec();
const CommandSpec& figure_spec();
const CommandSpec& landscape_spec();
const CommandSpec& curve_spec();
const CommandSpec& spectra_spec();
const CommandSpec& layerwise_spec();
const CommandSpec& hessian_spec();
const CommandSpec& tasks_spec();
const CommandSpec& attention_spec();
int cmd_train(int argc, char** argv);
int cmd_interpolate(int argc, char** argv);
int cmd_run(int argc, char** argv);
int cmd_align(int argc, char** argv);
int cmd_merge(int argc, char** argv);
int cmd_runs(int argc, char** argv);
int cmd_landscape(int argc, char** argv);
int cmd_curve(int argc, char** argv);
int cmd_spectra(int argc, char** argv);
int cmd_layerwise(int argc, char** argv);
int cmd_hessian(int argc, char** argv);
int cmd_tasks(int argc, char** argv);
int cmd_attention(int argc, char** argv);

}  // namespace ridgeline::cli
