#pragma once
// What the Chat page asks a CLIP model: "which of these captions fits this image" and "which image
// of this folder fits this caption", scored by the base model and with the adapter on one loaded
// model (core/gen/clip_retrieval.h). The jobs run on the chat worker thread and answer with value
// types; the header holds no LibTorch so that Qt-only code can include it.

#include <QImage>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace vltune {

namespace lora {
class LoraModel;
}
namespace data {
class SampleEncoder;
}

// One candidate's scores. Probabilities are the softmax over the candidates (CLIPModel's).
struct RetrievalRow
{
    QString text;             // the caption, or the image file's path
    double baseProb = 0;      // 0..1, the base model (no adapter)
    double adaptedProb = 0;   // 0..1, with the adapter (= baseProb when there is none)
    double baseLogit = 0;     // exp(logit_scale) * cosine, the base model
    double adaptedLogit = 0;  // the same with the adapter
    QImage thumbnail;         // images for a caption: a small preview (null for captions)
};

// The answer to one retrieval question; rows in the order the candidates were given.
struct RetrievalResult
{
    bool imagesForCaption = false;  // false: captions scored for an image; true: images ranked for a caption
    QString query;                  // the image file, or the caption
    QString adapterLabel;           // the adapter compared with the base ("" = base only)
    QList<RetrievalRow> rows;       // one per candidate
};

// Longest side of RetrievalRow::thumbnail, in pixels.
inline constexpr int kRetrievalThumbnailSize = 72;

// Scores `captions` (one per entry, blank ones refused with their number) against `image`. With
// `adapter` non-empty (a name the model has) base and adapted are scored on the same model, its
// active adapters restored after. Throws vltune::Error naming a missing or unreadable image.
RetrievalResult scoreCaptionsJob(lora::LoraModel &model, const data::SampleEncoder &encoder, const QString &adapter,
                                 const QString &image, const QStringList &captions);

// Ranks the images directly in `folder` (sorted by name) for `caption`; each row gets a thumbnail.
// Throws vltune::Error naming the folder when it holds no image.
RetrievalResult rankImagesJob(lora::LoraModel &model, const data::SampleEncoder &encoder, const QString &adapter,
                              const QString &caption, const QString &folder);

} // namespace vltune

Q_DECLARE_METATYPE(vltune::RetrievalResult)
