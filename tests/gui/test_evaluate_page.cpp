// The Evaluate & Export page and its controller, offscreen, on the tiny Qwen2-VL fixture model with
// its adapter: prediction runs to the end on a small dataset, the metrics shown are
// predict_results.json's (and eval_results.json's), generated_predictions.jsonl has one line per
// sample and the table shows them; Stop mid-run ends cancelled with the files kept; export writes a
// checkpoint that loads back, with its phases reported, and the engine's refusals come through;
// missing or wrong folders disable Run and Export, saying why.

// LibTorch and the engine before Qt: Qt's `slots` macro would break torch's headers.
#include "core/lora/lora_factory.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTest>

#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "app/evaluate_controller.h"
#include "tests/test_support.h"
#include "tests/tiny_png.h"
#include "ui/evaluate_page.h"

namespace fs = std::filesystem;
using nlohmann::json;
using vltune::EvaluateController;
using vltune::EvaluateMetrics;
using vltune::EvaluatePage;
using vltune::ExportStatus;

namespace {

// The qwen2_vl fixture family folder (empty when this fixture set has none).
fs::path fixtureDir()
{
    const auto families = vltune::test::fixture_families_of({vltune::io::ModelFamily::qwen2_vl});
    return families.empty() ? fs::path() : vltune::test::hf_fixtures_root() / families.front();
}

QString q(const fs::path &p)
{
    return QString::fromStdString(p.string());
}

std::string readText(const fs::path &path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> linesOf(const fs::path &path)
{
    std::vector<std::string> out;
    std::ifstream in(path, std::ios::binary);
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

// `rows` single-turn samples with images, as test_predict's: a LLaMA-Factory folder with one
// sharegpt dataset "colours".
void writeDataset(const fs::path &root, int rows)
{
    const char *answers[] = {"It is blue.", "It is red.", "Round and green."};
    json data = json::array();
    for (int k = 0; k < 3; ++k)
        vltune::test::write_png(root / "images" / (std::to_string(k) + ".png"), 56, 56, k * 90);
    for (int i = 0; i < rows; ++i) {
        data.push_back({{"conversations",
                         {{{"from", "human"}, {"value", "<image>What colour is thing " + std::to_string(i) + "?"}}, {{"from", "gpt"}, {"value", answers[i % 3]}}}},
                        {"images", {"images/" + std::to_string(i % 3) + ".png"}}});
    }
    vltune::test::write_text(root / "colours.json", data.dump());
    vltune::test::write_text(root / "dataset_info.json",
                             json{{"colours", {{"file_name", "colours.json"}, {"formatting", "sharegpt"}}}}.dump());
}

template <typename T>
T *child(const QWidget &page, const char *name)
{
    T *w = page.findChild<T *>(QString::fromLatin1(name));
    if (!w)
        qFatal("no child %s", name);
    return w;
}

// Fills the Evaluate form.
void fillEvaluate(EvaluatePage &page, const fs::path &dataset, const fs::path &out, int maxSamples, int maxNewTokens)
{
    child<QLineEdit>(page, "evalModelEdit")->setText(q(fixtureDir() / "model"));
    child<QLineEdit>(page, "evalAdapterEdit")->setText(q(fixtureDir() / "adapter"));
    child<QLineEdit>(page, "evalDatasetEdit")->setText(q(dataset));
    child<QLineEdit>(page, "evalOutputEdit")->setText(q(out));
    child<QSpinBox>(page, "evalMaxSamples")->setValue(maxSamples);
    child<QSpinBox>(page, "evalMaxNewTokens")->setValue(maxNewTokens);
}

double shown(const QTableWidget *metrics, int row)
{
    return metrics->item(row, 1)->data(Qt::UserRole).toDouble();
}

} // namespace

class TestEvaluatePage final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void invalidInputsDisableRun();
    void runSuggestsOnlyEmptyFields();
    void predictionRunsToTheEnd();
    void stopKeepsTheFiles();
    void exportWritesALoadableCheckpoint();
    void exportRefusalsComeThrough();
};

void TestEvaluatePage::init()
{
    if (fixtureDir().empty())
        QSKIP("no qwen2_vl family in this fixture set");
}

void TestEvaluatePage::invalidInputsDisableRun()
{
    vltune::test::TempDir tmp;
    writeDataset(tmp.path() / "data", 3);
    EvaluatePage page;
    auto *run = child<QPushButton>(page, "evalRunButton");
    auto *model = child<QLineEdit>(page, "evalModelEdit");
    QVERIFY(!run->isEnabled());
    QVERIFY2(run->toolTip().contains(QStringLiteral("model folder")), qPrintable(run->toolTip()));

    model->setText(q(tmp.path() / "nowhere"));
    QVERIFY(!run->isEnabled());
    QVERIFY2(run->toolTip().contains(QStringLiteral("not found")), qPrintable(run->toolTip()));
    QVERIFY(!model->property("problem").toString().isEmpty());  // the field itself is marked

    fillEvaluate(page, tmp.path() / "data", tmp.path() / "out", 0, 8);
    QVERIFY2(run->isEnabled(), qPrintable(run->toolTip()));
    QVERIFY(model->property("problem").toString().isEmpty());

    // A model folder given as the adapter: no adapter_config.json.
    child<QLineEdit>(page, "evalAdapterEdit")->setText(q(fixtureDir() / "model"));
    QVERIFY(!run->isEnabled());
    QVERIFY2(run->toolTip().contains(QStringLiteral("adapter_config.json")), qPrintable(run->toolTip()));
    child<QLineEdit>(page, "evalAdapterEdit")->clear();  // optional: the base model
    QVERIFY(run->isEnabled());
    child<QLineEdit>(page, "evalDatasetEdit")->setText(q(tmp.path() / "missing"));
    QVERIFY(!run->isEnabled());
    child<QLineEdit>(page, "evalDatasetEdit")->setText(q(tmp.path() / "data"));
    child<QLineEdit>(page, "evalOutputEdit")->setText(q(tmp.path() / "data" / "colours.json"));  // a file
    QVERIFY(!run->isEnabled());

    // Export: into a folder that holds files is refused before it starts.
    auto *exportButton = child<QPushButton>(page, "exportButton");
    QVERIFY(!exportButton->isEnabled());
    child<QLineEdit>(page, "exportModelEdit")->setText(q(fixtureDir() / "model"));
    child<QLineEdit>(page, "exportAdapterEdit")->setText(q(fixtureDir() / "adapter"));
    child<QLineEdit>(page, "exportOutEdit")->setText(q(tmp.path() / "data"));
    QVERIFY(!exportButton->isEnabled());
    QVERIFY2(exportButton->toolTip().contains(QStringLiteral("not empty")), qPrintable(exportButton->toolTip()));
    child<QLineEdit>(page, "exportOutEdit")->setText(q(tmp.path() / "merged"));
    QVERIFY2(exportButton->isEnabled(), qPrintable(exportButton->toolTip()));
}

// A finished run suggests its dataset and folders beside its adapter; what the user typed stays,
// and an export folder that exists already is not offered (the export wants a new one).
void TestEvaluatePage::runSuggestsOnlyEmptyFields()
{
    vltune::test::TempDir tmp;
    writeDataset(tmp.path() / "data", 3);
    const fs::path run = tmp.path() / "saves" / "run";
    fs::create_directories(run);
    EvaluatePage page;
    auto *status = child<QLabel>(page, "evalStatusLabel");
    QVERIFY2(status->text().startsWith(QStringLiteral("Choose")), qPrintable(status->text()));
    page.setModelAndAdapter(q(fixtureDir() / "model"), q(fixtureDir() / "adapter"));
    page.suggestFromRun(q(tmp.path() / "data"), {QStringLiteral("colours"), QStringLiteral("more")}, q(run) + QStringLiteral("/"));
    QCOMPARE(child<QLineEdit>(page, "evalDatasetEdit")->text(), q(tmp.path() / "data"));
    QCOMPARE(child<QLineEdit>(page, "evalDatasetNamesEdit")->text(), QStringLiteral("colours, more"));
    QCOMPARE(child<QLineEdit>(page, "evalOutputEdit")->text(), q(run) + QStringLiteral("-predict"));
    QCOMPARE(child<QLineEdit>(page, "exportOutEdit")->text(), q(run) + QStringLiteral("-merged"));
    // Nothing left to choose: the status line says so, and Run is on.
    QVERIFY2(status->text().startsWith(QStringLiteral("Ready")), qPrintable(status->text()));
    QVERIFY(child<QPushButton>(page, "evalRunButton")->isEnabled());

    // The user's own choices survive the next run's suggestions.
    child<QLineEdit>(page, "evalDatasetEdit")->setText(q(tmp.path() / "mine"));
    child<QLineEdit>(page, "evalDatasetNamesEdit")->clear();
    child<QLineEdit>(page, "evalOutputEdit")->setText(q(tmp.path() / "out"));
    child<QLineEdit>(page, "exportOutEdit")->setText(q(tmp.path() / "export"));
    page.suggestFromRun(q(tmp.path() / "data"), {QStringLiteral("colours")}, q(tmp.path() / "saves" / "other"));
    QCOMPARE(child<QLineEdit>(page, "evalDatasetEdit")->text(), q(tmp.path() / "mine"));
    QCOMPARE(child<QLineEdit>(page, "evalDatasetNamesEdit")->text(), QString());  // "all" of the user's folder
    QCOMPARE(child<QLineEdit>(page, "evalOutputEdit")->text(), q(tmp.path() / "out"));
    QCOMPARE(child<QLineEdit>(page, "exportOutEdit")->text(), q(tmp.path() / "export"));

    // An export folder already there is not offered; no output folder, no folder suggestions.
    EvaluatePage fresh;
    fs::create_directories(tmp.path() / "saves" / "run-merged");
    fresh.suggestFromRun(q(tmp.path() / "data"), {}, q(run));
    QCOMPARE(child<QLineEdit>(fresh, "evalDatasetNamesEdit")->text(), QString());
    QCOMPARE(child<QLineEdit>(fresh, "evalOutputEdit")->text(), q(run) + QStringLiteral("-predict"));
    QCOMPARE(child<QLineEdit>(fresh, "exportOutEdit")->text(), QString());
    EvaluatePage none;
    none.suggestFromRun(QString(), {QStringLiteral("colours")}, QString());
    QCOMPARE(child<QLineEdit>(none, "evalDatasetEdit")->text(), QString());
    QCOMPARE(child<QLineEdit>(none, "evalDatasetNamesEdit")->text(), QString());
    QCOMPARE(child<QLineEdit>(none, "evalOutputEdit")->text(), QString());
    QCOMPARE(child<QLineEdit>(none, "exportOutEdit")->text(), QString());
}

void TestEvaluatePage::predictionRunsToTheEnd()
{
    vltune::test::TempDir tmp;
    writeDataset(tmp.path() / "data", 3);
    const fs::path out = tmp.path() / "predict";
    EvaluatePage page;
    page.resize(1280, 860);
    page.show();
    fillEvaluate(page, tmp.path() / "data", out, 0, 8);
    child<QCheckBox>(page, "evalLossCheck")->setChecked(true);
    QSignalSpy progress(page.controller(), &EvaluateController::progress);
    QSignalSpy finished(page.controller(), &EvaluateController::finished);
    QSignalSpy failed(page.controller(), &EvaluateController::failed);
    QTest::mouseClick(child<QPushButton>(page, "evalRunButton"), Qt::LeftButton);
    QVERIFY(page.controller()->isBusy());
    QVERIFY(!child<QPushButton>(page, "evalRunButton")->isEnabled());
    QVERIFY(child<QPushButton>(page, "evalStopButton")->isEnabled());
    QVERIFY2(finished.wait(60000), failed.isEmpty() ? "timeout" : qPrintable(failed.first().first().toString()));
    QCOMPARE(progress.size(), 3);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(progress[i].first().value<vltune::EvaluateProgress>().done, i + 1);
    const EvaluateMetrics m = finished.first().first().value<EvaluateMetrics>();
    QVERIFY(!m.cancelled);
    QCOMPARE(m.samples, 3);

    // One line per sample, shown in the table in order.
    const auto lines = linesOf(out / "generated_predictions.jsonl");
    QCOMPARE(lines.size(), size_t{3});
    auto *table = child<QTableWidget>(page, "evalPredictionsTable");
    QCOMPARE(table->rowCount(), 3);
    for (int r = 0; r < 3; ++r) {
        const json line = json::parse(lines[static_cast<size_t>(r)]);
        QCOMPARE(table->item(r, 3)->data(Qt::UserRole).toString().toStdString(), line.at("predict").get<std::string>());
        QCOMPARE(table->item(r, 2)->data(Qt::UserRole).toString().toStdString(), line.at("label").get<std::string>());
        QCOMPARE(table->item(r, 1)->data(Qt::UserRole).toString().toStdString(), line.at("prompt").get<std::string>());
        // The prompt cell folds the image's pad tokens.
        QVERIFY2(table->item(r, 1)->text().contains(QStringLiteral("<|image_pad|>×")), qPrintable(table->item(r, 1)->text()));
    }

    // The metrics shown are the files' values.
    const json results = json::parse(readText(out / "predict_results.json"));
    const json evalResults = json::parse(readText(out / "eval_results.json"));
    auto *metrics = child<QTableWidget>(page, "evalMetricsTable");
    QCOMPARE(shown(metrics, 0), results.at("predict_bleu-4").get<double>());
    QCOMPARE(shown(metrics, 1), results.at("predict_rouge-1").get<double>());
    QCOMPARE(shown(metrics, 2), results.at("predict_rouge-2").get<double>());
    QCOMPARE(shown(metrics, 3), results.at("predict_rouge-l").get<double>());
    QCOMPARE(shown(metrics, 4), evalResults.at("eval_loss").get<double>());
    QCOMPARE(shown(metrics, 5), evalResults.at("perplexity").get<double>());
    QCOMPARE(metrics->item(0, 1)->text(), QString::number(results.at("predict_bleu-4").get<double>(), 'f', 2) + QStringLiteral(" %"));
    // The ROUGE note is shown exactly when the file says ROUGE ran over characters.
    QCOMPARE(child<QLabel>(page, "evalRougeNote")->isVisible(), results.contains("predict_rouge_note"));
    QCOMPARE(m.rougeOverCharacters, results.contains("predict_rouge_note"));

    QVERIFY2(child<QLabel>(page, "evalProgressLabel")->text().startsWith(QStringLiteral("3 / 3 samples · 0:")),
             qPrintable(child<QLabel>(page, "evalProgressLabel")->text()));
    QVERIFY2(child<QLabel>(page, "evalStatusLabel")->text().contains(QStringLiteral("Done")),
             qPrintable(child<QLabel>(page, "evalStatusLabel")->text()));
    QVERIFY(child<QPushButton>(page, "evalRunButton")->isEnabled());
    QVERIFY(!child<QPushButton>(page, "evalStopButton")->isEnabled());

    // For a person to look at: VLTUNE_SCREENSHOT_DIR=dir saves the page as it is now.
    if (const QByteArray dir = qgetenv("VLTUNE_SCREENSHOT_DIR"); !dir.isEmpty())
        page.grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/evaluate_page.png"));
}

void TestEvaluatePage::stopKeepsTheFiles()
{
    vltune::test::TempDir tmp;
    writeDataset(tmp.path() / "data", 120);
    const fs::path out = tmp.path() / "predict";
    EvaluatePage page;
    fillEvaluate(page, tmp.path() / "data", out, 0, 24);
    child<QCheckBox>(page, "evalLossCheck")->setChecked(true);
    QSignalSpy finished(page.controller(), &EvaluateController::finished);
    // Stop as soon as the first answer is in.
    connect(page.controller(), &EvaluateController::progress, &page, [&page](const vltune::EvaluateProgress &) {
        QTest::mouseClick(child<QPushButton>(page, "evalStopButton"), Qt::LeftButton);
    });
    QSignalSpy failed(page.controller(), &EvaluateController::failed);
    QTest::mouseClick(child<QPushButton>(page, "evalRunButton"), Qt::LeftButton);
    QVERIFY2(finished.wait(60000), failed.isEmpty() ? "timeout" : qPrintable(failed.first().first().toString()));
    const EvaluateMetrics m = finished.first().first().value<EvaluateMetrics>();
    QVERIFY(m.cancelled);
    QCOMPARE(m.planned, 120);
    qInfo("stopped after %d of 120 samples", m.samples);
    QVERIFY2(m.samples >= 1 && m.samples < 120, qPrintable(QString::number(m.samples)));
    QVERIFY(!m.hasEvalLoss);
    // The files cover the samples done.
    QCOMPARE(linesOf(out / "generated_predictions.jsonl").size(), static_cast<size_t>(m.samples));
    const json results = json::parse(readText(out / "predict_results.json"));
    QCOMPARE(shown(child<QTableWidget>(page, "evalMetricsTable"), 0), results.at("predict_bleu-4").get<double>());
    QCOMPARE(child<QTableWidget>(page, "evalMetricsTable")->item(4, 1)->text(), QStringLiteral("—"));
    QVERIFY2(child<QLabel>(page, "evalStatusLabel")->text().contains(QStringLiteral("Stopped after %1 of 120").arg(m.samples)),
             qPrintable(child<QLabel>(page, "evalStatusLabel")->text()));
}

void TestEvaluatePage::exportWritesALoadableCheckpoint()
{
    vltune::test::TempDir tmp;
    const fs::path out = tmp.path() / "merged";
    EvaluatePage page;
    child<QLineEdit>(page, "exportModelEdit")->setText(q(fixtureDir() / "model"));
    child<QLineEdit>(page, "exportAdapterEdit")->setText(q(fixtureDir() / "adapter"));
    child<QLineEdit>(page, "exportOutEdit")->setText(q(out));
    child<QComboBox>(page, "exportDtypeCombo")->setCurrentIndex(1);  // float32
    child<QDoubleSpinBox>(page, "exportShardSize")->setValue(0.002);  // 2 MB: several shards
    QCOMPARE(page.exportSettings().maxShardBytes, quint64{2'000'000});
    QList<ExportStatus> phases;
    connect(page.controller(), &EvaluateController::exportProgress, this, [&](const ExportStatus &s) { phases << s; });
    QSignalSpy exported(&page, &EvaluatePage::exported);
    QSignalSpy failed(page.controller(), &EvaluateController::exportFailed);
    QTest::mouseClick(child<QPushButton>(page, "exportButton"), Qt::LeftButton);
    QVERIFY2(exported.wait(60000), failed.isEmpty() ? "timeout" : qPrintable(failed.first().first().toString()));
    QCOMPARE(exported.first().first().toString(), q(out));

    QVERIFY(fs::exists(out / "config.json"));
    QVERIFY(fs::exists(out / "model.safetensors.index.json"));
    QVERIFY(fs::exists(out / "tokenizer.json"));
    auto model = vltune::lora::open_model(out);  // the weights load back
    QVERIFY(model->adapter_names().empty());

    // Loading, merging, writing (the bytes growing to the total), done.
    QVERIFY(phases.size() >= 5);
    QCOMPARE(phases.first().phase, ExportStatus::Loading);
    QCOMPARE(phases[1].phase, ExportStatus::Merging);
    QCOMPARE(phases.last().phase, ExportStatus::Done);
    quint64 lastWritten = 0;
    int writes = 0;
    for (const ExportStatus &s : phases) {
        if (s.phase != ExportStatus::Writing)
            continue;
        ++writes;
        QVERIFY(s.bytesDone >= lastWritten);
        lastWritten = s.bytesDone;
        QVERIFY(s.bytesTotal > 0);
        QVERIFY(s.bytesDone <= s.bytesTotal);
    }
    QVERIFY(writes >= 3);  // the start and one per shard
    QVERIFY(lastWritten > 0);
    QVERIFY2(child<QLabel>(page, "exportResultLabel")->text().contains(q(out)), qPrintable(child<QLabel>(page, "exportResultLabel")->text()));
    // The folder now holds the checkpoint: exporting there again is refused up front.
    QVERIFY(!child<QPushButton>(page, "exportButton")->isEnabled());
}

void TestEvaluatePage::exportRefusalsComeThrough()
{
    // The engine refuses to export into the model's own folder; the message comes through as is.
    EvaluateController c;
    QSignalSpy failed(&c, &EvaluateController::exportFailed);
    vltune::ExportSettings s;
    s.modelDir = q(fixtureDir() / "model");
    s.adapterDir = q(fixtureDir() / "adapter");
    s.outputDir = s.modelDir;
    c.exportMerged(s);
    QVERIFY(failed.wait(60000));
    QVERIFY2(failed.first().first().toString().contains(QStringLiteral("export into a different folder")),
             qPrintable(failed.first().first().toString()));
    QVERIFY(!c.isBusy());

    // A dtype it cannot write: named.
    vltune::test::TempDir tmp;
    s.outputDir = q(tmp.path() / "merged");
    s.dtype = QStringLiteral("int8");
    c.exportMerged(s);
    QVERIFY(failed.wait(60000));
    QVERIFY2(failed.last().first().toString().contains(QStringLiteral("int8")), qPrintable(failed.last().first().toString()));
}

QTEST_MAIN(TestEvaluatePage)
#include "test_evaluate_page.moc"
