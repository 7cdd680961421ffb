// The Train page's engine bridge: a YAML in, a real training run on a fixture model on the worker
// thread, value-type reports back on the GUI thread; Pause holds the run between two steps, Stop
// ends it with a checkpoint, and a bad config or dataset fails with the key or row named.

#include "core/io/hf_config.h"
#include "tests/test_support.h"
#include "tests/tiny_png.h"

#include "app/application.h"
#include "app/train_controller.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTimer>
#include <QtTest/QtTest>

#include <cmath>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;
using nlohmann::json;
using namespace vltune;

namespace {

// Two colours, each asked about in four ways: 8 samples.
void writeDataset(const fs::path &root, bool withMissingImage)
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
    if (withMissingImage)
        rows.push_back({{"conversations", {{{"from", "human"}, {"value", "<image>Hm?"}}, {{"from", "gpt"}, {"value", "x"}}}},
                        {"images", {"images/missing.png"}}});
    test::write_text(root / "data/colours.json", rows.dump());
    test::write_text(root / "data/dataset_info.json",
                     json{{"colours", {{"file_name", "colours.json"}, {"formatting", "sharegpt"}}}}.dump());
}

// 8 samples, batch 2, one epoch: 4 steps, each logged, a checkpoint every step.
QString yamlFor(const fs::path &root, const fs::path &model)
{
    return QString::fromStdString(
        "model_name_or_path: " + model.string() +
        "\nstage: sft\nfinetuning_type: lora\nlora_rank: 4\nlora_target: all\n"
        "dataset: colours\ntemplate: qwen2_vl\ncutoff_len: 1024\ndataset_dir: " + (root / "data").string() +
        "\noutput_dir: " + (root / "saves/run").string() +
        "\nlogging_steps: 1\nsave_steps: 1\noverwrite_output_dir: true\n"
        "per_device_train_batch_size: 2\nlearning_rate: 1.0e-3\nnum_train_epochs: 1.0\n"
        "preprocessing_num_workers: 1\n");
}

fs::path fixtureModel()
{
    const auto families = test::fixture_families_of({io::ModelFamily::qwen2_vl});
    return families.empty() ? fs::path() : test::hf_fixtures_root() / families.front() / "model";
}

} // namespace

class TestTrainController : public QObject
{
    Q_OBJECT

private slots:
    void trainsToTheEndAndReportsEveryStep();
    void pauseHoldsBetweenStepsAndStopWritesACheckpoint();
    void badConfigAndBadRowsFailNamingThem();
    void guiStaysResponsiveWhileTraining();
};

void TestTrainController::trainsToTheEndAndReportsEveryStep()
{
    const fs::path model = fixtureModel();
    if (model.empty())
        QSKIP("no qwen2_vl family in this fixture set");
    test::TempDir dir;
    writeDataset(dir.path(), false);

    TrainController controller;
    QSignalSpy started(&controller, &TrainController::runStarted);
    QSignalSpy steps(&controller, &TrainController::stepDone);
    QSignalSpy checkpoints(&controller, &TrainController::checkpointSaved);
    QSignalSpy messages(&controller, &TrainController::message);
    QSignalSpy finished(&controller, &TrainController::finished);
    QSignalSpy failed(&controller, &TrainController::failed);
    TrainController::Options options;
    options.device = QStringLiteral("cpu");
    options.imageCache.dir = QString::fromStdString((dir.path() / "prepared").string());  // File > Image Cache's folder
    controller.start(yamlFor(dir.path(), model), QStringLiteral("run.yaml"), options);
    QCOMPARE(controller.state(), TrainController::State::Running);
    QCOMPARE(started.size(), 1);
    QCOMPARE(started.at(0).at(0).toString(), QString::fromStdString((dir.path() / "saves/run").string()));

    QVERIFY(finished.wait(240000));
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.at(0).at(0).toString()));
    QCOMPARE(finished.at(0).at(0).toString(), QStringLiteral("finished"));
    QCOMPARE(finished.at(0).at(1).toLongLong(), 4);
    QTRY_COMPARE(controller.state(), TrainController::State::Idle);

    // One report per step, in order, each the same loss the trainer logged for that step.
    QCOMPARE(steps.size(), 4);
    std::map<qint64, double> logged;
    std::ifstream log(dir.path() / "saves/run/trainer_log.jsonl");
    for (std::string line; std::getline(log, line);) {
        const json j = json::parse(line);
        if (j.contains("loss"))
            logged[j["current_steps"].get<qint64>()] = j["loss"].get<double>();
    }
    for (int i = 0; i < steps.size(); ++i) {
        const auto s = steps.at(i).at(0).value<TrainStep>();
        QCOMPARE(s.step, qint64(i + 1));
        QCOMPARE(s.totalSteps, qint64(4));
        QVERIFY(std::isfinite(s.loss) && s.loss > 0);
        QVERIFY2(logged.count(s.step), "a step the log does not have");
        QVERIFY2(std::abs(logged[s.step] - s.loss) < 1e-4, qPrintable(QString::number(s.loss)));
    }
    QCOMPARE(checkpoints.size(), 4);
    QVERIFY(fs::exists(dir.path() / "saves/run/adapter_model.safetensors"));
    QVERIFY(fs::exists(dir.path() / "saves/run/training_args.yaml"));
    bool sawCounts = false;
    for (const auto &m : messages)
        sawCounts |= m.at(0).toString().contains(QStringLiteral("8 training / 0 validation samples"));
    QVERIFY(sawCounts);
    QVERIFY(fs::is_directory(dir.path() / "prepared"));  // the run opened the cache where the settings say
}

void TestTrainController::pauseHoldsBetweenStepsAndStopWritesACheckpoint()
{
    const fs::path model = fixtureModel();
    if (model.empty())
        QSKIP("no qwen2_vl family in this fixture set");
    test::TempDir dir;
    writeDataset(dir.path(), false);

    TrainController controller;
    QSignalSpy steps(&controller, &TrainController::stepDone);
    QSignalSpy states(&controller, &TrainController::stateChanged);
    QSignalSpy finished(&controller, &TrainController::finished);
    TrainController::Options options;
    options.device = QStringLiteral("cpu");
    options.imageCache.enabled = false;  // File > Image Cache, unticked: no folder made
    options.imageCache.dir = QString::fromStdString((dir.path() / "not-made").string());
    controller.start(yamlFor(dir.path(), model), QStringLiteral("run.yaml"), options);
    // Asked before the first step ends, so the run holds right after it (the worker checks the
    // gate after each step's report; a pause asked later holds after a later step).
    controller.pause();
    QVERIFY(steps.wait(240000));
    QCOMPARE(controller.state(), TrainController::State::Paused);
    // Held: the worker waits inside step 1's report, so no second step comes.
    QTest::qWait(1500);
    QCOMPARE(steps.size(), 1);
    QVERIFY(finished.isEmpty());

    controller.stop();
    QCOMPARE(controller.state(), TrainController::State::Stopping);
    QVERIFY(finished.wait(60000));
    QCOMPARE(finished.at(0).at(0).toString(), QStringLiteral("stopped"));
    QCOMPARE(finished.at(0).at(1).toLongLong(), 1);
    QTRY_COMPARE(controller.state(), TrainController::State::Idle);
    QVERIFY(!fs::exists(dir.path() / "not-made"));
    QVERIFY(fs::exists(dir.path() / "saves/run/checkpoint-1"));
    QVERIFY(!fs::exists(dir.path() / "saves/run/checkpoint-2"));
    QCOMPARE(steps.size(), 1);
    const QList<TrainController::State> expected = {TrainController::State::Running, TrainController::State::Paused,
                                                    TrainController::State::Stopping, TrainController::State::Idle};
    QList<TrainController::State> seen;
    for (const auto &s : states)
        seen.push_back(s.at(0).value<TrainController::State>());
    QCOMPARE(seen, expected);
}

void TestTrainController::badConfigAndBadRowsFailNamingThem()
{
    TrainController controller;
    QSignalSpy failed(&controller, &TrainController::failed);
    QSignalSpy started(&controller, &TrainController::runStarted);
    controller.start(QStringLiteral("model_name_or_path: m\nlearning_rate: fast\n"), QStringLiteral("bad.yaml"), {});
    QCOMPARE(failed.size(), 1);
    QVERIFY2(failed.at(0).at(0).toString().contains(QStringLiteral("learning_rate")), qPrintable(failed.at(0).at(0).toString()));
    QVERIFY(failed.at(0).at(0).toString().contains(QStringLiteral("bad.yaml")));
    QCOMPARE(controller.state(), TrainController::State::Idle);
    QVERIFY(started.isEmpty());

    const fs::path model = fixtureModel();
    if (model.empty())
        QSKIP("no qwen2_vl family in this fixture set");
    test::TempDir dir;
    writeDataset(dir.path(), true);
    TrainController::Options options;
    options.device = QStringLiteral("cpu");
    controller.start(yamlFor(dir.path(), model), QStringLiteral("run.yaml"), options);
    QVERIFY(failed.wait(120000));
    QVERIFY2(failed.at(1).at(0).toString().contains(QStringLiteral("missing.png")), qPrintable(failed.at(1).at(0).toString()));
    QTRY_COMPARE(controller.state(), TrainController::State::Idle);
    QVERIFY(!fs::exists(dir.path() / "saves/run/adapter_model.safetensors"));
}

void TestTrainController::guiStaysResponsiveWhileTraining()
{
    const fs::path model = fixtureModel();
    if (model.empty())
        QSKIP("no qwen2_vl family in this fixture set");
    test::TempDir dir;
    writeDataset(dir.path(), false);
    reserveCoreForGui();  // as the app does at start

    // A 20 ms timer on the GUI thread while a run trains: the longest gap between two ticks.
    TrainController controller;
    QSignalSpy finished(&controller, &TrainController::finished);
    QElapsedTimer clock;
    qint64 last = 0, worst = 0;
    int ticks = 0;
    QTimer timer;
    timer.setInterval(20);
    connect(&timer, &QTimer::timeout, &controller, [&] {
        const qint64 now = clock.elapsed();
        worst = std::max(worst, now - last);
        last = now;
        ++ticks;
    });
    TrainController::Options options;
    options.device = QStringLiteral("cpu");
    QString yaml = yamlFor(dir.path(), model);
    yaml.replace(QStringLiteral("num_train_epochs: 1.0"), QStringLiteral("num_train_epochs: 4.0"));
    clock.start();
    timer.start();
    controller.start(yaml, QStringLiteral("run.yaml"), options);
    QVERIFY(finished.wait(240000));
    timer.stop();
    QCOMPARE(finished.at(0).at(0).toString(), QStringLiteral("finished"));
    QVERIFY2(ticks > 10, qPrintable(QString::number(ticks)));
    QVERIFY2(worst < 1000, qPrintable(QStringLiteral("the GUI thread stalled for %1 ms").arg(worst)));
}

QTEST_GUILESS_MAIN(TestTrainController)
#include "test_train_controller.moc"
