#pragma once
// Headless subcommands of the `ridgeline` executable (app/cli_*.cpp).
#include <string>

namespace ridgeline::cli {

/// True when argv[1] names a subcommand (train, interpolate, run, ...) or is --help/--version.
bool is_subcommand(const std::string& word);
/// Runs a subcommand; returns the process exit code (0, 1, 2 or 130).
int run_cli(int argc, char** argv);
int cmd_figure(int argc, char** argv);  ///< `ridgeline figure` (app/cli/figure.cpp)
/// The usage text printed by --help.
std::string usage();

}  // namespace ridgeline::cli
