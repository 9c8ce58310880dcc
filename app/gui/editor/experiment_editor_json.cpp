// The experiment editor's JSON view: syntax colours, the line of a parse error, text updates
// that keep the undo history and the scroll position.
#include "gui/editor/experiment_editor_json.h"

#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QScrollBar>
#include <QTextBlock>
#include <QTextCursor>

namespace ridgeline::gui {

void JsonHighlighter::highlightBlock(const QString& text) {
  static const QRegularExpression token(
      R"("(?:[^"\\]|\\.)*"(\s*:)?|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\b(?:true|false|null)\b)");
  QTextCharFormat key, string, number, keyword;
  key.setForeground(QColor(0x1f, 0x4e, 0x99));
  string.setForeground(QColor(0x2e, 0x7d, 0x32));
  number.setForeground(QColor(0x8e, 0x24, 0xaa));
  keyword.setForeground(QColor(0xb2, 0x6a, 0x00));
  keyword.setFontWeight(QFont::Bold);
  for (auto it = token.globalMatch(text); it.hasNext();) {
    const auto m = it.next();
    const QChar c = m.captured(0).front();
    const QTextCharFormat& f = c == '"' ? (m.capturedLength(1) > 0 ? key : string)
                               : (c.isDigit() || c == '-') ? number
                                                           : keyword;
    setFormat(static_cast<int>(m.capturedStart()),
              static_cast<int>(c == '"' && m.capturedLength(1) > 0
                                   ? m.capturedStart(1) - m.capturedStart()
                                   : m.capturedLength()),
              f);
  }
}

int markJsonErrorLine(QPlainTextEdit* edit, const QString& message) {
  static const QRegularExpression at("at line (\\d+), column (\\d+)");
  const auto m = at.match(message);
  QList<QTextEdit::ExtraSelection> marks;
  int line = 0;
  if (m.hasMatch()) {
    line = m.captured(1).toInt();
    const QTextBlock block = edit->document()->findBlockByNumber(line - 1);
    if (block.isValid()) {
      QTextEdit::ExtraSelection sel;
      sel.cursor = QTextCursor(block);
      sel.format.setBackground(QColor(0xff, 0xdc, 0xdc));
      sel.format.setProperty(QTextFormat::FullWidthSelection, true);
      marks << sel;
    }
  }
  edit->setExtraSelections(marks);
  return line;
}

void replaceJsonText(QPlainTextEdit* edit, const QString& text) {
  if (edit->toPlainText() == text) return;
  const int scroll = edit->verticalScrollBar()->value();
  const int pos = edit->textCursor().position();
  QTextCursor c(edit->document());
  c.beginEditBlock();
  c.select(QTextCursor::Document);
  c.insertText(text);
  c.endEditBlock();
  c.setPosition(std::min(pos, static_cast<int>(edit->document()->characterCount()) - 1));
  edit->setTextCursor(c);
  edit->verticalScrollBar()->setValue(scroll);
}

}  // namespace ridgeline::gui
