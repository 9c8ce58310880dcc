#include "gui/main_window/settings.h"

#include <QFileInfo>
#include <QSettings>
#include <algorithm>

namespace ridgeline::gui {

QStringList recent_files(const QSettings& settings, const QString& key) {
  QStringList list = settings.value(key).toStringList();
  list.removeAll(QString());
  return list;
}

QStringList add_recent_file(QSettings& settings, const QString& key, const QString& path,
                            int max) {
  QStringList list = recent_files(settings, key);
  const QString abs = QFileInfo(path).absoluteFilePath();
  list.removeAll(abs);
  list.prepend(abs);
  while (list.size() > std::max(max, 1)) list.removeLast();
  settings.setValue(key, list);
  return list;
}

QStringList remove_recent_file(QSettings& settings, const QString& key, const QString& path) {
  QStringList list = recent_files(settings, key);
  list.removeAll(path);
  list.removeAll(QFileInfo(path).absoluteFilePath());
  settings.setValue(key, list);
  return list;
}

}  // namespace ridgeline::gui
