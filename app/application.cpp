// LibTorch first: Qt's `slots` macro would break its headers.
#include <ATen/Parallel.h>

#include "app/application.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QSettings>
#include <QStandardPaths>
#include <QStringList>
#include <QThread>

#include <algorithm>
#include <cstdlib>

namespace vltune {

namespace {

// An explicit language choice that QLocale does not know ("--lang klingon") falls back to the
// source language, English, with a warning rather than silently to the system locale.
QLocale localeFromName(const QString &name, const char *origin)
{
    const QLocale locale(name);
    if (locale.language() == QLocale::C && name != QLatin1String("C")) {
        qWarning("vltune: unknown language '%s' (from %s); using English", qPrintable(name), origin);
        return QLocale(QLocale::English, QLocale::UnitedStates);
    }
    return locale;
}

} // namespace

void configureApplication(QApplication &app)
{
    QApplication::setOrganizationName(QStringLiteral("vltune"));
    QApplication::setApplicationName(QStringLiteral("vltune"));
    QApplication::setApplicationVersion(QStringLiteral(VLTUNE_VERSION));
    // Matches packaging/vltune.desktop, so Wayland compositors find the icon and the name.
    QGuiApplication::setDesktopFileName(QStringLiteral("vltune"));
    app.setWindowIcon(QIcon(QStringLiteral(":/icons/vltune.svg")));
}

LaunchOptions parseCommandLine(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Fine-tune vision-language models on your own machine."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption langOption(
        QStringLiteral("lang"),
        QStringLiteral("Language of the user interface, e.g. en or zh_CN "
                       "(default: $VLTUNE_LANG, else the system language)."),
        QStringLiteral("locale"));
    parser.addOption(langOption);
    const QCommandLineOption noDemoOption(
        QStringLiteral("no-demo"),
        QStringLiteral("Start without the demo project (a shapes dataset and a tiny model made on this machine)."));
    parser.addOption(noDemoOption);
    const QCommandLineOption quitAfterOption(
        QStringLiteral("quit-after-ms"),
        QStringLiteral("Quit by itself this many milliseconds after the window shows and the demo project "
                       "is open, with exit code 0 (1 if the demo could not be made): a smoke test of an "
                       "installed build."),
        QStringLiteral("ms"));
    parser.addOption(quitAfterOption);
    parser.process(arguments);

    LaunchOptions options;
    options.openDemo = !parser.isSet(noDemoOption);
    if (parser.isSet(quitAfterOption)) {
        bool ok = false;
        options.quitAfterMs = parser.value(quitAfterOption).toInt(&ok);
        if (!ok || options.quitAfterMs < 0) {
            // Like QCommandLineParser's own errors: a message and exit code 1.
            qCritical("vltune: --quit-after-ms needs a number of milliseconds, not '%s'",
                      qPrintable(parser.value(quitAfterOption)));
            std::exit(1);
        }
    }
    if (parser.isSet(langOption)) {
        options.uiLocale = localeFromName(parser.value(langOption), "--lang");
    } else if (const QString env = qEnvironmentVariable("VLTUNE_LANG"); !env.isEmpty()) {
        options.uiLocale = localeFromName(env, "VLTUNE_LANG");
    } else if (const QString chosen = QSettings().value(QStringLiteral("ui/language")).toString(); !chosen.isEmpty()) {
        options.uiLocale = localeFromName(chosen, "the Language setting");
    } else {
        options.uiLocale = QLocale::system();
    }
    return options;
}

void reserveCoreForGui()
{
    const int cores = QThread::idealThreadCount();
    at::set_num_threads(std::max(1, cores - 1));
}

QString demoProjectFolder()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation) + QStringLiteral("/demo");
}

} // namespace vltune
