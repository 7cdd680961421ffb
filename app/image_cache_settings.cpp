// core before Qt: LibTorch's headers must come first.
#include "core/data/image_cache.h"

#include "app/image_cache_settings.h"

#include <QDir>
#include <QSettings>

namespace vltune {

namespace {

const QString kEnabledKey = QStringLiteral("imageCache/enabled");
const QString kDirKey = QStringLiteral("imageCache/dir");
const QString kMaxKey = QStringLiteral("imageCache/maxGiB");
constexpr double kMaxGiBLimit = 1e6;  // beyond any disk; guards against a hand-edited value

}  // namespace

QString ImageCacheSettings::folder() const
{
    return dir.isEmpty() ? defaultFolder() : dir;
}

qint64 ImageCacheSettings::maxBytes() const
{
    return static_cast<qint64>(maxGiB * static_cast<double>(qint64(1) << 30));
}

QString ImageCacheSettings::defaultFolder()
{
    return QString::fromStdString(data::default_image_cache_dir().string());
}

ImageCacheSettings ImageCacheSettings::load()
{
    const QSettings settings;
    ImageCacheSettings s;
    s.enabled = settings.value(kEnabledKey, s.enabled).toBool();
    s.dir = settings.value(kDirKey).toString();
    bool ok = false;
    const double max = settings.value(kMaxKey, s.maxGiB).toDouble(&ok);
    if (ok && max >= 0 && max < kMaxGiBLimit)
        s.maxGiB = max;
    return s;
}

void ImageCacheSettings::save() const
{
    QSettings settings;
    settings.setValue(kEnabledKey, enabled);
    // The default is stored as "" so that it follows XDG_CACHE_HOME.
    if (dir.isEmpty() || QDir::cleanPath(dir) == QDir::cleanPath(defaultFolder()))
        settings.remove(kDirKey);
    else
        settings.setValue(kDirKey, dir);
    settings.setValue(kMaxKey, maxGiB);
}

}  // namespace vltune
