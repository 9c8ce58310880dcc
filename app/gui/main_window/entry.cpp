// ridgeline::gui::run_gui: command-line options of the desktop application, the
// QApplication, the main window and the --screenshot / --export-chart modes.
#include "gui/main_window/entry.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDockWidget>
#include <QFileInfo>
#include <QMessageBox>
#include <QStatusBar>
#include <QTimer>
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "gui/main_window/main_window.h"
#include "ridgeline/core/backend.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/preflight.h"

namespace ridgeline::gui {

namespace {

struct CliOptions {
  GuiOptions run;
  QString run_spec, open_run, screenshot, export_chart, view, compare;
  double shoot_after = 0;  ///< --screenshot-after: seconds into a --run-spec run
  bool help = false;
};

void addOptions(QCommandLineParser& p) {
  p.setApplicationDescription("Ridgeline: loss-landscape research desktop application.\n"
                              "Subcommands (ridgeline run|train|interpolate|...) run headless; "
                              "see `ridgeline --help`.");
  p.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
  p.addOption({"run-spec", "Load the experiment spec <SPEC> and start running it.", "SPEC"});
  p.addOption({"open-run", "Show the results of the run folder <DIR>.", "DIR"});
  p.addOption({"compare", "With --open-run DIR: also overlay every path of DIR and <DIR2> on "
                          "the \"compare\" tab.", "DIR2"});
  p.addOption({"out", "Run folder of the runs started from the window.", "DIR"});
  p.addOption({"workspace", "Workspace (default: RIDGELINE_WORKSPACE or "
                            "~/.local/share/ridgeline).", "DIR"});
  p.addOption({"device", "Compute device: auto, cpu, cuda or reference (default auto).", "DEVICE", "auto"});
  p.addOption({"threads", "Host threads (0 = all).", "N", "0"});
  p.addOption({"screenshot", "After the requested run or load has ended, save a PNG of the "
                             "window to <FILE> and exit (0, or 1 if it failed).", "FILE"});
  p.addOption({"export-chart", "After the requested run or load has ended, export the chart of "
                               "--view NAME (" + MainWindow::chartViewNames().join(", ") +
                               ", " + MainWindow::stepViewHelp() + "; landscape:<step id> as PNG only, spectra:<step id> its singular-value chart; without --view "
                               "the first result tab, or the "
                               "training curves) to <FILE> (.png: 1800x1200 px, .svg: 180x120 mm; "
                               "alignment: its charts stacked, as tall as needed) and exit (0; 1 if "
                               "writing failed; 2 if the view is not a chart or has nothing drawn).",
               "FILE"});
  p.addOption({"screenshot-after", "With --run-spec and --screenshot: capture <SECONDS> after the "
                                   "run started (the live views), then cancel the run and exit.",
               "SECONDS"});
  p.addOption({"view", "Raise the view <NAME> (" + MainWindow::viewNames().join(", ") +
                           ", or " + MainWindow::stepViewHelp() + "; paths is the first path's "
                           "tab, all-paths the overlay of every path); with --screenshot, capture only that view (a "
                           "dock is floated at 1400x860, lists at 1400x360; result tabs fill the "
                           "window).",
               "NAME"});
  p.addOption({{"h", "help"}, "Show this help."});
}

/// Parses the options; returns the error text ("" when fine).
QString parseOptions(int argc, char** argv, QCommandLineParser& p, CliOptions& o) {
  QStringList args;
  for (int i = 0; i < argc; ++i) args << QString::fromLocal8Bit(argv[i]);
  if (!p.parse(args)) return p.errorText();
  if (!p.positionalArguments().isEmpty())
    return "unknown command or argument '" + p.positionalArguments().front() + "'";
  o.help = p.isSet("help");
  o.run_spec = p.value("run-spec");
  o.open_run = p.value("open-run");
  o.compare = p.value("compare");
  o.screenshot = p.value("screenshot");
  o.export_chart = p.value("export-chart");
  o.view = p.value("view");
  const bool per_step = MainWindow::isStepView(o.view);
  if (p.isSet("view") && !MainWindow::viewNames().contains(o.view) && !per_step)
    return "--view: unknown view '" + o.view + "' (views: " + MainWindow::viewNames().join(", ") +
           ", " + MainWindow::stepViewHelp() + ")";
  o.run.out_dir = p.value("out");
  o.run.workspace = p.value("workspace");
  o.run.device = p.value("device");
  {
    // The devices are the backend registry's (plus "cuda", which a build without it names).
    std::vector<std::string> devices = ridgeline::registered_backends();
    devices.insert(devices.begin(), "auto");
    if (std::find(devices.begin(), devices.end(), "cuda") == devices.end()) devices.push_back("cuda");
    if (std::find(devices.begin(), devices.end(), o.run.device.toStdString()) == devices.end()) {
      QString list;
      for (const auto& d : devices) list += (list.isEmpty() ? "" : ", ") + QString::fromStdString(d);
      return "--device: expected one of " + list + ", got '" + o.run.device + "'";
    }
  }
  bool ok = false;
  o.run.threads = p.value("threads").toInt(&ok);
  if (!ok || o.run.threads < 0 || o.run.threads > 1024)
    return "--threads: expected a whole number in [0, 1024], got '" + p.value("threads") + "'";
  if (p.isSet("run-spec") && p.isSet("open-run"))
    return "--run-spec and --open-run cannot be used together";
  if (p.isSet("run-spec") && o.run_spec.isEmpty()) return "--run-spec: empty file name";
  if (p.isSet("open-run") && o.open_run.isEmpty()) return "--open-run: empty folder name";
  if (p.isSet("compare") && o.open_run.isEmpty()) return "--compare needs --open-run DIR";
  if (p.isSet("screenshot-after")) {
    o.shoot_after = p.value("screenshot-after").toDouble(&ok);
    if (!ok || o.shoot_after <= 0)
      return "--screenshot-after: expected seconds > 0, got '" + p.value("screenshot-after") + "'";
    if (o.run_spec.isEmpty() || o.screenshot.isEmpty())
      return "--screenshot-after needs --run-spec SPEC and --screenshot FILE";
  }
  if (p.isSet("screenshot") && o.screenshot.isEmpty()) return "--screenshot: empty file name";
  if (p.isSet("export-chart")) {
    const QString suffix = QFileInfo(o.export_chart).suffix().toLower();
    if (suffix != "png" && suffix != "svg")
      return "--export-chart: expected a file name ending in .png or .svg, got '" +
             o.export_chart + "'";
    if (p.isSet("view") && !MainWindow::chartViewNames().contains(o.view) && !per_step)
      return "--export-chart: the view '" + o.view + "' is not a chart (charts: " +
             MainWindow::chartViewNames().join(", ") + ", " + MainWindow::stepViewHelp() + ")";
  }
  // Every output location, before any run or load (engine/.../preflight.h).
  try {
    if (!o.screenshot.isEmpty())
      ridgeline::check_output_file(o.screenshot.toStdString(), "--screenshot");
    if (!o.export_chart.isEmpty())
      ridgeline::check_output_file(o.export_chart.toStdString(), "--export-chart");
    if (p.isSet("out")) ridgeline::check_output_folder(o.run.out_dir.toStdString(), "--out");
    if (p.isSet("workspace"))
      ridgeline::check_output_folder(o.run.workspace.toStdString(), "--workspace");
  } catch (const ridgeline::InputError& e) {
    return QString::fromStdString(e.what());
  }
  return {};
}

bool haveDisplay() {
  return std::getenv("DISPLAY") || std::getenv("WAYLAND_DISPLAY") ||
         std::getenv("QT_QPA_PLATFORM");
}

/// Qt's offscreen platform warns about window features it lacks; the user can do nothing about
/// them, and they would bury our one-line errors. Everything else goes to Qt's own handler.
QtMessageHandler g_default_handler = nullptr;
void filterQtMessages(QtMsgType type, const QMessageLogContext& context, const QString& msg) {
  if (type == QtWarningMsg && (msg.contains("does not support propagateSizeHints") ||
                               msg.contains("does not support raise()")))
    return;
  if (g_default_handler) g_default_handler(type, context, msg);
}

void printError(const QString& text) {
  std::fprintf(stderr, "ridgeline: %s\n", text.toLocal8Bit().constData());
}

}  // namespace

int run_gui(int argc, char** argv) {
  QCommandLineParser parser;
  addOptions(parser);
  CliOptions opt;
  const QString error = parseOptions(argc, argv, parser, opt);
  // --screenshot and --export-chart: run or load, write the file(s), exit; no dialogs.
  const bool shooting = !opt.screenshot.isEmpty() || !opt.export_chart.isEmpty();
  if (opt.help && error.isEmpty()) {
    QString help = parser.helpText();
    help.replace("<executable_name>", "ridgeline");
    std::fputs(help.toLocal8Bit().constData(), stdout);
    return 0;
  }
  // A screenshot needs no screen: Qt Charts render on the offscreen platform.
  if (shooting && !haveDisplay()) setenv("QT_QPA_PLATFORM", "offscreen", 1);
  g_default_handler = qInstallMessageHandler(filterQtMessages);
  if (!error.isEmpty() && (shooting || !haveDisplay())) {
    printError(error);
    return 2;
  }
  if (!haveDisplay()) {
    printError("no display (DISPLAY is not set); use a subcommand such as `ridgeline run "
               "SPEC.json` to run headless, or --screenshot FILE");
    return 2;
  }

  QApplication app(argc, argv);
  QApplication::setApplicationName("Ridgeline");
  QApplication::setOrganizationName("Ridgeline");
  if (!error.isEmpty()) {
    QMessageBox::critical(nullptr, "Ridgeline", error + "\n\n" + parser.helpText());
    return 2;
  }

  MainWindow window(opt.run);
  window.setInteractive(!shooting);
  if (!shooting) window.enableSettings();  // batch runs leave the user's settings alone
  window.show();

  int exit_code = 0;
  auto grabAndExit = [&] {
    QString why;
    bool bad_input = false;
    if (!opt.export_chart.isEmpty() &&
        !(opt.view.isEmpty() ? window.exportCurrentChart(opt.export_chart, &why)
                             : window.exportView(opt.view, opt.export_chart, &why, &bad_input))) {
      printError(why);
      exit_code = bad_input ? 2 : 1;
      if (bad_input) return QApplication::exit(exit_code);  // nothing else to capture
    }
    QWidget* target = opt.view.isEmpty() ? nullptr : window.viewWidget(opt.view);
    if (!opt.screenshot.isEmpty() && !window.saveScreenshot(opt.screenshot, &why, target)) {
      printError(why);
      exit_code = 1;
    }
    QApplication::exit(exit_code);
  };
  auto shoot = [&](bool ok) {
    // Let the final layout and chart updates paint before grabbing.
    QTimer::singleShot(300, &window, [&, ok] {
      QString why;
      exit_code = ok ? 0 : 1;
      if (!opt.view.isEmpty() && !window.showView(opt.view, &why)) {
        printError(why);
        QApplication::exit(exit_code = 2);
        return;
      }
      // A dock is captured at a readable size of its own: floated at 1400×860 (batch runs
      // keep no window state, so the user's layout is untouched).
      if (QDockWidget* dock = opt.view.isEmpty() ? nullptr : window.viewDock(opt.view)) {
        const bool list = opt.view == "jobs" || opt.view == "runs" || opt.view == "log";
        dock->setFloating(true);
        dock->resize(1400, list ? 360 : 860);
      } else if (!opt.view.isEmpty()) {
        // A result tab: the docks step aside so that the results fill the window.
        for (QDockWidget* d : window.findChildren<QDockWidget*>()) d->hide();
      }
      // Charts lay out their axes on queued events: let them run before the grab.
      QTimer::singleShot(400, &window, grabAndExit);
    });
  };

  if (!opt.run_spec.isEmpty()) {
    QString why;
    if (!window.runSpecFile(opt.run_spec, &why)) {
      if (shooting) {
        printError(why);
        return 2;
      }
      QMessageBox::warning(&window, "Cannot open spec", why);
    } else if (opt.shoot_after > 0) {
      // The live views mid-run; the run is cancelled when the window closes (finished models
      // stay in its folder).
      QTimer::singleShot(static_cast<int>(opt.shoot_after * 1000), &window, [&] { shoot(true); });
    } else if (shooting) {
      QObject::connect(&window, &MainWindow::runEnded, &window, [&](bool ok) {
        if (!ok) printError(window.lastError());
        shoot(ok);
      });
    }
  } else if (!opt.open_run.isEmpty()) {
    QString why;
    bool ok = window.openRunFolder(opt.open_run, &why);
    if (ok && !opt.compare.isEmpty()) ok = window.compareRuns({opt.open_run, opt.compare}, &why);
    if (!ok) {
      if (shooting) {
        printError(why);
        return 2;
      }
      QMessageBox::warning(&window, "Cannot open run folder", why);
    }
    if (shooting) shoot(ok);
  } else if (shooting) {
    shoot(true);
  }
  if (!shooting && !opt.view.isEmpty()) {
    // Tabs of results exist once a run or folder has shown them: raise the view after that.
    QTimer::singleShot(0, &window, [&] {
      QString why;
      if (!window.showView(opt.view, &why)) window.statusBar()->showMessage(why, 10000);
    });
  }
  const int rc = QApplication::exec();
  return shooting ? exit_code : rc;
}

}  // namespace ridgeline::gui
