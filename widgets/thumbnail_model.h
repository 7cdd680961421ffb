#pragma once
// A list of images with a label each, for ThumbnailGrid: the decoration is asked of a
// ThumbnailLoader only when the view asks for it (it paints the item), a placeholder stands in
// until the thumbnail arrives, and dataChanged() repaints the item then. ThumbnailFilterModel
// narrows the list by text and by tag.

#include <QAbstractListModel>
#include <QHash>
#include <QSortFilterProxyModel>
#include <QString>
#include <QStringList>
#include <QVector>

namespace vltune {

class ThumbnailLoader;

// One item of the grid.
struct ThumbnailItem
{
    QString imagePath;   // the file to show ("" = none)
    QString label;       // under the thumbnail
    QString searchText;  // what the text filter looks in
    QStringList tags;    // what the tag filter looks in (the dataset page: problem kinds)
    QString toolTip;
};

class ThumbnailModel final : public QAbstractListModel
{
    Q_OBJECT

public:
    enum Role {
        ImagePathRole = Qt::UserRole + 1,  // QString
        SearchTextRole,                    // QString
        TagsRole,                          // QStringList
        ThumbnailReadyRole,                // bool: the decoration is the thumbnail, not the placeholder
    };

    explicit ThumbnailModel(ThumbnailLoader *loader, QObject *parent = nullptr);

    void setItems(QVector<ThumbnailItem> items);
    const ThumbnailItem &item(int row) const { return m_items.at(row); }
    // A new label and search text for `row` (an edited caption).
    void setText(int row, const QString &label, const QString &searchText);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    ThumbnailLoader *loader() const { return m_loader; }

private:
    void onThumbnailReady(const QString &path);

    ThumbnailLoader *m_loader = nullptr;
    QVector<ThumbnailItem> m_items;
    QHash<QString, QVector<int>> m_rowsOf;  // image path -> rows showing it
};

// Rows whose search text holds every word of the text filter and, when a tag is set, that carry
// it (anyTag(): any tag at all).
class ThumbnailFilterModel final : public QSortFilterProxyModel
{
    Q_OBJECT

public:
    explicit ThumbnailFilterModel(QObject *parent = nullptr);

    static QString anyTag() { return QStringLiteral("*"); }
    void setTextFilter(const QString &text);
    void setTagFilter(const QString &tag);  // "" = no tag filter

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    QStringList m_words;
    QString m_tag;
};

} // namespace vltune
