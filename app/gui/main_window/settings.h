#pragma once
/// @file gui_settings.h
/// What the window remembers between sessions (QSettings; organisation and application
/// "Ridgeline"): window geometry and state, and the recently used spec files and run folders.
#include <QString>
#include <QStringList>

class QSettings;

namespace ridgeline::gui {

inline constexpr int kMaxRecent = 8;
inline const char* const kRecentSpecsKey = "recent/specs";
inline const char* const kRecentRunsKey = "recent/runs";
inline const char* const kGeometryKey = "window/geometry";
inline const char* const kStateKey = "window/state";

/// The list under `key`, most recent first (empty entries dropped).
QStringList recent_files(const QSettings& settings, const QString& key);
/// Puts `path` (made absolute) first in the list under `key`, removes its older entry, keeps
/// at most `max` entries, stores and returns the new list.
QStringList add_recent_file(QSettings& settings, const QString& key, const QString& path,
                            int max = kMaxRecent);
/// Removes `path` from the list under `key` (e.g. a file that no longer exists).
QStringList remove_recent_file(QSettings& settings, const QString& key, const QString& path);

}  // namespace ridgeline::gui
