#pragma once
// The app's colour scheme: follow the system, or force light or dark. Qt 6.4 has no
// QStyleHints::colorScheme(), so there "System" reads the desktop palette's window colour; 6.5 and
// later ask the platform directly.

#include <QString>

class QApplication;

namespace vltune {

enum class Theme { System, Light, Dark };

// "system", "light", "dark" (the QSettings value); an unknown name is System.
Theme themeFromName(const QString &name);
QString themeName(Theme theme);

// Whether the desktop asks for dark colours.
bool systemPrefersDark();

// Applies `theme` to the whole application: Fusion with a dark palette for Dark (and for System
// on a dark desktop), the platform's own style and palette otherwise.
void applyTheme(QApplication &app, Theme theme);

// Whether the application's palette is dark now.
bool paletteIsDark();

} // namespace vltune
