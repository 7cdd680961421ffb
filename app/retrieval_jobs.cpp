// The engine first: Qt's `slots` and `signals` macros would break LibTorch's headers.
#include "core/data/sample_encoder.h"
#include "core/gen/clip_retrieval.h"
#include "core/lora/lora_model.h"

#include "app/retrieval_jobs.h"

#include <QImageReader>

namespace vltune {

namespace {

// Runs `job` on the base model, and with `adapter` when one is named.
template <typename Job>
gen::BaseAndAdapted<gen::ClipScores> baseAndAdapted(lora::LoraModel &model, const QString &adapter, Job &&job)
{
    if (adapter.isEmpty()) {
        auto base = job();
        return {base, base};
    }
    return gen::base_and_adapted(model, {adapter.toStdString()}, job);
}

// probs [K] and logits [K] of base and adapted into rows, in candidate order.
QList<RetrievalRow> rowsOf(const torch::Tensor &baseProbs, const torch::Tensor &adaptedProbs, const torch::Tensor &baseLogits,
                           const torch::Tensor &adaptedLogits, const QStringList &texts)
{
    const auto bp = baseProbs.to(torch::kDouble).contiguous(), ap = adaptedProbs.to(torch::kDouble).contiguous();
    const auto bl = baseLogits.to(torch::kDouble).contiguous(), al = adaptedLogits.to(torch::kDouble).contiguous();
    QList<RetrievalRow> rows;
    for (qsizetype i = 0; i < texts.size(); ++i) {
        RetrievalRow r;
        r.text = texts[i];
        r.baseProb = bp.data_ptr<double>()[i];
        r.adaptedProb = ap.data_ptr<double>()[i];
        r.baseLogit = bl.data_ptr<double>()[i];
        r.adaptedLogit = al.data_ptr<double>()[i];
        rows << r;
    }
    return rows;
}

QImage thumbnailOf(const QString &path)
{
    QImageReader reader(path);
    reader.setAutoTransform(true);
    const QSize size = reader.size();
    if (size.isValid())
        reader.setScaledSize(size.scaled(kRetrievalThumbnailSize, kRetrievalThumbnailSize, Qt::KeepAspectRatio));
    return reader.read();
}

} // namespace

RetrievalResult scoreCaptionsJob(lora::LoraModel &model, const data::SampleEncoder &encoder, const QString &adapter,
                                 const QString &image, const QStringList &captions)
{
    std::vector<std::string> texts;
    for (const QString &c : captions)
        texts.push_back(c.toStdString());
    const std::filesystem::path file = image.toStdString();
    const auto scores = baseAndAdapted(model, adapter, [&] { return gen::score_image_captions(model, encoder, file, texts); });
    RetrievalResult result;
    result.query = image;
    result.adapterLabel = adapter;
    result.rows = rowsOf(scores.base.probs_per_image[0], scores.adapted.probs_per_image[0], scores.base.logits_per_image[0],
                         scores.adapted.logits_per_image[0], captions);
    return result;
}

RetrievalResult rankImagesJob(lora::LoraModel &model, const data::SampleEncoder &encoder, const QString &adapter,
                              const QString &caption, const QString &folder)
{
    const auto images = gen::list_images(folder.toStdString());
    const std::string text = caption.toStdString();
    const auto scores = baseAndAdapted(model, adapter, [&] { return gen::score_caption_images(model, encoder, text, images); });
    QStringList paths;
    for (const auto &p : images)
        paths << QString::fromStdString(p.string());
    RetrievalResult result;
    result.imagesForCaption = true;
    result.query = caption;
    result.adapterLabel = adapter;
    result.rows = rowsOf(scores.base.probs_per_text[0], scores.adapted.probs_per_text[0], scores.base.logits_per_image.select(1, 0),
                         scores.adapted.logits_per_image.select(1, 0), paths);
    for (RetrievalRow &r : result.rows)
        r.thumbnail = thumbnailOf(r.text);
    return result;
}

} // namespace vltune
