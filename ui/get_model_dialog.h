#pragma once
// File > Get Model…: download a Hugging Face Hub repository into the shared huggingface_hub cache
// (per-file and overall progress, resumable, checked), or pick a model already on this machine.
// The result is a model folder (a cache snapshot or a local folder) for the Chat / Train pages.
// The endpoint is remembered in QSettings (hub/endpoint); the token is read as huggingface_hub
// reads it and only saved, to huggingface_hub's own token file, when the user asks.

#include <QDialog>
#include <QList>
#include <QString>

#include "app/hub_client.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QTreeWidget;

namespace vltune {

class HubDownload;
class ModelLibrary;

class GetModelDialog final : public QDialog
{
    Q_OBJECT

public:
    explicit GetModelDialog(QWidget *parent = nullptr);

    // The chosen model folder once accepted.
    QString modelDir() const { return m_modelDir; }
    // The cache to download into and list ("" = the huggingface_hub default); mainly for tests.
    void setCacheRoot(const QString &cacheRoot);
    HubDownload *download() const { return m_download; }

signals:
    // A model folder was chosen (the dialog accepts right after).
    void modelChosen(const QString &folder);

protected:
    void reject() override;

private:
    void onDownload();
    void onCancel();
    void onFilesListed(const QList<vltune::HubFile> &files, const QString &commit);
    void onFileProgress(int index, qint64 received, qint64 total);
    void onVerifyingPartial(int index, qint64 bytes);
    void onFileFinished(int index, bool cached);
    void onOverallProgress(qint64 received, qint64 total);
    void onFinished(const QString &snapshotDir);
    void onFailed(const QString &message);
    void choose(const QString &folder);
    void setBusy(bool busy);
    void loadHubSettings();
    // Remembers the endpoint (QSettings) and, if asked, the token (huggingface_hub's token file).
    // Returns "" or why the token could not be saved.
    QString saveHubSettings();

    QComboBox *m_repo;
    QLineEdit *m_token;
    QCheckBox *m_rememberToken;
    QLabel *m_tokenSource;
    QLineEdit *m_endpoint;
    QPushButton *m_downloadButton;
    QPushButton *m_cancelButton;
    QPushButton *m_useButton;
    QTreeWidget *m_files;
    QProgressBar *m_overall;
    QLabel *m_status;
    ModelLibrary *m_library;
    HubDownload *m_download;
    QString m_cacheRoot;
    QString m_downloaded;  // snapshot of the last finished download
    QString m_modelDir;
};

}  // namespace vltune
