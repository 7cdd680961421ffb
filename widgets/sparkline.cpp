#include "widgets/sparkline.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace vltune {

Sparkline::Sparkline(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("sparkline"));
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
}

void Sparkline::setValues(const QVector<double> &values)
{
    m_values = values;
    update();
}

void Sparkline::setColor(const QColor &color)
{
    m_color = color;
    update();
}

QColor Sparkline::color() const
{
    return m_color.isValid() ? m_color : palette().color(QPalette::Highlight);
}

QSize Sparkline::sizeHint() const
{
    return {96, 24};
}

QSize Sparkline::minimumSizeHint() const
{
    return {32, 12};
}

void Sparkline::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    paint(&painter, QRectF(rect()), m_values, color());
}

void Sparkline::paint(QPainter *painter, const QRectF &rect, const QVector<double> &values, const QColor &color)
{
    double lo = 0;
    double hi = 0;
    int finite = 0;
    for (double v : values) {
        if (!std::isfinite(v))
            continue;
        lo = finite ? std::min(lo, v) : v;
        hi = finite ? std::max(hi, v) : v;
        ++finite;
    }
    if (finite == 0)
        return;
    // Room for the pen and the end dot.
    const QRectF area = rect.adjusted(3, 3, -3, -3);
    if (area.width() <= 0 || area.height() <= 0)
        return;
    const double span = hi - lo;
    const qsizetype n = values.size();
    auto pointAt = [&](qsizetype i) {
        const double x = n > 1 ? area.left() + area.width() * double(i) / double(n - 1) : area.center().x();
        // A flat series is drawn through the middle.
        const double y = span > 0 ? area.bottom() - area.height() * (values[i] - lo) / span : area.center().y();
        return QPointF(x, y);
    };

    QPainterPath path;
    bool penDown = false;
    QPointF last;
    for (qsizetype i = 0; i < n; ++i) {
        if (!std::isfinite(values[i])) {
            penDown = false;
            continue;
        }
        last = pointAt(i);
        if (penDown)
            path.lineTo(last);
        else
            path.moveTo(last);
        penDown = true;
    }
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing, true);
    painter->setPen(QPen(color, 1.5, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    painter->setBrush(Qt::NoBrush);
    painter->drawPath(path);
    painter->setPen(Qt::NoPen);
    painter->setBrush(color);
    painter->drawEllipse(last, 2.5, 2.5);
    painter->restore();
}

QVector<double> Sparkline::downsample(const QVector<double> &values, int count)
{
    if (count <= 0)
        return {};
    if (values.size() <= count)
        return values;
    QVector<double> out;
    out.reserve(count);
    const qsizetype n = values.size();
    for (int b = 0; b < count; ++b) {
        const qsizetype begin = n * b / count;
        const qsizetype end = n * (b + 1) / count;
        double sum = 0;
        int used = 0;
        for (qsizetype i = begin; i < end; ++i) {
            if (std::isfinite(values[i])) {
                sum += values[i];
                ++used;
            }
        }
        if (used)
            out.append(sum / used);
    }
    return out;
}

} // namespace vltune
