// The Monitor page, offscreen: a run's trainer_log.jsonl (lines written by the engine's own
// LogRecord) drawn as train loss (raw + smoothed), eval loss and learning rate; lines appended
// while it is open are followed, a half-written last line waits for its end, a rewritten (resumed)
// log is redrawn from the start, and a bad line is skipped and named while the rest is drawn.

#include "core/error.h"
#include "core/train/trainer_log.h"

#include <QFile>
#include <QLabel>
#include <QTemporaryDir>
#include <QTest>

#include "ui/monitor_page.h"
#include "widgets/loss_chart.h"

using vltune::LossChart;
using vltune::MonitorPage;

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

void write(const QString &path, const std::string &text, bool append)
{
    QFile f(path);
    QVERIFY(f.open(append ? QIODevice::Append : QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(text.data(), static_cast<qint64>(text.size()));
}

} // namespace

class TestMonitorPage final : public QObject
{
    Q_OBJECT

private slots:
    void drawsAndFollowsTheLog();
    void waitsForTheRun();
    void parseLogLineRoundTrips();
};

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
    QVERIFY2(page.statusText().contains(QStringLiteral("step 3 of 100")), qPrintable(page.statusText()));

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
    QVERIFY(!page.statusText().contains(QStringLiteral("skipped")));
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

QTEST_MAIN(TestMonitorPage)
#include "test_monitor_page.moc"
