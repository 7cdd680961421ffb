// Issue 10's first run, offscreen: the window opens the demo project made on the spot, "Train the
// demo" runs it on the CPU with the Monitor following, and Chat compares the base and the adapted
// model on a shape, where the adapted model names it and the base does not.

#include "app/application.h"
#include "app/chat_controller.h"
#include "app/train_controller.h"
#include "app/translations.h"
#include "core/demo/demo_project.h"
#include "core/runtime_info.h"
#include "tests/test_support.h"
#include "ui/chat_page.h"
#include "ui/dataset_page.h"
#include "ui/evaluate_page.h"
#include "ui/monitor_page.h"
#include "ui/train_page.h"
#include "widgets/chat_transcript.h"
#include "widgets/loss_chart.h"

#include "ui/main_window.h"

#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QtTest/QtTest>

namespace fs = std::filesystem;
using namespace vltune;

class TestDemoWorkflow : public QObject
{
    Q_OBJECT

private slots:
    void noDemoOption();
    void demoTrainsAndChatShowsTheDifference();
};

void TestDemoWorkflow::noDemoOption()
{
    QVERIFY(parseCommandLine({QStringLiteral("vltune")}).openDemo);
    QVERIFY(!parseCommandLine({QStringLiteral("vltune"), QStringLiteral("--no-demo")}).openDemo);
    QVERIFY(demoProjectFolder().endsWith(QStringLiteral("/demo")));
}

void TestDemoWorkflow::demoTrainsAndChatShowsTheDifference()
{
    test::TempDir dir;
    const QString root = QString::fromStdString((dir.path() / "demo").string());
    // As the app does: its catalogue installed (English plural forms in what the screenshots show).
    const Translations english(QLocale(QLocale::English, QLocale::UnitedStates));
    MainWindow window(runtime_info());
    window.resize(1440, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy ready(&window, &MainWindow::demoReady);
    QSignalSpy opened(window.datasetPage(), &DatasetPage::datasetOpened);
    window.openDemoProject(root);
    QVERIFY(ready.wait(60000));
    QCOMPARE(window.demoRoot(), root);
    auto *label = window.findChild<QLabel *>(QStringLiteral("demoLabel"));
    QVERIFY2(label->text().contains(QStringLiteral("demo")), qPrintable(label->text()));
    QVERIFY(window.windowTitle().contains(QStringLiteral("demo")));
    // Every page is on the demo: its dataset, its YAML, its model.
    QVERIFY(opened.wait(60000) || !opened.isEmpty());
    QCOMPARE(opened.at(0).at(1).toString(), QStringLiteral("llamafactory"));
    QCOMPARE(window.trainPage()->yamlPath(), root + QStringLiteral("/train.yaml"));
    QCOMPARE(window.chatPage()->findChild<QLineEdit *>(QStringLiteral("chatModelEdit"))->text(), root + QStringLiteral("/model"));

    // Train the demo: one click; the Monitor follows; it ends well within a minute on a CPU.
    QSignalSpy finished(window.trainController(), &TrainController::finished);
    QSignalSpy failed(window.trainController(), &TrainController::failed);
    auto *trainButton = window.findChild<QPushButton *>(QStringLiteral("trainDemoButton"));
    QTRY_VERIFY(trainButton->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(window.trainPage()->findChild<QPushButton *>(QStringLiteral("trainStartButton"))->isEnabled(), 20000);
    QTest::mouseClick(trainButton, Qt::LeftButton);
    QCOMPARE(window.trainController()->state(), TrainController::State::Running);
    QCOMPARE(window.pages()->currentWidget(), window.monitorPage());
    QVERIFY(finished.wait(240000));
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.at(0).at(0).toString()));
    QCOMPARE(finished.at(0).at(0).toString(), QStringLiteral("finished"));
    window.monitorPage()->refresh();
    QTRY_VERIFY(window.monitorPage()->chart()->pointCount(QStringLiteral("train loss")) > 10);

    // Chat: base and adapted side by side on a red circle.
    const QString adapter = root + QStringLiteral("/saves/demo-lora");
    QCOMPARE(window.chatPage()->findChild<QLineEdit *>(QStringLiteral("chatAdapterEdit"))->text(), adapter);
    // Evaluate & Export: ready to predict on the run's dataset and to export, nothing to type.
    EvaluatePage *evaluate = window.evaluatePage();
    QCOMPARE(evaluate->findChild<QLineEdit *>(QStringLiteral("evalAdapterEdit"))->text(), adapter);
    QCOMPARE(evaluate->findChild<QLineEdit *>(QStringLiteral("evalDatasetEdit"))->text(), root + QStringLiteral("/data"));
    QCOMPARE(evaluate->findChild<QLineEdit *>(QStringLiteral("evalDatasetNamesEdit"))->text(), QStringLiteral("demo_shapes"));
    QCOMPARE(evaluate->findChild<QLineEdit *>(QStringLiteral("evalOutputEdit"))->text(), adapter + QStringLiteral("-predict"));
    QCOMPARE(evaluate->findChild<QLineEdit *>(QStringLiteral("exportOutEdit"))->text(), adapter + QStringLiteral("-merged"));
    QVERIFY2(evaluate->evaluateBlockedReason().isEmpty(), qPrintable(evaluate->evaluateBlockedReason()));
    QVERIFY2(evaluate->exportBlockedReason().isEmpty(), qPrintable(evaluate->exportBlockedReason()));
    window.pages()->setCurrentWidget(window.chatPage());
    ChatPage *chat = window.chatPage();
    QSignalSpy loaded(chat->controller(), &ChatController::modelLoaded);
    QTest::mouseClick(chat->findChild<QPushButton *>(QStringLiteral("chatLoadButton")), Qt::LeftButton);
    QVERIFY(loaded.wait(60000));
    chat->attachImage(root + QStringLiteral("/data/images/red_circle_0.png"));
    chat->findChild<QPlainTextEdit *>(QStringLiteral("chatInput"))->setPlainText(QStringLiteral("What is in the picture?"));
    QSignalSpy done(chat->controller(), &ChatController::allFinished);
    QTest::mouseClick(chat->findChild<QPushButton *>(QStringLiteral("chatSendButton")), Qt::LeftButton);
    QVERIFY(done.wait(120000));
    QCOMPARE(chat->transcripts().size(), 2);
    const QString expected = QString::fromStdString(demo::demo_caption("red", "circle"));
    const QString base = chat->transcripts()[0]->lastAnswer();
    const QString adapted = chat->transcripts()[1]->lastAnswer();
    QVERIFY2(adapted.trimmed() == expected, qPrintable(adapted));
    QVERIFY2(!base.contains(expected), qPrintable(base));

    // Every page with the demo on it, for the README (docs/screenshots/).
    if (const QByteArray shots = qgetenv("VLTUNE_SCREENSHOT_DIR"); !shots.isEmpty()) {
        const char *names[] = {"start", "dataset", "train", "monitor", "chat", "evaluate"};
        for (int i = 0; i < window.pages()->count(); ++i) {
            window.pages()->setCurrentIndex(i);
            QTest::qWait(300);
            window.grab().save(QString::fromLocal8Bit(shots) + QStringLiteral("/page_%1.png").arg(QLatin1String(names[i])));
        }
    }
}

QTEST_MAIN(TestDemoWorkflow)
#include "test_demo_workflow.moc"
