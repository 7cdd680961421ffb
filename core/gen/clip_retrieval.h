#pragma once
// What "chat" means for CLIP: retrieval. A contrastive model answers "which caption fits this
// image" and "which image fits this caption" with transformers' CLIPModel arithmetic:
//   logits_per_image[n][b] = exp(logit_scale) * cos(image_embeds[n], text_embeds[b])
// and softmax probabilities over the candidates; over a captioned dataset it reports recall@k
// both ways. Everything runs on a lora::LoraModel as it is (its active adapters), in eval mode
// without autograd, the training mode restored after. base_and_adapted() runs a job twice on ONE
// loaded model, without any adapter and with the named ones, restoring the active adapters.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "core/data/dataset.h"
#include "core/data/sample_encoder.h"
#include "core/error.h"
#include "core/lora/lora_model.h"
#include "core/text/tokenizer.h"

namespace vltune::gen {

// How retrieval embeds its inputs.
struct RetrievalParams {
  int64_t batch_size = 32;            // texts or images per forward pass when embedding a set (> 0)
  std::vector<int64_t> ks = {1, 5, 10};  // recall@k is reported for each k, in this order (each > 0)
};

// Scores of a set of images against a set of texts. float32, on the CPU.
struct ClipScores {
  torch::Tensor logits_per_image;  // [N, B]: exp(logit_scale) * cosine of image n and text b (CLIPModel's)
  torch::Tensor probs_per_image;   // [N, B]: softmax over the texts (dim 1): which caption fits image n
  torch::Tensor probs_per_text;    // [B, N]: softmax over the images (dim 1): which image fits text b
};

// One k of recall@k. Ties count against the match: a query's correct candidate is within the
// top k only when fewer than k OTHER candidates score greater than or equal to it (so a model
// that scores everything alike has recall@k = 0 for k < N, never a lucky 1).
struct RecallAtK {
  int64_t k = 1;               // the k
  double image_to_text = 0.0;  // fraction of images whose own caption is within the top k captions
  double text_to_image = 0.0;  // fraction of captions whose own image is within the top k images
};

// Retrieval over N captioned images (row i's match is column i).
struct RetrievalReport {
  int64_t pairs = 0;               // N
  std::vector<RecallAtK> recall;   // one per RetrievalParams::ks, in that order (k >= N gives 1)
  torch::Tensor logits_per_image;  // [N, N] float32 on the CPU: image i (rows) against caption j
};

// Two runs of one job: the base model (no adapter active) and the adapted one.
template <typename R>
struct BaseAndAdapted {
  R base;     // with no adapter active
  R adapted;  // with the named adapters active
};

// Called after each embedding batch of evaluate_retrieval: (pairs embedded, pairs in all).
using RetrievalProgress = std::function<void(int64_t done, int64_t total)>;

// Restores a model's active adapters when it goes out of scope, however the scope is left.
class ActiveAdaptersGuard {
 public:
  explicit ActiveAdaptersGuard(lora::LoraModel& model) : m_model(model), m_saved(model.active_adapters()) {}
  ~ActiveAdaptersGuard();
  ActiveAdaptersGuard(const ActiveAdaptersGuard&) = delete;
  ActiveAdaptersGuard& operator=(const ActiveAdaptersGuard&) = delete;

 private:
  lora::LoraModel& m_model;
  std::vector<std::string> m_saved;
};

// --- embedding and scoring encoded inputs -------------------------------------------------------

// Token ids of one caption exactly as SampleEncoder::encode makes a CLIP caption: start and end
// tokens, cut to max_position_embeddings keeping the end token. Throws vltune::Error for a blank
// caption (naming it by `label`) or a non-CLIP encoder.
std::vector<text::TokenId> clip_caption_ids(const data::SampleEncoder& encoder, const std::string& caption,
                                            const std::string& label);

// texts: B id lists (start/end tokens included), padded with pad_id per batch -> [B, D]
// L2-normalised text embeddings, float32 on the CPU. Throws vltune::Error for an empty text or a
// non-CLIP model.
torch::Tensor embed_texts(lora::LoraModel& model, std::span<const std::vector<text::TokenId>> texts,
                          text::TokenId pad_id, const RetrievalParams& params = {});

// pixel_values: [N, C, H, W] float32 (the CLIP processor's) -> [N, D] L2-normalised image
// embeddings, float32 on the CPU.
torch::Tensor embed_images(lora::LoraModel& model, const torch::Tensor& pixel_values, const RetrievalParams& params = {});

// image_embeds [N, D], text_embeds [B, D] (normalised) -> ClipScores with the model's logit_scale.
ClipScores scores_from_embeddings(lora::LoraModel& model, const torch::Tensor& image_embeds, const torch::Tensor& text_embeds);

// embed_texts + embed_images + scores_from_embeddings: B encoded texts against N images.
ClipScores score_encoded(lora::LoraModel& model, std::span<const std::vector<text::TokenId>> texts, text::TokenId pad_id,
                         const torch::Tensor& pixel_values, const RetrievalParams& params = {});

// --- what a user asks -----------------------------------------------------------------------------

// One image file against B captions -> logits_per_image [1, B], probs_per_image [1, B] (over the
// captions). Throws vltune::Error when there is no caption or one is blank, FileError naming a
// missing image file, FormatError naming an unreadable one.
ClipScores score_image_captions(lora::LoraModel& model, const data::SampleEncoder& encoder,
                                const std::filesystem::path& image, const std::vector<std::string>& captions,
                                const RetrievalParams& params = {});

// One caption against N image files -> logits_per_image [N, 1], probs_per_text [1, N] (over the
// images). Throws as score_image_captions does (no image, a blank caption, a missing file).
ClipScores score_caption_images(lora::LoraModel& model, const data::SampleEncoder& encoder, const std::string& caption,
                                const std::vector<std::filesystem::path>& images, const RetrievalParams& params = {});

// The image files directly in `folder` (not nested) that the image reader takes, sorted by name.
// Throws FileError naming the folder when it is not one or holds no image.
std::vector<std::filesystem::path> list_images(const std::filesystem::path& folder);

// --- recall over a dataset ------------------------------------------------------------------------

// recall@k of a square similarity matrix whose row i matches column i (see RecallAtK for ties),
// for each k of `ks`. logits_per_image: [N, N]. Throws vltune::Error when it is not square and
// non-empty, or a k is not positive.
std::vector<RecallAtK> recall_at_k(const torch::Tensor& logits_per_image, const std::vector<int64_t>& ks);

// Embeds every record's caption and its one image through `encoder` (the training encoding),
// batch by batch, and reports recall@k both ways. Throws vltune::Error for no record, or what
// SampleEncoder::encode throws for a record (its message starts with the record's "file row N").
RetrievalReport evaluate_retrieval(lora::LoraModel& model, const data::SampleEncoder& encoder,
                                   std::span<const data::Record> records, const RetrievalParams& params = {},
                                   const RetrievalProgress& progress = {});

// --- base against adapted -------------------------------------------------------------------------

// Runs `job()` with no adapter active, then with `adapters` active, on the same model; the model's
// active adapters are what they were afterwards, also when a job throws. Throws vltune::Error when
// `adapters` is empty (there would be nothing to compare) or names an adapter the model lacks.
template <typename Job>
auto base_and_adapted(lora::LoraModel& model, const std::vector<std::string>& adapters, Job&& job)
    -> BaseAndAdapted<decltype(job())> {
  if (adapters.empty()) throw Error("base against adapted: no adapter named to compare with the base model");
  ActiveAdaptersGuard guard(model);
  model.set_active_adapters(adapters);  // first, so that an unknown name fails before any work
  model.set_active_adapters({});
  auto base = job();
  model.set_active_adapters(adapters);
  auto adapted = job();
  return {std::move(base), std::move(adapted)};
}

}  // namespace vltune::gen
