#include "widgets/thumbnail_loader.h"

#include <QImageReader>
#include <QThread>

#include <algorithm>

namespace vltune {

QImage decodeThumbnail(const QString &path, QSize box)
{
    QImageReader reader(path);
    reader.setAutoTransform(true);
    QSize size = reader.size();
    if (size.isValid()) {
        size.scale(box, Qt::KeepAspectRatio);
        reader.setScaledSize(size.expandedTo(QSize(1, 1)));  // the decoder scales (JPEG: cheaply)
    }
    QImage image = reader.read();
    if (image.isNull())
        return image;
    if (image.width() > box.width() || image.height() > box.height())  // no size in the header
        image = image.scaled(box, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    return image.convertToFormat(QImage::Format_ARGB32_Premultiplied);
}

ThumbnailLoader::ThumbnailLoader(QSize size, int cacheMegabytes, QObject *parent)
    : QObject(parent)
    , m_size(size)
{
    // Leave a core for the GUI and the engine's worker.
    m_pool.setMaxThreadCount(std::clamp(QThread::idealThreadCount() - 1, 1, 4));
    m_cache.setMaxCost(std::max(1, cacheMegabytes) * 1024);  // cost: KiB
}

ThumbnailLoader::~ThumbnailLoader()
{
    m_queue.clear();
    m_pool.waitForDone();  // no decode may post to a deleted loader
}

QImage ThumbnailLoader::thumbnail(const QString &path, bool *ready)
{
    if (const QImage *cached = m_cache.object(path)) {
        if (ready)
            *ready = true;
        return *cached;
    }
    if (ready)
        *ready = false;
    if (path.isEmpty() || m_queued.contains(path) || m_running.contains(path))
        return {};
    m_queue.push_back(path);
    m_queued.insert(path);
    ++m_requested;
    while (static_cast<int>(m_queue.size()) > m_maxPending) {
        m_queued.remove(m_queue.front());
        m_queue.pop_front();
    }
    startNext();
    return {};
}

void ThumbnailLoader::cancelPending()
{
    m_queue.clear();
    m_queued.clear();
}

void ThumbnailLoader::startNext()
{
    // The pool's own queue would keep stale requests: hand it only what it can run now.
    while (!m_queue.empty() && m_running.size() < m_pool.maxThreadCount()) {
        const QString path = m_queue.back();  // the newest request: what is on screen now
        m_queue.pop_back();
        m_queued.remove(path);
        m_running.insert(path);
        ++m_started;
        const QSize box = m_size;
        m_pool.start([this, path, box] {
            const QImage image = decodeThumbnail(path, box);
            QMetaObject::invokeMethod(this, [this, path, image] { decoded(path, image); }, Qt::QueuedConnection);
        });
    }
}

void ThumbnailLoader::decoded(const QString &path, const QImage &image)
{
    m_running.remove(path);
    m_cache.insert(path, new QImage(image), std::max<qsizetype>(1, image.sizeInBytes() / 1024));
    emit thumbnailReady(path);
    startNext();
}

} // namespace vltune
