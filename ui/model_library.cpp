// Engine headers before Qt's (house rule).
#include "core/io/hf_cache.h"

#include "ui/model_library.h"

#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace vltune {

namespace {

enum Column { ColName, ColFamily, ColSize, ColDtype, ColCount };
constexpr int PathRole = Qt::UserRole + 1;

QTreeWidgetItem *makeItem(const io::LocalModel &m)
{
    auto *item = new QTreeWidgetItem;
    const QString path = QString::fromStdString(m.path.string());
    item->setText(ColName, QString::fromStdString(m.repo_id));
    item->setText(ColFamily, familyDisplayName(QString::fromStdString(m.model_type),
                                               m.family ? int(*m.family) : -1));
    item->setText(ColSize, QLocale().formattedDataSize(qint64(m.size_bytes)));
    item->setTextAlignment(ColSize, Qt::AlignRight | Qt::AlignVCenter);
    item->setText(ColDtype, m.dtype.empty() ? QStringLiteral("—") : QString::fromStdString(m.dtype));
    item->setData(ColName, PathRole, path);
    QString tip = path;
    if (!m.problem.empty())
        tip += QLatin1Char('\n') + QString::fromStdString(m.problem);
    for (int c = 0; c < ColCount; ++c)
        item->setToolTip(c, tip);
    if (!m.family)  // listed so the user sees it, but vltune cannot train it
        for (int c = 0; c < ColCount; ++c)
            item->setForeground(c, QPalette().brush(QPalette::Disabled, QPalette::Text));
    return item;
}

}  // namespace

QString familyDisplayName(const QString &modelType, int family)
{
    switch (family) {
    case int(io::ModelFamily::qwen2_vl): return QStringLiteral("Qwen2-VL");
    case int(io::ModelFamily::qwen2_5_vl): return QStringLiteral("Qwen2.5-VL");
    case int(io::ModelFamily::idefics3):
        return modelType == QStringLiteral("smolvlm") ? QStringLiteral("SmolVLM2") : QStringLiteral("SmolVLM / Idefics3");
    case int(io::ModelFamily::llava): return QStringLiteral("LLaVA");
    case int(io::ModelFamily::clip): return QStringLiteral("CLIP");
    default:
        return modelType.isEmpty() ? ModelLibrary::tr("unreadable config")
                                   : ModelLibrary::tr("%1 (not supported)").arg(modelType);
    }
}

ModelLibrary::ModelLibrary(QWidget *parent)
    : QWidget(parent), m_tree(new QTreeWidget(this)), m_where(new QLabel(this)),
      m_open(new QPushButton(tr("Open Folder…"), this))
{
    m_tree->setObjectName(QStringLiteral("modelLibraryTree"));
    m_tree->setHeaderLabels({tr("Model"), tr("Family"), tr("Size"), tr("Dtype")});
    m_tree->setRootIsDecorated(false);
    m_tree->setUniformRowHeights(true);
    m_tree->setAlternatingRowColors(true);
    m_tree->setSortingEnabled(true);
    m_tree->header()->setStretchLastSection(false);
    m_tree->header()->setSectionResizeMode(ColName, QHeaderView::Stretch);
    for (int c = ColFamily; c < ColCount; ++c)
        m_tree->header()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    m_where->setObjectName(QStringLiteral("modelLibraryWhere"));
    m_where->setWordWrap(true);
    m_where->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont small = m_where->font();
    small.setPointSizeF(small.pointSizeF() * 0.9);
    m_where->setFont(small);
    m_open->setObjectName(QStringLiteral("openFolderButton"));
    m_open->setToolTip(tr("Use a model folder that is not in the Hugging Face cache (it must hold config.json)."));

    auto *bottom = new QHBoxLayout;
    bottom->addWidget(m_where, 1);
    bottom->addWidget(m_open);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_tree, 1);
    layout->addLayout(bottom);

    connect(m_tree, &QTreeWidget::itemActivated, this, &ModelLibrary::onItemActivated);
    connect(m_open, &QPushButton::clicked, this, &ModelLibrary::onOpenFolder);
}

void ModelLibrary::refresh(const QString &cacheRoot)
{
    m_cacheRoot = cacheRoot.isEmpty() ? QString::fromStdString(io::hf_hub_cache_root().string()) : cacheRoot;
    m_tree->setSortingEnabled(false);
    m_tree->clear();
    for (const io::LocalModel &m : io::list_cached_models(m_cacheRoot.toStdString()))
        m_tree->addTopLevelItem(makeItem(m));
    m_tree->setSortingEnabled(true);
    m_tree->sortByColumn(ColName, Qt::AscendingOrder);
    m_where->setText(count() == 0 ? tr("No models in the Hugging Face cache at %1 yet.").arg(m_cacheRoot)
                                  : tr("Hugging Face cache: %1").arg(m_cacheRoot));
}

bool ModelLibrary::select(const QString &path)
{
    for (int i = 0; i < m_tree->topLevelItemCount(); ++i) {
        QTreeWidgetItem *item = m_tree->topLevelItem(i);
        if (item->data(ColName, PathRole).toString() == path) {
            m_tree->setCurrentItem(item);
            m_tree->scrollToItem(item);
            return true;
        }
    }
    return false;
}

int ModelLibrary::count() const { return m_tree->topLevelItemCount(); }

void ModelLibrary::onItemActivated(QTreeWidgetItem *item)
{
    if (item)
        emit modelChosen(item->data(ColName, PathRole).toString());
}

void ModelLibrary::onOpenFolder()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open Model Folder"));
    if (dir.isEmpty())
        return;
    const io::LocalModel m = io::describe_model_folder(dir.toStdString());
    if (!m.family) {
        QMessageBox::warning(this, tr("Open Model Folder"),
                             tr("%1 is not a model vltune can load:\n%2")
                                 .arg(dir, QString::fromStdString(m.problem.empty() ? "unsupported model_type" : m.problem)));
        return;
    }
    emit modelChosen(dir);
}

}  // namespace vltune
