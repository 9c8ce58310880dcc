// MainWindow: clearing the result tabs, the experiment header, the bundled spec's location and
// the accessors used by tests. The pages in the tabs come from gui/results.
#include <QCoreApplication>
#include <QFileInfo>
#include <QLabel>
#include <QPlainTextEdit>
#include <QStackedWidget>
#include <QTabWidget>
#include <QVBoxLayout>

#include "gui/main_window/main_window.h"
#include "gui/results/result_views.h"

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
  study_view_ = nullptr;  // a tab: deleted below
  study_.reset();
  results_->clear();  // the views forget their tabs; the tabs are deleted here
  while (tabs_->count() > 0) {
    QWidget* w = tabs_->widget(0);
    tabs_->removeTab(0);
    w->deleteLater();
  }
  results_stack_->setCurrentIndex(0);
}

void MainWindow::setSpecHeader(const QString& run_dir) {
  if (!spec_) return;
  QString html = "<b>" + QString::fromStdString(spec_->name).toHtmlEscaped() + "</b>";
  if (!spec_->description.empty())
    html += " — " + QString::fromStdString(spec_->description).toHtmlEscaped();
  const QString recipe = QString("%1 lr %2").arg(QString::fromStdString(to_string(spec_->train.optimizer)),
                                                 QString::number(spec_->train.lr, 'g', 4));
  if (spec_->model()->uses_data())
    html += QString("<br><span style='color:gray'>%1 · %2 · %3, batch %4, %5 epochs")
                .arg(QString::fromStdString(spec_->data).toHtmlEscaped(),
                     QString::fromStdString(spec_->model()->to_string()).toHtmlEscaped(), recipe)
                .arg(spec_->train.batch)
                .arg(spec_->train.epochs);
  else  // a data-free model (the quadratic oracle): one full-gradient step per epoch
    html += QString("<br><span style='color:gray'>%1 (no data) · %2, %3 full-gradient epochs")
                .arg(QString::fromStdString(spec_->model_text).toHtmlEscaped(), recipe)
                .arg(spec_->train.epochs);
  if (!run_dir.isEmpty()) html += " · " + run_dir.toHtmlEscaped();
  html += "</span>";
  header_->setText(html);
  setWindowTitle("Ridgeline — " + QString::fromStdString(spec_->name));
}

QString MainWindow::stageText() const { return stage_label_->text(); }
QString MainWindow::headerText() const { return header_->text(); }
QString MainWindow::deviceText() const { return device_label_->text(); }
QString MainWindow::logText() const { return log_->toPlainText(); }

}  // namespace ridgeline::gui
