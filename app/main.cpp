// The desktop app: everything lives in vltune_app_lib and vltune_ui, which the tests link too.

#include <QApplication>
#include <QSettings>

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
    if (!window.reopenLastProject() && options.openDemo)
        window.openDemoProject(vltune::demoProjectFolder());
    return QApplication::exec();
}
