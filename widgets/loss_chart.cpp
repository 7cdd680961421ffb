#include "widgets/loss_chart.h"

#include <QDoubleSpinBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QSaveFile>
#include <QScopedValueRollback>
#include <QSignalBlocker>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace vltune {

namespace {

// One redraw per interval at most: fast enough to look live, cheap whatever the point rate.
constexpr int kReplotIntervalMs = 40;
constexpr double kMaxSmoothing = 0.99;
// Below this many points a series also gets markers: a sparse line (eval loss every few hundred
// steps, or a single point) is hard to read, or invisible, as a bare polyline.
constexpr int kMarkerThreshold = 200;

QString csvField(const QString &text)
{
    if (!text.contains(QLatin1Char(',')) && !text.contains(QLatin1Char('"'))
        && !text.contains(QLatin1Char('\n')) && !text.contains(QLatin1Char('\r')))
        return text;
    QString quoted = text;
    quoted.replace(QLatin1String("\""), QLatin1String("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

QString csvNumber(double v)
{
    // Shortest text that reads back to the same double: 0.1 stays "0.1", steps stay integers.
    return QString::number(v, 'g', QLocale::FloatingPointShortest);
}

// Pads a range that has no extent (one point, a constant series) so QCustomPlot accepts it.
QCPRange padded(double lower, double upper, double fraction)
{
    const double span = upper - lower;
    if (span > 0) {
        const double pad = span * fraction;
        return {lower - pad, upper + pad};
    }
    const double pad = lower != 0 ? std::abs(lower) * 0.1 : 1.0;
    return {lower - pad, upper + pad};
}

} // namespace

LossChart::LossChart(QWidget *parent)
    : QWidget(parent)
    , m_plot(new QCustomPlot(this))
    , m_followButton(new QToolButton(this))
    , m_fitButton(new QToolButton(this))
    , m_smoothingBox(new QDoubleSpinBox(this))
    , m_replotTimer(new QTimer(this))
{
    setObjectName(QStringLiteral("lossChart"));

    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->setNoAntialiasingOnDrag(true);
    QCPAxisRect *rect = m_plot->axisRect();
    const QList<QCPAxis *> horizontal{m_plot->xAxis};
    const QList<QCPAxis *> vertical{m_plot->yAxis, m_plot->yAxis2};
    rect->setRangeDragAxes(horizontal, vertical);
    rect->setRangeZoomAxes(horizontal, vertical);
    m_plot->xAxis->setLabel(tr("step"));
    m_plot->yAxis2->setVisible(false);
    m_plot->legend->setVisible(true);
    rect->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    applyPalette();

    // Only the user moves the axes outside m_settingRange; that ends follow mode.
    for (QCPAxis *axis : {m_plot->xAxis, m_plot->yAxis, m_plot->yAxis2}) {
        connect(axis, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), this,
                [this](const QCPRange &) { onUserRangeChange(); });
    }
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, [this](QMouseEvent *) { setFollowing(true); });
    connect(m_plot, &QCustomPlot::afterReplot, this, [this] { ++m_replotCount; });

    m_replotTimer->setSingleShot(true);
    m_replotTimer->setInterval(kReplotIntervalMs);
    connect(m_replotTimer, &QTimer::timeout, this, &LossChart::onReplotTimer);

    m_followButton->setText(tr("Follow"));
    m_followButton->setToolTip(tr("Keep the newest step in view (double-click the chart to turn it back on)"));
    m_followButton->setCheckable(true);
    m_followButton->setChecked(m_following);
    connect(m_followButton, &QToolButton::toggled, this, &LossChart::setFollowing);
    m_fitButton->setText(tr("Fit"));
    m_fitButton->setToolTip(tr("Show all the data"));
    connect(m_fitButton, &QToolButton::clicked, this, &LossChart::rescale);
    m_smoothingBox->setRange(0.0, kMaxSmoothing);
    m_smoothingBox->setSingleStep(0.05);
    m_smoothingBox->setDecimals(2);
    m_smoothingBox->setValue(m_smoothing);
    m_smoothingBox->setToolTip(tr("Weight of the exponential moving average drawn over the train loss"));
    connect(m_smoothingBox, &QDoubleSpinBox::valueChanged, this, &LossChart::setSmoothing);
    auto *smoothingLabel = new QLabel(tr("Smoothing"), this);
    smoothingLabel->setBuddy(m_smoothingBox);

    auto *tools = new QHBoxLayout;
    tools->addWidget(smoothingLabel);
    tools->addWidget(m_smoothingBox);
    tools->addStretch(1);
    tools->addWidget(m_fitButton);
    tools->addWidget(m_followButton);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(tools);
    layout->addWidget(m_plot, 1);
}

LossChart::~LossChart() = default;

void LossChart::addSeries(const QString &name, const QColor &color, YAxis axis, bool smoothed)
{
    if (m_index.contains(name))
        return;
    QCPAxis *valueAxis = axis == YAxis::Right ? m_plot->yAxis2 : m_plot->yAxis;
    if (axis == YAxis::Right)
        m_plot->yAxis2->setVisible(true);

    Series s;
    s.name = name;
    s.axis = axis;
    s.raw = m_plot->addGraph(m_plot->xAxis, valueAxis);
    s.raw->setName(name);
    if (smoothed) {
        // The raw values faded under the average, as TensorBoard draws them; the legend names
        // the average, which is the line people read.
        QColor faded = color;
        faded.setAlpha(70);
        s.raw->setPen(QPen(faded, 1));
        s.raw->removeFromLegend();
        s.smooth = m_plot->addGraph(m_plot->xAxis, valueAxis);
        s.smooth->setName(name);
        s.smooth->setPen(QPen(color, 2));
    } else {
        s.raw->setPen(QPen(color, 1.5));
    }
    m_index.insert(name, int(m_series.size()));
    m_series.append(s);
    markDirty();
}

bool LossChart::hasSeries(const QString &name) const
{
    return m_index.contains(name);
}

QStringList LossChart::seriesNames() const
{
    QStringList names;
    for (const Series &s : m_series)
        names.append(s.name);
    return names;
}

void LossChart::setAxisLabel(YAxis axis, const QString &label)
{
    (axis == YAxis::Right ? m_plot->yAxis2 : m_plot->yAxis)->setLabel(label);
    markDirty();
}

void LossChart::setSeriesVisible(const QString &name, bool visible)
{
    Series *s = find(name);
    if (!s || s->raw->visible() == visible)
        return;
    s->raw->setVisible(visible);
    QCPGraph *named = s->smooth ? s->smooth : s->raw;
    if (s->smooth)
        s->smooth->setVisible(visible);
    if (visible)
        named->addToLegend();
    else
        named->removeFromLegend();
    for (YAxis axis : {YAxis::Left, YAxis::Right}) {
        bool any = false;
        for (const Series &t : m_series)
            any = any || (t.axis == axis && t.raw->visible());
        (axis == YAxis::Right ? m_plot->yAxis2 : m_plot->yAxis)->setVisible(any || axis == YAxis::Left);
    }
    markDirty();
}

bool LossChart::isSeriesVisible(const QString &name) const
{
    const Series *s = find(name);
    return s && s->raw->visible();
}

void LossChart::appendPoints(const QString &series, const QVector<double> &steps, const QVector<double> &values)
{
    Series *s = find(series);
    if (!s) {
        qWarning("LossChart: no series named %s", qPrintable(series));
        return;
    }
    const qsizetype n = std::min(steps.size(), values.size());
    s->refused += int(std::max(steps.size(), values.size()) - n);
    QVector<QCPGraphData> raw;
    QVector<QCPGraphData> smooth;
    raw.reserve(n);
    if (s->smooth)
        smooth.reserve(n);
    for (qsizetype i = 0; i < n; ++i) {
        const double step = steps[i];
        if (std::isnan(step) || (s->hasLast && step <= s->lastStep)) {
            ++s->refused;
            continue;
        }
        s->lastStep = step;
        s->hasLast = true;
        raw.append(QCPGraphData(step, values[i]));
        if (s->smooth)
            smooth.append(QCPGraphData(step, smoothPoint(*s, values[i])));
    }
    if (raw.isEmpty())
        return;
    // Sorted by construction: the container appends without re-sorting.
    s->raw->data()->add(raw, /*alreadySorted=*/true);
    if (s->smooth)
        s->smooth->data()->add(smooth, /*alreadySorted=*/true);
    markDirty();
}

void LossChart::clear()
{
    for (Series &s : m_series) {
        s.raw->data()->clear();
        if (s.smooth)
            s.smooth->data()->clear();
        s.hasLast = false;
        s.lastStep = 0;
        s.refused = 0;
        s.emaLast = 0;
        s.emaCount = 0;
    }
    markDirty();
}

int LossChart::pointCount(const QString &series) const
{
    const Series *s = find(series);
    return s ? s->raw->dataCount() : 0;
}

int LossChart::refusedCount(const QString &series) const
{
    const Series *s = find(series);
    return s ? s->refused : 0;
}

QVector<double> LossChart::steps(const QString &series) const
{
    QVector<double> out;
    if (const Series *s = find(series)) {
        out.reserve(s->raw->dataCount());
        for (const QCPGraphData &d : *s->raw->data())
            out.append(d.key);
    }
    return out;
}

QVector<double> LossChart::values(const QString &series) const
{
    QVector<double> out;
    if (const Series *s = find(series)) {
        out.reserve(s->raw->dataCount());
        for (const QCPGraphData &d : *s->raw->data())
            out.append(d.value);
    }
    return out;
}

QVector<double> LossChart::smoothedValues(const QString &series) const
{
    QVector<double> out;
    const Series *s = find(series);
    if (s && s->smooth) {
        out.reserve(s->smooth->dataCount());
        for (const QCPGraphData &d : *s->smooth->data())
            out.append(d.value);
    }
    return out;
}

double LossChart::smoothing() const
{
    return m_smoothing;
}

void LossChart::setSmoothing(double weight)
{
    weight = std::clamp(weight, 0.0, kMaxSmoothing);
    if (weight == m_smoothing)
        return;
    m_smoothing = weight;
    {
        const QSignalBlocker blocker(m_smoothingBox);
        m_smoothingBox->setValue(weight);
    }
    for (Series &s : m_series) {
        if (s.smooth)
            recomputeSmoothing(s);
    }
    markDirty();
}

bool LossChart::isFollowing() const
{
    return m_following;
}

void LossChart::setFollowing(bool on)
{
    if (on == m_following)
        return;
    m_following = on;
    {
        const QSignalBlocker blocker(m_followButton);
        m_followButton->setChecked(on);
    }
    if (on)
        markDirty();
    emit followingChanged(on);
}

double LossChart::followWindow() const
{
    return m_followWindow;
}

void LossChart::setFollowWindow(double steps)
{
    m_followWindow = std::max(0.0, steps);
    markDirty();
}

void LossChart::rescale()
{
    fitRanges(0);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

bool LossChart::exportPng(const QString &path, int width, int height, QString *error)
{
    if (width <= 0 || height <= 0) {
        if (error)
            *error = tr("Invalid image size %1×%2").arg(width).arg(height);
        return false;
    }
    // Draw what has arrived so far, not what the last timer tick saw.
    if (m_replotTimer->isActive()) {
        m_replotTimer->stop();
        onReplotTimer();
    }
    const bool ok = m_plot->savePng(path, width, height);
    // Exporting lays the plot out at the image's size; lay it out again for the widget.
    m_plot->replot(QCustomPlot::rpQueuedReplot);
    if (!ok && error)
        *error = tr("Could not write the image %1").arg(path);
    return ok;
}

bool LossChart::exportCsv(const QString &path, QString *error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text)) {
        if (error)
            *error = tr("Could not write %1: %2").arg(path, file.errorString());
        return false;
    }
    file.write(toCsv().toUtf8());
    if (!file.commit()) {
        if (error)
            *error = tr("Could not write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

QString LossChart::toCsv() const
{
    QString out = QStringLiteral("step");
    for (const Series &s : m_series)
        out += QLatin1Char(',') + csvField(s.name);
    out += QLatin1Char('\n');

    // A merge of the series' sorted steps: one row per step that any series has.
    using Iter = QCPGraphDataContainer::const_iterator;
    QVector<Iter> it;
    QVector<Iter> end;
    for (const Series &s : m_series) {
        it.append(s.raw->data()->constBegin());
        end.append(s.raw->data()->constEnd());
    }
    for (;;) {
        double step = std::numeric_limits<double>::infinity();
        bool any = false;
        for (qsizetype i = 0; i < it.size(); ++i) {
            if (it[i] != end[i]) {
                step = std::min(step, it[i]->key);
                any = true;
            }
        }
        if (!any)
            break;
        out += csvNumber(step);
        for (qsizetype i = 0; i < it.size(); ++i) {
            out += QLatin1Char(',');
            if (it[i] != end[i] && it[i]->key == step) {
                out += csvNumber(it[i]->value);
                ++it[i];
            }
        }
        out += QLatin1Char('\n');
    }
    return out;
}

QCustomPlot *LossChart::plot() const
{
    return m_plot;
}

int LossChart::replotCount() const
{
    return m_replotCount;
}

void LossChart::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange && m_plot) {
        applyPalette();
        markDirty();
    }
}

LossChart::Series *LossChart::find(const QString &name)
{
    const auto it = m_index.constFind(name);
    return it == m_index.cend() ? nullptr : &m_series[*it];
}

const LossChart::Series *LossChart::find(const QString &name) const
{
    const auto it = m_index.constFind(name);
    return it == m_index.cend() ? nullptr : &m_series[*it];
}

double LossChart::smoothPoint(Series &s, double value) const
{
    // TensorBoard's smoothing (tensorboard/plugins/scalar: vz_line_chart2): a non-finite value is
    // shown as it is and leaves the average alone; the average starts at 0 and is divided by
    // 1 - w^n so the first points are not pulled towards zero.
    if (!std::isfinite(value))
        return value;
    s.emaLast = s.emaLast * m_smoothing + (1 - m_smoothing) * value;
    ++s.emaCount;
    return s.emaLast / (1 - std::pow(m_smoothing, s.emaCount));
}

void LossChart::recomputeSmoothing(Series &s)
{
    s.emaLast = 0;
    s.emaCount = 0;
    QVector<QCPGraphData> smooth;
    smooth.reserve(s.raw->dataCount());
    for (const QCPGraphData &d : *s.raw->data())
        smooth.append(QCPGraphData(d.key, smoothPoint(s, d.value)));
    s.smooth->data()->set(smooth, /*alreadySorted=*/true);
}

void LossChart::markDirty()
{
    if (!m_replotTimer->isActive())
        m_replotTimer->start();
}

void LossChart::onReplotTimer()
{
    for (const Series &s : m_series) {
        if (s.smooth)
            continue;
        const bool sparse = s.raw->dataCount() <= kMarkerThreshold;
        s.raw->setScatterStyle(sparse ? QCPScatterStyle(QCPScatterStyle::ssDisc, 5) : QCPScatterStyle());
    }
    if (m_following)
        fitRanges(m_followWindow);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void LossChart::fitRanges(double window)
{
    bool any = false;
    double first = 0;
    double last = 0;
    for (const Series &s : m_series) {
        if (s.raw->dataCount() == 0)
            continue;
        const double lo = s.raw->data()->constBegin()->key;
        const double hi = (s.raw->data()->constEnd() - 1)->key;
        first = any ? std::min(first, lo) : lo;
        last = any ? std::max(last, hi) : hi;
        any = true;
    }
    if (!any)
        return;
    if (window > 0)
        first = std::max(first, last - window);
    const QCPRange keys = last > first ? QCPRange(first, last) : padded(first, last, 0);

    const QScopedValueRollback<bool> guard(m_settingRange, true);
    m_plot->xAxis->setRange(keys);
    for (YAxis axis : {YAxis::Left, YAxis::Right}) {
        bool found = false;
        double lo = 0;
        double hi = 0;
        for (const Series &s : m_series) {
            if (s.axis != axis)
                continue;
            for (QCPGraph *g : {s.raw, s.smooth}) {
                if (!g || !g->visible())
                    continue;
                bool ok = false;
                const QCPRange r = g->getValueRange(ok, QCP::sdBoth, keys);
                if (!ok)
                    continue;
                lo = found ? std::min(lo, r.lower) : r.lower;
                hi = found ? std::max(hi, r.upper) : r.upper;
                found = true;
            }
        }
        if (found)
            (axis == YAxis::Right ? m_plot->yAxis2 : m_plot->yAxis)->setRange(padded(lo, hi, 0.05));
    }
}

void LossChart::onUserRangeChange()
{
    if (!m_settingRange)
        setFollowing(false);
}

void LossChart::applyPalette()
{
    const QPalette pal = palette();
    const QColor text = pal.color(QPalette::Text);
    QColor grid = pal.color(QPalette::Mid);
    m_plot->setBackground(pal.color(QPalette::Base));
    for (QCPAxis *axis : {m_plot->xAxis, m_plot->yAxis, m_plot->yAxis2}) {
        axis->setBasePen(QPen(text));
        axis->setTickPen(QPen(text));
        axis->setSubTickPen(QPen(text));
        axis->setLabelColor(text);
        axis->setTickLabelColor(text);
        axis->grid()->setPen(QPen(grid, 0, Qt::DotLine));
    }
    QColor legendBackground = pal.color(QPalette::Base);
    legendBackground.setAlpha(220);
    m_plot->legend->setBrush(legendBackground);
    m_plot->legend->setBorderPen(QPen(grid));
    m_plot->legend->setTextColor(text);
}

} // namespace vltune
