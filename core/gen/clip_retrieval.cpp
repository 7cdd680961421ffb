#include "core/gen/clip_retrieval.h"

#include <algorithm>
#include <cctype>
#include <variant>

#include "core/data/readers/image_paths.h"
#include "core/io/hf_config.h"
#include "core/models/clip.h"

namespace vltune::gen {

namespace fs = std::filesystem;

namespace {

// Eval mode (no dropout) and no autograd while scoring; the caller's mode (training, between
// steps) comes back after, as LoraModel::generate_greedy does.
class EvalScope {
 public:
  explicit EvalScope(torch::nn::Module& module) : m_module(module), m_was_training(module.is_training()) { module.eval(); }
  ~EvalScope() { m_module.train(m_was_training); }
  EvalScope(const EvalScope&) = delete;
  EvalScope& operator=(const EvalScope&) = delete;

 private:
  torch::nn::Module& m_module;
  bool m_was_training;
  torch::NoGradGuard m_no_grad;
};

models::ClipModel& clip_of(lora::LoraModel& model) {
  auto* clip = std::get_if<models::ClipModel>(&model.model());
  if (!clip)
    throw Error("retrieval needs a CLIP model; " + model.folder().string() + " is a " +
                std::string(io::model_family_name(model.family())) + " model");
  return *clip;
}

void check(const RetrievalParams& params) {
  if (params.batch_size <= 0) throw Error("retrieval batch_size must be positive, got " + std::to_string(params.batch_size));
  for (int64_t k : params.ks)
    if (k <= 0) throw Error("recall@k: k must be positive, got " + std::to_string(k));
}

// x: [rows, D] -> float32 rows of unit length on the CPU (CLIPModel's normalisation).
torch::Tensor normalised(const torch::Tensor& x) {
  const auto f = x.to(torch::kCPU, torch::kFloat32);
  return f / f.norm(2, /*dim=*/-1, /*keepdim=*/true);
}

// One batch of texts, right-padded as collate() pads them. -> [B, D] unnormalised
torch::Tensor text_batch_features(models::ClipModel& clip, std::span<const std::vector<text::TokenId>> texts,
                                  text::TokenId pad_id, torch::Device device) {
  size_t longest = 0;
  for (const auto& t : texts) longest = std::max(longest, t.size());
  const auto b = static_cast<int64_t>(texts.size()), t = static_cast<int64_t>(longest);
  auto ids = torch::full({b, t}, static_cast<int64_t>(pad_id), torch::kLong);  // [B, T]
  auto mask = torch::zeros({b, t}, torch::kLong);                              // [B, T] 1 on tokens
  auto ia = ids.accessor<int64_t, 2>();
  auto ma = mask.accessor<int64_t, 2>();
  for (int64_t i = 0; i < b; ++i)
    for (size_t j = 0; j < texts[i].size(); ++j) {
      ia[i][static_cast<int64_t>(j)] = texts[i][j];
      ma[i][static_cast<int64_t>(j)] = 1;
    }
  return clip->text_features(ids.to(device), mask.to(device));
}

// Image files, loaded and embedded batch by batch (a folder may not fit in memory as pixels).
torch::Tensor embed_image_files(lora::LoraModel& model, const data::SampleEncoder& encoder,
                                const std::vector<fs::path>& images, const RetrievalParams& params) {
  std::vector<torch::Tensor> parts;
  for (size_t start = 0; start < images.size(); start += static_cast<size_t>(params.batch_size)) {
    const size_t end = std::min(images.size(), start + static_cast<size_t>(params.batch_size));
    std::vector<torch::Tensor> pixels;
    for (size_t i = start; i < end; ++i) {
      if (!fs::is_regular_file(images[i])) throw FileError("image file not found: " + images[i].string());
      pixels.push_back(encoder.load_image(images[i], images[i].string()).pixel_values);  // [1, C, H, W]
    }
    parts.push_back(embed_images(model, torch::cat(pixels, 0), params));
  }
  return torch::cat(parts, 0);  // [N, D]
}

std::vector<std::vector<text::TokenId>> caption_ids(const data::SampleEncoder& encoder,
                                                    const std::vector<std::string>& captions) {
  std::vector<std::vector<text::TokenId>> out;
  out.reserve(captions.size());
  for (size_t i = 0; i < captions.size(); ++i)
    out.push_back(clip_caption_ids(encoder, captions[i], "caption " + std::to_string(i + 1)));
  return out;
}

bool blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}

}  // namespace

ActiveAdaptersGuard::~ActiveAdaptersGuard() {
  try {
    m_model.set_active_adapters(m_saved);
  } catch (...) {
    // An adapter removed while the guard lived cannot come back; a destructor must not throw.
  }
}

std::vector<text::TokenId> clip_caption_ids(const data::SampleEncoder& encoder, const std::string& caption,
                                            const std::string& label) {
  if (encoder.family() != io::ModelFamily::clip)
    throw Error("captions are encoded for CLIP; this encoder is for a " + std::string(io::model_family_name(encoder.family())) +
                " model");
  if (blank(caption)) throw Error(label + " is empty");
  std::vector<text::TokenId> ids = encoder.tokenizer().encode(caption, /*add_special=*/true);
  // As SampleEncoder::encode_clip (and transformers' truncation): the end token stays last, where
  // CLIP pools.
  const auto max = static_cast<size_t>(encoder.config().clip().text.max_position_embeddings);
  if (ids.size() > max && max >= 2) {
    const text::TokenId last = ids.back();
    ids.resize(max - 1);
    ids.push_back(last);
  }
  return ids;
}

torch::Tensor embed_texts(lora::LoraModel& model, std::span<const std::vector<text::TokenId>> texts, text::TokenId pad_id,
                          const RetrievalParams& params) {
  check(params);
  models::ClipModel& clip = clip_of(model);
  if (texts.empty()) throw Error("no text to embed");
  for (size_t i = 0; i < texts.size(); ++i)
    if (texts[i].empty()) throw Error("text " + std::to_string(i + 1) + " has no token");
  EvalScope eval(model.module());
  std::vector<torch::Tensor> parts;
  const auto step = static_cast<size_t>(params.batch_size);
  for (size_t start = 0; start < texts.size(); start += step)
    parts.push_back(normalised(text_batch_features(clip, texts.subspan(start, std::min(step, texts.size() - start)), pad_id,
                                                   model.device())));
  return torch::cat(parts, 0);  // [B, D]
}

torch::Tensor embed_images(lora::LoraModel& model, const torch::Tensor& pixel_values, const RetrievalParams& params) {
  check(params);
  models::ClipModel& clip = clip_of(model);
  if (!pixel_values.defined() || pixel_values.dim() != 4 || pixel_values.size(0) == 0)
    throw Error("images to embed must be [N, C, H, W] with N > 0");
  EvalScope eval(model.module());
  std::vector<torch::Tensor> parts;
  for (int64_t start = 0; start < pixel_values.size(0); start += params.batch_size) {
    const int64_t n = std::min(params.batch_size, pixel_values.size(0) - start);
    parts.push_back(normalised(clip->image_features(pixel_values.narrow(0, start, n).to(model.device()))));
  }
  return torch::cat(parts, 0);  // [N, D]
}

ClipScores scores_from_embeddings(lora::LoraModel& model, const torch::Tensor& image_embeds, const torch::Tensor& text_embeds) {
  models::ClipModel& clip = clip_of(model);
  torch::NoGradGuard no_grad;
  const auto scale = clip->logit_scale.detach().to(torch::kCPU, torch::kFloat32).exp();
  ClipScores out;
  // CLIPModel's order of operations: texts against images, scaled, then transposed.
  const auto per_text = torch::matmul(text_embeds.to(torch::kFloat32), image_embeds.to(torch::kFloat32).t()) * scale;  // [B, N]
  out.logits_per_image = per_text.t().contiguous();                                          // [N, B]
  out.probs_per_image = torch::softmax(out.logits_per_image, /*dim=*/1);                      // [N, B]
  out.probs_per_text = torch::softmax(per_text, /*dim=*/1).contiguous();                     // [B, N]
  return out;
}

ClipScores score_encoded(lora::LoraModel& model, std::span<const std::vector<text::TokenId>> texts, text::TokenId pad_id,
                         const torch::Tensor& pixel_values, const RetrievalParams& params) {
  const auto text = embed_texts(model, texts, pad_id, params);
  const auto image = embed_images(model, pixel_values, params);
  return scores_from_embeddings(model, image, text);
}

ClipScores score_image_captions(lora::LoraModel& model, const data::SampleEncoder& encoder, const fs::path& image,
                                const std::vector<std::string>& captions, const RetrievalParams& params) {
  check(params);
  clip_of(model);
  if (captions.empty()) throw Error("no caption to score " + image.string() + " against");
  const auto ids = caption_ids(encoder, captions);
  const auto image_embeds = embed_image_files(model, encoder, {image}, params);  // [1, D]
  return scores_from_embeddings(model, image_embeds, embed_texts(model, ids, encoder.pad_id(), params));
}

ClipScores score_caption_images(lora::LoraModel& model, const data::SampleEncoder& encoder, const std::string& caption,
                                const std::vector<fs::path>& images, const RetrievalParams& params) {
  check(params);
  clip_of(model);
  if (images.empty()) throw Error("no image to score the caption \"" + caption + "\" against");
  const std::vector<std::vector<text::TokenId>> ids{clip_caption_ids(encoder, caption, "the caption")};
  const auto text_embeds = embed_texts(model, ids, encoder.pad_id(), params);  // [1, D]
  return scores_from_embeddings(model, embed_image_files(model, encoder, images, params), text_embeds);
}

std::vector<fs::path> list_images(const fs::path& folder) {
  if (!fs::is_directory(folder)) throw FileError("image folder not found: " + folder.string());
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.is_regular_file() && data::is_image_extension(entry.path().extension().string())) out.push_back(entry.path());
  if (out.empty()) throw FileError(folder.string() + ": no image files in this folder");
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<RecallAtK> recall_at_k(const torch::Tensor& logits_per_image, const std::vector<int64_t>& ks) {
  if (!logits_per_image.defined() || logits_per_image.dim() != 2 || logits_per_image.size(0) != logits_per_image.size(1) ||
      logits_per_image.size(0) == 0)
    throw Error("recall@k needs a non-empty square similarity matrix (row i matching column i)");
  const auto s = logits_per_image.to(torch::kCPU, torch::kFloat32);  // [N, N]
  const int64_t n = s.size(0);
  const auto others = torch::eye(n, torch::kBool).logical_not();
  // Per query: how many other candidates score >= its match (ties count against it). A NaN match
  // beats nothing: it counts as ranked last.
  auto ahead = [&](const torch::Tensor& rows) {  // rows: [N queries, N candidates] -> [N]
    const auto match = rows.diagonal().unsqueeze(1);  // [N, 1]
    const auto count = (rows.ge(match) & others).sum(/*dim=*/1);
    return torch::where(match.squeeze(1).isnan(), torch::full_like(count, n), count);
  };
  const auto i2t = ahead(s), t2i = ahead(s.t());
  std::vector<RecallAtK> out;
  for (int64_t k : ks) {
    if (k <= 0) throw Error("recall@k: k must be positive, got " + std::to_string(k));
    RecallAtK r;
    r.k = k;
    r.image_to_text = i2t.lt(k).to(torch::kDouble).mean().item<double>();
    r.text_to_image = t2i.lt(k).to(torch::kDouble).mean().item<double>();
    out.push_back(r);
  }
  return out;
}

RetrievalReport evaluate_retrieval(lora::LoraModel& model, const data::SampleEncoder& encoder,
                                   std::span<const data::Record> records, const RetrievalParams& params,
                                   const RetrievalProgress& progress) {
  check(params);
  clip_of(model);
  if (records.empty()) throw Error("no captioned image to evaluate retrieval on");
  const auto total = static_cast<int64_t>(records.size());
  std::vector<torch::Tensor> texts, images;
  for (int64_t start = 0; start < total; start += params.batch_size) {
    const int64_t end = std::min(total, start + params.batch_size);
    std::vector<std::vector<text::TokenId>> ids;
    std::vector<torch::Tensor> pixels;
    for (int64_t i = start; i < end; ++i) {
      // The training encoding: the same caption ids and pixels the trainer's batches hold.
      data::EncodedExample ex = encoder.encode(records[static_cast<size_t>(i)], i);
      ids.push_back(std::move(ex.input_ids));
      pixels.push_back(ex.pixel_values);  // [1, C, H, W]
    }
    texts.push_back(embed_texts(model, ids, encoder.pad_id(), params));
    images.push_back(embed_images(model, torch::cat(pixels, 0), params));
    if (progress) progress(end, total);
  }
  RetrievalReport report;
  report.pairs = total;
  report.logits_per_image = scores_from_embeddings(model, torch::cat(images, 0), torch::cat(texts, 0)).logits_per_image;
  report.recall = recall_at_k(report.logits_per_image, params.ks);
  return report;
}

}  // namespace vltune::gen
