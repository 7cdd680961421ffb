// The main window, offscreen: title, menus, About text, status bar, the Chinese UI, Quit.

#include <QAction>
#include <QApplication>
#include <QLabel>
#include <QDialog>
#include <QMenu>
#include <QMenuBar>
#include <QStatusBar>
#include <QTest>
#include <QTranslator>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QPalette>

#include "app/application.h"
#include "app/theme.h"
#include "tests/test_support.h"
#include "tests/tiny_png.h"
#include "ui/dataset_page.h"
#include "app/translations.h"
#include "core/runtime_info.h"
#include "ui/main_window.h"
#include "widgets/device_indicator.h"

using vltune::MainWindow;

namespace {

QMenu *menuNamed(const MainWindow &window, const char *objectName)
{
    return window.menuBar()->findChild<QMenu *>(QString::fromLatin1(objectName));
}

} // namespace

class TestMainWindow final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void titleAndSize();
    void menuActions();
    void aboutTextNamesVersionsAndCuda();
    void statusBarShowsReadyAndDevice();
    void deviceIndicatorCountsCudaDevices_data();
    void deviceIndicatorCountsCudaDevices();
    void commandLineLanguage_data();
    void commandLineLanguage();
    void englishCatalogueHasPluralForms();
    void otherLanguagesReadEnglish();
    void chineseTranslatesMenus();
    void quitClosesWindow();
    void themeMenuSwitchesPalette();
    void languageMenuAppliesAtNextStart();
    void geometryAndLastProjectRemembered();
};

void TestMainWindow::initTestCase()
{
    vltune::configureApplication(*qApp);
    QCOMPARE(QApplication::applicationName(), QStringLiteral("vltune"));
    QVERIFY(!QApplication::windowIcon().isNull());
    QVERIFY(!QApplication::windowIcon().pixmap(64, 64).isNull()); // the SVG really renders
}

void TestMainWindow::titleAndSize()
{
    MainWindow window(vltune::runtime_info());
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QCOMPARE(window.windowTitle(), QStringLiteral("vltune"));
    QVERIFY(window.width() >= 1000 && window.height() >= 700);
    QVERIFY(window.centralWidget() != nullptr);
}

void TestMainWindow::menuActions()
{
    MainWindow window(vltune::runtime_info());
    QMenu *fileMenu = menuNamed(window, "menuFile");
    QMenu *helpMenu = menuNamed(window, "menuHelp");
    QVERIFY(fileMenu);
    QVERIFY(helpMenu);
    QCOMPARE(fileMenu->title(), QStringLiteral("&File"));
    QCOMPARE(helpMenu->title(), QStringLiteral("&Help"));
    QStringList order;
    for (QAction *a : window.menuBar()->actions())
        order << a->text();
    QCOMPARE(order, QStringList({"&File", "&View", "&Help"}));

    auto *quit = window.findChild<QAction *>(QStringLiteral("actionQuit"));
    auto *about = window.findChild<QAction *>(QStringLiteral("actionAbout"));
    QVERIFY(quit);
    QVERIFY(about);
    QVERIFY(fileMenu->actions().contains(quit));
    QVERIFY(helpMenu->actions().contains(about));
    auto *getModel = window.findChild<QAction *>(QStringLiteral("actionGetModel"));
    auto *openDataset = window.findChild<QAction *>(QStringLiteral("actionOpenDataset"));
    QVERIFY(getModel && openDataset);
    QVERIFY(fileMenu->actions().contains(getModel));
    QVERIFY(fileMenu->actions().contains(openDataset));
    // File > Image Cache… opens its dialog (window-modal, over the main window).
    auto *imageCache = window.findChild<QAction *>(QStringLiteral("actionImageCache"));
    QVERIFY(imageCache && fileMenu->actions().contains(imageCache));
    imageCache->trigger();
    auto *cacheDialog = window.findChild<QDialog *>(QStringLiteral("imageCacheDialog"));
    QVERIFY(cacheDialog && cacheDialog->isVisible());
    cacheDialog->reject();
    QCOMPARE(quit->text(), QStringLiteral("&Quit"));
    // The platform's own Quit key (Ctrl+Q on X11); the offscreen platform may know none.
    QCOMPARE(quit->shortcuts(), QKeySequence::keyBindings(QKeySequence::Quit));
}

void TestMainWindow::aboutTextNamesVersionsAndCuda()
{
    const vltune::RuntimeInfo info = vltune::runtime_info();
    MainWindow window(info);
    const QString text = window.aboutText();
    QVERIFY(!info.torch_version.empty());
    QVERIFY2(text.contains(QStringLiteral("LibTorch ") + QString::fromStdString(info.torch_version)),
             qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("vltune ") + QString::fromStdString(info.vltune_version)),
             qPrintable(text));
    QVERIFY2(text.contains(info.cuda_available ? QStringLiteral("CUDA: ")
                                               : QStringLiteral("CUDA: not available")),
             qPrintable(text));
}

void TestMainWindow::statusBarShowsReadyAndDevice()
{
    MainWindow window(vltune::runtime_info());
    QStatusBar *bar = window.findChild<QStatusBar *>();
    QVERIFY(bar);
    QCOMPARE(bar->currentMessage(), QStringLiteral("Ready"));
    auto *indicator = bar->findChild<vltune::DeviceIndicator *>();
    QVERIFY(indicator);
    QVERIFY(!indicator->toolTip().isEmpty());
}

void TestMainWindow::deviceIndicatorCountsCudaDevices_data()
{
    QTest::addColumn<bool>("available");
    QTest::addColumn<int>("devices");
    QTest::addColumn<QString>("label");
    QTest::addColumn<QString>("toolTip");
    QTest::newRow("cpu") << false << 0 << QStringLiteral("CPU")
                         << QStringLiteral("No CUDA device is available: training and "
                                           "generation run on the CPU.");
    QTest::newRow("one gpu") << true << 1 << QStringLiteral("CUDA ×1")
                             << QStringLiteral("1 CUDA device(s) available for training and "
                                               "generation.");
    QTest::newRow("four gpus") << true << 4 << QStringLiteral("CUDA ×4")
                               << QStringLiteral("4 CUDA device(s) available for training and "
                                                 "generation.");
}

void TestMainWindow::deviceIndicatorCountsCudaDevices()
{
    QFETCH(bool, available);
    QFETCH(int, devices);
    QFETCH(QString, label);
    QFETCH(QString, toolTip);
    vltune::RuntimeInfo info = vltune::runtime_info();
    info.cuda_available = available;
    info.cuda_device_count = devices;
    MainWindow window(info);
    auto *indicator = window.findChild<vltune::DeviceIndicator *>();
    QVERIFY(indicator);
    QCOMPARE(indicator->text(), label);
    QCOMPARE(indicator->toolTip(), toolTip); // no catalogue installed: the source text
}

void TestMainWindow::commandLineLanguage_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QByteArray>("env");
    QTest::addColumn<QString>("locale");
    const QString exe = QStringLiteral("vltune");
    QTest::newRow("--lang value") << QStringList{exe, "--lang", "zh_CN"} << QByteArray() << "zh_CN";
    QTest::newRow("--lang=value") << QStringList{exe, "--lang=zh_CN"} << QByteArray() << "zh_CN";
    QTest::newRow("env") << QStringList{exe} << QByteArray("zh_CN") << "zh_CN";
    QTest::newRow("flag beats env") << QStringList{exe, "--lang", "en_US"} << QByteArray("zh_CN")
                                    << "en_US";
    QTest::newRow("unknown is English") << QStringList{exe, "--lang", "klingon"} << QByteArray()
                                        << "en_US";
}

void TestMainWindow::commandLineLanguage()
{
    QFETCH(QStringList, arguments);
    QFETCH(QByteArray, env);
    QFETCH(QString, locale);
    const QByteArray saved = qgetenv("VLTUNE_LANG");
    if (env.isEmpty())
        qunsetenv("VLTUNE_LANG");
    else
        qputenv("VLTUNE_LANG", env);
    if (arguments.contains(QStringLiteral("klingon")))
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("unknown language")));
    const vltune::LaunchOptions options = vltune::parseCommandLine(arguments);
    if (saved.isEmpty())
        qunsetenv("VLTUNE_LANG");
    else
        qputenv("VLTUNE_LANG", saved);
    QCOMPARE(options.uiLocale.name(), locale);
}

void TestMainWindow::englishCatalogueHasPluralForms()
{
    // The English catalogue exists (plural forms), so an English system never falls through
    // to a later language in its preference list.
    const vltune::Translations translations(QLocale(QLocale::English, QLocale::UnitedStates));
    QCOMPARE(translations.catalogue(), QStringLiteral(":/i18n/vltune_en.qm"));
    vltune::RuntimeInfo info = vltune::runtime_info();
    info.cuda_available = true;
    info.cuda_device_count = 2;
    MainWindow window(info);
    QCOMPARE(menuNamed(window, "menuFile")->title(), QStringLiteral("&File"));
    QCOMPARE(window.findChild<vltune::DeviceIndicator *>()->toolTip(),
             QStringLiteral("2 CUDA devices available for training and generation."));
}

void TestMainWindow::otherLanguagesReadEnglish()
{
    // Languages without a catalogue, and the C locale of a bare container, read the English one:
    // "2 CUDA devices", not the source text's "2 CUDA device(s)".
    for (const QLocale &locale : {QLocale::c(), QLocale(QLocale::German, QLocale::Germany)}) {
        const vltune::Translations translations(locale);
        QCOMPARE(translations.catalogue(), QStringLiteral(":/i18n/vltune_en.qm"));
        vltune::RuntimeInfo info = vltune::runtime_info();
        info.cuda_available = true;
        info.cuda_device_count = 2;
        MainWindow window(info);
        QCOMPARE(window.findChild<vltune::DeviceIndicator *>()->toolTip(),
                 QStringLiteral("2 CUDA devices available for training and generation."));
    }
}

void TestMainWindow::chineseTranslatesMenus()
{
    // What the embedded catalogue says, read directly...
    QTranslator catalogue;
    QVERIFY(catalogue.load(QStringLiteral(":/i18n/vltune_zh_CN.qm")));
    const QString file = catalogue.translate("vltune::MainWindow", "&File");
    const QString help = catalogue.translate("vltune::MainWindow", "&Help");
    QVERIFY2(file.contains(QStringLiteral("文件")), qPrintable(file));
    QVERIFY2(help.contains(QStringLiteral("帮助")), qPrintable(help));

    // ...is what the window shows once the app installs the zh_CN translations.
    const vltune::Translations translations(QLocale(QStringLiteral("zh_CN")));
    QCOMPARE(translations.catalogue(), QStringLiteral(":/i18n/vltune_zh_CN.qm"));
    MainWindow window(vltune::runtime_info());
    QCOMPARE(menuNamed(window, "menuFile")->title(), file);
    QCOMPARE(menuNamed(window, "menuHelp")->title(), help);
    QCOMPARE(window.statusBar()->currentMessage(), QStringLiteral("就绪"));
    QVERIFY(window.aboutText().contains(QStringLiteral("LibTorch ")));
}

void TestMainWindow::quitClosesWindow()
{
    MainWindow window(vltune::runtime_info());
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto *quit = window.findChild<QAction *>(QStringLiteral("actionQuit"));
    QVERIFY(quit);
    quit->trigger();
    QVERIFY(!window.isVisible());
}

void TestMainWindow::themeMenuSwitchesPalette()
{
    MainWindow window(vltune::runtime_info());
    const bool startedDark = vltune::paletteIsDark();
    auto *dark = window.findChild<QAction *>(QStringLiteral("actionTheme_dark"));
    auto *light = window.findChild<QAction *>(QStringLiteral("actionTheme_light"));
    auto *system = window.findChild<QAction *>(QStringLiteral("actionTheme_system"));
    QVERIFY(dark && light && system);
    dark->trigger();
    QVERIFY(vltune::paletteIsDark());
    QCOMPARE(QSettings().value(QStringLiteral("ui/theme")).toString(), QStringLiteral("dark"));
    light->trigger();
    QVERIFY(!vltune::paletteIsDark());
    system->trigger();
    QCOMPARE(vltune::paletteIsDark(), startedDark);  // offscreen: the platform's own palette again
    QCOMPARE(vltune::themeFromName(QStringLiteral("nonsense")), vltune::Theme::System);
}

void TestMainWindow::languageMenuAppliesAtNextStart()
{
    qunsetenv("VLTUNE_LANG");
    MainWindow window(vltune::runtime_info());
    auto *chinese = window.findChild<QAction *>(QStringLiteral("actionLanguage_zh_CN"));
    auto *systemLanguage = window.findChild<QAction *>(QStringLiteral("actionLanguage_system"));
    QVERIFY(chinese && systemLanguage);
    auto *restart = window.findChild<QPushButton *>(QStringLiteral("restartButton"));
    QVERIFY(restart && restart->isHidden());
    chinese->trigger();
    QVERIFY(!restart->isHidden());  // "Restart now" offered
    QCOMPARE(QSettings().value(QStringLiteral("ui/language")).toString(), QStringLiteral("zh_CN"));
    QVERIFY(window.statusBar()->currentMessage().contains(QStringLiteral("starts again")));
    // The next start reads it (an explicit --lang still wins).
    QCOMPARE(vltune::parseCommandLine({QStringLiteral("vltune")}).uiLocale.language(), QLocale::Chinese);
    QCOMPARE(vltune::parseCommandLine({QStringLiteral("vltune"), QStringLiteral("--lang"), QStringLiteral("en")})
                 .uiLocale.language(),
             QLocale::English);
    systemLanguage->trigger();
    QVERIFY(!QSettings().contains(QStringLiteral("ui/language")));
}

void TestMainWindow::geometryAndLastProjectRemembered()
{
    vltune::test::TempDir dir;
    // A dataset the user opened: remembered as the project and in File > Recent Datasets.
    vltune::test::write_png(dir.path() / "captions/a.png", 32, 32, 1);
    vltune::test::write_text(dir.path() / "captions/a.txt", "a square");
    const QString dataset = QString::fromStdString((dir.path() / "captions").string());
    {
        MainWindow window(vltune::runtime_info());
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.resize(1111, 777);
        QSignalSpy opened(window.datasetPage(), &vltune::DatasetPage::datasetOpened);
        window.datasetPage()->openPath(dataset);
        QVERIFY(opened.wait(30000));
        auto *recent = window.menuBar()->findChild<QMenu *>(QStringLiteral("menuRecentDatasets"));
        QVERIFY(recent && !recent->actions().isEmpty());
        QCOMPARE(recent->actions().first()->text(), dataset);
        window.close();
    }
    QCOMPARE(QSettings().value(QStringLiteral("project/dataset")).toString(), dataset);
    MainWindow again(vltune::runtime_info());
    QCOMPARE(again.size(), QSize(1111, 777));
    QSignalSpy reopened(again.datasetPage(), &vltune::DatasetPage::datasetOpened);
    QVERIFY(again.reopenLastProject());
    QVERIFY(reopened.wait(30000));
    QCOMPARE(reopened.at(0).at(0).toString(), dataset);
    // A project inside the demo folder is not the user's: the demo opens instead.
    QSettings().setValue(QStringLiteral("project/dataset"), vltune::demoProjectFolder() + QStringLiteral("/data"));
    QSettings().remove(QStringLiteral("project/yaml"));
    QDir().mkpath(vltune::demoProjectFolder() + QStringLiteral("/data"));
    MainWindow third(vltune::runtime_info());
    QVERIFY(!third.reopenLastProject());
}

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
