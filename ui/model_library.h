#pragma once
// "Models on this machine": the models in the huggingface_hub cache (shared with transformers and
// huggingface-cli) with family, size and dtype, plus any local folder the user opens. Choosing one
// (double-click, or Open Folder…) gives its folder.

#include <QString>
#include <QWidget>

class QLabel;
class QPushButton;
class QTreeWidget;
class QTreeWidgetItem;

namespace vltune {

class ModelLibrary final : public QWidget
{
    Q_OBJECT

public:
    explicit ModelLibrary(QWidget *parent = nullptr);

    // Lists the cache at `cacheRoot` ("" = HF_HUB_CACHE / HF_HOME / ~/.cache/huggingface/hub).
    void refresh(const QString &cacheRoot = QString());
    // Selects the row whose folder is `path`; false when none is.
    bool select(const QString &path);
    // Rows listed (for tests and the empty-state text).
    int count() const;

signals:
    // The user chose this model folder (the snapshot folder for cached models).
    void modelChosen(const QString &folder);

private:
    void onItemActivated(QTreeWidgetItem *item);
    void onOpenFolder();

    QTreeWidget *m_tree;
    QLabel *m_where;
    QPushButton *m_open;
    QString m_cacheRoot;
};

// "Qwen2-VL", "SmolVLM / Idefics3", ...; the config's model_type with a note when unsupported.
QString familyDisplayName(const QString &modelType, int family /* -1 = unsupported */);

}  // namespace vltune
