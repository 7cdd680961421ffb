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
    int quitAfterMs = -1; // --quit-after-ms N: quit by itself N ms after the window shows and the demo project is open (smoke tests of an installed build); -1 = run until closed
};

// Reads the command line (`--lang zh_CN` or `--lang=zh_CN`, --no-demo, --quit-after-ms N, --help,
// --version). Like any command line tool it prints and exits the process for --help, --version,
// unknown options and a bad --quit-after-ms.
LaunchOptions parseCommandLine(const QStringList &arguments);

// Leaves one core to the GUI: LibTorch's intra-op pool gets (cores - 1) threads, so the window
// keeps drawing while a model trains on the CPU.
void reserveCoreForGui();

// Where the demo project lives: the app's local data folder (~/.local/share/vltune/vltune/demo).
QString demoProjectFolder();

} // namespace vltune
