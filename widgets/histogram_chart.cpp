#include "widgets/histogram_chart.h"

#include <QLabel>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include <algorithm>

namespace vltune {

HistogramChart::HistogramChart(QWidget *parent)
    : QWidget(parent)
    , m_title(new QLabel(this))
    , m_plot(new QCustomPlot(this))
{
    m_title->setTextFormat(Qt::PlainText);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(m_title);
    layout->addWidget(m_plot, 1);
    m_plot->setMinimumHeight(140);
    m_bars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
    m_bars->setWidthType(QCPBars::wtPlotCoords);
    m_bars->setPen(QPen(palette().color(QPalette::Highlight).darker(120)));
    m_bars->setBrush(palette().color(QPalette::Highlight));
    m_plot->yAxis->setLabel(tr("count"));
    // Counts are whole numbers: ticks on integers only, however small the counts.
    QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
    ticker->setTickStep(1.0);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    m_plot->yAxis->setTicker(ticker);
    applyPalette();
}

void HistogramChart::setHistogram(const QString &title, const QVector<qint64> &edges, const QVector<qint64> &counts,
                                  const QString &xLabel, const QString &emptyText)
{
    m_title->setText(counts.isEmpty() && !emptyText.isEmpty() ? emptyText : title);
    m_plot->xAxis->setLabel(xLabel);
    QVector<double> keys;
    QVector<double> values;
    m_total = 0;
    double top = 0;
    for (int i = 0; i < counts.size() && i + 1 < edges.size(); ++i) {
        keys << (edges[i] + edges[i + 1]) / 2.0;
        values << static_cast<double>(counts[i]);
        m_total += counts[i];
        top = std::max(top, static_cast<double>(counts[i]));
    }
    m_bins = static_cast<int>(keys.size());
    if (edges.size() >= 2)
        m_bars->setWidth(std::max(1.0, static_cast<double>(edges[1] - edges[0])) * 0.9);
    m_bars->setData(keys, values, true);
    if (edges.size() >= 2) {
        const double span = std::max<double>(1.0, edges.back() - edges.front());
        m_plot->xAxis->setRange(edges.front() - span * 0.03, edges.back() + span * 0.03);
    } else {
        m_plot->xAxis->setRange(0, 1);
    }
    m_plot->yAxis->setRange(0, std::max(1.0, top * 1.1));
    m_plot->replot();
}

void HistogramChart::applyPalette()
{
    const QPalette pal = palette();
    const QColor text = pal.color(QPalette::Text);
    m_plot->setBackground(pal.color(QPalette::Base));
    for (QCPAxis *axis : {m_plot->xAxis, m_plot->yAxis}) {
        axis->setBasePen(QPen(text));
        axis->setTickPen(QPen(text));
        axis->setSubTickPen(QPen(text));
        axis->setLabelColor(text);
        axis->setTickLabelColor(text);
        axis->grid()->setPen(QPen(pal.color(QPalette::Mid), 0, Qt::DotLine));
    }
}

} // namespace vltune
