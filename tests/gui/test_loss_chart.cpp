// LossChart, offscreen: the smoothed line is TensorBoard's debiased moving average, batches land
// exactly and out-of-order points are refused and counted, redraws are coalesced on the timer,
// CSV and PNG export, follow mode against a user zoom, and 100k points. With VLTUNE_SCREENSHOT_DIR
// set, a realistic chart is saved there as loss_chart.png to be looked at.

#include <QDir>
#include <QImage>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QWheelEvent>

#include <qcustomplot.h>

#include <cmath>
#include <numbers>

#include "widgets/loss_chart.h"

using vltune::LossChart;

namespace {

const QString kTrain = QStringLiteral("train loss");

// TensorBoard's formula, written out independently of the widget.
QVector<double> tensorBoardSmoothing(const QVector<double> &values, double w)
{
    QVector<double> out;
    double last = 0;
    for (qsizetype i = 0; i < values.size(); ++i) {
        last = last * w + (1 - w) * values[i];
        out.append(last / (1 - std::pow(w, double(i + 1))));
    }
    return out;
}

QVector<double> range(double first, double last)
{
    QVector<double> out;
    for (double s = first; s <= last; s += 1)
        out.append(s);
    return out;
}

void compareDoubles(const QVector<double> &actual, const QVector<double> &expected)
{
    QCOMPARE(actual.size(), expected.size());
    for (qsizetype i = 0; i < actual.size(); ++i) {
        if (std::abs(actual[i] - expected[i]) > 1e-12 * std::max(1.0, std::abs(expected[i])))
            QFAIL(qPrintable(QStringLiteral("index %1: %2 != %3").arg(i).arg(actual[i], 0, 'g', 17).arg(expected[i], 0, 'g', 17)));
    }
}

} // namespace

class TestLossChart : public QObject
{
    Q_OBJECT

private slots:
    void smoothingIsTensorBoards_data();
    void smoothingIsTensorBoards();
    void smoothingWeightChangeRecomputes();
    void batchesLandExactly();
    void outOfOrderPointsAreRefused();
    void replotsAreCoalesced();
    void csvExport();
    void pngExport();
    void followMode();
    void hundredThousandPoints();
    void clearEmptiesSeries();
    void screenshot();
};

void TestLossChart::smoothingIsTensorBoards_data()
{
    QTest::addColumn<double>("weight");
    QTest::newRow("off") << 0.0;
    QTest::newRow("default 0.6") << 0.6;
    QTest::newRow("0.9") << 0.9;
    QTest::newRow("0.99") << 0.99;
}

void TestLossChart::smoothingIsTensorBoards()
{
    QFETCH(double, weight);
    const QVector<double> values{2.5, 2.1, 2.3, 1.9, 1.7, 1.8, 1.4, 1.5, 1.2, 1.1, 1.15, 0.9};
    LossChart chart;
    QCOMPARE(chart.smoothing(), 0.6);
    chart.setSmoothing(weight);
    chart.addSeries(kTrain, Qt::blue, LossChart::YAxis::Left, /*smoothed=*/true);
    // In uneven batches: the average is carried across them.
    chart.appendPoints(kTrain, {1, 2, 3}, values.mid(0, 3));
    chart.appendPoints(kTrain, {4}, values.mid(3, 1));
    chart.appendPoints(kTrain, range(5, 12), values.mid(4));
    compareDoubles(chart.smoothedValues(kTrain), tensorBoardSmoothing(values, weight));
    compareDoubles(chart.values(kTrain), values);
}

void TestLossChart::smoothingWeightChangeRecomputes()
{
    LossChart chart;
    chart.addSeries(kTrain, Qt::blue, LossChart::YAxis::Left, true);
    chart.addSeries(QStringLiteral("eval loss"), Qt::red);
    const QVector<double> values{3.0, 1.0, 2.0, 0.5, 0.75};
    chart.appendPoints(kTrain, range(0, 4), values);
    chart.appendPoints(QStringLiteral("eval loss"), {4}, {1.25});
    compareDoubles(chart.smoothedValues(kTrain), tensorBoardSmoothing(values, 0.6));
    chart.setSmoothing(0.9);
    compareDoubles(chart.smoothedValues(kTrain), tensorBoardSmoothing(values, 0.9));
    // Points after the change continue the recomputed average.
    chart.appendPoints(kTrain, {5, 6}, {0.6, 0.4});
    compareDoubles(chart.smoothedValues(kTrain), tensorBoardSmoothing(values + QVector<double>{0.6, 0.4}, 0.9));
    // Out of range weights are clamped; a series without smoothing has no smoothed line.
    chart.setSmoothing(1.5);
    QCOMPARE(chart.smoothing(), 0.99);
    QVERIFY(chart.smoothedValues(QStringLiteral("eval loss")).isEmpty());
}

void TestLossChart::batchesLandExactly()
{
    LossChart chart;
    chart.addSeries(QStringLiteral("grad norm"), Qt::darkGreen, LossChart::YAxis::Right);
    QVector<double> allSteps;
    QVector<double> allValues;
    for (int batch = 0; batch < 5; ++batch) {
        QVector<double> steps;
        QVector<double> values;
        for (int i = 0; i < 7; ++i) {
            steps.append(batch * 70 + i * 10);
            values.append(std::sin(batch * 7 + i));
        }
        chart.appendPoints(QStringLiteral("grad norm"), steps, values);
        allSteps += steps;
        allValues += values;
    }
    QCOMPARE(chart.pointCount(QStringLiteral("grad norm")), 35);
    QCOMPARE(chart.refusedCount(QStringLiteral("grad norm")), 0);
    QCOMPARE(chart.steps(QStringLiteral("grad norm")), allSteps);
    QCOMPARE(chart.values(QStringLiteral("grad norm")), allValues);
    QCOMPARE(chart.seriesNames(), QStringList{QStringLiteral("grad norm")});
    // Unknown series: nothing happens.
    QTest::ignoreMessage(QtWarningMsg, "LossChart: no series named nope");
    chart.appendPoints(QStringLiteral("nope"), {1}, {1});
    QCOMPARE(chart.pointCount(QStringLiteral("nope")), 0);
}

void TestLossChart::outOfOrderPointsAreRefused()
{
    LossChart chart;
    chart.addSeries(kTrain, Qt::blue, LossChart::YAxis::Left, true);
    chart.appendPoints(kTrain, {1, 2, 3}, {1.0, 2.0, 3.0});
    // Across batches: 3 (a repeat) and 2 (behind) are refused.
    chart.appendPoints(kTrain, {3, 2, 4, 5}, {9.0, 9.0, 4.0, 5.0});
    // Within a batch: 5.5 follows 6 and is refused; a NaN step is refused.
    chart.appendPoints(kTrain, {6, 5.5, qQNaN(), 7}, {6.0, 9.0, 9.0, 7.0});
    // Lengths that differ: the extra step is refused.
    chart.appendPoints(kTrain, {8, 9}, {8.0});
    QCOMPARE(chart.refusedCount(kTrain), 5);
    QCOMPARE(chart.steps(kTrain), (QVector<double>{1, 2, 3, 4, 5, 6, 7, 8}));
    QCOMPARE(chart.values(kTrain), (QVector<double>{1, 2, 3, 4, 5, 6, 7, 8}));
    // The refused points did not reach the average either.
    compareDoubles(chart.smoothedValues(kTrain), tensorBoardSmoothing({1, 2, 3, 4, 5, 6, 7, 8}, 0.6));
}

void TestLossChart::replotsAreCoalesced()
{
    LossChart chart;
    chart.resize(800, 500);
    chart.addSeries(kTrain, Qt::blue, LossChart::YAxis::Left, true);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    QTest::qWait(100);
    const int before = chart.replotCount();
    for (int batch = 0; batch < 1000; ++batch) {
        QVector<double> steps;
        QVector<double> values;
        for (int i = 0; i < 10; ++i) {
            steps.append(batch * 10 + i);
            values.append(1.0 / (1 + batch));
        }
        chart.appendPoints(kTrain, steps, values);
    }
    QCOMPARE(chart.replotCount(), before); // nothing drawn while appending
    QTest::qWait(120);
    const int after = chart.replotCount();
    QVERIFY2(after - before >= 1 && after - before <= 3, qPrintable(QString::number(after - before)));
    QCOMPARE(chart.pointCount(kTrain), 10000);
    // Nothing changed, nothing redrawn.
    QTest::qWait(120);
    QCOMPARE(chart.replotCount(), after);
}

void TestLossChart::csvExport()
{
    LossChart chart;
    const QString odd = QStringLiteral("grad \"norm\", clipped");
    chart.addSeries(kTrain, Qt::blue, LossChart::YAxis::Left, true);
    chart.addSeries(odd, Qt::darkGreen, LossChart::YAxis::Right);
    chart.appendPoints(kTrain, {1, 2, 4}, {2.5, 0.1, 1e-7});
    chart.appendPoints(odd, {2, 3, 4, 10}, {0.5, 1.25, 3, -2});

    const QString expected = QStringLiteral("step,train loss,\"grad \"\"norm\"\", clipped\"\n"
                                            "1,2.5,\n"
                                            "2,0.1,0.5\n"
                                            "3,,1.25\n"
                                            "4,1e-07,3\n"
                                            "10,,-2\n");
    QCOMPARE(chart.toCsv(), expected);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("metrics.csv"));
    QString error;
    QVERIFY2(chart.exportCsv(path, &error), qPrintable(error));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(file.readAll()), expected);

    QVERIFY(!chart.exportCsv(dir.filePath(QStringLiteral("missing/metrics.csv")), &error));
    QVERIFY(error.contains(QStringLiteral("missing/metrics.csv")));
}

void TestLossChart::pngExport()
{
    LossChart chart;
    chart.addSeries(kTrain, Qt::blue, LossChart::YAxis::Left, true);
    chart.appendPoints(kTrain, range(0, 99), QVector<double>(100, 1.0));
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("loss.png"));
    QString error;
    QVERIFY2(chart.exportPng(path, 640, 360, &error), qPrintable(error));
    QImage image;
    QVERIFY(image.load(path));
    QCOMPARE(image.size(), QSize(640, 360));

    QVERIFY(!chart.exportPng(dir.filePath(QStringLiteral("missing/loss.png")), 640, 360, &error));
    QVERIFY(!error.isEmpty());
    QVERIFY(!chart.exportPng(path, 0, 360, &error));
}

void TestLossChart::followMode()
{
    LossChart chart;
    chart.resize(800, 500);
    chart.addSeries(kTrain, Qt::blue, LossChart::YAxis::Left, true);
    chart.addSeries(QStringLiteral("learning rate"), Qt::darkYellow, LossChart::YAxis::Right);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    QSignalSpy spy(&chart, &LossChart::followingChanged);
    QVERIFY(chart.isFollowing());

    const QCPAxis *x = chart.plot()->xAxis;
    chart.appendPoints(kTrain, range(0, 500), QVector<double>(501, 2.0));
    chart.appendPoints(QStringLiteral("learning rate"), range(0, 400), QVector<double>(401, 1e-4));
    QTRY_COMPARE(x->range().upper, 500.0);
    QCOMPARE(x->range().lower, 0.0);
    // The y axes fit the data they carry.
    QVERIFY(chart.plot()->yAxis->range().contains(2.0));
    QVERIFY(chart.plot()->yAxis2->range().contains(1e-4));
    QVERIFY(chart.plot()->yAxis2->range().size() < 1e-3);

    // A mouse-wheel zoom, as a user does it, ends follow mode.
    QCustomPlot *plot = chart.plot();
    const QPointF at = plot->axisRect()->rect().center();
    QWheelEvent wheel(at, plot->mapToGlobal(at), QPoint(), QPoint(0, 120), Qt::NoButton, Qt::NoModifier,
                      Qt::NoScrollPhase, false);
    QApplication::sendEvent(plot, &wheel);
    QVERIFY(!chart.isFollowing());
    QCOMPARE(spy.size(), 1);
    QCOMPARE(spy.at(0).at(0).toBool(), false);
    const QCPRange zoomed = x->range();
    QVERIFY(zoomed.upper < 500.0);

    // New points no longer move the view...
    chart.appendPoints(kTrain, range(501, 1000), QVector<double>(500, 1.5));
    QTest::qWait(120);
    QCOMPARE(x->range(), zoomed);
    // ...until follow mode is turned back on.
    chart.setFollowing(true);
    QCOMPARE(spy.size(), 2);
    QTRY_COMPARE(x->range().upper, 1000.0);
    QCOMPARE(x->range().lower, 0.0);
    // With a window, only the last steps are shown.
    chart.setFollowWindow(100);
    QTRY_COMPARE(x->range().lower, 900.0);
    QCOMPARE(x->range().upper, 1000.0);

    // rescale() shows everything and keeps follow mode as it is.
    chart.setFollowing(false);
    chart.rescale();
    QCOMPARE(x->range().lower, 0.0);
    QCOMPARE(x->range().upper, 1000.0);
    QVERIFY(!chart.isFollowing());
}

void TestLossChart::hundredThousandPoints()
{
    LossChart chart;
    chart.resize(1200, 700);
    chart.addSeries(kTrain, Qt::blue, LossChart::YAxis::Left, true);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    QTest::qWait(60);
    const int before = chart.replotCount();
    for (int batch = 0; batch < 100; ++batch) {
        QVector<double> steps;
        QVector<double> values;
        for (int i = 0; i < 1000; ++i) {
            const int step = batch * 1000 + i;
            steps.append(step);
            values.append(2.0 * std::exp(-step / 30000.0) + 0.1 * std::sin(step * 0.37));
        }
        chart.appendPoints(kTrain, steps, values);
    }
    QTRY_VERIFY(chart.replotCount() > before);
    QCOMPARE(chart.pointCount(kTrain), 100000);
    QCOMPARE(chart.smoothedValues(kTrain).size(), 100000);
    for (int i = 0; i < chart.plot()->graphCount(); ++i)
        QVERIFY(chart.plot()->graph(i)->adaptiveSampling());
    QCOMPARE(chart.plot()->xAxis->range().upper, 99999.0);
}

void TestLossChart::clearEmptiesSeries()
{
    LossChart chart;
    chart.addSeries(kTrain, Qt::blue, LossChart::YAxis::Left, true);
    chart.appendPoints(kTrain, {5, 6, 4}, {1.0, 2.0, 3.0});
    QCOMPARE(chart.refusedCount(kTrain), 1);
    chart.clear();
    QCOMPARE(chart.pointCount(kTrain), 0);
    QCOMPARE(chart.refusedCount(kTrain), 0);
    QVERIFY(chart.smoothedValues(kTrain).isEmpty());
    // A new run starts again from any step, and the average from scratch.
    chart.appendPoints(kTrain, {1, 2}, {4.0, 2.0});
    QCOMPARE(chart.pointCount(kTrain), 2);
    compareDoubles(chart.smoothedValues(kTrain), tensorBoardSmoothing({4.0, 2.0}, 0.6));
    QCOMPARE(chart.toCsv(), QStringLiteral("step,train loss\n1,4\n2,2\n"));
}

void TestLossChart::screenshot()
{
    const QString dir = qEnvironmentVariable("VLTUNE_SCREENSHOT_DIR");
    if (dir.isEmpty())
        QSKIP("VLTUNE_SCREENSHOT_DIR not set");
    LossChart chart;
    chart.resize(1280, 720);
    chart.addSeries(kTrain, QColor(0x1f, 0x77, 0xb4), LossChart::YAxis::Left, true);
    chart.addSeries(QStringLiteral("eval loss"), QColor(0xd6, 0x27, 0x28));
    chart.addSeries(QStringLiteral("learning rate"), QColor(0x2c, 0xa0, 0x2c), LossChart::YAxis::Right);
    chart.setAxisLabel(LossChart::YAxis::Left, QStringLiteral("loss"));
    chart.setAxisLabel(LossChart::YAxis::Right, QStringLiteral("learning rate"));
    const int total = 3000;
    QVector<double> steps;
    QVector<double> loss;
    QVector<double> lr;
    QVector<double> evalSteps;
    QVector<double> evalLoss;
    for (int s = 1; s <= total; ++s) {
        steps.append(s);
        const double trend = 0.6 + 1.8 * std::exp(-s / 500.0);
        loss.append(trend + 0.25 * std::sin(s * 1.7) * std::cos(s * 0.31));
        const double warmup = 100;
        lr.append(s < warmup ? 2e-4 * s / warmup
                             : 1e-4 * (1 + std::cos(std::numbers::pi * (s - warmup) / (total - warmup))));
        if (s % 250 == 0) {
            evalSteps.append(s);
            evalLoss.append(trend + 0.08);
        }
    }
    for (qsizetype i = 0; i < steps.size(); i += 50) {
        chart.appendPoints(kTrain, steps.mid(i, 50), loss.mid(i, 50));
        chart.appendPoints(QStringLiteral("learning rate"), steps.mid(i, 50), lr.mid(i, 50));
    }
    chart.appendPoints(QStringLiteral("eval loss"), evalSteps, evalLoss);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    QTest::qWait(150);
    QVERIFY(QDir().mkpath(dir));
    QVERIFY(chart.grab().save(QDir(dir).filePath(QStringLiteral("loss_chart.png"))));
}

QTEST_MAIN(TestLossChart)
#include "test_loss_chart.moc"
