#pragma once
/// @file spectra_view.h
/// SpectraView: the whole of a spectra result on one page (docs/USER_GUIDE.md, "Spectra"). A
/// layer selector drives the singular-value chart, the ESD chart (of the model chosen beside
/// it) and the overlap heatmaps (of the pair chosen beside it: B before and π(B) after
/// alignment); R(γ) and the per-layer table show every layer. A view only: fed a
/// SpectraResult and the list of permuted copies (which model is π of which), it computes no
/// analysis.
#include <QString>
#include <QStringList>
#include <QWidget>
#include <vector>

#include "widgets/spectra/spectra_data.h"

class QComboBox;
class QLabel;
class QTableWidget;

namespace ridgeline::widgets {

class SingularValueChart;
class RGammaChart;
class EsdChart;
class OverlapHeatmaps;
class SpectraTrainingChart;

class SpectraView : public QWidget {
  Q_OBJECT
 public:
  explicit SpectraView(QWidget* parent = nullptr);

  void setResult(const SpectraResult& r, const std::vector<PermutedCopy>& copies);
  const SpectraResult& result() const { return result_; }

  QStringList layers() const;
  QString layer() const;
  /// Selects a layer (false when the result has none of that name).
  bool setLayer(const QString& name);
  /// The model whose ESD is drawn.
  bool setEsdModel(const QString& model);
  /// The pairs the heatmaps can show ("seed1 → seed1@wm", or one model when it has no copy).
  QStringList pairs() const;
  bool setPair(int index);

  SingularValueChart* spectrumChart() const { return spectrum_; }
  RGammaChart* rChart() const { return r_chart_; }
  EsdChart* esdChart() const { return esd_; }
  OverlapHeatmaps* heatmaps() const { return heatmaps_; }
  /// Over training (shown only when the result has checkpoints).
  SpectraTrainingChart* trainingChart() const { return training_; }
  QWidget* trainingPanel() const { return training_panel_; }
  /// Chooses what the over-training chart draws (an index of quantityNames()).
  void setTrainingQuantity(int index);
  QTableWidget* table() const { return table_; }
  /// The summary line above the charts.
  QString summary() const;
  /// The per-layer table as CSV (spectra_csv).
  QString csv() const;

 private:
  struct Pair {
    std::string before, after, how;  ///< model names ("" when absent)
  };
  void refreshLayer();
  void refreshTraining();
  void fillTable();

  SpectraResult result_;
  std::vector<PermutedCopy> copies_;
  std::vector<Pair> pairs_;
  QComboBox* layer_box_ = nullptr;
  QComboBox* esd_box_ = nullptr;
  QComboBox* pair_box_ = nullptr;
  QLabel* summary_ = nullptr;
  SingularValueChart* spectrum_ = nullptr;
  RGammaChart* r_chart_ = nullptr;
  EsdChart* esd_ = nullptr;
  OverlapHeatmaps* heatmaps_ = nullptr;
  QTableWidget* table_ = nullptr;
  QWidget* training_panel_ = nullptr;
  QComboBox* training_box_ = nullptr;
  SpectraTrainingChart* training_ = nullptr;
};

}  // namespace ridgeline::widgets
