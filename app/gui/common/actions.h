#pragma once
// How the window's actions describe themselves: the shortcut, a tooltip naming it, and the
// same text in the status bar. Shared by the main window and the result views.
#include <QAction>
#include <QKeySequence>
#include <QString>

namespace ridgeline::gui {

/// Shortcut, tooltip (naming the shortcut) and status tip of an action.
inline void describe(QAction* a, const QKeySequence& key, const QString& tip) {
  if (!key.isEmpty()) a->setShortcut(key);
  const QString keys = key.toString(QKeySequence::NativeText);
  a->setToolTip(keys.isEmpty() ? tip : tip + " (" + keys + ")");
  a->setStatusTip(tip);
}

/// A checkable action, described as describe() does.
inline QAction* make_toggle(QObject* parent, const QString& text, const QKeySequence& key,
                            const QString& tip) {
  auto* a = new QAction(text, parent);
  a->setCheckable(true);
  describe(a, key, tip);
  return a;
}

}  // namespace ridgeline::gui
