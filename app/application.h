#pragma once

#include <QLocale>
#include <QStringList>

class QApplication;

namespace vltune {

// Organisation and application name, version, desktop file name and the window icon. Call right
// after constructing the QApplication, before the first window.
void configureApplication(QApplication &app);

struct LaunchOptions
{
    QLocale uiLocale; // the language of the UI: --lang, else $VLTUNE_LANG, else the system locale
};

// Reads the command line (`--lang zh_CN` or `--lang=zh_CN`, --help, --version). Like any command
// line tool it prints and exits the process for --help, --version and unknown options.
LaunchOptions parseCommandLine(const QStringList &arguments);

} // namespace vltune
