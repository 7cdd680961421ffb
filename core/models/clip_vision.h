#pragma once
// The CLIP transformer (modeling_clip.py): the encoder shared by CLIP's text and vision towers
// (pre-LayerNorm blocks: layer_norm1 -> self_attn with q/k/v/out_proj biases -> residual,
// layer_norm2 -> mlp fc1/act/fc2 -> residual) and the vision transformer of CLIP and of LLaVA-1.5's
// vision tower (CLIPVisionTransformer: patch conv + class token + learned position embeddings,
// pre_layrnorm, the encoder, post_layernorm on the class token). Modules are registered under
// the checkpoint's names (embeddings.patch_embedding, encoder.layers.N.self_attn.q_proj, ...,
// pre_layrnorm [sic], post_layernorm); the owner registers the tower as "vision_model",
// "vision_tower" or the like.

#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/io/hf_config.h"
#include "core/lora/lora_linear.h"
#include "core/models/checkpointing.h"

namespace vltune::models {

// One CLIP encoder's sizes (text or vision).
struct ClipEncoderOptions {
  int64_t hidden_size = 768;             // block width
  int64_t intermediate_size = 3072;      // MLP width
  int64_t num_hidden_layers = 12;        // blocks
  int64_t num_attention_heads = 12;      // attention heads (hidden_size divides by it)
  std::string hidden_act = "quick_gelu"; // MLP activation
  double layer_norm_eps = 1e-5;          // LayerNorm epsilon
};

ClipEncoderOptions clip_encoder_options(const io::VisionTransformerConfig& config);
ClipEncoderOptions clip_encoder_options(const io::ClipTextConfig& config);

class ClipAttentionImpl : public torch::nn::Module {
 public:
  explicit ClipAttentionImpl(const ClipEncoderOptions& options);
  // x: [B, T, hidden], mask: additive [B, 1, T, T] or undefined -> [B, T, hidden]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask);

  lora::LoraLinear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};

 private:
  int64_t m_heads, m_head_dim;
};
TORCH_MODULE(ClipAttention);

class ClipMlpImpl : public torch::nn::Module {
 public:
  explicit ClipMlpImpl(const ClipEncoderOptions& options);
  // x: [..., hidden] -> [..., hidden]
  torch::Tensor forward(const torch::Tensor& x);

  lora::LoraLinear fc1{nullptr}, fc2{nullptr};

 private:
  std::string m_act;
};
TORCH_MODULE(ClipMlp);

class ClipEncoderLayerImpl : public torch::nn::Module {
 public:
  explicit ClipEncoderLayerImpl(const ClipEncoderOptions& options);
  // x: [B, T, hidden] -> [B, T, hidden]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask);

  torch::nn::LayerNorm layer_norm1{nullptr}, layer_norm2{nullptr};
  ClipAttention self_attn{nullptr};
  ClipMlp mlp{nullptr};
};
TORCH_MODULE(ClipEncoderLayer);

// With set_gradient_checkpointing(true), each layer is checkpointed while training.
class ClipEncoderImpl : public torch::nn::Module, public CheckpointedStack {
 public:
  explicit ClipEncoderImpl(const ClipEncoderOptions& options);
  // x: [B, T, hidden], mask: additive [B, 1, T, T] or undefined. Returns the hidden states as
  // transformers' output_hidden_states does: [0] = the input, [i] = after layer i; the last one
  // when `all` is false (only it, as a one-element vector). Each [B, T, hidden].
  std::vector<torch::Tensor> forward(const torch::Tensor& x, const torch::Tensor& mask, bool all = false);

  torch::nn::ModuleList layers{nullptr};
};
TORCH_MODULE(ClipEncoder);

class ClipVisionEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit ClipVisionEmbeddingsImpl(const io::VisionTransformerConfig& config);
  // pixel_values: [N, C, image_size, image_size] -> [N, 1 + patches, hidden]
  torch::Tensor forward(const torch::Tensor& pixel_values);

  torch::Tensor class_embedding;                 // [hidden]
  torch::nn::Conv2d patch_embedding{nullptr};    // C -> hidden, kernel = stride = patch_size, no bias
  torch::nn::Embedding position_embedding{nullptr};  // [1 + patches, hidden]

 private:
  int64_t m_image_size;
};
TORCH_MODULE(ClipVisionEmbeddings);

// What the vision transformer returns.
struct ClipVisionOutput {
  torch::Tensor last_hidden_state;           // [N, 1 + patches, hidden] (before post_layernorm)
  torch::Tensor pooled;                      // [N, hidden]: post_layernorm of the class token
  std::vector<torch::Tensor> hidden_states;  // with all_hidden_states: [0] after pre_layrnorm, [i] after layer i
};

class ClipVisionTransformerImpl : public torch::nn::Module {
 public:
  explicit ClipVisionTransformerImpl(const io::VisionTransformerConfig& config);
  // pixel_values: [N, C, H, W] (H = W = image_size). hidden_states filled when asked.
  ClipVisionOutput forward(const torch::Tensor& pixel_values, bool all_hidden_states = false);

  ClipVisionEmbeddings embeddings{nullptr};
  torch::nn::LayerNorm pre_layrnorm{nullptr};  // sic: the checkpoint's name
  ClipEncoder encoder{nullptr};
  torch::nn::LayerNorm post_layernorm{nullptr};
};
TORCH_MODULE(ClipVisionTransformer);

}  // namespace vltune::models
