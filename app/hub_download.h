#pragma once
// Downloading a Hub repository into the huggingface_hub cache, file by file, the way
// huggingface_hub does it: blobs/<hash>.incomplete grows (resumed with an HTTP Range request after
// a dropped connection or a restart), is checked (size, and the sha256 the Hub gives for LFS
// files), then renamed to blobs/<hash> and linked from snapshots/<commit>/<file>; refs/main is
// written last. Runs on the GUI thread: Qt Network is asynchronous, and the hashing is done as the
// bytes arrive; only the part kept from an earlier try is hashed on a worker thread before the
// transfer resumes (gigabytes of it would freeze the window for seconds).

#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>

#include <memory>

#include "app/hub_client.h"

class QFile;
class QNetworkAccessManager;
class QNetworkReply;
class QThread;
class QUrl;

namespace vltune {

namespace data { class Sha256; }

// What to download and where.
struct HubDownloadSettings
{
    QString repoId;                        // "org/name"
    QString revision = QStringLiteral("main");  // branch, tag or commit
    QString endpoint;                      // "" = $HF_ENDPOINT or https://huggingface.co
    QString token;                         // "" = anonymous
    QString cacheRoot;                     // "" = the huggingface_hub cache (HF_HUB_CACHE, HF_HOME, ~/.cache)
    qint64 keepFreeBytes = 256ll << 20;    // refuse to start when the download would leave less free
};

class HubDownload final : public QObject
{
    Q_OBJECT

public:
    explicit HubDownload(QObject *parent = nullptr);
    ~HubDownload() override;

    // Starts (or resumes) the download; filesListed(), progress, then finished() or failed().
    void start(const HubDownloadSettings &settings);
    // Stops the transfer; the partial file is kept so the next start resumes.
    void cancel();
    bool isRunning() const { return m_running; }

    // The cache folder of the repository (models--org--name).
    QString repoCacheDir() const;

signals:
    // The files that will be fetched, in order; indexes below refer to this list.
    void filesListed(const QList<vltune::HubFile> &files, const QString &commit);
    void fileProgress(int index, qint64 received, qint64 total);
    // The `bytes` kept from an earlier try of file `index` are being hashed before it resumes.
    void verifyingPartial(int index, qint64 bytes);
    // The file is in the snapshot (`cached`: it was already there, nothing was downloaded).
    void fileFinished(int index, bool cached);
    void overallProgress(qint64 received, qint64 total);
    // Every file is in place: `snapshotDir` is the model folder to open.
    void finished(const QString &snapshotDir);
    // What went wrong and what the user can do; the partial state is kept for resuming.
    void failed(const QString &message);

private:
    void onRepoInfo(const HubRepoInfo &info);
    void startNextFile();
    void hashPartialThenRequest();
    void requestFile();
    void sendRequest(const QUrl &url);
    void onReadyRead();
    void onReplyFinished();
    bool checkFreeSpace();
    void completeFile(const QString &hash);
    void fail(const QString &message);
    qint64 partialSize(const HubFile &file) const;
    QString incompletePath(const HubFile &file) const;

    QNetworkAccessManager *m_network;
    HubClient *m_client;
    HubDownloadSettings m_settings;
    QString m_cacheRoot;
    QString m_repoDir;
    QString m_commit;
    QList<HubFile> m_files;
    int m_index = -1;
    int m_redirects = 0;    // hops followed for the current file
    qint64 m_total = 0;     // bytes of all files
    qint64 m_doneBytes = 0; // bytes of the files already finished
    qint64 m_received = 0;  // bytes of the current file on disk (resumed prefix included)
    bool m_running = false;
    bool m_cancelled = false;
    bool m_firstChunk = true;
    QString m_writeError;
    QPointer<QNetworkReply> m_reply;
    std::unique_ptr<QFile> m_file;
    std::unique_ptr<data::Sha256> m_hasher;
    struct PartialHash;
    std::shared_ptr<PartialHash> m_partialHash;  // the hashing whose result is awaited; null when none
    QThread *m_hashThread = nullptr;             // the worker still running (maybe a stopped one)
};

}  // namespace vltune
