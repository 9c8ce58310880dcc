// File ▸ Export figure… (figure_export.h).
#include "gui/main_window/figure_export.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <exception>

#include "figures/figure_views.h"
#include "ridgeline/experiment/run.h"
#include "ridgeline/experiment/study.h"
#include "widgets/figure/figure_python.h"
#include "widgets/figure/figure_render.h"

namespace ridgeline::gui {

namespace {

QString folder_name(const QString& dir) { return QDir(QDir::cleanPath(dir)).dirName(); }

/// A study folder (study.json, no experiment.json) draws only the "study" view.
bool is_study_folder(const QString& dir) {
  return QFileInfo::exists(QDir(dir).filePath("study.json")) &&
         !QFileInfo::exists(QDir(dir).filePath("experiment.json"));
}

QDoubleSpinBox* spin(double lo, double hi, double value, const QString& suffix, const QString& tip) {
  auto* s = new QDoubleSpinBox;
  s->setRange(lo, hi);
  s->setDecimals(1);
  s->setValue(value);
  s->setSuffix(suffix);
  s->setToolTip(tip);
  return s;
}

}  // namespace

namespace {

// Writes a built figure as the request asks (its height fitted to square panels when asked).
bool write_requested(const figure::Figure& fig, const FigureExportRequest& r, QString* error,
                     figure::FigureSize* written) {
  figure::FigureSize size = r.size;
  if (r.fit_height) size.height_mm = figure::fitted_height_mm(fig, size);
  if (written) *written = size;
  if (r.out.endsWith(".png", Qt::CaseInsensitive))
    if (const std::string bad = figure::check_png_size(size); !bad.empty()) {
      if (error) *error = QString::fromStdString(bad);
      return false;
    }
  return figure::write_figure(fig, size, r.out, error) &&
         (!r.python || figure::write_python(fig, size, r.out, error));
}

}  // namespace

bool export_figure(const FigureExportRequest& r, QString* error, figure::FigureSize* written) {
  auto fail = [&](const QString& why) {
    if (error) *error = why;
    return false;
  };
  if (r.run_dir.isEmpty()) return fail("no run folder is shown (run a spec or open a run folder)");
  if (const std::string bad = figure::check_size(r.size); !bad.empty()) return fail(QString::fromStdString(bad));
  try {
    if (is_study_folder(r.run_dir)) {
      const StudyAggregate agg = aggregate_study_folder(read_study_folder(r.run_dir.toStdString()));
      figures::FigureInput in{nullptr, nullptr, folder_name(r.run_dir).toStdString(), nullptr, nullptr, {}};
      in.study = &agg;
      return write_requested(figures::build_figure(in, r.view.toStdString()), r, error, written);
    }
    ExperimentSpec spec, other_spec;
    const RunSummary run = load_run(r.run_dir.toStdString(), &spec);
    RunSummary other;
    figures::FigureInput in{&run, &spec, folder_name(r.run_dir).toStdString(), nullptr, nullptr, {}};
    if (r.view == "compare" && !r.compare_dir.isEmpty()) {
      other = load_run(r.compare_dir.toStdString(), &other_spec);
      in.other = &other;
      in.other_spec = &other_spec;
      in.other_label = folder_name(r.compare_dir).toStdString();
    }
    return write_requested(figures::build_figure(in, r.view.toStdString()), r, error, written);
  } catch (const std::exception& e) {
    return fail(QString::fromStdString(e.what()));
  }
}

FigureExportDialog::FigureExportDialog(const QString& run_dir, const QString& view, QWidget* parent)
    : QDialog(parent), run_dir_(run_dir) {
  setWindowTitle("Export figure");
  view_ = new QComboBox;
  view_->setToolTip("The view to draw as a paper figure (the current tab's view is preselected)");
  view_->addItems(views());
  if (const int i = view_->findText(view); i >= 0) view_->setCurrentIndex(i);
  compare_ = new QLineEdit;
  compare_->setToolTip("The second run folder of the compare view (its paths are drawn dashed)");
  auto* browse_compare = new QPushButton("…");
  connect(browse_compare, &QPushButton::clicked, this, [this] {
    const QString d = QFileDialog::getExistingDirectory(this, "Second run folder", QFileInfo(run_dir_).path());
    if (!d.isEmpty()) compare_->setText(d);
  });
  auto* compare_row = new QHBoxLayout;
  compare_row->addWidget(compare_, 1);
  compare_row->addWidget(browse_compare);
  out_ = new QLineEdit;
  out_->setMinimumWidth(360);  // room for a path
  out_->setToolTip("The figure file: .pdf (vector), .svg (vector) or .png (at the dpi below)");
  QString dir = run_dir.isEmpty() ? QDir::currentPath() : run_dir + "/figures";
  if (!QDir(dir).exists()) dir = run_dir.isEmpty() ? QDir::currentPath() : run_dir;
  auto suggest = [this, dir] {
    QString name = view_->currentText();
    name.replace(QRegularExpression("[^A-Za-z0-9_.@+-]+"), "_");
    const QString suffix = QFileInfo(out_->text()).suffix().isEmpty() ? "pdf" : QFileInfo(out_->text()).suffix();
    out_->setText(QDir(dir).filePath(name + "." + suffix));
  };
  suggest();
  auto* browse_out = new QPushButton("…");
  connect(browse_out, &QPushButton::clicked, this, [this] {
    const QString p = QFileDialog::getSaveFileName(this, "Export figure", out_->text(),
                                                   "PDF (*.pdf);;SVG (*.svg);;PNG (*.png)");
    if (!p.isEmpty()) out_->setText(p);
  });
  auto* out_row = new QHBoxLayout;
  out_row->addWidget(out_, 1);
  out_row->addWidget(browse_out);
  const figure::FigureSize d;
  width_ = spin(20, 500, d.width_mm, " mm", "Figure width (89 mm: one column; 183 mm: two)");
  height_ = spin(20, 500, d.height_mm, " mm", "Figure height");
  fit_height_ = new QCheckBox("fit square panels");
  fit_height_->setChecked(true);
  fit_height_->setToolTip(
      "A figure whose panels keep one scale on both axes (attention maps, heatmaps, planes) "
      "gets the height at which its panels fill the width, with nothing empty above them; "
      "other figures use the height given");
  auto* height_row = new QHBoxLayout;
  height_row->addWidget(height_, 1);
  height_row->addWidget(fit_height_);
  font_ = spin(4, 30, d.font_pt, " pt", "The size of every text in the figure");
  dpi_ = new QSpinBox;
  dpi_->setRange(50, 2400);
  dpi_->setValue(d.dpi);
  dpi_->setSuffix(" dpi");
  dpi_->setToolTip("PNG resolution (written into the PNG); PDF and SVG are vector");
  python_ = new QCheckBox("Also write a Python script");
  python_->setToolTip("FIG.py (matplotlib, no Ridgeline needed) and FIG.csv (its data) that redraw "
                      "the figure");
  status_ = new QLabel;
  status_->setWordWrap(true);
  status_->setStyleSheet("color: #a00;");
  auto* form = new QFormLayout;
  form->addRow("View", view_);
  form->addRow("Compare with", compare_row);
  form->addRow("File", out_row);
  form->addRow("Width", width_);
  form->addRow("Height", height_row);
  form->addRow("Font", font_);
  form->addRow("Resolution", dpi_);
  form->addRow(python_);
  form->addRow(status_);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel);
  connect(buttons, &QDialogButtonBox::accepted, this, [this] {
    if (exportNow()) accept();
  });
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  form->addRow(buttons);
  setLayout(form);
  connect(view_, &QComboBox::currentTextChanged, this, [this, suggest] {
    suggest();
    updateFields();
  });
  connect(out_, &QLineEdit::textChanged, this, [this] { updateFields(); });
  updateFields();
}

QStringList FigureExportDialog::views() const {
  QStringList out;
  if (is_study_folder(run_dir_)) return {"study"};
  try {
    ExperimentSpec spec;
    const RunSummary run = load_run(run_dir_.toStdString(), &spec);
    figures::FigureInput in{&run, &spec, {}, &run, &spec, {}};  // "compare" listed when it has paths
    for (const auto& v : figures::available_views(in)) out << QString::fromStdString(v);
  } catch (const std::exception&) {
  }
  return out;
}

FigureExportRequest FigureExportDialog::request() const {
  FigureExportRequest r;
  r.run_dir = run_dir_;
  r.view = view_->currentText();
  r.compare_dir = compare_->text();
  r.out = out_->text();
  r.size.width_mm = width_->value();
  r.size.height_mm = height_->value();
  r.fit_height = fit_height_->isChecked();
  r.size.font_pt = font_->value();
  r.size.dpi = dpi_->value();
  r.python = python_->isChecked();
  return r;
}

void FigureExportDialog::setRequest(const FigureExportRequest& r) {
  view_->setCurrentText(r.view);
  compare_->setText(r.compare_dir);
  out_->setText(r.out);
  width_->setValue(r.size.width_mm);
  height_->setValue(r.size.height_mm);
  fit_height_->setChecked(r.fit_height);
  font_->setValue(r.size.font_pt);
  dpi_->setValue(r.size.dpi);
  python_->setChecked(r.python);
}

void FigureExportDialog::updateFields() {
  compare_->setEnabled(view_->currentText() == "compare");
  dpi_->setEnabled(QFileInfo(out_->text()).suffix().toLower() == "png");
}

bool FigureExportDialog::exportNow(QString* error) {
  QString why;
  const FigureExportRequest r = request();
  bool ok = !(r.view == "compare" && r.compare_dir.isEmpty());
  if (!ok) why = "compare: choose the second run folder";
  else ok = export_figure(r, &why);
  status_->setText(ok ? QString() : why);
  if (error) *error = why;
  return ok;
}

void open_figure_export(QWidget* window, const QString& run_dir, const QString& view) {
  if (run_dir.isEmpty() || !QDir(run_dir).exists()) {
    QMessageBox::information(window, "Export figure",
                             "No run folder is shown yet: run a spec or open a run folder first.");
    return;
  }
  FigureExportDialog dialog(run_dir, view, window);
  dialog.exec();
}

}  // namespace ridgeline::gui
