#pragma once

#include <QColor>
#include <QHash>
#include <QString>
#include <QVector>
#include <QWidget>

class QCPGraph;
class QCustomPlot;
class QDoubleSpinBox;
class QTimer;
class QToolButton;

namespace vltune {

// A live training chart (loss, learning rate, grad norm, throughput) on QCustomPlot. Series are
// named and drawn against the step; points come in sorted batches and the plot is redrawn from a
// ~40 ms timer only when something changed, so a fast trainer never costs a replot per point.
// A series can carry a TensorBoard-style smoothed line (debiased exponential moving average) drawn
// over its faded raw values. Follow mode keeps the newest step in view until the user zooms or pans.
class LossChart final : public QWidget
{
    Q_OBJECT

public:
    enum class YAxis { Left, Right };

    explicit LossChart(QWidget *parent = nullptr);
    ~LossChart() override;

    // Adds an empty series (a second call with the same name is ignored). `smoothed` adds the
    // moving-average line over the faded raw one (meant for the train loss).
    void addSeries(const QString &name, const QColor &color, YAxis axis = YAxis::Left, bool smoothed = false);
    bool hasSeries(const QString &name) const;
    QStringList seriesNames() const;
    void setAxisLabel(YAxis axis, const QString &label);
    // Shows or hides a series (its points are kept; the legend and the follow-mode fit only count
    // visible ones). The right axis is hidden while no visible series uses it. A series shown
    // again goes to the end of the legend.
    void setSeriesVisible(const QString &name, bool visible);
    bool isSeriesVisible(const QString &name) const;

    // Steps must increase strictly, within a batch and across batches: a point at or before the
    // series' last step (or a NaN step) is dropped and counted in refusedCount(). Extra entries of
    // the longer vector are dropped and counted too.
    void appendPoints(const QString &series, const QVector<double> &steps, const QVector<double> &values);
    // Empties every series (they stay defined, with their colours and axes).
    void clear();

    int pointCount(const QString &series) const;
    int refusedCount(const QString &series) const;
    QVector<double> steps(const QString &series) const;
    QVector<double> values(const QString &series) const;
    // The smoothed line's values, one per raw point (empty for a series without one).
    QVector<double> smoothedValues(const QString &series) const;

    // TensorBoard's smoothing weight, 0 (off) to 0.99; changing it recomputes the smoothed lines.
    double smoothing() const;
    void setSmoothing(double weight);

    // Follow mode: the x axis spans the data up to the newest step (or the last `followWindow`
    // steps when that is > 0) and the y axes fit what is shown. A user zoom or pan turns it off.
    bool isFollowing() const;
    void setFollowing(bool on);
    double followWindow() const;
    void setFollowWindow(double steps);
    // Fits both axes to all the data once (follow mode stays as it is).
    void rescale();

    bool exportPng(const QString &path, int width, int height, QString *error = nullptr);
    // Step column, then one column per series in the order they were added; a cell is empty where
    // that series has no point at that step. Header names are quoted as RFC 4180 says.
    bool exportCsv(const QString &path, QString *error = nullptr);
    QString toCsv() const;

    // For tests and callers that style the plot further.
    QCustomPlot *plot() const;
    // How many times the plot has been redrawn (any cause), for tests of the coalescing.
    int replotCount() const;

signals:
    void followingChanged(bool on);

protected:
    void changeEvent(QEvent *event) override;

private:
    struct Series
    {
        QString name;
        QCPGraph *raw = nullptr;
        QCPGraph *smooth = nullptr;
        YAxis axis = YAxis::Left;
        double lastStep = 0;
        bool hasLast = false;
        int refused = 0;
        // Running state of the moving average: TensorBoard's `last` and `numAccum`.
        double emaLast = 0;
        int emaCount = 0;
    };

    Series *find(const QString &name);
    const Series *find(const QString &name) const;
    double smoothPoint(Series &s, double value) const;
    void recomputeSmoothing(Series &s);
    void markDirty();
    void onReplotTimer();
    void fitRanges(double window);
    void onUserRangeChange();
    void applyPalette();

    QCustomPlot *m_plot = nullptr;
    QToolButton *m_followButton = nullptr;
    QToolButton *m_fitButton = nullptr;
    QDoubleSpinBox *m_smoothingBox = nullptr;
    QTimer *m_replotTimer = nullptr;
    QVector<Series> m_series;
    QHash<QString, int> m_index;
    double m_smoothing = 0.6;
    bool m_following = true;
    double m_followWindow = 0;
    // Set while the chart itself moves the axes, so only user changes turn follow mode off.
    bool m_settingRange = false;
    int m_replotCount = 0;
};

} // namespace vltune
