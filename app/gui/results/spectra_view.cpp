// The spectra step's pages (spectra_view.h).
#include "gui/results/spectra_view.h"

#include <QFileDialog>
#include <QMenu>
#include <QMessageBox>
#include <QPainter>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QTabWidget>

#include "figures/spectra_copies.h"
#include "widgets/spectra/overlap_heatmaps.h"
#include "widgets/spectra/spectra_charts.h"
#include "widgets/spectra/spectra_view.h"

namespace ridgeline::gui {

namespace {

// Right-click on the heatmaps: PNG (2× the widget's pixels), SVG or the matrices as CSV.
void add_heatmap_menu(widgets::OverlapHeatmaps* h, const QString& stem) {
  h->setContextMenuPolicy(Qt::CustomContextMenu);
  QObject::connect(h, &QWidget::customContextMenuRequested, h, [h, stem](const QPoint& at) {
    QMenu menu(h);
    for (const QString& suffix : {QStringLiteral("png"), QStringLiteral("svg"), QStringLiteral("csv")}) {
      QAction* a = menu.addAction(suffix == "csv" ? QString("Export the overlaps as CSV…")
                                                  : QString("Export the heatmaps as %1…").arg(suffix.toUpper()));
      QObject::connect(a, &QAction::triggered, h, [h, stem, suffix] {
        QString path = QFileDialog::getSaveFileName(h, "Export heatmaps", stem + "-heatmaps." + suffix,
                                                    suffix.toUpper() + " files (*." + suffix + ")");
        if (path.isEmpty()) return;
        bool ok = true;
        if (suffix == "csv") {
          QSaveFile f(path);
          ok = f.open(QIODevice::WriteOnly) && f.write(h->csv().toUtf8()) >= 0 && f.commit();
        } else if (suffix == "svg") {
          QSvgGenerator g;
          g.setFileName(path);
          g.setSize(h->size());
          g.setViewBox(QRect(QPoint(0, 0), h->size()));
          QPainter p;
          ok = p.begin(&g);
          if (ok) h->render(p, h->size());
        } else {
          QImage img(h->size() * 2, QImage::Format_RGB32);
          QPainter p(&img);
          p.scale(2, 2);
          h->render(p, h->size());
          p.end();
          ok = img.save(path, "PNG");
        }
        if (!ok) QMessageBox::warning(h, "Cannot export the heatmaps", path + ": cannot write the file");
      });
    }
    menu.exec(h->mapToGlobal(at));
  });
}

}  // namespace

ResultView spectra_result_view() {
  return {"spectra", {}, [](const ResultHost& host) {
            return std::unique_ptr<ResultPages>(new SpectraPages(host));
          }};
}

SpectraPages::SpectraPages(const ResultHost& host) : host_(host) {}

void SpectraPages::show(const StepResult& result) {
  const auto* r = result.as<SpectraResult>();
  if (!r) return;
  const QString id = QString::fromStdString(result.id);
  widgets::SpectraView* v = pages_.value(id);
  if (!v) {
    v = new widgets::SpectraView;
    v->setObjectName("spectra:" + id);
    const QString stem = "spectra-" + id;
    if (host_.add_chart_menu) {
      auto csv = [v] { return v->csv(); };
      host_.add_chart_menu(v->spectrumChart(), stem + "-singular-values", csv);
      host_.add_chart_menu(v->esdChart(), stem + "-esd", csv);
      host_.add_chart_menu(v->rChart(), stem + "-r-gamma", csv);
    }
    add_heatmap_menu(v->heatmaps(), stem);
    host_.tabs->addTab(v, id);
    order_ << id;
    pages_.insert(id, v);
    host_.show_tabs();
  }
  v->setResult(*r, figures::permuted_copies(host_.spec ? host_.spec() : nullptr));
}

void SpectraPages::clear() {
  pages_.clear();
  order_.clear();
}

QWidget* SpectraPages::page(const QString& name, QString* why) const {
  if (!name.startsWith("spectra:")) return nullptr;
  const QString id = name.mid(8);
  if (auto* v = pages_.value(id)) return v;
  if (why) *why = "--view " + name + ": no spectra step '" + id + "' (spectra: " + order_.join(", ") + ")";
  return nullptr;
}

QChartView* SpectraPages::chartOn(const QWidget* page) const {
  for (auto* v : pages_)
    if (v == page) return v->spectrumChart();
  return nullptr;
}

bool SpectraPages::numbersOn(const QWidget* page, QString* csv, QString* companion) const {
  for (auto* v : pages_)
    if (v == page) {
      if (csv) *csv = v->csv();
      if (companion) companion->clear();
      return true;
    }
  return false;
}

QString SpectraPages::exportName(const QWidget* page) const {
  for (auto it = pages_.begin(); it != pages_.end(); ++it)
    if (it.value() == page) return "spectra-" + it.key();
  return {};
}

}  // namespace ridgeline::gui
