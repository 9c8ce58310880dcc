#pragma once
// RunBrowser: the runs of a workspace as a table (id, status, start, data, architecture and
// the test barriers of the first path and of the best other one), for opening one run or comparing two. A view only: it is fed
// RunRecords (run_catalog.h) and emits the run folders the user picks.
#include <QString>
#include <QStringList>
#include <QWidget>
#include <vector>

#include "ridgeline/experiment/run_catalog.h"

class QLabel;
class QPushButton;
class QTableWidget;

namespace ridgeline::widgets {

class RunBrowser : public QWidget {
  Q_OBJECT

 public:
  enum Column { Id = 0, Status, Started, Data, Arch, Barrier, ColumnCount };

  explicit RunBrowser(QWidget* parent = nullptr);

  /// Replaces the rows with `records`, sorted by the column the user chose (newest first by
  /// default); the selection is cleared.
  void setRecords(const std::vector<RunRecord>& records);

  int rowCount() const;
  QString cellText(int row, int column) const;
  /// The run folder of a row ("" when out of range).
  QString runDir(int row) const;
  /// The run folders of the selected rows, in table order.
  QStringList selectedDirs() const;
  void selectRows(const QList<int>& rows);

  QTableWidget* table() const { return table_; }
  QPushButton* compareButton() const { return compare_; }

  /// "naive +1.453 · best wm+repair +0.002518": the first path's test loss barrier and the
  /// lowest of the other paths (RunRecord::best_other), named; "—" when the record has none.
  static QString barrierText(const RunRecord& record);

 signals:
  void openRequested(const QString& dir);
  void compareRequested(const QStringList& dirs);

 private:
  void updateButtons();

  QTableWidget* table_ = nullptr;
  QPushButton* compare_ = nullptr;
  QLabel* count_ = nullptr;
};

}  // namespace ridgeline::widgets
