// The `ridgeline` executable: headless subcommands, else the desktop application.
#include <cstdio>
#include <string>

#include "cli/cli.h"
#include "ridgeline/core/memory.h"
#ifdef RIDGELINE_HAVE_GUI
#include "gui/main_window/entry.h"
#include "widgets/surface/surface_view.h"
#endif

int main(int argc, char** argv) {
  ridgeline::retain_freed_memory();  // before any allocation worth keeping (core/memory.h)
  if (argc >= 2 && ridgeline::cli::is_subcommand(argv[1])) return ridgeline::cli::run_cli(argc, argv);
#ifdef RIDGELINE_HAVE_GUI
  // VTK's surface view needs an OpenGL 3.2 core context: the default before the QApplication.
  ridgeline::widgets::SurfaceView::setDefaultSurfaceFormat();
  return ridgeline::gui::run_gui(argc, argv);
#else
  std::fputs("ridgeline: built without the GUI; use a subcommand.\n", stderr);
  std::fputs(ridgeline::cli::usage().c_str(), stderr);
  return 2;
#endif
}
