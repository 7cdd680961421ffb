#pragma once

#include <QColor>
#include <QVector>
#include <QWidget>

class QPainter;

namespace vltune {

// A word-sized line chart (Tufte's sparkline): the shape of a series, no axes, drawn with plain
// QPainter so a list can hold dozens of them cheaply. The line spans the widget; the last point is
// marked. Non-finite values are skipped.
class Sparkline final : public QWidget
{
    Q_OBJECT

public:
    explicit Sparkline(QWidget *parent = nullptr);

    void setValues(const QVector<double> &values);
    QVector<double> values() const { return m_values; }
    void setColor(const QColor &color);
    QColor color() const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

    // Draws `values` into `rect` (what paintEvent does; for delegates and image exports).
    static void paint(QPainter *painter, const QRectF &rect, const QVector<double> &values, const QColor &color);
    // At most `count` points: the mean of each of `count` equal buckets (a long run's loss curve
    // reduced to what a sparkline can show). Non-finite values are left out of the means.
    static QVector<double> downsample(const QVector<double> &values, int count);

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QVector<double> m_values;
    QColor m_color;  // invalid: the palette's highlight colour
};

} // namespace vltune
