#pragma once
// Studies on the command line (app/cli/study.cpp; docs/USER_GUIDE.md, "Studies"): `ridgeline
// run` hands a spec with a "sweep" to run_study_command; `ridgeline study STUDY_DIR`
// re-aggregates a study folder.
#include <string>

#include "cli/args.h"
#include "cli/command_spec.h"
#include "ridgeline/experiment/run.h"

namespace ridgeline::cli {

const CommandSpec& study_spec();
int cmd_study(int argc, char** argv);
/// True when `path` reads as a JSON object with a top-level "sweep" (a study spec).
bool is_study_spec_file(const std::string& path);
/// `ridgeline run STUDY_SPEC.json`: runs every cell, prints the study table (or --json).
int run_study_command(const Args& run_args, const RunOptions& options);

}  // namespace ridgeline::cli
