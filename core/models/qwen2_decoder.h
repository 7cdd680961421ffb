#pragma once
// The Qwen2 language model of Qwen2-VL and Qwen2.5-VL (modeling_qwen2_vl.py Qwen2VLTextModel):
// embeddings, RMSNorm, attention with q/k/v bias and grouped-query heads, M-RoPE (the rotary
// frequencies split into t/h/w sections, each rotated by its own position axis), SwiGLU MLP.
// Modules are registered under the checkpoint's names (model.layers.N.self_attn.q_proj...).

#include <torch/torch.h>

#include "core/io/hf_config.h"
#include "core/models/blocks.h"
#include "core/models/kv_cache.h"

namespace vltune::models {

// cos/sin of the M-RoPE rotation for given 3-axis positions.
class MRopeImpl : public torch::nn::Module {
 public:
  MRopeImpl(int64_t head_dim, double theta, std::vector<int64_t> section);
  // position_ids: [3, B, T] -> (cos, sin): [B, 1, T, head_dim] each, in `dtype`
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& position_ids, torch::Dtype dtype);

 private:
  torch::Tensor m_inv_freq;  // [head_dim / 2]
  std::vector<int64_t> m_section;
};
TORCH_MODULE(MRope);

class Qwen2AttentionImpl : public torch::nn::Module {
 public:
  explicit Qwen2AttentionImpl(const io::TextDecoderConfig& config);
  // x: [B, T, hidden], cos/sin: [B, 1, T, D], mask: [B, 1, T, T_past + T] -> [B, T, hidden]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& mask, KvCache* cache, size_t layer);

  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};

 private:
  int64_t m_heads, m_kv_heads, m_head_dim;
};
TORCH_MODULE(Qwen2Attention);


class Qwen2DecoderLayerImpl : public torch::nn::Module {
 public:
  explicit Qwen2DecoderLayerImpl(const io::TextDecoderConfig& config);
  // x: [B, T, hidden] -> [B, T, hidden]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& mask, KvCache* cache, size_t layer);

  RMSNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
  Qwen2Attention self_attn{nullptr};
  GatedMlp mlp{nullptr};
};
TORCH_MODULE(Qwen2DecoderLayer);

class Qwen2ModelImpl : public torch::nn::Module {
 public:
  explicit Qwen2ModelImpl(const io::TextDecoderConfig& config);
  // inputs_embeds: [B, T, hidden], position_ids: [3, B, T], attention_mask: [B, T_past + T] of
  // 0/1 or undefined -> hidden states [B, T, hidden] (after the final norm)
  torch::Tensor forward(const torch::Tensor& inputs_embeds, const torch::Tensor& position_ids,
                        const torch::Tensor& attention_mask, KvCache* cache = nullptr);

  torch::nn::Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};
  RMSNorm norm{nullptr};
  MRope rotary{nullptr};
};
TORCH_MODULE(Qwen2Model);

}  // namespace vltune::models
