// The experiment editor's fields for the keys of step kinds that have no hand-made form
// (landscape, curve, spectra, layerwise, and any kind added later): built from the kind's
// schema fragment ($defs/step.<type> of resources/schema/experiment.schema.json), the one
// source of truth for each key's type, range, default and meaning.
#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <climits>

#include "gui/editor/experiment_editor_form.h"
#include "gui/editor/experiment_editor_steps.h"
#include "ridgeline/experiment/spec.h"

namespace ridgeline::gui {

using nlohmann::json;

namespace {

// The properties of $defs/step.<type>, in the schema's order (empty for an unknown type).
json fragment_properties(const std::string& type) {
  static const json schema = json::parse(experiment_schema());
  const auto& defs = schema.at("$defs");
  const auto it = defs.find("step." + type);
  if (it == defs.end() || !it->contains("properties")) return json::object();
  return (*it)["properties"];
}

// A value as a field shows it: strings bare, everything else as compact JSON.
QString shown(const json& v) {
  if (v.is_string()) return QString::fromStdString(v.get<std::string>());
  if (v.is_number_float()) return numberText(v.get<double>());
  if (v.is_null()) return {};
  return QString::fromStdString(v.dump());
}

// What a text field holds: JSON where it parses as the key's kind of value, else the text (so
// the engine's message names the key: "steps[2].x: expected array, got string").
json parsed(const QString& text, const json& prop) {
  const std::string t = prop.value("type", "");
  if (t == "string") return text.toStdString();
  if (t == "number") return numberOrText(text);
  try {
    return json::parse(text.toStdString());
  } catch (const json::exception&) {
    return text.toStdString();
  }
}

}  // namespace

bool StepsEditor::hasHandMadeForm(const QString& type) {
  return type == "interpolate" || type == "align" || type == "merge";
}

bool StepsEditor::fragmentHas(const QString& type, const char* key) {
  return fragment_properties(type.toStdString()).contains(key);
}

void StepsEditor::buildGenericFields() {
  // One form per selection: the previous step's generated fields go.
  while (generic_form_->rowCount() > 0) generic_form_->removeRow(0);
  generic_built_for_.clear();
  if (current_ < 0) return;
  const json& s = rows_[current_];
  const QString type = stepString(s, "type");
  if (hasHandMadeForm(type)) return;
  const json props = fragment_properties(type.toStdString());
  for (const auto& [key, prop] : props.items()) {
    if (key == "a" || key == "b" || key == "models") continue;  // the shared fields
    const QString tip = QString::fromStdString(prop.value("description", ""));
    const QString name = QString::fromStdString("step." + key);
    const json value = s.contains(key) ? s[key] : prop.value("default", json());
    QWidget* field = nullptr;
    if (prop.contains("enum")) {
      auto* c = new QComboBox;
      QList<json> options;
      for (const auto& o : prop["enum"]) {
        c->addItem(shown(o));
        options << o;
      }
      c->setCurrentText(shown(value));
      connect(c, &QComboBox::currentIndexChanged, this, [this, key = key, options](int i) {
        if (i >= 0 && i < options.size()) fieldEdited(key.c_str(), options[i]);
      });
      field = c;
    } else if (prop.value("type", "") == "boolean") {
      auto* c = new QCheckBox;
      c->setChecked(value.is_boolean() && value.get<bool>());
      connect(c, &QCheckBox::toggled, this, [this, key = key](bool on) { fieldEdited(key.c_str(), on); });
      field = c;
    } else if (prop.value("type", "") == "integer" && value.is_number_integer()) {
      auto* sp = new QSpinBox;
      const double lo = prop.value("minimum", static_cast<double>(INT_MIN));
      const double hi = prop.value("maximum", static_cast<double>(INT_MAX));
      sp->setRange(static_cast<int>(std::max(lo, static_cast<double>(INT_MIN))),
                   static_cast<int>(std::min(hi, static_cast<double>(INT_MAX))));
      sp->setValue(static_cast<int>(value.get<long long>()));
      connect(sp, &QSpinBox::valueChanged, this, [this, key = key](int v) { fieldEdited(key.c_str(), v); });
      field = sp;
    } else {
      // Numbers, strings, arrays (a plane's models, ranges, γ grids): text, as JSON where the
      // key is not a string.
      auto* line = new QLineEdit(shown(value));
      if (prop.contains("default") && !s.contains(key)) line->setPlaceholderText(shown(prop["default"]));
      connect(line, &QLineEdit::textChanged, this, [this, key = key, prop](const QString& t) {
        if (t.isEmpty()) {
          // An emptied optional key is dropped (the schema's default applies).
          if (loading_ || current_ < 0) return;
          rows_[current_].erase(key);
          refreshRow(current_);
          emit edited();
          return;
        }
        fieldEdited(key.c_str(), parsed(t, prop));
      });
      field = line;
    }
    field->setObjectName(name);
    field->setToolTip(tip);
    auto* label = new QLabel(QString::fromStdString(key));
    label->setToolTip(tip);
    generic_form_->addRow(label, field);
  }
  generic_built_for_ = type;
}

}  // namespace ridgeline::gui
