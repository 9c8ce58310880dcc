// MainWindow: the result pages (one chart + barrier table per interpolation step), the
// experiment header, the bundled spec's location and the accessors used by tests.
#include <QCoreApplication>
#include <QFileInfo>
#include <QLabel>
#include <QPlainTextEdit>
#include <QStackedWidget>
#include <QTabWidget>
#include <QVBoxLayout>

#include "widgets/paths/barrier_table.h"
#include "gui/main_window/main_window.h"
#include "widgets/paths/interpolation_chart.h"
#include "widgets/paths/paths_chart.h"

namespace ridgeline::gui {

QString MainWindow::bundledSpecPath() {
  const QString rel = "resources/experiments/fmnist-mlp-lmc.json";
  const QString exe = QCoreApplication::applicationDirPath();
  const QStringList candidates = {exe + "/../" + rel, exe + "/../../" + rel,
                                  exe + "/../share/ridgeline/experiments/fmnist-mlp-lmc.json",
                                  QStringLiteral(RIDGELINE_SOURCE_DIR "/") + rel};
  for (const auto& c : candidates)
    if (QFileInfo::exists(c)) return QFileInfo(c).canonicalFilePath();
  return {};
}

void MainWindow::clearResults() {
  pages_.clear();
  paths_chart_ = nullptr;  // deleted with its tab below
  compare_chart_ = nullptr;
  all_paths_page_ = compare_page_ = nullptr;
  all_barriers_ = compare_barriers_ = nullptr;
  path_order_.clear();
  while (tabs_->count() > 0) {
    QWidget* w = tabs_->widget(0);
    tabs_->removeTab(0);
    w->deleteLater();
  }
  results_stack_->setCurrentIndex(0);
}

QString MainWindow::pathTitle(const QString& step_id) const {
  if (spec_) {
    for (const auto& s : spec_->steps) {
      if (QString::fromStdString(s.id) != step_id) continue;
      const QString a = QString::fromStdString(s.a), b = QString::fromStdString(s.b);
      const qsizetype at = b.indexOf('@');
      QString kind = at >= 0 ? b.mid(at + 1) : (a.contains('@') ? "mixed" : "naive");
      if (const auto* p = std::any_cast<InterpolateParams>(&s.params); p && p->repair)
        kind += " + REPAIR";
      return QString("%1 → %2 (%3)").arg(a, b, kind);
    }
  }
  return step_id;
}

void MainWindow::showResult(const QString& step_id, const InterpolationResult& r) {
  auto it = pages_.find(step_id);
  if (it == pages_.end()) {
    auto* page = new QWidget;
    auto* lay = new QVBoxLayout(page);
    lay->setContentsMargins(2, 2, 2, 2);
    ResultPage p;
    p.chart = new widgets::InterpolationChart;
    p.chart->setErrorVisible(act_error_axis_->isChecked());
    p.chart->setToolTip("Loss along θ(α) = (1−α)·θ_A + α·θ_B; red: the mean-endpoint barrier");
    p.table = new widgets::BarrierTable;
    addChartMenu(p.chart, step_id);
    lay->addWidget(p.chart, 1);
    lay->addWidget(p.table);
    tabs_->addTab(page, step_id);
    it = pages_.insert(step_id, p);
  }
  it->chart->setResult(r, pathTitle(step_id));
  it->table->setResult(r);
  if (!path_order_.contains(step_id)) path_order_ << step_id;
  // With two or more paths, an overlay of all of them and their barriers leads the tabs.
  if (!paths_chart_ && pages_.size() >= 2) {
    all_paths_page_ = overlayPage("all-paths", "every path", &paths_chart_, &all_barriers_);
    tabs_->insertTab(0, all_paths_page_, "all paths");
    tabs_->setCurrentIndex(0);
    for (const QString& id : path_order_)
      if (id != step_id) paths_chart_->setPath(id, pages_.value(id).chart->result());
    applyPathsOptions();
  }
  if (paths_chart_) {
    paths_chart_->setPath(step_id, r);
    all_barriers_->setResults(runPaths(), act_train_split_->isChecked());
  }
  results_stack_->setCurrentIndex(1);
}

QWidget* MainWindow::overlayPage(const QString& name, const QString& what,
                                 widgets::PathsChart** chart, widgets::BarrierTable** table) {
  *chart = new widgets::PathsChart;
  addChartMenu(*chart, name);
  *table = new widgets::BarrierTable;
  (*table)->setToolTip("The barriers of " + what +
                       " (the split the chart shows); hover a column header for its definition");
  auto* page = new QWidget;
  auto* lay = new QVBoxLayout(page);
  lay->setContentsMargins(2, 2, 2, 2);
  lay->addWidget(*chart, 1);
  lay->addWidget(*table);
  return page;
}

QList<QPair<QString, InterpolationResult>> MainWindow::runPaths() const {
  QList<QPair<QString, InterpolationResult>> out;
  for (const QString& id : path_order_)
    if (pages_.contains(id)) out.append({id, pages_.value(id).chart->result()});
  return out;
}

void MainWindow::setSpecHeader(const QString& run_dir) {
  if (!spec_) return;
  QString html = "<b>" + QString::fromStdString(spec_->name).toHtmlEscaped() + "</b>";
  if (!spec_->description.empty())
    html += " — " + QString::fromStdString(spec_->description).toHtmlEscaped();
  html += QString("<br><span style='color:gray'>%1 · %2 · %3 lr %4, batch %5, %6 epochs")
              .arg(QString::fromStdString(spec_->data).toHtmlEscaped(),
                   QString::fromStdString(spec_->arch.to_string()),
                   QString::fromStdString(to_string(spec_->train.optimizer)),
                   QString::number(spec_->train.lr, 'g', 4))
              .arg(spec_->train.batch)
              .arg(spec_->train.epochs);
  if (!run_dir.isEmpty()) html += " · " + run_dir.toHtmlEscaped();
  html += "</span>";
  header_->setText(html);
  setWindowTitle("Ridgeline — " + QString::fromStdString(spec_->name));
}

int MainWindow::resultCount() const { return static_cast<int>(pages_.size()); }
QStringList MainWindow::resultIds() const { return pages_.keys(); }
widgets::InterpolationChart* MainWindow::chart(const QString& id) const {
  return pages_.value(id).chart;
}
widgets::BarrierTable* MainWindow::barrierTable(const QString& id) const {
  return pages_.value(id).table;
}
QString MainWindow::stageText() const { return stage_label_->text(); }
QString MainWindow::deviceText() const { return device_label_->text(); }
QString MainWindow::logText() const { return log_->toPlainText(); }

}  // namespace ridgeline::gui
