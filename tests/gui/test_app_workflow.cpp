// The whole window, offscreen, as a user goes through it: a LLaMA-Factory YAML loaded on the Train
// page, Start pressed, the run followed on the Monitor (its log drawn live), and the finished
// adapter offered to Chat and to Evaluate & Export; a folder dropped on the window opens on the
// Dataset page; closing the window mid-run stops the run with a checkpoint.

#include "app/train_controller.h"
#include "core/io/hf_config.h"
#include "core/runtime_info.h"
#include "tests/test_support.h"
#include "tests/tiny_png.h"
#include "ui/chat_page.h"
#include "ui/dataset_page.h"
#include "ui/monitor_page.h"
#include "ui/pinned_samples_editor.h"
#include "ui/pinned_samples_view.h"
#include "ui/train_page.h"
#include "widgets/loss_chart.h"

#include "ui/main_window.h"

#include <QLabel>
#include <QLineEdit>
#include <QToolButton>
#include <QMimeData>
#include <QPushButton>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTabWidget>
#include <QUrl>
#include <QtTest/QtTest>

#include <fstream>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;
using nlohmann::json;
using namespace vltune;

namespace {

void writeDataset(const fs::path &root)
{
    json rows = json::array();
    const char *questions[] = {"What colour is it?", "Name the colour.", "Which colour?", "The colour, please."};
    for (int colour = 0; colour < 2; ++colour) {
        test::write_png(root / "data/images" / (std::to_string(colour) + ".png"), 56, 56, colour * 120);
        for (const char *q : questions)
            rows.push_back({{"conversations",
                             {{{"from", "human"}, {"value", std::string("<image>") + q}},
                              {{"from", "gpt"}, {"value", colour ? "It is red." : "It is blue."}}}},
                            {"images", {"images/" + std::to_string(colour) + ".png"}}});
    }
    test::write_text(root / "data/colours.json", rows.dump());
    test::write_text(root / "data/dataset_info.json",
                     json{{"colours", {{"file_name", "colours.json"}, {"formatting", "sharegpt"}}}}.dump());
}

// 8 samples, 2 held out, batch 2, two epochs: 6 steps, each logged.
void writeYaml(const fs::path &root, const fs::path &model, int epochs)
{
    test::write_text(root / "train.yaml",
                     "### model\nmodel_name_or_path: " + model.string() +
                         "\n### method\nstage: sft\nfinetuning_type: lora\nlora_rank: 4\nlora_target: all\n"
                         "### dataset\ndataset: colours\ntemplate: qwen2_vl\ncutoff_len: 1024\ndataset_dir: " +
                         (root / "data").string() + "\nval_size: 2\n### output\noutput_dir: " + (root / "saves/run").string() +
                         "\nlogging_steps: 1\nsave_steps: 1\noverwrite_output_dir: true\n"
                         "### train\nper_device_train_batch_size: 2\nlearning_rate: 1.0e-3\nnum_train_epochs: " +
                         std::to_string(epochs) + ".0\n");
}

fs::path fixtureModel()
{
    const auto families = test::fixture_families_of({io::ModelFamily::qwen2_vl});
    return families.empty() ? fs::path() : test::hf_fixtures_root() / families.front() / "model";
}

} // namespace

class TestAppWorkflow : public QObject
{
    Q_OBJECT

private slots:
    void pagesInTheOrderAUserWorks();
    void trainFromYamlFollowedOnMonitorThenChat();
    void droppedFolderOpensOnDatasetPage();
};

void TestAppWorkflow::pagesInTheOrderAUserWorks()
{
    MainWindow window(runtime_info());
    QStringList titles;
    for (int i = 0; i < window.pages()->count(); ++i)
        titles << window.pages()->tabText(i);
    QCOMPARE(titles, QStringList({"Start", "Dataset", "Train", "Monitor", "Chat", "Evaluate && Export"}));
}

void TestAppWorkflow::trainFromYamlFollowedOnMonitorThenChat()
{
    const fs::path model = fixtureModel();
    if (model.empty())
        QSKIP("no qwen2_vl family in this fixture set");
    test::TempDir dir;
    writeDataset(dir.path());
    writeYaml(dir.path(), model, 2);

    MainWindow window(runtime_info());
    window.resize(1440, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    TrainPage *train = window.trainPage();
    QVERIFY2(train->loadYaml(QString::fromStdString((dir.path() / "train.yaml").string())), qPrintable(train->message()));

    // Pin a sample on the Dataset page and ask it the user's own question on the Train page.
    DatasetPage *dataset = window.datasetPage();
    QSignalSpy opened(dataset, &DatasetPage::datasetOpened);
    dataset->openPath(QString::fromStdString((dir.path() / "data").string()));
    QVERIFY(opened.wait(30000));
    auto *pin = dataset->pinButton();
    dataset->selectSample(5);
    QTRY_VERIFY(pin->isEnabled());
    QVERIFY(!pin->isChecked());
    QTest::mouseClick(pin, Qt::LeftButton);
    QVERIFY(pin->isChecked());
    PinnedSamplesEditor *pinned = train->pinnedEditor();
    QCOMPARE(pinned->choices().size(), 1);
    QCOMPARE(pinned->choices().front().file, QStringLiteral("colours.json"));
    QCOMPARE(pinned->choices().front().row, 5);
    auto *question = pinned->findChild<QLineEdit *>(QStringLiteral("pinnedQuestionEdit"));
    QVERIFY(question);
    QVERIFY2(question->placeholderText().contains(QStringLiteral("Name the colour.")), qPrintable(question->placeholderText()));
    QTest::keyClicks(question, QStringLiteral("Red or blue?"));
    // Unpinned from the Train page, the Dataset page's button follows; pinned again.
    dataset->selectSample(0);
    QTest::mouseClick(pin, Qt::LeftButton);
    QCOMPARE(pinned->choices().size(), 2);
    QTest::mouseClick(pinned->findChildren<QToolButton *>(QStringLiteral("pinnedRemoveButton")).last(), Qt::LeftButton);
    QCOMPARE(pinned->choices().size(), 1);
    QVERIFY(!pin->isChecked());
    window.pages()->setCurrentWidget(train);
    auto *start = train->findChild<QPushButton *>(QStringLiteral("trainStartButton"));
    QVERIFY(start);
    QTRY_VERIFY2(start->isEnabled(), qPrintable(start->toolTip()));

    QSignalSpy finished(window.trainController(), &TrainController::finished);
    QSignalSpy failed(window.trainController(), &TrainController::failed);
    QTest::mouseClick(start, Qt::LeftButton);
    QCOMPARE(window.trainController()->state(), TrainController::State::Running);
    QCOMPARE(train->runState(), TrainPage::RunState::Running);
    QVERIFY(!start->isEnabled());
    // The Monitor comes up on the run's folder.
    QCOMPARE(window.pages()->currentWidget(), window.monitorPage());
    QCOMPARE(QDir(window.monitorPage()->runDir()).absolutePath(),
             QDir(QString::fromStdString((dir.path() / "saves/run").string())).absolutePath());

    QVERIFY(finished.wait(300000));
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.at(0).at(0).toString()));
    QCOMPARE(finished.at(0).at(0).toString(), QStringLiteral("finished"));
    const qint64 steps = finished.at(0).at(1).toLongLong();
    QCOMPARE(steps, 6);
    QTRY_COMPARE(train->runState(), TrainPage::RunState::Idle);
    QVERIFY(start->isEnabled());

    // The Monitor drew every logged step from the log the run wrote.
    window.monitorPage()->refresh();
    QTRY_COMPARE(window.monitorPage()->chart()->pointCount(QStringLiteral("train loss")), int(steps));
    // The checkpoints the run wrote (save_steps 1), newest first.
    QTRY_COMPARE(window.monitorPage()->checkpointSteps(), QVector<qint64>({6, 5, 4, 3, 2, 1}));
    // The pinned sample was asked the user's question before training and every logged step, and
    // its card shows its image.
    std::ifstream pinnedLog(dir.path() / "saves/run/pinned_samples.jsonl");
    int rounds = 0;
    for (std::string line; std::getline(pinnedLog, line); ++rounds) {
        const json samples = json::parse(line).at("samples");
        QCOMPARE(samples.size(), size_t(1));
        QCOMPARE(samples[0].at("source").get<std::string>(), std::string("colours.json row 5"));
        QCOMPARE(samples[0].at("question").get<std::string>(), std::string("<image>Red or blue?"));
    }
    QCOMPARE(rounds, 7);  // step 0 and each of the 6 steps
    PinnedSamplesView *pinnedView = window.monitorPage()->pinnedView();
    QTRY_COMPARE(pinnedView->roundCount(), 7);
    QCOMPARE(QFileInfo(pinnedView->shownImage(0)).fileName(), QStringLiteral("1.png"));
    QVERIFY(!pinnedView->findChild<QLabel *>(QStringLiteral("pinnedImage0"))->pixmap().isNull());
    QVERIFY2(window.statusBar()->currentMessage().contains(QStringLiteral("finished at step 6")),
             qPrintable(window.statusBar()->currentMessage()));

    // Chat is offered the base model and the new adapter (loaded when the user presses Load).
    auto *modelEdit = window.chatPage()->findChild<QLineEdit *>(QStringLiteral("chatModelEdit"));
    auto *adapterEdit = window.chatPage()->findChild<QLineEdit *>(QStringLiteral("chatAdapterEdit"));
    QCOMPARE(modelEdit->text(), QString::fromStdString(model.string()));
    QCOMPARE(adapterEdit->text(), QString::fromStdString((dir.path() / "saves/run").string()));

    if (const QByteArray shots = qgetenv("VLTUNE_SCREENSHOT_DIR"); !shots.isEmpty()) {
        window.pages()->setCurrentWidget(window.monitorPage());
        QTest::qWait(200);
        window.grab().save(QString::fromLocal8Bit(shots) + QStringLiteral("/workflow_monitor.png"));
        window.pages()->setCurrentWidget(train);
        QTest::qWait(200);
        window.grab().save(QString::fromLocal8Bit(shots) + QStringLiteral("/workflow_train.png"));
    }
}

void TestAppWorkflow::droppedFolderOpensOnDatasetPage()
{
    test::TempDir dir;
    writeDataset(dir.path());
    MainWindow window(runtime_info());
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy opened(window.datasetPage(), &DatasetPage::datasetOpened);

    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(QString::fromStdString((dir.path() / "data").string()))});
    const QPoint at(window.width() / 2, window.height() / 2);
    QDragEnterEvent enter(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&window, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(at), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&window, &drop);
    QCOMPARE(window.pages()->currentWidget(), window.datasetPage());
    QVERIFY(opened.wait(60000));
    QCOMPARE(opened.at(0).at(1).toString(), QStringLiteral("llamafactory"));
}

QTEST_MAIN(TestAppWorkflow)
#include "test_app_workflow.moc"
