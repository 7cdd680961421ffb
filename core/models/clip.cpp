#include "core/models/clip.h"

#include "core/error.h"
#include "core/lora/linear_init.h"
#include "core/io/checkpoint.h"
#include "core/models/blocks.h"
#include "core/models/family_layout.h"
#include "core/models/weight_loader.h"

namespace vltune::models {

ClipTextEmbeddingsImpl::ClipTextEmbeddingsImpl(const io::ClipTextConfig& c) {
  token_embedding = register_module("token_embedding", torch::nn::Embedding(c.vocab_size, c.hidden_size));
  position_embedding = register_module("position_embedding", torch::nn::Embedding(c.max_position_embeddings, c.hidden_size));
}

torch::Tensor ClipTextEmbeddingsImpl::forward(const torch::Tensor& input_ids) {
  const int64_t t = input_ids.size(1);
  if (t > position_embedding->weight.size(0))
    throw Error("CLIP text: " + std::to_string(t) + " tokens, the model has positions for " +
                std::to_string(position_embedding->weight.size(0)));
  // [B, T, hidden] + [1, T, hidden]
  return token_embedding(input_ids) + position_embedding->weight.narrow(0, 0, t).unsqueeze(0);
}

ClipTextTransformerImpl::ClipTextTransformerImpl(const io::ClipTextConfig& c) : m_eos_token_id(c.eos_token_id) {
  embeddings = register_module("embeddings", ClipTextEmbeddings(c));
  encoder = register_module("encoder", ClipEncoder(clip_encoder_options(c)));
  final_layer_norm = register_module("final_layer_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps)));
}

torch::Tensor ClipTextTransformerImpl::forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask) {
  const auto b = input_ids.size(0), t = input_ids.size(1);
  auto h = embeddings(input_ids);  // [B, T, hidden]
  auto mask = causal_mask(attention_mask, b, t, /*past=*/0, h.scalar_type(), h.device());  // [B, 1, T, T]
  h = final_layer_norm(encoder(h, mask).back());
  // The end-of-text position per row: [B]
  torch::Tensor eos;
  if (m_eos_token_id == 2)
    eos = input_ids.to(torch::kInt).argmax(/*dim=*/-1);  // legacy configs: the EOT token has the largest id
  else
    eos = (input_ids == m_eos_token_id).to(torch::kInt).argmax(/*dim=*/-1);  // the first eos_token_id
  return h.index({torch::arange(b, input_ids.options().dtype(torch::kLong)), eos.to(torch::kLong)});  // [B, hidden]
}

ClipModelImpl::ClipModelImpl(const io::ModelConfig& config) {
  const io::ClipConfig& c = config.clip();
  text_model = register_module("text_model", ClipTextTransformer(c.text));
  vision_model = register_module("vision_model", ClipVisionTransformer(c.vision));
  using torch::nn::LinearOptions;
  visual_projection = register_module("visual_projection", lora::LoraLinear(LinearOptions(c.vision.hidden_size, c.projection_dim).bias(false)));
  text_projection = register_module("text_projection", lora::LoraLinear(LinearOptions(c.text.hidden_size, c.projection_dim).bias(false)));
  logit_scale = register_parameter("logit_scale", torch::full({}, c.logit_scale_init_value));
}

torch::Tensor ClipModelImpl::text_features(const torch::Tensor& input_ids, const torch::Tensor& attention_mask) {
  return text_projection(text_model(input_ids, attention_mask));
}

torch::Tensor ClipModelImpl::image_features(const torch::Tensor& pixel_values) {
  return visual_projection(vision_model(pixel_values).pooled);
}

ClipOutput ClipModelImpl::forward(const ClipInputs& inputs) {
  ClipOutput out;
  auto image = image_features(inputs.pixel_values);                   // [N, D]
  auto text = text_features(inputs.input_ids, inputs.attention_mask);  // [B, D]
  out.image_embeds = image / image.norm(2, /*dim=*/-1, /*keepdim=*/true);
  out.text_embeds = text / text.norm(2, /*dim=*/-1, /*keepdim=*/true);
  out.logits_per_text = torch::matmul(out.text_embeds, out.image_embeds.t().to(out.text_embeds.device())) *
                        logit_scale.exp().to(out.text_embeds.device());  // [B, N]
  out.logits_per_image = out.logits_per_text.t();                       // [N, B]
  return out;
}

torch::Tensor clip_contrastive_loss(const torch::Tensor& logits_per_text) {
  const auto logits = logits_per_text.to(torch::kFloat32);
  if (logits.dim() != 2 || logits.size(0) != logits.size(1))
    throw Error("the contrastive loss needs as many texts as images, got " + c10::str(logits.sizes()));
  auto targets = torch::arange(logits.size(0), logits.options().dtype(torch::kLong));
  namespace F = torch::nn::functional;
  return (F::cross_entropy(logits, targets) + F::cross_entropy(logits.t(), targets)) / 2.0;
}

ClipModel load_clip(const std::filesystem::path& folder, torch::Dtype dtype) {
  const io::ModelConfig config = io::read_model_config(folder);
  ClipModel model{nullptr};
  {
    lora::SkipLinearInit no_init;  // every linear weight comes from the checkpoint
    model = ClipModel(config);
  }
  const io::Checkpoint checkpoint = io::Checkpoint::open(folder);
  WeightLoadOptions options;
  options.dtype = dtype;
  // openai/clip-* checkpoints carry the embeddings' position_ids buffers.
  options.ignored_prefixes = {"text_model.embeddings.position_ids", "vision_model.embeddings.position_ids"};
  options.renames = checkpoint_renames(family_layout(io::ModelFamily::clip));
  load_weights(*model, checkpoint, options);
  model->eval();
  return model;
}

}  // namespace vltune::models
