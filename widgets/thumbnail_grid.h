#pragma once
// A grid of thumbnails that stays smooth with 100,000 items: uniform cells laid out in batches,
// a delegate that sizes cells without asking the model anything (so only painted items ask for
// their thumbnail), and pending decodes dropped when the view jumps more than a couple of screens.

#include <QListView>
#include <QStyledItemDelegate>

namespace vltune {

class ThumbnailLoader;

// Paints one cell: the thumbnail (or a placeholder) centred above an elided label, with a warning
// mark on items that carry tags.
class ThumbnailDelegate final : public QStyledItemDelegate
{
    Q_OBJECT

public:
    explicit ThumbnailDelegate(QSize thumbnailSize, QObject *parent = nullptr);

    QSize cellSize() const;
    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;

private:
    QSize m_thumb;
};

class ThumbnailGrid final : public QListView
{
    Q_OBJECT

public:
    // `loader` is the one the model asks (its pending decodes are dropped on long jumps).
    explicit ThumbnailGrid(ThumbnailLoader *loader, QWidget *parent = nullptr);

private:
    void onScrolled(int value);

    ThumbnailLoader *m_loader = nullptr;
    int m_lastScroll = 0;
};

} // namespace vltune
