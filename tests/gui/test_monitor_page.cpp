// The Monitor page, offscreen: a run's trainer_log.jsonl (lines written by the engine's own
// LogRecord) drawn as train loss (raw + smoothed), eval loss, learning rate, grad norm and tokens/s;
// lines appended while it is open are followed, a half-written last line waits for its end, a
// rewritten (resumed) log is redrawn from the start, and a bad line is skipped and named while the
// rest is drawn. Around it: the progress bar's text, the checkpoint list (newest first, kept
// current), the pinned samples' answers over rounds, the run history (kept in QSettings, reopening
// a run), the sparkline, the GPU/memory strip without NVML and the /proc parsing, the log pane.

#include "core/error.h"
#include "core/train/trainer_log.h"

#include <QCheckBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QSettings>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

#include "app/gpu_stats.h"
#include "ui/monitor_page.h"
#include "ui/pinned_samples_view.h"
#include "ui/run_history.h"
#include "widgets/loss_chart.h"
#include "widgets/sparkline.h"

#include <qcustomplot.h>

#include <cmath>

using vltune::GpuStats;
using vltune::LossChart;
using vltune::MonitorPage;
using vltune::PinnedSamplesView;
using vltune::RunHistory;
using vltune::Sparkline;

namespace {

std::string line(int64_t step, std::optional<double> loss, std::optional<double> eval = {}, double lr = 1e-4)
{
    vltune::train::LogRecord r;
    r.current_steps = step;
    r.total_steps = 100;
    r.loss = loss;
    r.eval_loss = eval;
    r.lr = lr;
    r.percentage = static_cast<double>(step);
    r.elapsed_time = "0:00:07";
    r.remaining_time = "0:01:03";
    return r.to_json().dump() + "\n";
}

// The record's line with its grad_norm: parse_log_line reads the key, though LogRecord::to_json()
// leaves it out of the line, as LLaMA-Factory does.
std::string withGradNorm(const vltune::train::LogRecord &r)
{
    nlohmann::ordered_json j = r.to_json();
    if (r.grad_norm)
        j["grad_norm"] = *r.grad_norm;
    return j.dump() + "\n";
}

// A full record, as the trainer writes one mid-run.
std::string fullLine(int64_t step, int64_t total, double loss, std::optional<double> eval = {})
{
    vltune::train::LogRecord r;
    r.current_steps = step;
    r.total_steps = total;
    r.loss = loss;
    r.eval_loss = eval;
    r.lr = 2e-4 * 0.5 * (1 + std::cos(M_PI * double(step) / double(total)));
    r.grad_norm = 0.4 + 1.5 / (1 + 0.02 * double(step)) + 0.15 * std::sin(double(step) * 0.7);
    r.epoch = 3.0 * double(step) / double(total);
    r.percentage = vltune::train::round_to(100.0 * double(step) / double(total), 2);
    r.elapsed_time = vltune::train::format_duration(double(step) * 2.08);
    r.remaining_time = vltune::train::format_duration(double(total - step) * 2.08);
    r.throughput = 3100 + 200 * std::sin(double(step) * 0.3);
    return withGradNorm(r);
}

void write(const QString &path, const std::string &text, bool append)
{
    QFile f(path);
    QVERIFY(f.open(append ? QIODevice::Append : QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(text.data(), static_cast<qint64>(text.size()));
}

std::string pinnedRound(qint64 step, const QStringList &answers)
{
    static const char *questions[] = {"What animal is in the picture?", "How many cars are parked on the street?",
                                      "What colour is the bus?", "Is it raining?"};
    static const char *references[] = {"A tabby cat sleeping on a sofa.", "Three.", "Red.", "No."};
    nlohmann::ordered_json samples = nlohmann::ordered_json::array();
    for (int i = 0; i < answers.size(); ++i) {
        samples.push_back({{"record", 10 * i + 3},
                           {"question", questions[i]},
                           {"reference", references[i]},
                           {"answer", answers[i].toStdString()},
                           {"stopped", true}});
    }
    return nlohmann::ordered_json{{"step", step}, {"samples", samples}}.dump() + "\n";
}

int colouredPixels(const QImage &image, const QColor &colour)
{
    int n = 0;
    for (int y = 0; y < image.height(); ++y) {
        for (int x = 0; x < image.width(); ++x) {
            const QColor c = image.pixelColor(x, y);
            if (std::abs(c.red() - colour.red()) < 40 && std::abs(c.green() - colour.green()) < 40
                && std::abs(c.blue() - colour.blue()) < 40)
                ++n;
        }
    }
    return n;
}

} // namespace

class TestMonitorPage final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void drawsAndFollowsTheLog();
    void waitsForTheRun();
    void parseLogLineRoundTrips();
    void progressBar();
    void seriesToggles();
    void preferenceRunShowsRewardMargins();
    void checkpointsNewestFirst();
    void pinnedSamples();
    void runHistoryPersistsAndReopens();
    void sparklineRenders();
    void gpuStatsWithoutNvml();
    void gpuStatsFromNvml();
    void procParsing();
    void logPane();
    void hundredThousandPoints();
    void screenshot();

private:
    QTemporaryDir m_settingsDir;
};

void TestMonitorPage::initTestCase()
{
    // The run history lives in QSettings: keep it away from the user's.
    QCoreApplication::setOrganizationName(QStringLiteral("vltune-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("test_monitor_page"));
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settingsDir.path());
    QSettings().clear();
}

void TestMonitorPage::drawsAndFollowsTheLog()
{
    QTemporaryDir dir;
    const QString log = dir.filePath(QStringLiteral("trainer_log.jsonl"));
    write(log, line(1, 2.5) + line(2, 2.25) + line(2, std::nullopt, 2.4) + "{not json\n" + line(3, 2.0), false);
    MonitorPage page;
    QVERIFY(page.openRun(dir.path()));
    LossChart *chart = page.chart();
    QCOMPARE(chart->steps(QStringLiteral("train loss")), QVector<double>({1, 2, 3}));
    QCOMPARE(chart->values(QStringLiteral("train loss")), QVector<double>({2.5, 2.25, 2.0}));
    QCOMPARE(chart->values(QStringLiteral("eval loss")), QVector<double>({2.4}));
    QCOMPARE(chart->pointCount(QStringLiteral("learning rate")), 3);
    QCOMPARE(chart->smoothedValues(QStringLiteral("train loss")).size(), 3);
    QVERIFY2(page.statusText().contains(QStringLiteral("line 4")), qPrintable(page.statusText()));  // the bad line, named
    QVERIFY2(page.progressText().startsWith(QStringLiteral("step 3 / 100")), qPrintable(page.progressText()));

    // The run goes on: a complete line and half of the next.
    const std::string next = line(5, 1.5);
    write(log, line(4, 1.75) + next.substr(0, 10), true);
    page.refresh();
    QCOMPARE(chart->steps(QStringLiteral("train loss")), QVector<double>({1, 2, 3, 4}));
    write(log, next.substr(10), true);
    QTRY_COMPARE_WITH_TIMEOUT(chart->pointCount(QStringLiteral("train loss")), 5, 5000);  // watcher or poll
    QCOMPARE(chart->values(QStringLiteral("train loss")).last(), 1.5);

    // Resumed from step 2: the log is rewritten shorter, and the chart starts over.
    write(log, line(1, 2.5) + line(2, 2.25), false);
    page.refresh();
    QCOMPARE(chart->steps(QStringLiteral("train loss")), QVector<double>({1, 2}));
    QVERIFY(page.statusText().isEmpty());
    QVERIFY2(page.progressText().startsWith(QStringLiteral("step 2 / 100")), qPrintable(page.progressText()));
}

void TestMonitorPage::waitsForTheRun()
{
    QTemporaryDir dir;
    MonitorPage page;
    QVERIFY(!page.openRun(dir.path()));
    QVERIFY(page.findChild<QLabel *>(QStringLiteral("monitorStatus"))->text().contains(QStringLiteral("trainer_log.jsonl")));
    write(dir.filePath(QStringLiteral("trainer_log.jsonl")), line(1, 3.0), false);
    QTRY_COMPARE_WITH_TIMEOUT(page.chart()->pointCount(QStringLiteral("train loss")), 1, 5000);
}

void TestMonitorPage::parseLogLineRoundTrips()
{
    const std::string text = line(7, 1.25, 1.5, 3e-5);
    const auto r = vltune::train::parse_log_line(text, "x");
    QVERIFY(r.has_value());
    QCOMPARE(r->current_steps, int64_t{7});
    QCOMPARE(*r->loss, 1.25);
    QCOMPARE(*r->eval_loss, 1.5);
    QCOMPARE(*r->lr, 3e-5);
    QCOMPARE(r->to_json().dump() + "\n", text);
    QVERIFY(!vltune::train::parse_log_line("  \n", "x").has_value());
    try {
        vltune::train::parse_log_line("[1, 2]", "trainer_log.jsonl line 9");
        QFAIL("an array was taken for a record");
    } catch (const vltune::Error &e) {
        QVERIFY(std::string(e.what()).find("line 9") != std::string::npos);
    }
}

void TestMonitorPage::progressBar()
{
    QTemporaryDir dir;
    vltune::train::LogRecord r;
    r.current_steps = 120;
    r.total_steps = 600;
    r.loss = 1.1;
    r.epoch = 1.2;
    r.elapsed_time = "0:04:10";
    r.remaining_time = "0:16:40";
    r.grad_norm = 0.75;
    r.throughput = 2500;
    write(dir.filePath(QStringLiteral("trainer_log.jsonl")), withGradNorm(r), false);
    MonitorPage page;
    QVERIFY(page.openRun(dir.path()));
    QCOMPARE(page.progressText(), QStringLiteral("step 120 / 600 · epoch 1.20 · 0:04:10 elapsed · ETA 0:16:40"));
    auto *bar = page.findChild<QProgressBar *>(QStringLiteral("monitorProgress"));
    QCOMPARE(bar->maximum(), 600);
    QCOMPARE(bar->value(), 120);
    QCOMPARE(bar->text(), page.progressText());  // no %-placeholders left to expand
    QCOMPARE(page.chart()->values(QStringLiteral("grad norm")), QVector<double>({0.75}));
    QCOMPARE(page.chart()->values(QStringLiteral("tokens/s")), QVector<double>({2500}));

    r.current_steps = 600;
    r.epoch = 6.0;
    r.elapsed_time = "0:20:50";
    r.remaining_time = "0:00:00";
    write(dir.filePath(QStringLiteral("trainer_log.jsonl")), r.to_json().dump() + "\n", true);
    page.refresh();
    QCOMPARE(page.progressText(), QStringLiteral("step 600 / 600 · epoch 6.00 · 0:20:50 elapsed · done"));
    QCOMPARE(bar->value(), 600);
}

void TestMonitorPage::seriesToggles()
{
    MonitorPage page;
    LossChart *chart = page.chart();
    QVERIFY(chart->isSeriesVisible(QStringLiteral("train loss")));
    QVERIFY(!chart->isSeriesVisible(QStringLiteral("grad norm")));
    QVERIFY(chart->isSeriesVisible(QStringLiteral("learning rate")));
    auto *grad = page.findChild<QCheckBox *>(QStringLiteral("monitorShow_grad_norm"));
    auto *lr = page.findChild<QCheckBox *>(QStringLiteral("monitorShow_learning_rate"));
    auto *tps = page.findChild<QCheckBox *>(QStringLiteral("monitorShow_tokens_s"));
    QVERIFY(grad && lr && tps);
    const int legendItems = chart->plot()->legend->itemCount();
    grad->setChecked(true);
    QVERIFY(chart->isSeriesVisible(QStringLiteral("grad norm")));
    QCOMPARE(chart->plot()->legend->itemCount(), legendItems + 1);  // a hidden series leaves the legend
    // The right axis holds one of learning rate and tokens/s.
    tps->setChecked(true);
    QVERIFY(chart->isSeriesVisible(QStringLiteral("tokens/s")));
    QVERIFY(!lr->isChecked());
    QVERIFY(!chart->isSeriesVisible(QStringLiteral("learning rate")));
    lr->setChecked(true);
    QVERIFY(!tps->isChecked());
    QVERIFY(!chart->isSeriesVisible(QStringLiteral("tokens/s")));
}

// A DPO run's lines carry TRL's rewards/...: the margin toggle appears ticked and the margin,
// accuracy and eval margin are drawn; an SFT run opened next hides the toggles again.
void TestMonitorPage::preferenceRunShowsRewardMargins()
{
    QTemporaryDir dir;
    std::string lines;
    for (int step = 1; step <= 3; ++step) {
        vltune::train::LogRecord r;
        r.current_steps = step;
        r.total_steps = 3;
        r.loss = 0.7 - 0.1 * step;
        r.metrics = {{"rewards/chosen", 0.02 * step}, {"rewards/rejected", -0.01 * step},
                     {"rewards/accuracies", 0.25 * step}, {"rewards/margins", 0.03 * step}};
        lines += r.to_json().dump() + "\n";
    }
    vltune::train::LogRecord e;
    e.current_steps = 3;
    e.total_steps = 3;
    e.eval_loss = 0.55;
    e.metrics = {{"eval_rewards/margins", 0.05}};
    lines += e.to_json().dump() + "\n";
    write(dir.filePath(QStringLiteral("trainer_log.jsonl")), lines, false);

    MonitorPage page;
    auto *margin = page.findChild<QCheckBox *>(QStringLiteral("monitorShow_reward_margin"));
    auto *accuracy = page.findChild<QCheckBox *>(QStringLiteral("monitorShow_reward_accuracy"));
    QVERIFY(margin && accuracy);
    QVERIFY(margin->isHidden());
    QVERIFY(page.openRun(dir.path()));
    QVERIFY(!margin->isHidden() && !accuracy->isHidden());
    QVERIFY(margin->isChecked());
    LossChart *chart = page.chart();
    QVERIFY(chart->isSeriesVisible(QStringLiteral("reward margin")));
    QVERIFY(chart->isSeriesVisible(QStringLiteral("eval reward margin")));
    QCOMPARE(chart->values(QStringLiteral("reward margin")), QVector<double>({0.03, 0.06, 0.09}));
    QCOMPARE(chart->values(QStringLiteral("eval reward margin")), QVector<double>({0.05}));
    QCOMPARE(chart->values(QStringLiteral("reward accuracy")), QVector<double>({0.25, 0.5, 0.75}));
    QVERIFY2(page.logText().contains(QStringLiteral("reward margin 0.0900")), qPrintable(page.logText()));
    accuracy->setChecked(true);
    QVERIFY(chart->isSeriesVisible(QStringLiteral("reward accuracy")));

    // The trainer_log round trip keeps the metrics.
    const auto parsed = vltune::train::parse_log_line(e.to_json().dump(), "line");
    QVERIFY(parsed && parsed->metrics.size() == 1 && parsed->metrics[0].first == "eval_rewards/margins");

    QTemporaryDir sft;
    vltune::train::LogRecord r;
    r.current_steps = 1;
    r.total_steps = 1;
    r.loss = 1.0;
    write(sft.filePath(QStringLiteral("trainer_log.jsonl")), r.to_json().dump() + "\n", false);
    QVERIFY(page.openRun(sft.path()));
    QVERIFY(margin->isHidden());
    QVERIFY(!chart->isSeriesVisible(QStringLiteral("reward margin")));
}

void TestMonitorPage::checkpointsNewestFirst()
{
    QTemporaryDir dir;
    write(dir.filePath(QStringLiteral("trainer_log.jsonl")), line(1, 2.0), false);
    QDir run(dir.path());
    for (const char *name : {"checkpoint-10", "checkpoint-200", "checkpoint-30", "tmp-checkpoint-40", "checkpoint-x"})
        QVERIFY(run.mkdir(QString::fromLatin1(name)));
    write(dir.filePath(QStringLiteral("checkpoint-5")), "a file, not a folder", false);
    MonitorPage page;
    page.resize(1000, 700);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    page.openRun(dir.path());
    QCOMPARE(page.checkpointSteps(), QVector<qint64>({200, 30, 10}));

    // The run saves another one (renamed from tmp-checkpoint-250 when complete).
    QVERIFY(run.mkdir(QStringLiteral("tmp-checkpoint-250")));
    QVERIFY(run.rename(QStringLiteral("tmp-checkpoint-250"), QStringLiteral("checkpoint-250")));
    QTRY_COMPARE_WITH_TIMEOUT(page.checkpointSteps(), QVector<qint64>({250, 200, 30, 10}), 5000);

    // Double-click: the folder goes to Chat.
    auto *tabs = page.findChild<QTabWidget *>(QStringLiteral("monitorTabs"));
    auto *list = page.findChild<QTreeWidget *>(QStringLiteral("monitorCheckpoints"));
    tabs->setCurrentWidget(list);
    QSignalSpy activated(&page, &MonitorPage::checkpointActivated);
    const QRect rect = list->visualItemRect(list->topLevelItem(1));
    QVERIFY(rect.isValid());
    QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, rect.center());
    QTest::mouseDClick(list->viewport(), Qt::LeftButton, {}, rect.center());
    QCOMPARE(activated.count(), 1);
    QCOMPARE(QFileInfo(activated.first().first().toString()), QFileInfo(run.filePath(QStringLiteral("checkpoint-200"))));
    QVERIFY(tabs->tabText(tabs->indexOf(list)).contains(QStringLiteral("4")));
}

void TestMonitorPage::pinnedSamples()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("pinned_samples.jsonl"));
    write(path,
          pinnedRound(0, {QStringLiteral("I see a picture."), QStringLiteral("There are cars.")})
              + pinnedRound(50, {QStringLiteral("A cat."), QStringLiteral("Several.")})
              + pinnedRound(100, {QStringLiteral("A tabby cat on a sofa."), QStringLiteral("Three.")}),
          false);
    MonitorPage page;
    page.openRun(dir.path());
    PinnedSamplesView *view = page.pinnedView();
    QCOMPARE(view->steps(), QVector<qint64>({0, 50, 100}));
    QCOMPARE(view->sampleCount(), 2);
    QCOMPARE(view->baseAnswer(0), QStringLiteral("I see a picture."));
    QCOMPARE(view->shownAnswer(0), QStringLiteral("A tabby cat on a sofa."));
    QCOMPARE(view->currentRound(), 2);
    QCOMPARE(view->findChild<QLabel *>(QStringLiteral("pinnedAnswer1"))->text(), QStringLiteral("Three."));
    QCOMPARE(view->findChild<QLabel *>(QStringLiteral("pinnedBase1"))->text(), QStringLiteral("There are cars."));
    QVERIFY(view->findChild<QLabel *>(QStringLiteral("pinnedRoundLabel"))->text().contains(QStringLiteral("latest")));
    // Every round's answer, newest first, the shown one in bold.
    const QString history = view->findChild<QLabel *>(QStringLiteral("pinnedHistory0"))->text();
    QVERIFY(history.indexOf(QStringLiteral("A tabby cat on a sofa.")) < history.indexOf(QStringLiteral("A cat.")));
    QVERIFY(history.indexOf(QStringLiteral("A cat.")) < history.indexOf(QStringLiteral("I see a picture.")));
    QVERIFY(history.contains(QStringLiteral("<b>A tabby cat on a sofa.</b>")));

    // A new round while following: it is shown.
    write(path, pinnedRound(150, {QStringLiteral("A tabby cat asleep on a sofa."), QStringLiteral("Three.")}), true);
    QTRY_COMPARE_WITH_TIMEOUT(view->shownAnswer(0), QStringLiteral("A tabby cat asleep on a sofa."), 5000);

    // Stepping back stops following: a new round does not move the view.
    view->setCurrentRound(1);
    QVERIFY(!view->isFollowingLatest());
    QCOMPARE(view->shownAnswer(0), QStringLiteral("A cat."));
    QCOMPARE(view->findChild<QLabel *>(QStringLiteral("pinnedAnswer0"))->text(), QStringLiteral("A cat."));
    write(path, pinnedRound(200, {QStringLiteral("A cat sleeping."), QStringLiteral("3")}) + "{broken\n", true);
    QTRY_COMPARE_WITH_TIMEOUT(view->roundCount(), 5, 5000);
    QCOMPARE(view->shownAnswer(0), QStringLiteral("A cat."));
    QVERIFY2(view->error().contains(QStringLiteral("line 6")), qPrintable(view->error()));
    QVERIFY(page.logText().contains(QStringLiteral("pinned_samples.jsonl line 6")));
    view->setCurrentRound(view->roundCount() - 1);
    QVERIFY(view->isFollowingLatest());
    QCOMPARE(view->shownAnswer(1), QStringLiteral("3"));

    // No file: the view says how to get one.
    QTemporaryDir empty;
    page.openRun(empty.path());
    QCOMPARE(view->roundCount(), 0);
    QCOMPARE(view->shownAnswer(0), QString());
}

void TestMonitorPage::runHistoryPersistsAndReopens()
{
    QSettings().clear();
    QTemporaryDir a;
    QTemporaryDir b;
    std::string logA;
    for (int step = 1; step <= 300; ++step)
        logA += line(step, 3.0 - step * 0.005);
    write(a.filePath(QStringLiteral("trainer_log.jsonl")), logA, false);
    write(b.filePath(QStringLiteral("trainer_log.jsonl")), line(1, 2.0) + line(2, 1.9), false);
    {
        MonitorPage page;
        page.openRun(a.path());
        page.openRun(b.path());
        QCOMPARE(page.runHistory()->runs().size(), 2);
    }
    MonitorPage page;
    RunHistory *history = page.runHistory();
    const auto runs = history->runs();
    QCOMPARE(runs.size(), 2);
    QCOMPARE(QFileInfo(runs[0].path), QFileInfo(b.path()));  // newest first
    QCOMPARE(QFileInfo(runs[1].path), QFileInfo(a.path()));
    QCOMPARE(runs[1].lastStep, qint64(300));
    QCOMPARE(runs[1].totalSteps, qint64(100));
    QCOMPARE(runs[1].losses.size(), RunHistory::kSparklinePoints);
    QVERIFY(runs[1].losses.first() > runs[1].losses.last());
    QCOMPARE(runs[0].losses, QVector<double>({2.0, 1.9}));
    // Each row has its sparkline.
    QCOMPARE(history->list()->count(), 2);
    auto *spark = history->list()->itemWidget(history->list()->item(1))->findChild<Sparkline *>();
    QVERIFY(spark);
    QCOMPARE(spark->values().size(), RunHistory::kSparklinePoints);

    // Clicking a run reopens it.
    page.resize(1000, 700);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    QListWidget *list = history->list();
    const QRect rect = list->visualItemRect(list->item(1));
    QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, rect.center());
    QTRY_COMPARE_WITH_TIMEOUT(QFileInfo(page.runDir()), QFileInfo(a.path()), 5000);
    QCOMPARE(page.chart()->pointCount(QStringLiteral("train loss")), 300);
    QCOMPARE(QFileInfo(history->runs().first().path), QFileInfo(a.path()));  // now the newest
}

void TestMonitorPage::sparklineRenders()
{
    const QColor red(220, 20, 20);
    Sparkline spark;
    spark.setColor(red);
    spark.resize(100, 30);
    spark.setAttribute(Qt::WA_OpaquePaintEvent, false);
    QImage blank = spark.grab().toImage();
    QCOMPARE(colouredPixels(blank, red), 0);  // no values: nothing drawn

    spark.setValues({3, 2, 1, std::nan(""), 0.5});
    const QImage image = spark.grab().toImage();
    QVERIFY(colouredPixels(image, red) > 30);
    // Falling values: the line starts high on the left and ends low on the right.
    const int w = image.width();
    const int h = image.height();
    QVERIFY(colouredPixels(image.copy(0, 0, w / 5, h / 2), red) > 0);
    QCOMPARE(colouredPixels(image.copy(0, h / 2 + 2, w / 5, h / 2 - 2), red), 0);
    QVERIFY(colouredPixels(image.copy(w - w / 5, h / 2, w / 5, h / 2), red) > 0);

    QVector<double> many;
    for (int i = 0; i < 1000; ++i)
        many.append(i);
    const QVector<double> reduced = Sparkline::downsample(many, 10);
    QCOMPARE(reduced.size(), 10);
    QCOMPARE(reduced.first(), 49.5);
    QCOMPARE(reduced.last(), 949.5);
    QCOMPARE(Sparkline::downsample({1, 2}, 10), QVector<double>({1, 2}));
}

void TestMonitorPage::gpuStatsWithoutNvml()
{
    GpuStats missing(QStringLiteral("/nonexistent/libnvidia-ml-missing.so.1"));
    QVERIFY(!missing.available());
    QCOMPARE(missing.unavailableReason(), QStringLiteral("NVML not found"));
    QVERIFY(missing.sampleGpus().isEmpty());

    MonitorPage page;
    page.sampleResources();
    const QString text = page.resourcesText();
    if (!GpuStats().available())
        QVERIFY2(text.contains(QStringLiteral("No NVIDIA GPU (NVML not found)")), qPrintable(text));
    else
        QVERIFY2(text.contains(QStringLiteral("GPU 0")), qPrintable(text));
#if defined(Q_OS_LINUX)
    QVERIFY2(text.contains(QStringLiteral("CPU memory: this app ")), qPrintable(text));
    const auto memory = GpuStats::sampleMemory();
    QVERIFY(memory.processRss > 1024 * 1024);
    QVERIFY(memory.systemTotal > memory.processRss);
    QVERIFY(memory.systemAvailable > 0 && memory.systemAvailable <= memory.systemTotal);
#endif
}

void TestMonitorPage::gpuStatsFromNvml()
{
    // The fake library answers as the driver's would; this checks the resolving, the struct
    // layouts and the unit conversions, and the strip's text.
    {
        GpuStats stats(QStringLiteral(VLTUNE_FAKE_NVML));
        QVERIFY2(stats.available(), qPrintable(stats.unavailableReason()));
        const auto gpus = stats.sampleGpus();
        QCOMPARE(gpus.size(), 2);
        QCOMPARE(gpus[0].name, QStringLiteral("Fake H100 80GB HBM3"));
        QCOMPARE(gpus[0].utilizationPercent, 87);
        QCOMPARE(gpus[0].memoryTotal, qint64(80) << 30);
        QCOMPARE(gpus[0].memoryUsed, qint64(40) << 30);
        QCOMPARE(gpus[0].temperatureC, 64);
        QCOMPARE(gpus[0].powerW, 310.5);
        QCOMPARE(gpus[1].name, QStringLiteral("Fake L4"));
        QCOMPARE(gpus[1].temperatureC, 41);
    }
    qputenv("VLTUNE_NVML_LIBRARY", VLTUNE_FAKE_NVML);
    MonitorPage page;
    qunsetenv("VLTUNE_NVML_LIBRARY");
    page.sampleResources();
    const QString text = page.resourcesText();
    QVERIFY2(text.contains(QStringLiteral("GPU 0 Fake H100 80GB HBM3 · 87% busy · ")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral(" · 64 °C · 310 W")) || text.contains(QStringLiteral(" · 64 °C · 311 W")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("GPU 1 Fake L4")), qPrintable(text));
    QVERIFY(!text.contains(QStringLiteral("No NVIDIA GPU")));
}

void TestMonitorPage::procParsing()
{
    QCOMPARE(GpuStats::parseStatmRss("1287434 98765 12000 300 0 400000 0\n", 4096), qint64(98765) * 4096);
    QCOMPARE(GpuStats::parseStatmRss("1287434\n", 4096), qint64(-1));
    QCOMPARE(GpuStats::parseStatmRss("12 abc 3\n", 4096), qint64(-1));
    const QByteArray meminfo = "MemTotal:       65843212 kB\n"
                               "MemFree:         1034560 kB\n"
                               "MemAvailable:   40123456 kB\n"
                               "Buffers:          201000 kB\n";
    const auto m = GpuStats::parseMeminfo(meminfo);
    QCOMPARE(m.systemTotal, qint64(65843212) * 1024);
    QCOMPARE(m.systemAvailable, qint64(40123456) * 1024);
    QCOMPARE(GpuStats::parseMeminfo("MemTotal: 100 kB\n").systemAvailable, qint64(-1));
    // A key that only starts like another is not it.
    QCOMPARE(GpuStats::parseMeminfo("MemTotalX: 5 kB\nMemTotal: 7 kB\n").systemTotal, qint64(7) * 1024);
}

void TestMonitorPage::logPane()
{
    QTemporaryDir dir;
    write(dir.filePath(QStringLiteral("trainer_log.jsonl")), fullLine(10, 600, 2.5) + "{oops\n" + fullLine(20, 600, 2.25, 2.4), false);
    MonitorPage page;
    page.openRun(dir.path());
    const QString text = page.logText();
    QVERIFY2(text.contains(QStringLiteral("step 10/600  loss 2.5000")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("eval loss 2.4000")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("skipped: ")) && text.contains(QStringLiteral("line 2")), qPrintable(text));
    page.appendLog(QStringLiteral("Training stopped by the user"));
    QVERIFY(page.logText().endsWith(QStringLiteral("Training stopped by the user")));
    auto *pane = page.findChild<QPlainTextEdit *>(QStringLiteral("monitorLog"));
    QVERIFY(pane->isReadOnly());
    QVERIFY(pane->maximumBlockCount() > 0);
}

void TestMonitorPage::hundredThousandPoints()
{
    QTemporaryDir dir;
    std::string log;
    const int n = 100000;
    log.reserve(size_t(n) * 300);
    for (int step = 1; step <= n; ++step)
        log += fullLine(step, n, 2.0 + std::sin(step * 0.01) * 0.1 - step * 1e-5, step % 1000 == 0 ? std::optional<double>(1.5) : std::nullopt);
    write(dir.filePath(QStringLiteral("trainer_log.jsonl")), log, false);
    MonitorPage page;
    page.resize(1200, 800);
    page.show();
    QElapsedTimer timer;
    timer.start();
    page.openRun(dir.path());
    const qint64 openMs = timer.elapsed();
    QCOMPARE(page.chart()->pointCount(QStringLiteral("train loss")), n);
    QCOMPARE(page.chart()->pointCount(QStringLiteral("eval loss")), n / 1000);
    auto *pane = page.findChild<QPlainTextEdit *>(QStringLiteral("monitorLog"));
    QVERIFY(pane->blockCount() <= pane->maximumBlockCount());
    // Appending one line and the next replot stay cheap at this size.
    const int replots = page.chart()->replotCount();
    QTRY_VERIFY_WITH_TIMEOUT(page.chart()->replotCount() > replots, 2000);
    write(dir.filePath(QStringLiteral("trainer_log.jsonl")), fullLine(n + 1, n + 1, 1.0), true);
    timer.restart();
    page.refresh();
    const int before = page.chart()->replotCount();
    QTRY_VERIFY_WITH_TIMEOUT(page.chart()->replotCount() > before, 2000);
    const qint64 appendMs = timer.elapsed();
    qInfo("100k-line log opened in %lld ms; one more line drawn in %lld ms", openMs, appendMs);
    QVERIFY2(appendMs < 1000, qPrintable(QString::number(appendMs)));
}

void TestMonitorPage::screenshot()
{
    // A realistic run: 600 steps, eval every 100, checkpoints every 200, pinned samples every 150.
    QTemporaryDir root;
    const QString runPath = root.filePath(QStringLiteral("qwen2vl-2b-receipts-lora"));
    QVERIFY(QDir().mkpath(runPath));
    const int total = 600;
    const int done = 432;
    // Train lines every step, an eval line every 100.
    std::string clean;
    for (int step = 1; step <= done; ++step) {
        const double loss = 0.55 + 1.9 * std::exp(-step / 90.0) + 0.12 * std::sin(step * 1.7) * std::exp(-step / 400.0)
                            + 0.05 * std::cos(step * 0.37);
        clean += fullLine(step, total, vltune::train::round_to(loss, 4));
        if (step % 100 == 0) {
            vltune::train::LogRecord e;
            e.current_steps = step;
            e.total_steps = total;
            e.eval_loss = 0.62 + 1.7 * std::exp(-step / 100.0);
            e.epoch = 3.0 * step / total;
            e.percentage = 100.0 * step / total;
            e.elapsed_time = vltune::train::format_duration(step * 2.08);
            e.remaining_time = vltune::train::format_duration((total - step) * 2.08);
            clean += e.to_json().dump() + "\n";
        }
    }
    write(QDir(runPath).filePath(QStringLiteral("trainer_log.jsonl")), clean, false);
    for (int step : {200, 400})
        QVERIFY(QDir(runPath).mkdir(QStringLiteral("checkpoint-%1").arg(step)));
    write(QDir(runPath).filePath(QStringLiteral("pinned_samples.jsonl")),
          pinnedRound(0, {QStringLiteral("The image shows a document with some text on it."),
                          QStringLiteral("The total is shown at the bottom of the page."),
                          QStringLiteral("This is a receipt."), QStringLiteral("I cannot tell the date.")})
              + pinnedRound(150, {QStringLiteral("Store: FreshMart"), QStringLiteral("Total: 23.40"),
                                  QStringLiteral("Receipt, grocery"), QStringLiteral("Date: 2024-03")})
              + pinnedRound(300, {QStringLiteral("FreshMart Supermarket"), QStringLiteral("TOTAL 24.90 EUR"),
                                  QStringLiteral("grocery receipt"), QStringLiteral("12/03/2024")}),
          false);

    // A previous run in the history.
    QTemporaryDir earlier;
    std::string earlierLog;
    for (int step = 1; step <= 200; ++step)
        earlierLog += fullLine(step, 200, 2.2 * std::exp(-step / 60.0) + 0.8 + 0.05 * std::sin(step));
    write(earlier.filePath(QStringLiteral("trainer_log.jsonl")), earlierLog, false);

    QSettings().clear();
    MonitorPage page;
    page.resize(1280, 860);
    page.openRun(earlier.path());
    page.openRun(runPath);
    page.appendLog(QStringLiteral("Training started: Qwen2-VL-2B-Instruct, LoRA r=16 on 7 modules, 600 steps"));
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    QTest::qWait(200);  // the chart's replot timer
    const QImage shot = page.grab().toImage();
    QVERIFY(!shot.isNull());
    QString out = qEnvironmentVariable("VLTUNE_SCREENSHOT_DIR");
    if (!out.isEmpty()) {
        QDir().mkpath(out);
        QVERIFY(shot.save(QDir(out).filePath(QStringLiteral("monitor_page.png"))));
        auto *tabs = page.findChild<QTabWidget *>(QStringLiteral("monitorTabs"));
        tabs->setCurrentIndex(1);
        QVERIFY(page.grab().save(QDir(out).filePath(QStringLiteral("monitor_page_checkpoints.png"))));
        tabs->setCurrentIndex(2);
        QVERIFY(page.grab().save(QDir(out).filePath(QStringLiteral("monitor_page_log.png"))));
    }
}

QTEST_MAIN(TestMonitorPage)
#include "test_monitor_page.moc"
