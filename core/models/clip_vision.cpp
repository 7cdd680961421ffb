#include "core/models/clip_vision.h"

#include <cmath>

#include "core/error.h"
#include "core/models/blocks.h"

namespace vltune::models {

namespace {

torch::nn::LayerNorm layer_norm(int64_t dim, double eps) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(eps));
}

}  // namespace

ClipEncoderOptions clip_encoder_options(const io::VisionTransformerConfig& c) {
  return {c.hidden_size, c.intermediate_size, c.num_hidden_layers, c.num_attention_heads, c.hidden_act, c.layer_norm_eps};
}

ClipEncoderOptions clip_encoder_options(const io::ClipTextConfig& c) {
  return {c.hidden_size, c.intermediate_size, c.num_hidden_layers, c.num_attention_heads, c.hidden_act, c.layer_norm_eps};
}

ClipAttentionImpl::ClipAttentionImpl(const ClipEncoderOptions& o)
    : m_heads(o.num_attention_heads), m_head_dim(o.hidden_size / o.num_attention_heads) {
  if (m_heads <= 0 || m_head_dim * m_heads != o.hidden_size)
    throw FormatError("CLIP attention: hidden_size " + std::to_string(o.hidden_size) + " does not divide into " +
                      std::to_string(o.num_attention_heads) + " heads");
  using torch::nn::LinearOptions;
  q_proj = register_module("q_proj", lora::LoraLinear(LinearOptions(o.hidden_size, o.hidden_size).bias(true)));
  k_proj = register_module("k_proj", lora::LoraLinear(LinearOptions(o.hidden_size, o.hidden_size).bias(true)));
  v_proj = register_module("v_proj", lora::LoraLinear(LinearOptions(o.hidden_size, o.hidden_size).bias(true)));
  out_proj = register_module("out_proj", lora::LoraLinear(LinearOptions(o.hidden_size, o.hidden_size).bias(true)));
}

torch::Tensor ClipAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& mask) {
  const auto b = x.size(0), t = x.size(1);
  // [B, T, H * D] -> [B, H, T, D]
  auto q = q_proj(x).view({b, t, m_heads, m_head_dim}).transpose(1, 2);
  auto k = k_proj(x).view({b, t, m_heads, m_head_dim}).transpose(1, 2);
  auto v = v_proj(x).view({b, t, m_heads, m_head_dim}).transpose(1, 2);
  auto out = attention(q, k, v, mask, 1.0 / std::sqrt(static_cast<double>(m_head_dim)));
  // [B, H, T, D] -> [B, T, H * D]
  return out_proj(out.transpose(1, 2).reshape({b, t, m_heads * m_head_dim}));
}

ClipMlpImpl::ClipMlpImpl(const ClipEncoderOptions& o) : m_act(o.hidden_act) {
  check_activation(m_act, "CLIP MLP");
  fc1 = register_module("fc1", lora::LoraLinear(o.hidden_size, o.intermediate_size));
  fc2 = register_module("fc2", lora::LoraLinear(o.intermediate_size, o.hidden_size));
}

torch::Tensor ClipMlpImpl::forward(const torch::Tensor& x) { return fc2(activation(m_act, fc1(x))); }

ClipEncoderLayerImpl::ClipEncoderLayerImpl(const ClipEncoderOptions& o) {
  self_attn = register_module("self_attn", ClipAttention(o));
  layer_norm1 = register_module("layer_norm1", layer_norm(o.hidden_size, o.layer_norm_eps));
  mlp = register_module("mlp", ClipMlp(o));
  layer_norm2 = register_module("layer_norm2", layer_norm(o.hidden_size, o.layer_norm_eps));
}

torch::Tensor ClipEncoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& mask) {
  auto h = x + self_attn(layer_norm1(x), mask);
  return h + mlp(layer_norm2(h));
}

ClipEncoderImpl::ClipEncoderImpl(const ClipEncoderOptions& o) {
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.num_hidden_layers; ++i) layers->push_back(ClipEncoderLayer(o));
}

std::vector<torch::Tensor> ClipEncoderImpl::forward(const torch::Tensor& x, const torch::Tensor& mask, bool all) {
  std::vector<torch::Tensor> states;
  if (all) states.push_back(x);
  auto h = x;
  const bool checkpointed = checkpoint_blocks(is_training());
  for (size_t i = 0; i < layers->size(); ++i) {
    auto layer = layers->ptr<ClipEncoderLayerImpl>(i);
    // The mask is captured, not an input: it may be undefined and needs no gradient.
    if (checkpointed)
      h = checkpoint([layer, mask](const torch::Tensor& in) { return layer->forward(in, mask); }, h, trainable_tensors(*layer),
                     checkpoint_options());
    else
      h = layer->forward(h, mask);  // [B, T, hidden]
    if (all) states.push_back(h);
  }
  if (!all) states.push_back(h);
  return states;
}

ClipVisionEmbeddingsImpl::ClipVisionEmbeddingsImpl(const io::VisionTransformerConfig& c) : m_image_size(c.image_size) {
  if (c.patch_size <= 0 || c.image_size % c.patch_size != 0)
    throw FormatError("CLIP vision: image_size " + std::to_string(c.image_size) + " is not a multiple of patch_size " +
                      std::to_string(c.patch_size));
  const int64_t patches = (c.image_size / c.patch_size) * (c.image_size / c.patch_size);
  class_embedding = register_parameter("class_embedding", torch::zeros({c.hidden_size}));
  patch_embedding = register_module(
      "patch_embedding",
      torch::nn::Conv2d(torch::nn::Conv2dOptions(c.num_channels, c.hidden_size, c.patch_size).stride(c.patch_size).bias(false)));
  position_embedding = register_module("position_embedding", torch::nn::Embedding(patches + 1, c.hidden_size));
}

torch::Tensor ClipVisionEmbeddingsImpl::forward(const torch::Tensor& pixel_values) {
  if (pixel_values.dim() != 4 || pixel_values.size(2) != m_image_size || pixel_values.size(3) != m_image_size)
    throw Error("CLIP vision: pixel_values should be [N, C, " + std::to_string(m_image_size) + ", " +
                std::to_string(m_image_size) + "], got " + c10::str(pixel_values.sizes()));
  const auto n = pixel_values.size(0);
  const auto weight = patch_embedding->weight;
  // [N, C, H, W] -> [N, hidden, H/P, W/P] -> [N, patches, hidden]
  auto patches = patch_embedding(pixel_values.to(weight.device(), weight.scalar_type())).flatten(2).transpose(1, 2);
  auto cls = class_embedding.view({1, 1, -1}).expand({n, 1, class_embedding.size(0)});  // [N, 1, hidden]
  auto h = torch::cat({cls, patches}, /*dim=*/1);                                        // [N, 1 + patches, hidden]
  return h + position_embedding->weight.unsqueeze(0);
}

ClipVisionTransformerImpl::ClipVisionTransformerImpl(const io::VisionTransformerConfig& c) {
  embeddings = register_module("embeddings", ClipVisionEmbeddings(c));
  pre_layrnorm = register_module("pre_layrnorm", layer_norm(c.hidden_size, c.layer_norm_eps));
  encoder = register_module("encoder", ClipEncoder(clip_encoder_options(c)));
  post_layernorm = register_module("post_layernorm", layer_norm(c.hidden_size, c.layer_norm_eps));
}

ClipVisionOutput ClipVisionTransformerImpl::forward(const torch::Tensor& pixel_values, bool all_hidden_states) {
  auto h = pre_layrnorm(embeddings(pixel_values));  // [N, 1 + patches, hidden]
  ClipVisionOutput out;
  auto states = encoder(h, torch::Tensor(), all_hidden_states);
  out.last_hidden_state = states.back();
  out.pooled = post_layernorm(out.last_hidden_state.select(/*dim=*/1, /*index=*/0));  // [N, hidden]
  if (all_hidden_states) out.hidden_states = std::move(states);
  return out;
}

}  // namespace vltune::models
