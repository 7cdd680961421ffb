// The desktop app: everything lives in vltune_app_lib and vltune_ui, which the tests link too.

#include <QApplication>

#include "app/application.h"
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

    vltune::MainWindow window(vltune::runtime_info());
    window.show();
    if (options.openDemo)
        window.openDemoProject(vltune::demoProjectFolder());
    return QApplication::exec();
}
