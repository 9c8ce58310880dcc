#pragma once
/// @file study_view.h
/// StudyView: a study's page (docs/USER_GUIDE.md, "Studies"): which barrier, split and band
/// to show, the StudyChart, and the table of groups (mean, std, min and max over seed pairs of
/// the chosen barrier, per swept value and path kind). A click on a point or a double click
/// on a row asks for that group's cells (cellsRequested); the window opens them. Fed the
/// engine's StudyAggregate only.
#include <QString>
#include <QWidget>

#include "ridgeline/experiment/study.h"

class QComboBox;
class QLabel;
class QTableWidget;

namespace ridgeline::widgets {

class StudyChart;

class StudyView : public QWidget {
  Q_OBJECT

 public:
  explicit StudyView(QWidget* parent = nullptr);

  void setAggregate(const StudyAggregate& agg);
  const StudyAggregate& aggregate() const { return agg_; }
  StudyChart* chart() const { return chart_; }
  QTableWidget* table() const { return table_; }
  /// The chosen barrier ("loss_lin", ...), split and band, by objectName "study.measure",
  /// "study.split", "study.band".
  QComboBox* measureBox() const { return measure_; }
  QComboBox* splitBox() const { return split_; }
  QComboBox* bandBox() const { return band_; }
  /// The table as CSV: the columns shown, full precision (errors as fractions).
  QString tableCsv() const;

 signals:
  void cellsRequested(const QString& group, const QString& path);

 private:
  void refreshTable();

  StudyAggregate agg_;
  StudyChart* chart_ = nullptr;
  QTableWidget* table_ = nullptr;
  QComboBox *measure_ = nullptr, *split_ = nullptr, *band_ = nullptr;
  QLabel* note_ = nullptr;
};

}  // namespace ridgeline::widgets
