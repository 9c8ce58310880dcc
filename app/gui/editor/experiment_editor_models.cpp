// The experiment editor's models table: a row per model, its name, its seed and where it comes
// from (empty: trained from the seed; "<model>@epoch<N>"/"@step<N>": spawned from that
// checkpoint; anything else: an existing safetensors file). docs/USER_GUIDE.md, "Models".
#include "gui/editor/experiment_editor_models.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLineEdit>
#include <QRegularExpressionValidator>
#include <QStyledItemDelegate>
#include <QTableWidget>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>
#include <set>

#include "gui/editor/experiment_editor_form.h"

namespace ridgeline::gui {

using nlohmann::json;

namespace {

const char* kNameTip = "Name of the model: the steps refer to it (letters, digits, '_', '-')";
const char* kSeedTip = "Seed of the model's initialisation and of its data order (a spawned model: its data order; a file: empty)";
const char* kSourceTip = "Empty: trained from the seed. '<model>@epoch<N>' or '<model>@step<N>': spawned from that checkpoint of an earlier model. Otherwise the path of an existing safetensors file (not trained)";

// Seeds are unsigned 64-bit integers: digits only.
class SeedDelegate : public QStyledItemDelegate {
 public:
  using QStyledItemDelegate::QStyledItemDelegate;
  QWidget* createEditor(QWidget* parent, const QStyleOptionViewItem& option,
                        const QModelIndex& index) const override {
    QWidget* w = QStyledItemDelegate::createEditor(parent, option, index);
    if (auto* e = qobject_cast<QLineEdit*>(w))
      e->setValidator(new QRegularExpressionValidator(QRegularExpression("[0-9]{0,20}"), e));
    return w;
  }
};

QTableWidgetItem* cell(const QString& text, const char* tip) {
  auto* item = new QTableWidgetItem(text);
  item->setToolTip(tip);
  return item;
}

}  // namespace

ModelsTable::ModelsTable(QWidget* parent) : QWidget(parent) {
  setObjectName("models");
  table_ = new QTableWidget(0, 3);
  table_->setObjectName("models.table");
  table_->setHorizontalHeaderLabels({"Name", "Seed", "From checkpoint / file"});
  table_->horizontalHeaderItem(0)->setToolTip(kNameTip);
  table_->horizontalHeaderItem(1)->setToolTip(kSeedTip);
  table_->horizontalHeaderItem(2)->setToolTip(kSourceTip);
  table_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
  table_->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Interactive);
  table_->setColumnWidth(1, 110);
  table_->horizontalHeader()->setSectionResizeMode(2, QHeaderView::Stretch);
  table_->verticalHeader()->hide();
  table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 10);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed |
                          QAbstractItemView::AnyKeyPressed);
  table_->setItemDelegateForColumn(1, new SeedDelegate(table_));
  table_->setToolTip("The models to train, one per row (double-click a cell to edit it)");
  table_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);  // the name column stretches

  add_ = new QToolButton;
  add_->setObjectName("models.add");
  add_->setText("+ Add model");
  add_->setToolTip("Add a model with the next free name and seed (seedN, seed N)");
  remove_ = new QToolButton;
  remove_->setObjectName("models.remove");
  remove_->setText("− Remove");
  remove_->setToolTip("Remove the selected models");

  auto* buttons = new QHBoxLayout;
  buttons->setContentsMargins(0, 0, 0, 0);
  buttons->addWidget(add_);
  buttons->addWidget(remove_);
  buttons->addStretch(1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(table_);
  layout->addLayout(buttons);

  connect(add_, &QToolButton::clicked, this, &ModelsTable::addModel);
  connect(remove_, &QToolButton::clicked, this, &ModelsTable::removeSelected);
  connect(table_, &QTableWidget::itemChanged, this, [this](QTableWidgetItem* item) {
    if (loading_ != 0) return;
    if (item->column() == 0) {
      const QString from = item->data(Qt::UserRole).toString(), to = item->text();
      rememberNames();
      // Only a clean rename carries over to the steps: not into a name another model has,
      // nor away from a name another model still has (the duplicate is an error to fix).
      const QStringList all = names();
      if (!from.isEmpty() && from != to && all.count(to) == 1 && !all.contains(from)) {
        renameSpawnSources(from, to);
        emit renamed(from, to);
      }
    }
    emit edited();
  });
  connect(table_, &QTableWidget::itemSelectionChanged, this, &ModelsTable::updateControls);
  updateControls();
}

void ModelsTable::setModels(const json& models) {
  ++loading_;
  table_->setRowCount(0);
  for (const auto& m : models) {
    const int row = table_->rowCount();
    table_->insertRow(row);
    table_->setItem(row, 0, cell(QString::fromStdString(m["name"].get<std::string>()), kNameTip));
    table_->setItem(row, 1, cell(m.contains("seed") && m["seed"].is_number_unsigned()
                                     ? QString::number(m["seed"].get<uint64_t>())
                                     : QString(), kSeedTip));
    const std::string source = m.contains("from") ? m["from"].get<std::string>()
                               : m.contains("path") ? m["path"].get<std::string>() : std::string();
    table_->setItem(row, 2, cell(QString::fromStdString(source), kSourceTip));
  }
  --loading_;
  rememberNames();
  updateControls();
}

void ModelsTable::renameSpawnSources(const QString& from, const QString& to) {
  // A spawn names its parent's checkpoint ("seed0@epoch2"): it follows the parent's rename.
  const QRegularExpression checkpoint("^" + QRegularExpression::escape(from) + "(@(epoch|step)[0-9]+)$");
  ++loading_;
  for (int row = 0; row < table_->rowCount(); ++row) {
    QTableWidgetItem* source = table_->item(row, 2);
    if (!source) continue;
    const QRegularExpressionMatch m = checkpoint.match(source->text().trimmed());
    if (m.hasMatch()) source->setText(to + m.captured(1));
  }
  --loading_;
}

void ModelsTable::rememberNames() {
  ++loading_;  // setData() below would report itself as an edit
  for (int row = 0; row < table_->rowCount(); ++row)
    if (QTableWidgetItem* it = table_->item(row, 0)) it->setData(Qt::UserRole, it->text());
  --loading_;
}

json ModelsTable::toJson() const {
  json out = json::array();
  for (int row = 0; row < table_->rowCount(); ++row) {
    const QTableWidgetItem* name = table_->item(row, 0);
    const QTableWidgetItem* seed = table_->item(row, 1);
    const QTableWidgetItem* source = table_->item(row, 2);
    const QString src = source ? source->text().trimmed() : QString();
    json m = {{"name", name ? name->text().toStdString() : std::string()}};
    static const QRegularExpression checkpoint("^[A-Za-z0-9_-]+@(epoch|step)[0-9]+$");
    const bool file = !src.isEmpty() && !checkpoint.match(src).hasMatch();
    if (file) m["path"] = src.toStdString();
    else if (!src.isEmpty()) m["from"] = src.toStdString();
    // A file takes no seed: one typed anyway is kept, for the spec's check to name it.
    if (!file || (seed && !seed->text().isEmpty()))
      m["seed"] = unsignedOrText(seed ? seed->text() : QString());
    out.push_back(std::move(m));
  }
  return out;
}

QStringList ModelsTable::names() const {
  QStringList out;
  for (int row = 0; row < table_->rowCount(); ++row)
    if (const QTableWidgetItem* it = table_->item(row, 0)) out << it->text();
  return out;
}

void ModelsTable::addModel() {
  const QStringList used = names();
  std::set<QString> seeds;
  for (int row = 0; row < table_->rowCount(); ++row)
    if (const QTableWidgetItem* it = table_->item(row, 1)) seeds.insert(it->text());
  int k = 0;
  while (used.contains(QString("seed%1").arg(k)) || seeds.count(QString::number(k))) ++k;
  ++loading_;
  const int row = table_->rowCount();
  table_->insertRow(row);
  table_->setItem(row, 0, cell(QString("seed%1").arg(k), kNameTip));
  table_->setItem(row, 1, cell(QString::number(k), kSeedTip));
  table_->selectRow(row);
  --loading_;
  rememberNames();
  updateControls();
  emit edited();
}

void ModelsTable::removeSelected() {
  std::vector<int> rows;
  for (const QModelIndex& i : table_->selectionModel()->selectedRows()) rows.push_back(i.row());
  if (rows.empty()) return;
  std::sort(rows.rbegin(), rows.rend());
  ++loading_;
  for (int row : rows) table_->removeRow(row);
  --loading_;
  updateControls();
  emit edited();
}

void ModelsTable::updateControls() {
  fitTableHeight(table_, 2, 6);
  remove_->setEnabled(!table_->selectionModel()->selectedRows().isEmpty());
}

void ModelsTable::markError(int row, int column, const QString& message) {
  clearErrors();
  if (row < 0 || row >= table_->rowCount()) {
    markField(table_, message);
    return;
  }
  ++loading_;  // colours and tooltips are item changes too
  for (int c = 0; c < 2; ++c) {
    if (column >= 0 && c != column) continue;
    if (QTableWidgetItem* it = table_->item(row, c)) {
      it->setBackground(errorTint());
      it->setToolTip(message);
    }
  }
  --loading_;
}

void ModelsTable::clearErrors() {
  markField(table_, {});
  ++loading_;
  for (int row = 0; row < table_->rowCount(); ++row)
    for (int c = 0; c < 2; ++c)
      if (QTableWidgetItem* it = table_->item(row, c)) {
        it->setBackground(QBrush());
        it->setToolTip(c == 0 ? kNameTip : kSeedTip);
      }
  --loading_;
}

}  // namespace ridgeline::gui
