// File ▸ Export figure… (gui/main_window/figure_export.h): the dialog offers the run's views
// with the current one selected, writes the figure at the size asked (and Python beside it),
// and the window's File menu has the action.
#include <QAction>
#include <QImage>
#include <QMenu>
#include <QMenuBar>
#include <QTemporaryDir>
#include <QtTest>

#include "gui/main_window/figure_export.h"
#include "gui/main_window/main_window.h"
#include "ridgeline/experiment/run.h"
#include "ridgeline/experiment/spec.h"
#include "widgets/figure/figure_render.h"

using namespace ridgeline;

class TestFigureExport : public QObject {
  Q_OBJECT

  QTemporaryDir tmp_;
  QString run_;

 private slots:
  void initTestCase() {
    QVERIFY(tmp_.isValid());
    qputenv("RIDGELINE_WORKSPACE", (tmp_.path() + "/workspace").toUtf8());
    const ExperimentSpec spec = parse_spec(R"({
      "name": "tiny", "data": {"name": "gmm:300,100,6,3,1"}, "model": {"arch": "mlp:6,8,3"},
      "train": {"epochs": 2, "batch": 32, "lr": 0.01},
      "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}],
      "steps": [{"type": "interpolate", "id": "naive", "a": "seed0", "b": "seed1", "points": 5},
                {"type": "align", "a": "seed0", "b": "seed1", "method": "wm"}]})",
                                           "tiny");
    RunOptions o;
    o.out_dir = (tmp_.path() + "/run").toStdString();
    o.threads = 1;
    run_experiment(spec, o);
    run_ = tmp_.path() + "/run";
  }

  void dialogExports() {
    gui::FigureExportDialog dialog(run_, "paths:naive");
    const QStringList views = dialog.views();
    QVERIFY2(views.contains("training") && views.contains("alignment") && views.contains("paths:naive") &&
                 views.contains("compare"),
             qPrintable(views.join(", ")));
    gui::FigureExportRequest r = dialog.request();
    QCOMPARE(r.view, QString("paths:naive"));
    QCOMPARE(r.size.width_mm, 89.0);
    QVERIFY(r.out.endsWith("/paths_naive.pdf"));
    r.out = tmp_.path() + "/naive.png";
    r.size = {120, 50, 9, 200};
    r.python = true;
    dialog.setRequest(r);
    QString error;
    QVERIFY2(dialog.exportNow(&error), qPrintable(error));
    const QImage img(r.out);
    QCOMPARE(img.width(), figure::pixels_for(120, 200));
    QCOMPARE(img.height(), figure::pixels_for(50, 200));
    QVERIFY(QFile::exists(tmp_.path() + "/naive.py"));
    QVERIFY(QFile::exists(tmp_.path() + "/naive.csv"));
    // compare needs the second run folder; then it draws both.
    r.view = "compare";
    r.out = tmp_.path() + "/compare.svg";
    dialog.setRequest(r);
    QVERIFY(!dialog.exportNow(&error));
    QVERIFY(error.contains("second run"));
    r.compare_dir = run_;
    dialog.setRequest(r);
    QVERIFY2(dialog.exportNow(&error), qPrintable(error));
    QVERIFY(QFile::exists(r.out));
    // Bad input is refused with the reason.
    r.view = "training";
    r.size.width_mm = 5;
    QVERIFY(!gui::export_figure(r, &error));
    QVERIFY(error.startsWith("--width-mm"));
  }

  void windowHasTheAction() {
    gui::MainWindow w{gui::GuiOptions{}};
    w.setInteractive(false);
    QAction* found = nullptr;
    for (QAction* menu : w.menuBar()->actions())
      if (menu->menu())
        for (QAction* a : menu->menu()->actions())
          if (a->text() == "Export &figure…") found = a;
    QVERIFY(found);
    QVERIFY(!found->toolTip().isEmpty());
  }
};

QTEST_MAIN(TestFigureExport)
#include "test_figure_export.moc"
