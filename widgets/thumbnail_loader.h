#pragma once
// Thumbnails decoded off the GUI thread: QImageReader with a scaled size (JPEG decodes at the
// reduced size directly) on a small thread pool, kept in a QCache keyed by path. Only what is
// asked for is decoded, most recent request first; when more requests wait than a few screens
// hold, the oldest are dropped (the user has scrolled past them), and cancelPending() drops all
// that have not started (after a jump).

#include <QCache>
#include <QHash>
#include <QImage>
#include <QObject>
#include <QSet>
#include <QSize>
#include <QString>
#include <QThreadPool>

#include <deque>

namespace vltune {

// `path` decoded to fit in `box` (aspect kept, EXIF orientation applied): the decoder scales when
// the header gives the size (JPEG: cheaply), else the decoded image is scaled down. A null image
// when the file cannot be read. Any thread.
QImage decodeThumbnail(const QString &path, QSize box);

class ThumbnailLoader final : public QObject
{
    Q_OBJECT

public:
    // Thumbnails fit in `size`; the cache holds about `cacheMegabytes` of them.
    explicit ThumbnailLoader(QSize size = QSize(128, 128), int cacheMegabytes = 256, QObject *parent = nullptr);
    ~ThumbnailLoader() override;

    QSize thumbnailSize() const { return m_size; }

    // The thumbnail of `path` when it is cached (a null image when the file could not be read);
    // otherwise a null image, with a decode queued: thumbnailReady() answers. `ready` says which.
    QImage thumbnail(const QString &path, bool *ready = nullptr);
    // Drops the decodes that have not started.
    void cancelPending();
    // At most this many decodes wait; beyond it the oldest requests are dropped.
    void setMaxPending(int count) { m_maxPending = count; }

    int decodesStarted() const { return m_started; }   // decodes handed to the pool so far
    int requestsQueued() const { return m_requested; } // paths queued for decoding so far
    int pendingCount() const { return static_cast<int>(m_queue.size()); }
    bool isIdle() const { return m_queue.empty() && m_running.isEmpty(); }

signals:
    void thumbnailReady(const QString &path);

private:
    void startNext();
    void decoded(const QString &path, const QImage &image);

    QSize m_size;
    QThreadPool m_pool;
    QCache<QString, QImage> m_cache;  // a null image: unreadable (not retried)
    std::deque<QString> m_queue;      // waiting, newest at the back
    QSet<QString> m_queued;
    QSet<QString> m_running;
    int m_maxPending = 300;
    int m_started = 0;
    int m_requested = 0;
};

} // namespace vltune
