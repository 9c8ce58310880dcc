// The alignment view: bars, lines and table cells equal the reports' numbers (hand-made and
// from a real tiny run read back with load_run); the gain scale and log axis; clear(); the
// permutations within heads (hand-made, and a tiny transformer run through the align page).
// Set ALIGNMENT_VIEW_PNG=<file> (WITHIN_HEADS_VIEW_PNG=<file>) to keep a screenshot of the
// real run's view (of the transformer run's).
#include <QAbstractItemModel>
#include <QChart>
#include <QChartView>
#include <QImage>
#include <QLogValueAxis>
#include <QTabWidget>
#include <QtTest>

#include "gui/results/align_view.h"
#include "widgets/alignment/alignment_view.h"
#include "ridgeline/experiment/run.h"
#include "ridgeline/experiment/spec.h"
#include "test_support.h"

using namespace ridgeline;
using ridgeline::widgets::AlignmentView;
using Reports = std::vector<std::pair<std::string, AlignmentReport>>;

namespace {

AlignmentReport report(const std::string& method, std::vector<double> gains, std::vector<int64_t> moved) {
  AlignmentReport r;
  r.method = method;
  for (size_t i = 0; i < gains.size(); ++i) {
    std::string name = "P";  // not "P" + to_string: GCC 12 warns falsely (-Wrestrict) on that
    name += std::to_string(i);
    r.layers.push_back({name, 8 - int64_t(i) * 2, gains[i], moved[i]});
  }
  return r;
}

Reports handMade() {
  AlignmentReport wm = report("wm", {3.0, 1.0}, {2, 0});
  wm.objective_before = 10.25;
  wm.objective_per_sweep = {13.5, 14.0, 14.125};
  wm.objective_after = 14.125;
  wm.sweeps = 3;
  wm.seconds = 0.5;
  wm.l2_before = 20.5;
  wm.l2_after = 12.75;
  wm.function_max_diff = 2e-7;
  wm.function_max_logit = 9.0;
  wm.function_passed = true;
  AlignmentReport am = report("am", {10.0, 30.0}, {5, 6});
  am.objective_before = 100;
  am.objective_per_sweep = {140};
  am.objective_after = 140;
  am.sweeps = 1;
  am.l2_before = 20.5;
  am.l2_after = 14.0;
  am.function_max_diff = 0.25;
  am.function_max_logit = 9.0;
  am.function_passed = false;
  return {{"align-seed1@wm", wm}, {"am-step", am}};
}

QVariant cell(const QAbstractItemModel* m, int row, int col, int role = Qt::DisplayRole) {
  return m->data(m->index(row, col), role);
}

int inkPixels(const QImage& img) {
  int n = 0;
  for (int y = 0; y < img.height(); y += 4)
    for (int x = 0; x < img.width(); x += 4)
      if (qGray(img.pixel(x, y)) < 200) ++n;
  return n;
}

const char* kRealSpec = R"({
  "name": "align-view",
  "data": {"name": "gmm:1500,400,16,5,3"},
  "model": {"arch": "mlp:16,48,32,24,5"},
  "train": {"optimizer": "adam", "lr": 0.01, "batch": 32, "epochs": 3},
  "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}],
  "steps": [{"type": "align", "a": "seed0", "b": "seed1", "method": "wm"},
            {"type": "align", "a": "seed0", "b": "seed1", "method": "am", "samples": 1000},
            {"type": "align", "a": "seed0", "b": "seed1", "method": "ste", "epochs": 3}]
})";

// Two blocks of two heads: block 1's heads exchanged, σ skipped (as for Performer).
WithinHeadsSummary withinHeads() {
  WithinHeadsSummary w;
  w.heads = 4;
  w.heads_moved = 2;
  w.head_perms = {{0, 1}, {1, 0}};
  w.qk_moved = 0;
  w.vo_moved = 3;
  w.qk_before = 2.5;
  w.qk_after = 2.5;
  w.vo_before = 10.0;
  w.vo_after = 12.25;
  w.qk_skipped = "performer: fixed random features";
  return w;
}

const char* kWithinHeadsSpec = R"({
  "name": "align-heads-view",
  "data": {"name": "task:mqar,vocab=16,length=8,pairs=2,train=160,test=32,seed=3"},
  "model": {"kind": "transformer",
            "arch": "transformer:tokens=16,seq=8,d=16,heads=2,layers=2,ff=32,attn=softmax,causal"},
  "train": {"optimizer": "adam", "lr": 0.01, "batch": 32, "epochs": 1},
  "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}],
  "steps": [{"type": "align", "id": "heads", "a": "seed0", "b": "seed1", "method": "wm",
             "within_heads": true},
            {"type": "align", "id": "plain", "a": "seed0", "b": "seed1", "method": "wm"}]
})";

}  // namespace

class TestAlignmentView : public QObject {
  Q_OBJECT

 private slots:
  void emptyView() {
    AlignmentView v;
    QCOMPARE(v.chartViews().size(), 3);
    QCOMPARE(v.currentChart(), v.chartViews()[0]);
    QCOMPARE(v.gainSetCount(), 0);
    QVERIFY(v.l2Values(false).isEmpty());
    QVERIFY(v.sweepSeriesNames().isEmpty());
    QCOMPARE(v.stepsModel()->rowCount(), 0);
    QCOMPARE(v.layersModel()->rowCount(), 0);
    QVERIFY(!v.gainLogAvailable());
    QVERIFY(!v.setGainLogAxis(true));
  }

  void handMadeValues() {
    AlignmentView v;
    v.setReports(handMade());
    // Two methods: the comparable share view first.
    QCOMPARE(v.gainScale(), AlignmentView::GainScale::ShareOfStep);
    QCOMPARE(v.gainCategories(), QStringList({"P0", "P1"}));
    QCOMPARE(v.gainSetLabels(), QStringList({"align-seed1@wm", "am-step (am)"}));
    QCOMPARE(v.gainValues(0), QList<qreal>({75.0, 25.0}));
    QCOMPARE(v.gainValues(1), QList<qreal>({25.0, 75.0}));
    v.setGainScale(AlignmentView::GainScale::Absolute);
    QCOMPARE(v.gainValues(0), QList<qreal>({3.0, 1.0}));
    QCOMPARE(v.gainValues(1), QList<qreal>({10.0, 30.0}));
    QVERIFY(v.gainNote().isEmpty());
    // Log axis: every bar > 0 here.
    QVERIFY(v.setGainLogAxis(true));
    QVERIFY(v.gainLogAxis());
    QVERIFY(qobject_cast<QLogValueAxis*>(v.gainChart()->axes(Qt::Vertical).value(0)));
    QCOMPARE(v.gainValues(1), QList<qreal>({10.0, 30.0}));

    QCOMPARE(v.l2Categories(), QStringList({"align-seed1@wm", "am-step"}));
    QCOMPARE(v.l2Values(false), QList<qreal>({20.5, 20.5}));
    QCOMPARE(v.l2Values(true), QList<qreal>({12.75, 14.0}));

    QCOMPARE(v.sweepSeriesNames(), QStringList({"align-seed1@wm"}));
    QCOMPARE(v.sweepPoints("align-seed1@wm"),
             QList<QPointF>({{0, 10.25}, {1, 13.5}, {2, 14.0}, {3, 14.125}}));
    QVERIFY(v.sweepPoints("am-step").isEmpty());
    QVERIFY2(v.sweepNote().contains("am-step (am): one assignment per layer, no sweeps"),
             qPrintable(v.sweepNote()));

    const auto* s = v.stepsModel();
    QCOMPARE(s->rowCount(), 2);
    QCOMPARE(s->columnCount(), int(AlignmentView::StepColumnCount));
    QCOMPARE(cell(s, 0, AlignmentView::StepId).toString(), QString("align-seed1@wm"));
    QCOMPARE(cell(s, 1, AlignmentView::Method).toString(), QString("am"));
    QCOMPARE(cell(s, 0, AlignmentView::Sweeps, AlignmentView::ValueRole).toInt(), 3);
    QCOMPARE(cell(s, 0, AlignmentView::ObjectiveBefore, AlignmentView::ValueRole).toDouble(), 10.25);
    QCOMPARE(cell(s, 0, AlignmentView::ObjectiveAfter).toString(), QString("14.125"));
    QCOMPARE(cell(s, 1, AlignmentView::L2After, AlignmentView::ValueRole).toDouble(), 14.0);
    QCOMPARE(cell(s, 0, AlignmentView::L2Before).toString(), QString("20.5"));
    QCOMPARE(cell(s, 1, AlignmentView::MaxLogitDiff, AlignmentView::ValueRole).toDouble(), 0.25);
    QCOMPARE(cell(s, 0, AlignmentView::FunctionCheck).toString(), QString("passed"));
    QCOMPARE(cell(s, 1, AlignmentView::FunctionCheck).toString(), QString("FAILED"));
    for (int c = 0; c < s->columnCount(); ++c)
      QVERIFY(!s->headerData(c, Qt::Horizontal, Qt::ToolTipRole).toString().isEmpty());

    const auto* l = v.layersModel();
    QCOMPARE(l->rowCount(), 4);
    QCOMPARE(cell(l, 0, AlignmentView::LayerStep).toString(), QString("align-seed1@wm"));
    QCOMPARE(cell(l, 3, AlignmentView::LayerStep).toString(), QString("am-step"));
    QCOMPARE(cell(l, 1, AlignmentView::LayerName).toString(), QString("P1"));
    QCOMPARE(cell(l, 1, AlignmentView::LayerSize, AlignmentView::ValueRole).toLongLong(), 6);
    QCOMPARE(cell(l, 0, AlignmentView::LayerMoved, AlignmentView::ValueRole).toLongLong(), 2);
    QCOMPARE(cell(l, 0, AlignmentView::LayerMoved).toString(), QString("2 (25.0%)"));
    QCOMPARE(cell(l, 3, AlignmentView::LayerMoved).toString(), QString("6 (100.0%)"));
    QCOMPARE(cell(l, 3, AlignmentView::LayerGain, AlignmentView::ValueRole).toDouble(), 30.0);

    // A zero gain: no log axis; a step whose gains sum to ≤ 0 has no share.
    Reports r = handMade();
    r[0].second.layers[1].gain = 0;
    r[1].second.layers = {{"P0", 8, -1.0, 1}, {"P1", 6, 0.0, 0}};
    v.setReports(r);
    QVERIFY(!v.gainLogAxis());
    QVERIFY(!v.gainLogAvailable());
    QVERIFY(!v.setGainLogAxis(true));
    QCOMPARE(v.gainSetCount(), 1);
    QCOMPARE(v.gainValues(0), QList<qreal>({100.0, 0.0}));
    QVERIFY2(v.gainNote().startsWith("am-step (am) left out"), qPrintable(v.gainNote()));

    v.clear();
    QCOMPARE(v.gainSetCount(), 0);
    QVERIFY(v.gainCategories().isEmpty());
    QVERIFY(v.l2Categories().isEmpty());
    QVERIFY(v.l2Values(true).isEmpty());
    QVERIFY(v.sweepSeriesNames().isEmpty());
    QVERIFY(v.sweepNote().isEmpty());
    QVERIFY(v.gainNote().isEmpty());
    QCOMPARE(v.stepsModel()->rowCount(), 0);
    QCOMPARE(v.layersModel()->rowCount(), 0);
    QVERIFY(v.reports().empty());
  }

  void labelsLoseTheirCommonPrefix() {
    Reports many;
    int k = 0;
    for (std::string id : {"align-seed1@wm", "align-seed1@am", "align-seed1@am-pearson", "align-seed2@wm"}) {
      AlignmentReport r = report(id.substr(id.find('@') + 1), {1.0, 1000.0 * ++k}, {1, 2});
      r.l2_before = 2 * k;
      r.l2_after = k;
      many.emplace_back(id, r);
    }
    many.emplace_back("custom", report("ste", {2.0, 3.0}, {0, 1}));
    AlignmentView v;
    v.setReports(many);
    // No prefix common to all five: full ids, the method added where the id lacks it.
    QCOMPARE(v.gainSetLabels(), QStringList({"align-seed1@wm", "align-seed1@am",
                                             "align-seed1@am-pearson", "align-seed2@wm",
                                             "custom (ste)"}));
    many.pop_back();
    v.setReports(many);
    QCOMPARE(v.gainSetLabels(), QStringList({"seed1@wm", "seed1@am", "seed1@am-pearson", "seed2@wm"}));
    QCOMPARE(v.l2Categories(), v.gainSetLabels());
    QCOMPARE(v.l2Values(false), QList<qreal>({2, 4, 6, 8}));
    QCOMPARE(v.l2Values(true), QList<qreal>({1, 2, 3, 4}));
    // The common prefix is named in the view's title; chart and axis titles stay short enough
    // to be read whole in a dock (issue 10: "Gain per layer, steps align-seed1@…" was cut off).
    QVERIFY2(v.titleText().contains("step ids align-…"), qPrintable(v.titleText()));
    QCOMPARE(v.gainChart()->title(), QString("Gain per layer"));
    QCOMPARE(v.l2Chart()->axes(Qt::Vertical).value(0)->titleText(), QString("step"));
    // Gains over three decades: on the log axis the smallest bar (1.0) keeps a height.
    v.setGainScale(AlignmentView::GainScale::Absolute);
    QVERIFY(v.setGainLogAxis(true));
    auto* axis = qobject_cast<QLogValueAxis*>(v.gainChart()->axes(Qt::Vertical).value(0));
    QVERIFY(axis);
    QVERIFY(axis->min() < 0.5);
    QVERIFY(axis->max() > 4000.0);
    QCOMPARE(v.gainValues(3), QList<qreal>({1.0, 4000.0}));
  }

  void withinHeadsHandMade() {
    AlignmentView v;
    v.setReports(handMade());
    QVERIFY(!v.withinHeadsShown());
    QVERIFY(v.withinHeadsText().isEmpty());
    QCOMPARE(v.withinHeadsModel()->rowCount(), 0);

    v.setReports(handMade(), {{"align-seed1@wm", withinHeads()}});
    QVERIFY(v.withinHeadsShown());
    QCOMPARE(v.withinHeads().size(), size_t(1));
    const auto* m = v.withinHeadsModel();
    QCOMPARE(m->rowCount(), 1);
    QCOMPARE(m->columnCount(), int(AlignmentView::WithinColumnCount));
    QCOMPARE(cell(m, 0, AlignmentView::WithinStep).toString(), QString("align-seed1@wm"));
    QCOMPARE(cell(m, 0, AlignmentView::WithinRepaired).toString(), QString("2 of 4 (50.0%)"));
    QCOMPARE(cell(m, 0, AlignmentView::WithinRepaired, AlignmentView::ValueRole).toInt(), 2);
    // The new pairing of the block whose heads moved, and only that block.
    const QString pairing = cell(m, 0, AlignmentView::WithinRepaired, Qt::ToolTipRole).toString();
    QVERIFY2(pairing.contains("block 1: B's heads 1 0"), qPrintable(pairing));
    QVERIFY2(!pairing.contains("block 0"), qPrintable(pairing));
    QCOMPARE(cell(m, 0, AlignmentView::WithinQkMoved).toString(), QString("not searched"));
    QCOMPARE(cell(m, 0, AlignmentView::WithinQkMoved, Qt::ToolTipRole).toString(),
             QString("performer: fixed random features"));
    QCOMPARE(cell(m, 0, AlignmentView::WithinVoMoved).toString(), QString("3 of 4 (75.0%)"));
    QCOMPARE(cell(m, 0, AlignmentView::WithinQkBefore, AlignmentView::ValueRole).toDouble(), 2.5);
    QCOMPARE(cell(m, 0, AlignmentView::WithinVoBefore).toString(), QString("10"));
    QCOMPARE(cell(m, 0, AlignmentView::WithinVoAfter).toString(), QString("12.25"));
    QCOMPARE(cell(m, 0, AlignmentView::WithinGained, AlignmentView::ValueRole).toDouble(), 2.25);
    QCOMPARE(cell(m, 0, AlignmentView::WithinGained).toString(), QString("+2.25"));
    for (int c = 0; c < m->columnCount(); ++c)
      QVERIFY(!m->headerData(c, Qt::Horizontal, Qt::ToolTipRole).toString().isEmpty());
    QCOMPARE(v.withinHeadsText(),
             QString("Within heads, align-seed1@wm: 2 of 4 heads paired again; σ (query/key) not "
                     "searched: performer: fixed random features, τ (value/output) in 3 of 4; "
                     "⟨A, π(B)⟩ Q/K 2.5 → 2.5 (0), V/O 10 → 12.25 (+2.25)"));

    // σ searched: its count instead of the reason.
    WithinHeadsSummary w = withinHeads();
    w.qk_skipped.clear();
    w.qk_moved = 1;
    w.qk_after = 3.0;
    v.setReports(handMade(), {{"align-seed1@wm", w}});
    QCOMPARE(cell(v.withinHeadsModel(), 0, AlignmentView::WithinQkMoved).toString(),
             QString("1 of 4 (25.0%)"));
    QCOMPARE(cell(v.withinHeadsModel(), 0, AlignmentView::WithinGained, AlignmentView::ValueRole)
                 .toDouble(),
             2.75);
    QVERIFY2(v.withinHeadsText().contains("σ (query/key) moved in 1 of 4 heads, τ (value/output) "
                                          "in 3 of 4; ⟨A, π(B)⟩ Q/K 2.5 → 3 (+0.5)"),
             qPrintable(v.withinHeadsText()));

    v.clear();
    QVERIFY(!v.withinHeadsShown());
    QVERIFY(v.withinHeads().empty());
    QCOMPARE(v.withinHeadsModel()->rowCount(), 0);
  }

  // A real align step with "within_heads": the window's align page shows what the step found.
  void withinHeadsOfARealRun() {
    test::ScratchDir dir("align-heads-view");
    RunOptions o;
    o.out_dir = dir.file("run");
    o.device = "cpu";
    o.threads = 1;
    const RunSummary live = run_experiment(parse_spec(kWithinHeadsSpec, "align-heads.json"), o);
    std::vector<const StepResult*> results;
    const WithinHeadsSummary* found = nullptr;
    for (const StepResult& r : live.results) {
      results.push_back(&r);
      if (const auto* a = r.as<AlignStepResult>(); a && r.id == "heads") {
        QVERIFY(a->full && a->full->within_heads);
        found = &*a->full->within_heads;
      }
    }
    QVERIFY(found);
    QCOMPARE(found->heads, 4);

    QTabWidget tabs;
    gui::ResultHost host;
    host.tabs = &tabs;
    host.show_tabs = [] {};
    host.add_chart_menu = [](QChartView*, const QString&, std::function<QString()>) {};
    gui::AlignPages pages(host);
    pages.showAll(results);
    AlignmentView& v = *pages.view();
    QCOMPARE(v.reports().size(), size_t(2));
    QCOMPARE(v.withinHeads().size(), size_t(1));  // the plain step has none
    QVERIFY(v.withinHeadsShown());
    const auto* m = v.withinHeadsModel();
    QCOMPARE(m->rowCount(), 1);
    QCOMPARE(cell(m, 0, AlignmentView::WithinStep).toString(), QString("heads"));
    QCOMPARE(cell(m, 0, AlignmentView::WithinRepaired, AlignmentView::ValueRole).toInt(),
             found->heads_moved);
    QCOMPARE(cell(m, 0, AlignmentView::WithinQkMoved, AlignmentView::ValueRole).toInt(),
             found->qk_moved);
    QCOMPARE(cell(m, 0, AlignmentView::WithinVoMoved, AlignmentView::ValueRole).toInt(),
             found->vo_moved);
    QVERIFY(cell(m, 0, AlignmentView::WithinQkBefore, AlignmentView::ValueRole).toDouble() ==
            found->qk_before);
    QVERIFY(cell(m, 0, AlignmentView::WithinVoAfter, AlignmentView::ValueRole).toDouble() ==
            found->vo_after);
    // Weight matching within heads never loses: after ≥ before, and softmax searches σ.
    QVERIFY(cell(m, 0, AlignmentView::WithinGained, AlignmentView::ValueRole).toDouble() >= 0);
    QVERIFY(found->qk_skipped.empty());
    QVERIFY2(v.withinHeadsText().startsWith(QString("Within heads, heads: %1 of 4 heads paired again")
                                                .arg(found->heads_moved)),
             qPrintable(v.withinHeadsText()));

    // A page that is shown live, step by step, ends the same.
    pages.clear();
    for (const StepResult* r : results) pages.show(*r);
    QCOMPARE(v.withinHeads().size(), size_t(1));
    QCOMPARE(v.withinHeadsModel()->rowCount(), 1);

    v.resize(1400, 900);
    v.show();
    QVERIFY(QTest::qWaitForWindowExposed(&v));
    QCoreApplication::processEvents();
    if (const QByteArray out = qgetenv("WITHIN_HEADS_VIEW_PNG"); !out.isEmpty())
      QVERIFY(v.grab().toImage().save(QString::fromLocal8Bit(out)));
  }

  void currentChartFollowsClicks() {
    AlignmentView v;
    v.setReports(handMade());
    v.resize(1200, 800);
    v.show();
    QVERIFY(QTest::qWaitForWindowExposed(&v));
    QChartView* sweep = v.chartViews()[2];
    QTest::mouseClick(sweep->viewport(), Qt::LeftButton, {}, sweep->viewport()->rect().center());
    QCOMPARE(v.currentChart(), sweep);
  }

  void realRunFromDisk() {
    test::ScratchDir dir("align-view");
    RunOptions o;
    o.out_dir = dir.file("run");
    o.device = "cpu";
    o.threads = 1;
    const RunSummary live = run_experiment(parse_spec(kRealSpec, "align-view.json"), o);
    const Reports reports = load_run(o.out_dir).alignment_reports();
    QCOMPARE(reports.size(), size_t(3));
    QVERIFY(reports == live.alignment_reports());

    AlignmentView v;
    v.setReports(reports);
    v.setGainScale(AlignmentView::GainScale::Absolute);
    QCOMPARE(v.gainCategories(), QStringList({"P0", "P1", "P2"}));
    QCOMPARE(v.gainSetCount(), 3);
    // The common "align-seed1@" moves to the titles, so that the labels fit.
    QCOMPARE(v.gainSetLabels(), QStringList({"wm", "am", "ste"}));
    QCOMPARE(v.l2Categories(), QStringList({"wm", "am", "ste"}));
    QVERIFY(v.titleText().contains("align-seed1@"));
    QCOMPARE(v.l2Values(false).size(), 3);
    QCOMPARE(v.l2Values(true).size(), 3);
    for (int s = 0; s < 3; ++s) {
      QList<qreal> gains;
      for (const auto& layer : reports[size_t(s)].second.layers) gains << layer.gain;
      QCOMPARE(v.gainValues(s), gains);
      QCOMPARE(v.l2Values(false)[s], reports[size_t(s)].second.l2_before);
      QCOMPARE(v.l2Values(true)[s], reports[size_t(s)].second.l2_after);
    }
    const AlignmentReport& wm = reports[0].second;
    const QList<QPointF> pts = v.sweepPoints("align-seed1@wm");
    QCOMPARE(pts.size(), qsizetype(wm.objective_per_sweep.size() + 1));
    // Exact: the series holds the doubles it was given (QCOMPARE on doubles is fuzzy).
    QVERIFY(pts[0].x() == 0 && pts[0].y() == wm.objective_before);
    for (size_t i = 0; i < wm.objective_per_sweep.size(); ++i) {
      QVERIFY(pts[qsizetype(i + 1)].x() == double(i + 1));
      QVERIFY(pts[qsizetype(i + 1)].y() == wm.objective_per_sweep[i]);
    }
    QVERIFY(v.sweepNote().contains("align-seed1@am"));
    QVERIFY(v.sweepNote().contains("align-seed1@ste"));
    QCOMPARE(v.layersModel()->rowCount(), 9);

    v.setReports(reports);  // back to the default view, as a window would show it
    v.resize(1400, 900);
    v.show();
    QVERIFY(QTest::qWaitForWindowExposed(&v));
    QCoreApplication::processEvents();  // Qt Charts lays out axes on posted events
    const QImage img = v.grab().toImage();
    QVERIFY(inkPixels(img) > 2000);
    if (const QByteArray out = qgetenv("ALIGNMENT_VIEW_PNG"); !out.isEmpty())
      QVERIFY(img.save(QString::fromLocal8Bit(out)));
  }
};

QTEST_MAIN(TestAlignmentView)
#include "test_alignment_view.moc"
