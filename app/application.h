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
    QLocale uiLocale; // the language of the UI: --lang, else $VLTUNE_LANG, else View > Language (QSettings ui/language), else the system locale
    bool openDemo = true; // open the demo project at start (--no-demo: start empty)
};

// Reads the command line (`--lang zh_CN` or `--lang=zh_CN`, --no-demo, --help, --version). Like any command
// line tool it prints and exits the process for --help, --version and unknown options.
LaunchOptions parseCommandLine(const QStringList &arguments);

// Leaves one core to the GUI: LibTorch's intra-op pool gets (cores - 1) threads, so the window
// keeps drawing while a model trains on the CPU.
void reserveCoreForGui();

// Where the demo project lives: the app's local data folder (~/.local/share/vltune/vltune/demo).
QString demoProjectFolder();

} // namespace vltune
