#pragma once
// The decoder-only language model of every VLM family here: the Qwen2 decoder of Qwen2-VL and
// Qwen2.5-VL (modeling_qwen2_vl.py Qwen2VLTextModel) and the Llama decoder of LLaVA-1.5 and
// SmolVLM (modeling_llama.py LlamaModel). Embeddings, RMSNorm, attention with grouped-query heads
// (q/k/v and o biases as the config says), rotary positions — M-RoPE when the config has an
// mrope_section (the frequencies split into t/h/w sections, each rotated by its own position
// axis), plain RoPE otherwise — and the SwiGLU MLP. Modules are registered under the checkpoint's
// names (layers.N.self_attn.q_proj...; the owner registers this as "model" or the like).

#include <memory>
#include <utility>

#include <torch/torch.h>

#include "core/io/hf_config.h"
#include "core/models/blocks.h"
#include "core/models/checkpointing.h"
#include "core/models/kv_cache.h"

namespace vltune::models {

class GraphedStack;  // graphed_stack.h

// cos/sin of the rotation: M-RoPE for 3-axis positions when `section` is given, RoPE otherwise.
class RotaryEmbeddingImpl : public torch::nn::Module {
 public:
  RotaryEmbeddingImpl(int64_t head_dim, double theta, std::vector<int64_t> section);
  // position_ids: [3, B, T] (M-RoPE) or [B, T] -> (cos, sin): [B, 1, T, head_dim] each, in `dtype`
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& position_ids, torch::Dtype dtype);

 private:
  torch::Tensor m_inv_freq;  // [head_dim / 2]
  std::vector<int64_t> m_section;
};
TORCH_MODULE(RotaryEmbedding);

class DecoderAttentionImpl : public torch::nn::Module {
 public:
  explicit DecoderAttentionImpl(const io::TextDecoderConfig& config);
  // x: [B, T, hidden], cos/sin: [B, 1, T, D], mask: [B, 1, T, T_past + T] -> [B, T, hidden]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& mask, KvCache* cache, size_t layer);

  lora::LoraLinear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};

 private:
  int64_t m_heads, m_kv_heads, m_head_dim;
};
TORCH_MODULE(DecoderAttention);


class DecoderLayerImpl : public torch::nn::Module {
 public:
  explicit DecoderLayerImpl(const io::TextDecoderConfig& config);
  // x: [B, T, hidden] -> [B, T, hidden]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& mask, KvCache* cache, size_t layer);
  // The same layer with its last residual add left to the caller, so that the add can run with
  // the next RMSNorm (the next layer's, or the final one) as one kernel (RMSNorm::forward_after_add):
  // the layer's input is x + pending (pending undefined: x alone), its output first + second.
  // x, pending: [B, T, hidden] -> ([B, T, hidden], [B, T, hidden])
  std::pair<torch::Tensor, torch::Tensor> forward_pending(const torch::Tensor& x, const torch::Tensor& pending,
                                                          const torch::Tensor& cos, const torch::Tensor& sin,
                                                          const torch::Tensor& mask, KvCache* cache, size_t layer);

  RMSNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
  DecoderAttention self_attn{nullptr};
  GatedMlp mlp{nullptr};
};
TORCH_MODULE(DecoderLayer);

// With set_gradient_checkpointing(true), each layer is checkpointed while training without a
// KV cache (LLaMA-Factory's default: transformers' gradient_checkpointing_enable).
class TextDecoderImpl : public torch::nn::Module, public CheckpointedStack {
 public:
  explicit TextDecoderImpl(const io::TextDecoderConfig& config);
  // inputs_embeds: [B, T, hidden], position_ids: [3, B, T] (M-RoPE) or [B, T], attention_mask: [B, T_past + T] of
  // 0/1 or undefined ([B, capacity] with a static cache), isolated_segments: [B, T] packed samples that attend
  // only to themselves (packed_rows.h; undefined: causal over each row; not with a cache)
  // -> hidden states [B, T, hidden] (after the final norm)
  torch::Tensor forward(const torch::Tensor& inputs_embeds, const torch::Tensor& position_ids,
                        const torch::Tensor& attention_mask, KvCache* cache = nullptr,
                        const torch::Tensor& isolated_segments = {});

  // Whether the last forward replayed the layers' CUDA graphs (graphed_stack.h).
  bool graphs_replayed() const;

  torch::nn::Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};
  RMSNorm norm{nullptr};
  RotaryEmbedding rotary{nullptr};

 private:
  // Training on CUDA (unless VLTUNE_TRAIN_GRAPHS=0; with checkpointing unless
  // VLTUNE_CHECKPOINT_GRAPHS=0 or offloaded): the layers and the final norm as replayed graphs.
  std::shared_ptr<GraphedStack> m_graphed;
};
TORCH_MODULE(TextDecoder);

}  // namespace vltune::models
