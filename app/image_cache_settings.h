#pragma once
// Where and how much training keeps prepared images (core/data/image_cache.h), as the user set it
// in File > Image Cache; kept in QSettings (group "imageCache"). The default is vltune-cli's:
// on, in $XDG_CACHE_HOME/vltune/images (else ~/.cache/vltune/images), up to 20 GiB.

#include <QString>

namespace vltune {

struct ImageCacheSettings
{
    bool enabled = true;  // keep prepared training images between epochs and runs
    QString dir;          // the folder; "" = defaultFolder()
    double maxGiB = 20;   // the folder's size cap in GiB (0: none)

    // The folder runs use: dir, else defaultFolder().
    QString folder() const;
    // The cap in bytes, as the training job takes it.
    qint64 maxBytes() const;

    // The engine's default folder ("" when neither XDG_CACHE_HOME nor HOME is set).
    static QString defaultFolder();
    // The saved settings (defaults where nothing was saved or a value is out of range).
    static ImageCacheSettings load();
    void save() const;
};

}  // namespace vltune
