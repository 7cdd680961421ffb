#pragma once
// CLIP, the contrastive model (clip/modeling_clip.py CLIPModel): a text transformer (token +
// learned position embeddings, causal and padding mask, final_layer_norm, the hidden state at the
// end-of-text token as the pooled output), the vision transformer (clip_vision.h), the bias-free
// text_projection / visual_projection, and logit_scale. Registered under the checkpoint's names:
// text_model.*, vision_model.*, text_projection.weight, visual_projection.weight, logit_scale.

#include <filesystem>

#include <torch/torch.h>

#include "core/io/hf_config.h"
#include "core/models/clip_vision.h"

namespace vltune::models {

struct ClipInputs {
  torch::Tensor input_ids;       // [B, T] int64 texts (padded)
  torch::Tensor attention_mask;  // [B, T] 0/1 (undefined: all ones)
  torch::Tensor pixel_values;    // [N, C, H, W] float images
};

struct ClipOutput {
  torch::Tensor logits_per_image;  // [N, B] = logits_per_text^T
  torch::Tensor logits_per_text;   // [B, N] = exp(logit_scale) * text_embeds @ image_embeds^T
  torch::Tensor text_embeds;       // [B, projection_dim], L2-normalised
  torch::Tensor image_embeds;      // [N, projection_dim], L2-normalised
};

class ClipTextEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit ClipTextEmbeddingsImpl(const io::ClipTextConfig& config);
  // input_ids: [B, T] -> [B, T, hidden] (token + position 0..T-1)
  torch::Tensor forward(const torch::Tensor& input_ids);

  torch::nn::Embedding token_embedding{nullptr}, position_embedding{nullptr};
};
TORCH_MODULE(ClipTextEmbeddings);

class ClipTextTransformerImpl : public torch::nn::Module {
 public:
  explicit ClipTextTransformerImpl(const io::ClipTextConfig& config);
  // input_ids: [B, T], attention_mask: [B, T] 0/1 or undefined -> pooled [B, hidden]: the
  // final-normed state at each row's end-of-text token (legacy eos_token_id 2: at the largest id;
  // otherwise: at the first eos_token_id).
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask);

  ClipTextEmbeddings embeddings{nullptr};
  ClipEncoder encoder{nullptr};
  torch::nn::LayerNorm final_layer_norm{nullptr};

 private:
  int64_t m_eos_token_id;
};
TORCH_MODULE(ClipTextTransformer);

class ClipModelImpl : public torch::nn::Module {
 public:
  explicit ClipModelImpl(const io::ModelConfig& config);

  // Projected, not normalised. -> [B, projection_dim]
  torch::Tensor text_features(const torch::Tensor& input_ids, const torch::Tensor& attention_mask);
  // Projected, not normalised. -> [N, projection_dim]
  torch::Tensor image_features(const torch::Tensor& pixel_values);

  ClipOutput forward(const ClipInputs& inputs);

  ClipTextTransformer text_model{nullptr};
  ClipVisionTransformer vision_model{nullptr};
  lora::LoraLinear visual_projection{nullptr}, text_projection{nullptr};
  torch::Tensor logit_scale;  // [] log of the temperature's inverse
};
TORCH_MODULE(ClipModel);

// CLIP's symmetric contrastive loss: the mean of the cross-entropies of logits_per_text [B, B]
// against 0..B-1 along rows and along columns (transformers' clip_loss). -> scalar float32
torch::Tensor clip_contrastive_loss(const torch::Tensor& logits_per_text);

// Loads config.json and the weights of a CLIP checkpoint folder into a model on the CPU with its
// parameters in `dtype`.
// Throws FileError / FormatError naming the folder, the file and the tensor.
ClipModel load_clip(const std::filesystem::path& folder, torch::Dtype dtype = torch::kFloat32);

}  // namespace vltune::models
