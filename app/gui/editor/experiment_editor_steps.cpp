// The experiment editor's analysis steps: the list (add, remove, reorder), the steps' JSON
// objects and their error marks. The selected step's fields: gui_experiment_editor_step_fields.cpp.
#include "gui/editor/experiment_editor_steps.h"

#include <QComboBox>
#include <algorithm>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QMenu>
#include <QTableWidget>
#include <QToolButton>
#include <QVBoxLayout>

#include "gui/editor/experiment_editor_form.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/spec.h"

namespace ridgeline::gui {

using nlohmann::json;

namespace {

enum Column { kIndex, kType, kId, kWhat, kColumns };


// Keeps only the keys of `type` in `s`; false when `type` is not a registered kind.
bool keep_own_keys(const std::string& type, json& s) {
  std::vector<std::string> keys;
  try {
    keys = step_keys(type);
  } catch (const InputError&) {
    return false;
  }
  for (auto it = s.begin(); it != s.end();)
    it = std::find(keys.begin(), keys.end(), it.key()) == keys.end() ? s.erase(it) : std::next(it);
  return true;
}

QToolButton* button(const char* key, const QString& label, const QString& tip) {
  auto* b = new QToolButton;
  b->setObjectName(key);
  b->setText(label);
  b->setToolTip(tip);
  return b;
}

}  // namespace

json defaultStep(const std::string& type) {
  ExperimentSpec s;
  s.steps.push_back(make_step(type));
  json d = json::parse(spec_to_json(s))["steps"][0];
  d.erase("id");
  return d;
}

QString stepString(const json& step, const char* key) {
  return step.contains(key) && step[key].is_string() ? QString::fromStdString(step[key])
                                                     : QString();
}

QString stepNumber(const json& v) {
  if (v.is_number_float()) return numberText(v.get<double>());
  if (v.is_number()) return QString::fromStdString(v.dump());
  return v.is_string() ? QString::fromStdString(v.get<std::string>()) : QString();
}

StepsEditor::StepsEditor(QWidget* parent) : QWidget(parent) {
  setObjectName("steps");
  table_ = new QTableWidget(0, kColumns);
  table_->setObjectName("steps.table");
  table_->setHorizontalHeaderLabels({"#", "Type", "ID", "What"});
  table_->horizontalHeader()->setSectionResizeMode(kIndex, QHeaderView::ResizeToContents);
  table_->horizontalHeader()->setSectionResizeMode(kType, QHeaderView::ResizeToContents);
  table_->horizontalHeader()->setSectionResizeMode(kId, QHeaderView::ResizeToContents);
  table_->horizontalHeader()->setSectionResizeMode(kWhat, QHeaderView::Stretch);
  table_->verticalHeader()->hide();
  table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 8);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  table_->setToolTip("The steps in the order they run; select one to edit its fields below");
  table_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);  // "What" stretches and elides

  add_ = button("steps.add", "+ Add step ▾",
                "Add a step of any kind after the last one");
  add_->setPopupMode(QToolButton::InstantPopup);
  add_->setStyleSheet("QToolButton::menu-indicator { image: none; width: 0; }");
  auto* menu = new QMenu(add_);
  const std::pair<const char*, const char*> kinds[] = {
      {"interpolate", "The linear path between two models: loss and error along α, barriers"},
      {"align", "Permute the hidden units of b to match a, producing the model b@method"},
      {"merge", "MergeMany: align several models to each other and average them"},
      {"landscape", "Loss and error on a grid of a plane through three models (or around one), "
                    "with the lowest pass"},
      {"curve", "A Bezier curve or polygonal chain from a to b whose bend is trained"},
      {"spectra", "Singular-value spectra of models and their singular-vector alignment"},
      {"layerwise", "Barriers of the paths that interpolate one layer (or the first layers)"}};
  for (const auto& [kind, tip] : kinds) {
    QAction* a =
        menu->addAction(QString(kind), this, [this, kind = QString(kind)] { addStep(kind); });
    a->setToolTip(tip);
  }
  menu->setToolTipsVisible(true);
  add_->setMenu(menu);
  remove_ = button("steps.remove", "− Remove", "Remove the selected step");
  up_ = button("steps.up", "▲", "Move the selected step up (steps run in this order)");
  down_ = button("steps.down", "▼", "Move the selected step down");

  auto* buttons = new QHBoxLayout;
  buttons->setContentsMargins(0, 0, 0, 0);
  for (auto* b : {add_, remove_, up_, down_}) buttons->addWidget(b);
  buttons->addStretch(1);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(table_);
  layout->addLayout(buttons);
  layout->addWidget(buildDetail());

  connect(remove_, &QToolButton::clicked, this, &StepsEditor::removeCurrent);
  connect(up_, &QToolButton::clicked, this, [this] { moveCurrent(-1); });
  connect(down_, &QToolButton::clicked, this, [this] { moveCurrent(1); });
  connect(table_, &QTableWidget::itemSelectionChanged, this, &StepsEditor::onSelection);
  showDetail();
}

void StepsEditor::setModelNames(const QStringList& names) {
  model_names_ = names;
  refreshSuggestions();
}

void StepsEditor::renameModel(const QString& from, const QString& to) {
  const std::string f = from.toStdString(), t = to.toStdString();
  auto renamed = [&](json& v) {
    if (!v.is_string()) return false;
    const std::string name = v.get<std::string>();
    if (name == f) v = t;
    else if (name.rfind(f + "@", 0) == 0) v = t + name.substr(f.size());
    else return false;
    return true;
  };
  bool changed = false;
  for (json& s : rows_) {
    for (const char* key : {"a", "b"})
      if (s.contains(key)) changed |= renamed(s[key]);
    if (s.contains("models") && s["models"].is_array())
      for (json& m : s["models"]) changed |= renamed(m);
  }
  if (!changed) return;
  ++loading_;
  for (int r = 0; r < table_->rowCount(); ++r) refreshRow(r);
  --loading_;
  showDetail();
  emit edited();
}

QStringList StepsEditor::availableBefore(int row) const {
  QStringList out = model_names_;
  for (int k = 0; k < row && k < static_cast<int>(rows_.size()); ++k) {
    const json& s = rows_[k];
    if (stepString(s, "type") == "align") out << stepString(s, "b") + "@" + stepString(s, "method");
    if (stepString(s, "type") == "merge")
      out << (stepString(s, "id").isEmpty() ? "merged" : stepString(s, "id"));
  }
  return out;
}

void StepsEditor::setSteps(const json& steps) {
  ++loading_;
  rows_.assign(steps.begin(), steps.end());
  table_->setRowCount(static_cast<int>(rows_.size()));
  for (int r = 0; r < table_->rowCount(); ++r) refreshRow(r);
  const int keep = std::min(current_ < 0 ? 0 : current_, static_cast<int>(rows_.size()) - 1);
  current_ = -1;
  if (keep >= 0) table_->selectRow(keep);
  --loading_;
  onSelection();
}

json StepsEditor::toJson() const {
  json out = json::array();
  for (json s : rows_) {
    // A row keeps the values of every type it had (switching back restores them); the spec
    // gets the keys of its current type only. An unknown type is left for validation to name.
    keep_own_keys(stepString(s, "type").toStdString(), s);
    if (s.contains("id") && s["id"] == "") s.erase("id");
    out.push_back(s);
  }
  return out;
}

void StepsEditor::refreshRow(int r) {
  if (r < 0 || r >= static_cast<int>(rows_.size())) return;
  const json& s = rows_[r];
  const QString type = stepString(s, "type");
  QString what;
  if (type == "merge") {
    QStringList names;
    for (const auto& n : s.value("models", json::array()))
      names << (n.is_string() ? QString::fromStdString(n) : QString());
    what = names.join(" + ");
  } else if (type == "align") {
    what = stepString(s, "b") + " onto " + stepString(s, "a") + " · " + stepString(s, "method");
  } else if (type == "interpolate") {
    what = stepString(s, "a") + " → " + stepString(s, "b") + " · " +
           stepNumber(s.value("points", json())) + " points";
    if (s.value("repair", false)) what += " · REPAIR";
  } else {
    // Another kind: its models, then its other keys in short.
    QStringList parts;
    for (const char* key : {"a", "b"})
      if (!stepString(s, key).isEmpty()) parts << stepString(s, key);
    QString models = parts.join(" → ");
    for (const char* key : {"models", "plane"})
      if (s.contains(key) && s[key].is_array()) {
        QStringList names;
        for (const auto& n : s[key]) names << (n.is_string() ? QString::fromStdString(n) : QString());
        models = names.join(", ");
      }
    if (!stepString(s, "center").isEmpty()) models = "around " + stepString(s, "center");
    what = models;
  }
  const QString id = stepString(s, "id");
  const QString cells[] = {QString::number(r + 1), type, id.isEmpty() ? "(automatic)" : id, what};
  for (int c = 0; c < kColumns; ++c) {
    QTableWidgetItem* it = table_->item(r, c);
    if (!it) table_->setItem(r, c, it = new QTableWidgetItem);
    it->setText(cells[c]);
    it->setToolTip(c == kWhat ? what : table_->toolTip());
    it->setForeground(c == kId && id.isEmpty() ? QBrush(Qt::gray) : QBrush());
    it->setBackground(r == error_row_ ? QBrush(errorTint()) : QBrush());
    if (r == error_row_) it->setToolTip(error_message_);
  }
}

void StepsEditor::onSelection() {
  if (loading_) return;  // the table is being rebuilt: its caller selects afterwards
  const auto rows = table_->selectionModel()->selectedRows();
  current_ = rows.isEmpty() ? -1 : rows.first().row();
  if (current_ >= static_cast<int>(rows_.size())) current_ = -1;
  showDetail();
}

void StepsEditor::selectStep(int row) {
  if (row >= 0 && row < table_->rowCount()) table_->selectRow(row);
}

void StepsEditor::addStep(const QString& type) {
  json s = defaultStep(type.toStdString());
  const QStringList avail = availableBefore(static_cast<int>(rows_.size()));
  if (type == "merge" || (!hasHandMadeForm(type) && fragmentHas(type, "models"))) {
    s["models"] = json::array();
    for (const auto& n : model_names_) s["models"].push_back(n.toStdString());
  } else if (!hasHandMadeForm(type) && fragmentHas(type, "plane")) {
    // A plane through the first two models and the newest one (e.g. seed1@wm).
    s["plane"] = json::array();
    for (const QString& n : {avail.value(0), avail.value(1), avail.value(avail.size() - 1)})
      if (!n.isEmpty()) s["plane"].push_back(n.toStdString());
  } else if (!avail.isEmpty()) {
    // Interpolate towards the newest model (e.g. the output of the last align step).
    s["a"] = avail.first().toStdString();
    s["b"] = (type == "align" ? avail.value(1, avail.first()) : avail.last()).toStdString();
  }
  rows_.push_back(s);
  ++loading_;
  table_->setRowCount(static_cast<int>(rows_.size()));
  refreshRow(static_cast<int>(rows_.size()) - 1);
  table_->selectRow(static_cast<int>(rows_.size()) - 1);
  --loading_;
  onSelection();
  emit edited();
}

void StepsEditor::removeCurrent() {
  if (current_ < 0) return;
  const int row = current_;
  rows_.erase(rows_.begin() + row);
  ++loading_;
  table_->removeRow(row);
  for (int r = row; r < table_->rowCount(); ++r) refreshRow(r);
  current_ = -1;
  if (!rows_.empty()) table_->selectRow(std::min(row, static_cast<int>(rows_.size()) - 1));
  --loading_;
  onSelection();
  emit edited();
}

void StepsEditor::moveCurrent(int delta) {
  const int from = current_, to = current_ + delta;
  if (from < 0 || to < 0 || to >= static_cast<int>(rows_.size())) return;
  std::swap(rows_[from], rows_[to]);
  ++loading_;
  refreshRow(from);
  refreshRow(to);
  table_->selectRow(to);
  --loading_;
  onSelection();
  emit edited();
}

void StepsEditor::markError(int row, const QString& key, const QString& message) {
  error_row_ = row;
  error_key_ = key;
  error_message_ = message;
  applyMarks();
}

void StepsEditor::clearErrors() {
  if (error_row_ < 0 && !marked_) return;
  error_row_ = -1;
  error_key_.clear();
  error_message_.clear();
  applyMarks();
}

void StepsEditor::applyMarks() {
  markField(marked_, {});
  marked_ = nullptr;
  for (int r = 0; r < table_->rowCount(); ++r) refreshRow(r);
  if (error_row_ >= 0 && error_row_ == current_) {
    // A key names a field; without one (two equal models, an output produced twice) the
    // step's row in the list says it.
    // A hand-made and a generated field may share a key (points): the one shown is meant.
    if (!error_key_.isEmpty())
      for (QWidget* w : detail_->findChildren<QWidget*>("step." + error_key_))
        if (!marked_ || w->isVisibleTo(detail_)) marked_ = w;
    markField(marked_, error_message_);
  }
  updateVisibility();
}

}  // namespace ridgeline::gui
