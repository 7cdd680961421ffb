#include "widgets/thumbnail_grid.h"

#include <QApplication>
#include <QImage>
#include <QPainter>
#include <QScrollBar>

#include "widgets/thumbnail_loader.h"
#include "widgets/thumbnail_model.h"

namespace vltune {

namespace {

constexpr int kPadding = 6;

} // namespace

ThumbnailDelegate::ThumbnailDelegate(QSize thumbnailSize, QObject *parent)
    : QStyledItemDelegate(parent)
    , m_thumb(thumbnailSize)
{
}

QSize ThumbnailDelegate::cellSize() const
{
    const int text = QFontMetrics(QApplication::font()).height();
    return {m_thumb.width() + 2 * kPadding, m_thumb.height() + text + 3 * kPadding};
}

QSize ThumbnailDelegate::sizeHint(const QStyleOptionViewItem &, const QModelIndex &) const
{
    return cellSize();  // asks the model nothing: laying out never loads a thumbnail
}

void ThumbnailDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    const QPalette &pal = option.palette;
    const QRect cell = option.rect.adjusted(2, 2, -2, -2);
    const bool selected = option.state & QStyle::State_Selected;
    if (selected) {
        painter->setPen(Qt::NoPen);
        painter->setBrush(pal.color(QPalette::Highlight));
        painter->drawRoundedRect(cell, 6, 6);
    } else if (option.state & QStyle::State_MouseOver) {
        painter->setPen(Qt::NoPen);
        painter->setBrush(pal.color(QPalette::Midlight));
        painter->drawRoundedRect(cell, 6, 6);
    }

    const QRect box(cell.left() + (cell.width() - m_thumb.width()) / 2, cell.top() + kPadding - 2, m_thumb.width(),
                    m_thumb.height());
    const QImage image = index.data(Qt::DecorationRole).value<QImage>();
    if (!image.isNull()) {
        QSize s = image.size();
        s.scale(box.size(), Qt::KeepAspectRatio);
        const QRect target(box.left() + (box.width() - s.width()) / 2, box.top() + (box.height() - s.height()) / 2,
                           s.width(), s.height());
        painter->drawImage(target, image);
    } else {
        // Placeholder until the thumbnail arrives (and for files with no image).
        painter->setPen(QPen(pal.color(QPalette::Mid), 1, Qt::DashLine));
        painter->setBrush(pal.color(QPalette::AlternateBase));
        painter->drawRoundedRect(box.adjusted(8, 8, -8, -8), 4, 4);
    }

    if (!index.data(ThumbnailModel::TagsRole).toStringList().isEmpty()) {
        // A problem mark in the corner.
        const QRect mark(box.right() - 18, box.top() + 2, 16, 16);
        painter->setPen(QPen(Qt::white, 1.5));
        painter->setBrush(QColor(0xd9, 0x3f, 0x3f));
        painter->drawEllipse(mark);
        QFont f = option.font;
        f.setBold(true);
        painter->setFont(f);
        painter->drawText(mark, Qt::AlignCenter, QStringLiteral("!"));
    }

    const QRect textRect(cell.left() + kPadding, box.bottom() + kPadding, cell.width() - 2 * kPadding,
                         option.fontMetrics.height());
    painter->setFont(option.font);
    painter->setPen(pal.color(selected ? QPalette::HighlightedText : QPalette::Text));
    const QString label = index.data(Qt::DisplayRole).toString().simplified();
    painter->drawText(textRect, Qt::AlignHCenter | Qt::AlignVCenter,
                      option.fontMetrics.elidedText(label, Qt::ElideRight, textRect.width()));
    painter->restore();
}

ThumbnailGrid::ThumbnailGrid(ThumbnailLoader *loader, QWidget *parent)
    : QListView(parent)
    , m_loader(loader)
{
    auto *delegate = new ThumbnailDelegate(loader->thumbnailSize(), this);
    setItemDelegate(delegate);
    setViewMode(QListView::IconMode);
    setMovement(QListView::Static);
    setResizeMode(QListView::Adjust);
    setUniformItemSizes(true);
    setLayoutMode(QListView::Batched);
    setBatchSize(500);
    setGridSize(delegate->cellSize());
    setSpacing(0);
    setWrapping(true);
    setSelectionMode(QAbstractItemView::SingleSelection);
    setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    verticalScrollBar()->setSingleStep(delegate->cellSize().height() / 3);
    setMouseTracking(true);
    connect(verticalScrollBar(), &QScrollBar::valueChanged, this, &ThumbnailGrid::onScrolled);
}

void ThumbnailGrid::onScrolled(int value)
{
    // A jump of more than two screens: what was asked for on the way is not wanted any more.
    if (std::abs(value - m_lastScroll) > 2 * viewport()->height())
        m_loader->cancelPending();
    m_lastScroll = value;
}

} // namespace vltune
