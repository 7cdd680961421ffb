#pragma once
// One image large: fit to the view (the default, kept on resize), zoom in and out (buttons, Ctrl+
// wheel, +/-), 100 %. A message stands in when there is no image.

#include <QGraphicsView>
#include <QImage>

class QGraphicsPixmapItem;
class QGraphicsSimpleTextItem;

namespace vltune {

class ImageView final : public QGraphicsView
{
    Q_OBJECT

public:
    explicit ImageView(QWidget *parent = nullptr);

    // Shows `image` fitted to the view; a null image shows `message` instead.
    void setImage(const QImage &image, const QString &message = QString());
    QImage image() const { return m_image; }
    // The scale the image is shown at (1 = 100 %).
    double zoom() const;
    bool isFitted() const { return m_fit; }

    void fitToView();
    void zoomIn();
    void zoomOut();
    void actualSize();

signals:
    void zoomChanged(double zoom);

protected:
    void resizeEvent(QResizeEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;

private:
    void scaleBy(double factor);

    QGraphicsPixmapItem *m_pixmap = nullptr;
    QGraphicsSimpleTextItem *m_message = nullptr;
    QImage m_image;
    bool m_fit = true;
};

} // namespace vltune
