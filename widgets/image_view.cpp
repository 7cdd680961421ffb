#include "widgets/image_view.h"

#include <QGraphicsPixmapItem>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QWheelEvent>

#include <algorithm>

namespace vltune {

ImageView::ImageView(QWidget *parent)
    : QGraphicsView(parent)
{
    auto *scene = new QGraphicsScene(this);
    setScene(scene);
    m_pixmap = scene->addPixmap(QPixmap());
    m_pixmap->setTransformationMode(Qt::SmoothTransformation);
    m_message = scene->addSimpleText(QString());
    m_message->setBrush(palette().color(QPalette::PlaceholderText));
    setDragMode(QGraphicsView::ScrollHandDrag);
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    setRenderHint(QPainter::SmoothPixmapTransform);
    setBackgroundBrush(palette().color(QPalette::Base));
    setAlignment(Qt::AlignCenter);
    setFrameShape(QFrame::NoFrame);
}

void ImageView::setImage(const QImage &image, const QString &message)
{
    m_image = image;
    m_pixmap->setPixmap(QPixmap::fromImage(image));
    m_pixmap->setVisible(!image.isNull());
    m_message->setText(image.isNull() ? message : QString());
    m_message->setVisible(image.isNull());
    scene()->setSceneRect(image.isNull() ? m_message->boundingRect() : QRectF(QPointF(0, 0), QSizeF(image.size())));
    fitToView();
}

double ImageView::zoom() const
{
    return transform().m11();
}

void ImageView::fitToView()
{
    m_fit = true;
    resetTransform();
    if (!m_image.isNull()) {
        const QSizeF avail = QSizeF(viewport()->size()) - QSizeF(4, 4);
        const double s = std::min(avail.width() / m_image.width(), avail.height() / m_image.height());
        if (s > 0)
            scale(s, s);
    }
    emit zoomChanged(zoom());
}

void ImageView::zoomIn()
{
    scaleBy(1.25);
}

void ImageView::zoomOut()
{
    scaleBy(0.8);
}

void ImageView::actualSize()
{
    m_fit = false;
    resetTransform();
    emit zoomChanged(zoom());
}

void ImageView::scaleBy(double factor)
{
    if (m_image.isNull())
        return;
    const double next = std::clamp(zoom() * factor, 0.02, 32.0);
    m_fit = false;
    scale(next / zoom(), next / zoom());
    emit zoomChanged(zoom());
}

void ImageView::resizeEvent(QResizeEvent *event)
{
    QGraphicsView::resizeEvent(event);
    if (m_fit)
        fitToView();
}

void ImageView::wheelEvent(QWheelEvent *event)
{
    if (event->modifiers() & Qt::ControlModifier) {
        scaleBy(event->angleDelta().y() > 0 ? 1.25 : 0.8);
        event->accept();
        return;
    }
    QGraphicsView::wheelEvent(event);
}

} // namespace vltune
