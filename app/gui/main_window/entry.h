#pragma once
// Entry point of the desktop application (app/gui_*.cpp), called by main() when the first
// argument is not a subcommand. Options: --run-spec SPEC, --open-run DIR, --out DIR,
// --workspace DIR, --device auto|cpu|cuda, --threads N, --screenshot FILE.
namespace ridgeline::gui {
int run_gui(int argc, char** argv);
}
