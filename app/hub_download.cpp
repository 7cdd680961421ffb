// Engine headers before Qt's (house rule: Qt's macros break some of them).
#include "core/data/sha256.h"
#include "core/io/hf_cache.h"

#include "app/hub_download.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLocale>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QStorageInfo>
#include <QThread>

#include <filesystem>
#include <stop_token>

namespace fs = std::filesystem;

namespace vltune {

namespace {

std::string toStd(const QString &s) { return s.toStdString(); }

// The ETag as huggingface_hub reads it: X-Linked-Etag (LFS behind a redirect) else ETag, without
// quotes or the weak prefix.
QString etagOf(const QNetworkReply *reply)
{
    QString etag = QString::fromLatin1(reply->rawHeader("X-Linked-Etag"));
    if (etag.isEmpty())
        etag = QString::fromLatin1(reply->rawHeader("ETag"));
    if (etag.startsWith(QStringLiteral("W/")))
        etag = etag.mid(2);
    etag.remove(QLatin1Char('"'));
    // Only a plain hex id can name a blob file; anything else (a CDN's own tag) is not used.
    for (QChar c : etag)
        if (!c.isLetterOrNumber())
            return {};
    return etag;
}

QString sizeText(qint64 bytes) { return QLocale().formattedDataSize(bytes); }

}  // namespace

// The prefix of a partial file hashed on a worker thread; shared with it, so it outlives either side.
struct HubDownload::PartialHash
{
    QString path;           // the .incomplete file
    qint64 bytes = 0;       // how much of it to hash (what is on disk when the file starts)
    std::stop_source stop;  // asked when the download stops meanwhile
    data::Sha256 hasher;    // the state after `bytes`, continued by the transfer
    QString error;          // why the file could not be read; "" = fine

    void run()
    {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)) {
            error = file.errorString();
            return;
        }
        const std::stop_token token = stop.get_token();
        for (qint64 left = bytes; left > 0;) {
            if (token.stop_requested())
                return;
            const QByteArray chunk = file.read(qMin<qint64>(left, 1 << 20));
            if (chunk.isEmpty()) {
                error = file.error() != QFileDevice::NoError ? file.errorString()
                                                              : HubDownload::tr("it is shorter than expected");
                return;
            }
            hasher.update(chunk.constData(), size_t(chunk.size()));
            left -= chunk.size();
        }
    }
};

HubDownload::HubDownload(QObject *parent)
    : QObject(parent), m_network(new QNetworkAccessManager(this)), m_client(new HubClient(m_network, this))
{
    connect(m_client, &HubClient::repoInfoReady, this, &HubDownload::onRepoInfo);
    connect(m_client, &HubClient::failed, this, &HubDownload::fail);
}

HubDownload::~HubDownload()
{
    if (m_reply)
        m_reply->abort();
    if (m_partialHash)
        m_partialHash->stop.request_stop();
    if (m_hashThread) {
        // Stops within one 1 MiB chunk; its queued finished() dies with this object.
        m_hashThread->wait();
        delete m_hashThread;
    }
}

QString HubDownload::repoCacheDir() const { return m_repoDir; }

void HubDownload::start(const HubDownloadSettings &settings)
{
    if (m_running)
        return;
    if (m_hashThread)
        m_hashThread->wait();  // a stopped hashing of the partial file this run would reopen
    m_settings = settings;
    m_settings.repoId = m_settings.repoId.trimmed();
    m_cacheRoot = settings.cacheRoot.isEmpty() ? QString::fromStdString(io::hf_hub_cache_root().string())
                                               : settings.cacheRoot;
    m_repoDir = QString::fromStdString(io::repo_cache_dir(toStd(m_cacheRoot), toStd(m_settings.repoId)).string());
    m_running = true;
    m_cancelled = false;
    m_files.clear();
    m_index = -1;
    m_client->setEndpoint(settings.endpoint);
    m_client->setToken(settings.token);
    m_client->fetchRepoInfo(m_settings.repoId, m_settings.revision);
}

void HubDownload::cancel()
{
    if (!m_running)
        return;
    m_cancelled = true;
    if (m_reply)
        m_reply->abort();  // onReplyFinished reports it
    else
        fail(tr("Download cancelled."));
}

QString HubDownload::incompletePath(const HubFile &file) const
{
    QString key = !file.sha256.isEmpty() ? file.sha256 : file.blobId;
    if (key.isEmpty())  // hash unknown until downloaded: a stable name per commit and file, so it resumes
        key = QString::fromStdString(data::sha256_hex(toStd(m_commit + QLatin1Char('/') + file.name)));
    return QString::fromStdString(io::blob_path(toStd(m_repoDir), toStd(key)).string()) +
           QStringLiteral(".incomplete");
}

qint64 HubDownload::partialSize(const HubFile &file) const
{
    const QFileInfo info(incompletePath(file));
    return info.exists() ? info.size() : 0;
}

void HubDownload::onRepoInfo(const HubRepoInfo &info)
{
    if (!m_running)
        return;
    m_commit = info.commit;
    m_files = selectNeededFiles(info.files);
    bool hasConfig = false;
    for (const HubFile &f : m_files)
        hasConfig = hasConfig || f.name == QStringLiteral("config.json");
    if (!hasConfig) {
        fail(tr("%1 has no config.json at the top level: it is not a model vltune can load.").arg(info.repoId));
        return;
    }
    m_total = 0;
    for (const HubFile &f : m_files)
        m_total += qMax<qint64>(0, f.size);
    m_doneBytes = 0;
    emit filesListed(m_files, m_commit);
    if (!checkFreeSpace())
        return;
    QDir().mkpath(m_repoDir + QStringLiteral("/blobs"));
    startNextFile();
}

bool HubDownload::checkFreeSpace()
{
    qint64 needed = 0;
    for (const HubFile &f : m_files) {
        const QString hash = !f.sha256.isEmpty() ? f.sha256 : f.blobId;
        if (!hash.isEmpty() && QFileInfo::exists(QString::fromStdString(io::blob_path(toStd(m_repoDir), toStd(hash)).string())))
            continue;
        needed += qMax<qint64>(0, f.size - partialSize(f));
    }
    // QStorageInfo needs an existing path: the nearest existing folder above the cache.
    QDir dir(m_repoDir);
    while (!dir.exists() && dir.cdUp()) {
    }
    const QStorageInfo storage(dir.absolutePath());
    const qint64 available = storage.bytesAvailable();
    if (storage.isValid() && available >= 0 && available - m_settings.keepFreeBytes < needed) {
        fail(tr("Not enough disk space: %1 needs %2 more, but %3 has %4 free (keeping %5 spare). Free some "
                "space or set HF_HUB_CACHE to a bigger disk; what is already downloaded is kept.")
                 .arg(m_settings.repoId, sizeText(needed), storage.rootPath(), sizeText(available),
                      sizeText(m_settings.keepFreeBytes)));
        return false;
    }
    return true;
}

void HubDownload::startNextFile()
{
    ++m_index;
    if (m_index >= m_files.size()) {
        try {
            // A branch or tag name points at the commit, so the next offline load finds it.
            if (m_settings.revision != m_commit)
                io::write_ref(toStd(m_repoDir), toStd(m_settings.revision), toStd(m_commit));
        } catch (const std::exception &e) {
            fail(QString::fromStdString(e.what()));
            return;
        }
        m_running = false;
        emit overallProgress(m_total, m_total);
        emit finished(QString::fromStdString(io::snapshot_dir(toStd(m_repoDir), toStd(m_commit)).string()));
        return;
    }
    const HubFile &file = m_files[m_index];
    // A commit never changes: a file already in this snapshot is done (as in huggingface_hub).
    const QFileInfo linked(QString::fromStdString(
        (io::snapshot_dir(toStd(m_repoDir), toStd(m_commit)) / toStd(file.name)).string()));
    if (linked.exists() && (file.size < 0 || linked.size() == file.size)) {
        m_received = 0;
        m_doneBytes += qMax<qint64>(0, file.size);
        emit fileProgress(m_index, qMax<qint64>(0, file.size), file.size);
        emit fileFinished(m_index, true);
        emit overallProgress(m_doneBytes, m_total);
        startNextFile();
        return;
    }
    // Already in the cache (another revision or an earlier run shares the blob): only link it.
    const QString knownHash = !file.sha256.isEmpty() ? file.sha256 : file.blobId;
    if (!knownHash.isEmpty()) {
        const QFileInfo blob(QString::fromStdString(io::blob_path(toStd(m_repoDir), toStd(knownHash)).string()));
        if (blob.exists() && (file.size < 0 || blob.size() == file.size)) {
            m_received = 0;
            completeFile(knownHash);
            return;
        }
    }

    m_file = std::make_unique<QFile>(incompletePath(file));
    if (!m_file->open(QIODevice::ReadWrite)) {
        fail(tr("Cannot write %1: %2").arg(m_file->fileName(), m_file->errorString()));
        return;
    }
    m_received = m_file->size();
    m_firstChunk = true;
    m_writeError.clear();
    m_redirects = 0;
    if (m_received > 0) {
        // The kept prefix goes into the hash first, so the check covers the whole file.
        hashPartialThenRequest();
        return;
    }
    m_hasher = std::make_unique<data::Sha256>();
    requestFile();
}

void HubDownload::hashPartialThenRequest()
{
    auto job = std::make_shared<PartialHash>();
    job->path = m_file->fileName();
    job->bytes = m_received;
    m_partialHash = job;
    m_hasher.reset();
    emit fileProgress(m_index, m_received, m_files[m_index].size);
    QThread *thread = QThread::create([job] { job->run(); });
    m_hashThread = thread;
    connect(thread, &QThread::finished, this, [this, thread, job] {
        thread->deleteLater();
        if (m_hashThread == thread)
            m_hashThread = nullptr;
        if (m_partialHash != job)
            return;  // the download stopped meanwhile
        m_partialHash.reset();
        if (!job->error.isEmpty()) {
            fail(tr("Cannot read the partly downloaded %1 (%2) to check it: %3")
                     .arg(m_files[m_index].name, job->path, job->error));
            return;
        }
        m_hasher = std::make_unique<data::Sha256>(job->hasher);
        requestFile();
    });
    thread->start(QThread::LowPriority);
    // Last: a slot may stop the download right here.
    emit verifyingPartial(m_index, m_received);
}

void HubDownload::requestFile()
{
    const HubFile &file = m_files[m_index];
    m_file->seek(m_received);
    sendRequest(m_client->resolveUrl(m_settings.repoId, m_commit, file.name));
    emit fileProgress(m_index, m_received, file.size);
}

void HubDownload::sendRequest(const QUrl &url)
{
    QNetworkRequest request = m_client->request(url);
    // The Hub sends weights from a CDN on another host: the token stays with the Hub (as
    // huggingface_hub does), so redirects are followed here rather than by Qt.
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    const QUrl hub(m_client->endpoint());
    if (url.scheme() != hub.scheme() || url.host() != hub.host() || url.port() != hub.port())
        request.setRawHeader("Authorization", QByteArray());
    if (m_received > 0)
        request.setRawHeader("Range", "bytes=" + QByteArray::number(m_received) + '-');
    // Identity encoding: byte offsets in Range must be offsets of the file, not of a gzip stream.
    request.setRawHeader("Accept-Encoding", "identity");
    m_reply = m_network->get(request);
    connect(m_reply, &QNetworkReply::readyRead, this, &HubDownload::onReadyRead);
    // Queued: abort() from inside onReadyRead must not re-enter it through finished.
    connect(m_reply, &QNetworkReply::finished, this, &HubDownload::onReplyFinished, Qt::QueuedConnection);
}

void HubDownload::onReadyRead()
{
    if (!m_reply || !m_file || !m_writeError.isEmpty())
        return;
    const int status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status != 200 && status != 206)
        return;  // an error page: never written into the model file
    if (m_firstChunk) {
        m_firstChunk = false;
        if (status == 200 && m_received > 0) {
            // The server ignored Range and sends the whole file: start over.
            m_file->resize(0);
            m_file->seek(0);
            m_received = 0;
            m_hasher = std::make_unique<data::Sha256>();
        }
    }
    const QByteArray bytes = m_reply->readAll();
    if (bytes.isEmpty())
        return;
    if (m_file->write(bytes) != bytes.size() || !m_file->flush()) {
        m_writeError = tr("Could not write %1: %2. Is the disk full? The part already downloaded is kept; "
                          "free some space and press Download again to resume.")
                           .arg(m_file->fileName(), m_file->errorString());
        m_reply->abort();
        return;
    }
    m_hasher->update(bytes.constData(), size_t(bytes.size()));
    m_received += bytes.size();
    emit fileProgress(m_index, m_received, m_files[m_index].size);
    emit overallProgress(m_doneBytes + m_received, m_total);
}

void HubDownload::onReplyFinished()
{
    if (!m_reply)
        return;
    onReadyRead();  // what arrived with the last packet
    QNetworkReply *reply = m_reply;
    m_reply = nullptr;
    reply->deleteLater();
    const HubFile file = m_files[m_index];
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status >= 300 && status < 400 && status != 304 && reply->hasRawHeader("Location") && !m_cancelled) {
        if (++m_redirects > 5) {
            fail(tr("Too many redirects while downloading %1.").arg(file.name));
            return;
        }
        sendRequest(reply->url().resolved(QUrl::fromEncoded(reply->rawHeader("Location"))));
        return;
    }
    const QString keptNote = tr("The %1 already downloaded are kept; press Download again to resume.")
                                 .arg(sizeText(m_received));

    if (!m_writeError.isEmpty()) {
        fail(m_writeError);
        return;
    }
    if (m_cancelled) {
        fail(tr("Download cancelled. %1").arg(keptNote));
        return;
    }
    if (status == 416 && !(file.size >= 0 && m_received == file.size)) {
        // The kept part does not fit the file on the server (it changed?): only a restart helps.
        m_file->close();
        QFile::remove(m_file->fileName());
        fail(tr("The server refused to resume %1 (HTTP 416); the partial file was removed. Press Download "
                "again to fetch it from the start.")
                 .arg(file.name));
        return;
    }
    if (status == 401 || status == 403) {
        fail(tr("The Hub refused %1 (HTTP %2). A gated model needs an access token from an account that "
                "accepted its license.")
                 .arg(file.name)
                 .arg(status));
        return;
    }
    if (status != 416 && (reply->error() != QNetworkReply::NoError || status >= 400)) {
        const QString why = status >= 400 ? tr("HTTP %1").arg(status) : reply->errorString();
        fail(tr("Downloading %1 stopped: %2. %3").arg(file.name, why, keptNote));
        return;
    }
    if (file.size >= 0 && m_received < file.size) {
        fail(tr("The connection ended after %1 of %2 of %3. %4")
                 .arg(sizeText(m_received), sizeText(file.size), file.name, keptNote));
        return;
    }
    m_file->close();
    const QString actual = QString::fromStdString(m_hasher->finish_hex());
    const bool sizeWrong = file.size >= 0 && m_received != file.size;
    if (sizeWrong || (!file.sha256.isEmpty() && actual != file.sha256)) {
        // A corrupt file must not be resumed from: remove it so the next try starts clean.
        QFile::remove(m_file->fileName());
        fail(sizeWrong ? tr("%1 is corrupt: %2 bytes received, the Hub lists %3. It was removed; press Download "
                            "again.")
                             .arg(file.name)
                             .arg(m_received)
                             .arg(file.size)
                       : tr("%1 is corrupt: its sha256 is %2 but the Hub lists %3. It was removed and not put in "
                            "the model folder; press Download again.")
                             .arg(file.name, actual, file.sha256));
        return;
    }
    QString hash = !file.sha256.isEmpty() ? file.sha256 : file.blobId;
    if (hash.isEmpty())
        hash = etagOf(reply);
    if (hash.isEmpty())
        hash = actual;
    const QString blob = QString::fromStdString(io::blob_path(toStd(m_repoDir), toStd(hash)).string());
    QFile::remove(blob);  // rename does not replace on every platform
    if (!QFile::rename(m_file->fileName(), blob)) {
        fail(tr("Cannot move %1 to %2.").arg(m_file->fileName(), blob));
        return;
    }
    m_file.reset();
    completeFile(hash);
}

void HubDownload::completeFile(const QString &hash)
{
    const HubFile &file = m_files[m_index];
    try {
        io::link_snapshot_file(toStd(m_repoDir), toStd(m_commit), toStd(file.name), toStd(hash));
    } catch (const std::exception &e) {
        fail(QString::fromStdString(e.what()));
        return;
    }
    const bool cached = m_received == 0 && file.size != 0;
    m_doneBytes += qMax<qint64>(0, file.size);
    emit fileProgress(m_index, qMax<qint64>(0, file.size), file.size);
    emit fileFinished(m_index, cached);
    emit overallProgress(m_doneBytes, m_total);
    startNextFile();
}

void HubDownload::fail(const QString &message)
{
    if (m_reply) {
        QNetworkReply *reply = m_reply;
        m_reply = nullptr;
        reply->disconnect(this);
        reply->abort();
        reply->deleteLater();
    }
    if (m_partialHash) {
        m_partialHash->stop.request_stop();
        m_partialHash.reset();
    }
    if (m_file)
        m_file->close();  // flushed: the partial file stays for resuming
    m_file.reset();
    m_hasher.reset();
    const bool wasRunning = m_running;
    m_running = false;
    if (wasRunning)
        emit failed(message);
}

}  // namespace vltune
