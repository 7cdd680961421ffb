// The desktop app: everything lives in vltune_app_lib and vltune_ui, which the tests link too.

#include <QApplication>
#include <QSettings>
#include <QTimer>

#include "app/application.h"
#include "app/theme.h"
#include "app/translations.h"
#include "core/runtime_info.h"
#include "ui/main_window.h"

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    vltune::configureApplication(app);
    const vltune::LaunchOptions options = vltune::parseCommandLine(QApplication::arguments());
    QLocale::setDefault(options.uiLocale);
    const vltune::Translations translations(options.uiLocale);
    vltune::applyTheme(app, vltune::themeFromName(QSettings().value(QStringLiteral("ui/theme")).toString()));
    vltune::reserveCoreForGui();

    vltune::MainWindow window(vltune::runtime_info());
    window.show();
    // The last project the user worked on, else (first run, or the demo was the last) the demo.
    const bool openDemo = !window.reopenLastProject() && options.openDemo;
    if (options.quitAfterMs >= 0) {
        // Smoke test of an installed build: the timer starts once the demo project (made on a
        // worker thread) is open, so the check covers the engine too; a failure exits with 1.
        const auto quitLater = [&app, ms = options.quitAfterMs] { QTimer::singleShot(ms, &app, &QCoreApplication::quit); };
        if (openDemo) {
            QObject::connect(&window, &vltune::MainWindow::demoReady, &app, quitLater);
            QObject::connect(&window, &vltune::MainWindow::demoFailed, &app, [](const QString &message) {
                qCritical("vltune: the demo project could not be made: %s", qPrintable(message));
                QCoreApplication::exit(1);
            });
        } else {
            quitLater();
        }
    }
    if (openDemo)
        window.openDemoProject(vltune::demoProjectFolder());
    return QApplication::exec();
}
