#pragma once
// A histogram as bars on QCustomPlot: counts per [edges[i], edges[i+1]) bin, with a title line
// (e.g. "min 12 · mean 80 · p95 140 · max 200"). Used by the dataset page for token lengths and
// image sizes.

#include <QString>
#include <QVector>
#include <QWidget>

class QCPBars;
class QCustomPlot;
class QLabel;

namespace vltune {

class HistogramChart final : public QWidget
{
    Q_OBJECT

public:
    explicit HistogramChart(QWidget *parent = nullptr);

    // `edges` has one more entry than `counts`; empty counts show `emptyText` instead.
    void setHistogram(const QString &title, const QVector<qint64> &edges, const QVector<qint64> &counts,
                      const QString &xLabel, const QString &emptyText = QString());
    int binCount() const { return m_bins; }
    qint64 total() const { return m_total; }

private:
    void applyPalette();

    QLabel *m_title = nullptr;
    QCustomPlot *m_plot = nullptr;
    QCPBars *m_bars = nullptr;
    int m_bins = 0;
    qint64 m_total = 0;
};

} // namespace vltune
