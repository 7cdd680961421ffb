#include "widgets/thumbnail_model.h"

#include <QImage>

#include "widgets/thumbnail_loader.h"

namespace vltune {

ThumbnailModel::ThumbnailModel(ThumbnailLoader *loader, QObject *parent)
    : QAbstractListModel(parent)
    , m_loader(loader)
{
    connect(m_loader, &ThumbnailLoader::thumbnailReady, this, &ThumbnailModel::onThumbnailReady);
}

void ThumbnailModel::setItems(QVector<ThumbnailItem> items)
{
    beginResetModel();
    m_items = std::move(items);
    m_rowsOf.clear();
    for (int i = 0; i < m_items.size(); ++i)
        if (!m_items[i].imagePath.isEmpty())
            m_rowsOf[m_items[i].imagePath].push_back(i);
    endResetModel();
    m_loader->cancelPending();  // the old list's requests
}

void ThumbnailModel::setText(int row, const QString &label, const QString &searchText)
{
    if (row < 0 || row >= m_items.size())
        return;
    m_items[row].label = label;
    m_items[row].searchText = searchText;
    const QModelIndex i = index(row);
    emit dataChanged(i, i, {Qt::DisplayRole, SearchTextRole});
}

int ThumbnailModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_items.size());
}

QVariant ThumbnailModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_items.size())
        return {};
    const ThumbnailItem &item = m_items.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return item.label;
    case Qt::ToolTipRole:
        return item.toolTip.isEmpty() ? item.label : item.toolTip;
    case Qt::DecorationRole:
        return m_loader->thumbnail(item.imagePath);  // the view asks only for items it paints
    case ThumbnailReadyRole: {
        bool ready = false;
        if (!item.imagePath.isEmpty())
            m_loader->thumbnail(item.imagePath, &ready);
        return ready;
    }
    case ImagePathRole:
        return item.imagePath;
    case SearchTextRole:
        return item.searchText;
    case TagsRole:
        return item.tags;
    default:
        return {};
    }
}

void ThumbnailModel::onThumbnailReady(const QString &path)
{
    const auto it = m_rowsOf.constFind(path);
    if (it == m_rowsOf.constEnd())
        return;
    for (int row : *it) {
        const QModelIndex i = index(row);
        emit dataChanged(i, i, {Qt::DecorationRole});
    }
}

ThumbnailFilterModel::ThumbnailFilterModel(QObject *parent)
    : QSortFilterProxyModel(parent)
{
}

void ThumbnailFilterModel::setTextFilter(const QString &text)
{
    const QStringList words = text.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    if (words == m_words)
        return;
    m_words = words;
    invalidateFilter();
}

void ThumbnailFilterModel::setTagFilter(const QString &tag)
{
    if (tag == m_tag)
        return;
    m_tag = tag;
    invalidateFilter();
}

bool ThumbnailFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const QModelIndex i = sourceModel()->index(sourceRow, 0, sourceParent);
    if (!m_tag.isEmpty()) {
        const QStringList tags = i.data(ThumbnailModel::TagsRole).toStringList();
        if (m_tag == anyTag() ? tags.isEmpty() : !tags.contains(m_tag))
            return false;
    }
    if (m_words.isEmpty())
        return true;
    const QString text = i.data(ThumbnailModel::SearchTextRole).toString();
    for (const QString &w : m_words)
        if (!text.contains(w, Qt::CaseInsensitive))
            return false;
    return true;
}

} // namespace vltune
