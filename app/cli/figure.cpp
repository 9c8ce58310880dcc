// `ridgeline figure RUN_DIR --view NAME --out FIG.pdf|svg|png`: a run's view as a paper figure
// (docs/USER_GUIDE.md, "Paper figures"), optionally with a matplotlib script and its data.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "cli/cli.h"
#include "cli/command_spec.h"
#include "cli/common.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/run.h"
#include "ridgeline/experiment/steps/attention_step.h"
#include "ridgeline/experiment/study.h"

#ifdef RIDGELINE_HAVE_FIGURES
#include <QByteArray>
#include <QFileInfo>
#include <QGuiApplication>

#include "figures/figure_views.h"
#include "widgets/figure/figure_python.h"
#include "widgets/figure/figure_render.h"
#endif

namespace ridgeline::cli {

namespace {

std::vector<std::string> view_notes() {
  std::vector<std::string> notes = {"views (those a run can draw are listed when --view names another):"};
#ifdef RIDGELINE_HAVE_FIGURES
  for (const auto& v : figures::figure_views()) {
    const std::string name = v.name + (v.name.back() == ':' ? "<step id>" : "");
    notes.push_back("- " + name + ": " + v.about);
  }
#endif
  notes.push_back("PDF and SVG are vector with real text; PNG states its dpi in its pHYs chunk.");
  return notes;
}

}  // namespace

const CommandSpec& figure_spec() {
  static const CommandSpec s{
      "figure",
      "Draw a view of a run folder as a paper figure (PDF, SVG or PNG): loss and error side by "
      "side, train dashed and test solid, endpoints named after the models, colour-blind-safe "
      "colours.",
      {"figure RUN_DIR --view NAME --out FIG.pdf|svg|png [options]",
       "figure STUDY_DIR --view study --out FIG.pdf|svg|png [options]",
       "figure ATTENTION_DIR --view attention:<folder name> --out FIG.pdf|svg|png [options]"},
      {{"view", "NAME", "", "(required) the view to draw (see the list below)"},
       {"out", "FILE", "", "(required) .pdf, .svg or .png; written atomically"},
       {"width-mm", "W", "89", "figure width in mm (89: one journal column; 183: two)"},
       {"height-mm", "H", "60",
        "figure height in mm (not given: 60, or for views whose panels keep one scale on both "
        "axes — attention maps, overlap heatmaps, contour maps — the height at which the panels "
        "fill the width)"},
       {"font-pt", "F", "8", "every text's size in points"},
       {"dpi", "D", "300", "PNG resolution (dots per inch)"},
       {"compare", "RUN_DIR2", "", "the second run of --view compare (required there)",
        "none"},
       {"band", "KIND", "auto",
        "--view study: the band around each mean: auto (± std where a point has 3 or more seed "
        "pairs, min–max below; none when a second swept variable gives several lines per "
        "colour), std or minmax"},
       {"x", "KEY", "",
        "--view study: the swept variable on the x axis; a second varying variable gives one "
        "line per value", "the first that varies"},
       {"where", "KEY=VALUE[,KEY=VALUE]", "",
        "--view study: draw only the cells with these swept values (fixes variables: the figure "
        "draws at most two that vary)", "all cells"},
       {"layer", "NAME", "",
        "--view spectra:<id> or esd:<id>: the weight matrix drawn (fc1.weight)", "the first"},
       {"python", "", "",
        "also write FILE.py (a matplotlib script, no Ridgeline needed) and FILE.csv (its data) "
        "that redraw the figure"}},
      {"ridgeline figure runs/fmnist-quick-rebasin --view paths:wm --out wm.pdf --width-mm 89 "
       "--height-mm 55 --python",
       "ridgeline figure runs/fmnist-quick-rebasin --view alignment --width-mm 183 --out align.svg",
       "ridgeline figure studies/gmm-width-study --view study --out width.pdf --python",
       "ridgeline figure studies/width-depth --view study --x width --where lr=0.01 --out wd.pdf",
       "ridgeline figure runs/gmm-spectra --view spectra:spectra --layer fc2.weight --width-mm 183 --out sp.pdf",
       "ridgeline figure attn-lab --view attention:attn-lab --out lab.pdf"},
      view_notes()};
  return s;
}

int cmd_figure(int argc, char** argv) {
  Args a(argc, argv, 2, figure_spec());
#ifndef RIDGELINE_HAVE_FIGURES
  throw InputError("this build has no figures (they need Qt: configure with RIDGELINE_GUI=ON)");
#else
  if (a.positionals().size() != 1)
    throw InputError("expected one run or study folder (ridgeline figure RUN_DIR --view NAME --out FIG.pdf)");
  const std::string dir = a.positionals()[0];
  const std::string view = a.required("view");
  const std::string out = a.required("out");
  figure::FigureSize size;
  size.width_mm = a.number("width-mm");
  size.height_mm = a.number("height-mm");
  size.font_pt = a.number("font-pt");
  size.dpi = static_cast<int>(a.integer("dpi", -(1ll << 40), 1ll << 40));
  if (const std::string bad = figure::check_size(size); !bad.empty()) throw InputError(bad);
  const QString out_path = QString::fromStdString(out);
  const QString suffix = QFileInfo(out_path).suffix().toLower();
  if (suffix != "pdf" && suffix != "svg" && suffix != "png")
    throw InputError("--out " + echo_input(out) + ": the name must end in .pdf, .svg or .png");
  if (suffix == "png")
    if (const std::string bad = figure::check_png_size(size); !bad.empty()) throw InputError(bad);
  if (!QFileInfo(QFileInfo(out_path).absolutePath()).isDir())
    throw InputError("--out " + echo_input(out) + ": no such folder");

  // Fonts need a QGuiApplication; no display is needed (or used) to draw into files.
  std::unique_ptr<QGuiApplication> app;
  if (!QGuiApplication::instance()) {
    // Qt's own chatter (e.g. "XDG_RUNTIME_DIR not set") would break the one-line error rule.
    qInstallMessageHandler([](QtMsgType type, const QMessageLogContext&, const QString& msg) {
      if (type == QtCriticalMsg || type == QtFatalMsg) std::fprintf(stderr, "%s\n", qPrintable(msg));
    });
    if (!qEnvironmentVariableIsSet("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    static int qt_argc = 1;
    static char qt_name[] = "ridgeline";
    static char* qt_argv[] = {qt_name, nullptr};
    app = std::make_unique<QGuiApplication>(qt_argc, qt_argv);
  }

  auto folder_name = [](const std::string& d) {
    std::filesystem::path p = std::filesystem::path(d).lexically_normal();
    if (p.filename().empty()) p = p.parent_path();
    return p.filename().string();
  };
  ExperimentSpec spec, other_spec;
  RunSummary run, other;
  StudyAggregate study;
  figures::FigureInput in{nullptr, nullptr, folder_name(dir), nullptr, nullptr, {}};
  // A study folder (STUDY_DIR/study.json) is drawn only by --view study; a run folder by the rest.
  const bool is_study = std::filesystem::is_regular_file(std::filesystem::path(dir) / "study.json");
  if (view == "study" && !is_study)
    throw InputError(echo_input(dir) + ": --view study needs a study folder (one with study.json: "
                     "`ridgeline run` of a spec with a \"sweep\"); this is not one");
  if (is_study && view != "study")
    throw InputError(echo_input(dir) + ": a study folder; only --view study draws it (each cell's "
                     "run folder is under cells/)");
  if (is_study) {
    if (a.has("compare")) throw InputError("--compare: not for --view study");
    const StudySummary summary = read_study_folder(dir);
    study = aggregate_study_folder(summary);
    if (!study.missing.empty())  // a cancelled or running study: say what the figure lacks
      std::fprintf(stderr, "ridgeline figure: warning: %zu of %zu cells have no results yet (%s%s); the figure shows the rest\n",
                   study.missing.size(), summary.cells.size(), study.missing.front().c_str(),
                   study.missing.size() > 1 ? ", ..." : "");
    in.study = &study;
    in.band = a.str("band");
    if (a.has("x")) in.x_key = a.str("x");
    if (a.has("where")) in.where = a.str("where");
  } else {
    for (const char* option : {"band", "x", "where"})
      if (a.has(option)) throw InputError("--" + std::string(option) + ": only for --view study");
    if (is_attention_folder(dir)) {
      // A `ridgeline attention` folder: one attention result named after the folder.
      if (a.has("compare")) throw InputError("--compare: not for an attention folder");
      run.run_dir = dir;
      run.results.push_back(StepResult{folder_name(dir), "attention", read_attention_folder(dir)});
    } else {
      run = load_run(dir, &spec);
    }
    in.run = &run;
    in.spec = &spec;
  }
  if (a.has("layer")) {
    if (view.rfind("spectra:", 0) != 0 && view.rfind("esd:", 0) != 0)
      throw InputError("--layer: only for --view spectra:<step id> or esd:<step id>");
    in.layer = a.str("layer");
  }
  if (a.has("compare") && in.run) {
    other = load_run(a.str("compare"), &other_spec);
    in.other = &other;
    in.other_spec = &other_spec;
    in.other_label = folder_name(a.str("compare"));
  }
  const figure::Figure fig = figures::build_figure(in, view);
  if (!a.has("height-mm")) {
    size.height_mm = figure::fitted_height_mm(fig, size);
    if (suffix == "png")
      if (const std::string bad = figure::check_png_size(size); !bad.empty()) throw InputError(bad);
  }
  QString error;
  if (!figure::write_figure(fig, size, out_path, &error)) throw std::runtime_error(error.toStdString());
  std::printf("wrote %s (%s, %g × %g mm, %g pt", out.c_str(), view.c_str(), size.width_mm,
              size.height_mm, size.font_pt);
  if (suffix == "png") std::printf(", %d dpi", size.dpi);
  std::printf(")\n");
  if (a.flag("python")) {
    const figure::PythonFiles py = figure::python_paths(out_path);
    if (!figure::write_python(fig, size, out_path, &error)) throw std::runtime_error(error.toStdString());
    std::printf("wrote %s and %s (python3 %s redraws it)\n", py.script.toStdString().c_str(),
                py.data.toStdString().c_str(), QFileInfo(py.script).fileName().toStdString().c_str());
  }
  return 0;
#endif
}

}  // namespace ridgeline::cli
