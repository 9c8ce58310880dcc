// The experiment editor's field helpers: widget factories, error marks, number texts.
#include <QAbstractScrollArea>
#include <QComboBox>
#include <QCoreApplication>
#include <QEvent>
#include <QHeaderView>
#include <QLineEdit>
#include <QLocale>
#include <QRegularExpression>
#include <QRegularExpressionValidator>
#include <QSpinBox>
#include <QTableWidget>
#include <algorithm>
#include <cmath>

#include "gui/editor/experiment_editor_form.h"

namespace ridgeline::gui {

using nlohmann::json;

namespace {

// Spin boxes and combo boxes: the wheel goes to the scrolled form unless they have focus.
class WheelGuard : public QObject {
 public:
  using QObject::QObject;
  bool eventFilter(QObject* o, QEvent* e) override {
    auto* w = qobject_cast<QWidget*>(o);
    if (e->type() != QEvent::Wheel || !w || w->hasFocus()) return false;
    // Sent wheel events do not propagate to parents: hand it to the scroll area itself.
    for (QWidget* p = w->parentWidget(); p; p = p->parentWidget())
      if (auto* area = qobject_cast<QAbstractScrollArea*>(p)) {
        QCoreApplication::sendEvent(area->viewport(), e);
        break;
      }
    return true;
  }
};

}  // namespace

QSpinBox* makeSpin(const char* key, int lo, int hi, const QString& tip) {
  auto* s = new QSpinBox;
  s->setObjectName(key);
  s->setRange(lo, hi);
  s->setGroupSeparatorShown(true);
  s->setMinimumWidth(64);  // else the size hint is as wide as the largest value of the range
  s->setToolTip(tip);
  guardWheel(s);
  return s;
}

QLineEdit* makeLine(const char* key, const QString& tip, const QString& placeholder) {
  auto* e = new QLineEdit;
  e->setObjectName(key);
  e->setToolTip(tip);
  e->setPlaceholderText(placeholder);
  return e;
}

QComboBox* makeCombo(const char* key, const QStringList& items, const QString& tip) {
  auto* c = new QComboBox;
  c->setObjectName(key);
  c->addItems(items);
  c->setToolTip(tip);
  c->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  c->setMinimumContentsLength(6);
  guardWheel(c);
  return c;
}

QLineEdit* makeSeedLine(const char* key, const QString& tip) {
  QLineEdit* e = makeLine(key, tip, "0");
  e->setValidator(new QRegularExpressionValidator(QRegularExpression("[0-9]{0,20}"), e));
  return e;
}

void fitTableHeight(QTableWidget* table, int min_rows, int max_rows) {
  const int rows = std::clamp(table->rowCount(), min_rows, max_rows);
  const int row_height = table->verticalHeader()->defaultSectionSize();
  table->setFixedHeight(table->horizontalHeader()->sizeHint().height() + rows * row_height +
                        2 * table->frameWidth());
}

QColor errorTint() { return QColor(0xff, 0xdc, 0xdc); }

void guardWheel(QWidget* w) {
  static WheelGuard* guard = new WheelGuard(QCoreApplication::instance());
  w->setFocusPolicy(Qt::StrongFocus);
  w->installEventFilter(guard);
}

void markField(QWidget* w, const QString& message) {
  if (!w) return;
  const bool marked = w->property("rl_marked").toBool();
  if (message.isEmpty()) {
    if (!marked) return;
    w->setToolTip(w->property("rl_tooltip").toString());
    w->setPalette(w->property("rl_palette").value<QPalette>());
    w->setProperty("rl_marked", false);
    return;
  }
  if (!marked) {
    w->setProperty("rl_tooltip", w->toolTip());
    w->setProperty("rl_palette", QVariant::fromValue(w->palette()));
    w->setProperty("rl_marked", true);
  }
  const QString tip = w->property("rl_tooltip").toString();
  w->setToolTip(tip.isEmpty() ? message : message + "\n\n" + tip);
  QPalette p = w->property("rl_palette").value<QPalette>();
  for (auto role : {QPalette::Base, QPalette::Button, QPalette::Window})
    p.setColor(role, errorTint());
  w->setPalette(p);
  if (!w->isEnabled()) w->setEnabled(true);  // a value the engine rejects must be editable
}

json numberOrText(const QString& text) {
  bool ok = false;
  const double v = text.trimmed().toDouble(&ok);
  if (ok && std::isfinite(v)) return v;
  return text.toStdString();
}

json unsignedOrText(const QString& text) {
  bool ok = false;
  const qulonglong v = text.trimmed().toULongLong(&ok);
  if (ok) return static_cast<uint64_t>(v);
  return text.toStdString();
}

QString numberText(double v) {
  static const QRegularExpression exponent("e([+-])0(\\d)$");  // "1e-08" reads "1e-8"
  QString t = QString::number(v, 'g', QLocale::FloatingPointShortest);
  return t.replace(exponent, "e\\1\\2");
}

}  // namespace ridgeline::gui
