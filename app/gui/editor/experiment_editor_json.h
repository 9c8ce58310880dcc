#pragma once
/// @file gui_experiment_editor_json.h
/// Internal to the experiment editor: the JSON view's colours and its error line.
#include <QSyntaxHighlighter>

class QPlainTextEdit;

namespace ridgeline::gui {

/// Colours JSON text: keys, strings, numbers, true/false/null.
class JsonHighlighter : public QSyntaxHighlighter {
 public:
  using QSyntaxHighlighter::QSyntaxHighlighter;

 protected:
  void highlightBlock(const QString& text) override;
};

/// Underlines the line a JSON parse error names ("… at line 4, column 7: …") in `edit`, or
/// clears the mark when `message` names no line. Returns the 1-based line, or 0.
int markJsonErrorLine(QPlainTextEdit* edit, const QString& message);

/// Replaces the whole text of `edit` as one undoable edit, keeping the scroll position.
void replaceJsonText(QPlainTextEdit* edit, const QString& text);

}  // namespace ridgeline::gui
