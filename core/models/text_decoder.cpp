#include "core/models/text_decoder.h"

#include <cmath>
#include <optional>
#include <tuple>

#include "core/error.h"
#include "core/lora/adapter_state.h"
#include "core/models/graphed_stack.h"
#include "core/models/merged_products.h"
#include "core/models/packed_rows.h"

namespace vltune::models {

RotaryEmbeddingImpl::RotaryEmbeddingImpl(int64_t head_dim, double theta, std::vector<int64_t> section) : m_section(std::move(section)) {
  // inv_freq = 1 / theta^(2i / head_dim), computed in float32 as the reference does.
  auto exponent = torch::arange(0, head_dim, 2, torch::kLong).to(torch::kFloat32) / static_cast<double>(head_dim);
  m_inv_freq = register_buffer("inv_freq", 1.0 / torch::pow(theta, exponent));
  int64_t sum = 0;
  for (int64_t s : m_section) sum += s;
  if (!m_section.empty() && sum != head_dim / 2)
    throw FormatError("mrope_section sums to " + std::to_string(sum) + ", head_dim / 2 is " + std::to_string(head_dim / 2));
}

std::pair<torch::Tensor, torch::Tensor> RotaryEmbeddingImpl::forward(const torch::Tensor& position_ids, torch::Dtype dtype) {
  // freqs: [3, B, T, D/2] = position * inv_freq
  if (m_section.empty()) {
    // Plain RoPE: [B, T] -> [B, T, D/2]
    const auto positions = position_ids.dim() == 3 ? position_ids[0] : position_ids;
    auto freqs = positions.to(torch::kFloat32).unsqueeze(-1) * m_inv_freq.to(position_ids.device());
    auto emb = torch::cat({freqs, freqs}, /*dim=*/-1);  // [B, T, D]
    return {emb.cos().unsqueeze(1).to(dtype), emb.sin().unsqueeze(1).to(dtype)};
  }
  auto freqs = position_ids.to(torch::kFloat32).unsqueeze(-1) * m_inv_freq.to(position_ids.device());
  auto emb = torch::cat({freqs, freqs}, /*dim=*/-1);  // [3, B, T, D]
  auto cos = emb.cos(), sin = emb.sin();
  // Section i of the (doubled) frequency axis takes its values from position axis i % 3.
  std::vector<torch::Tensor> cos_parts, sin_parts;
  int64_t offset = 0;
  for (int repeat = 0; repeat < 2; ++repeat) {
    for (size_t i = 0; i < m_section.size(); ++i) {
      cos_parts.push_back(cos[static_cast<int64_t>(i % 3)].narrow(-1, offset, m_section[i]));
      sin_parts.push_back(sin[static_cast<int64_t>(i % 3)].narrow(-1, offset, m_section[i]));
      offset += m_section[i];
    }
  }
  // [B, T, D] -> [B, 1, T, D]
  return {torch::cat(cos_parts, -1).unsqueeze(1).to(dtype), torch::cat(sin_parts, -1).unsqueeze(1).to(dtype)};
}

DecoderAttentionImpl::DecoderAttentionImpl(const io::TextDecoderConfig& c)
    : m_heads(c.num_attention_heads), m_kv_heads(c.num_key_value_heads), m_head_dim(c.head_dim) {
  using torch::nn::LinearOptions;
  q_proj = register_module("q_proj", lora::LoraLinear(LinearOptions(c.hidden_size, m_heads * m_head_dim).bias(c.qkv_bias)));
  k_proj = register_module("k_proj", lora::LoraLinear(LinearOptions(c.hidden_size, m_kv_heads * m_head_dim).bias(c.qkv_bias)));
  v_proj = register_module("v_proj", lora::LoraLinear(LinearOptions(c.hidden_size, m_kv_heads * m_head_dim).bias(c.qkv_bias)));
  o_proj = register_module("o_proj", lora::LoraLinear(LinearOptions(m_heads * m_head_dim, c.hidden_size).bias(c.o_proj_bias)));
}

torch::Tensor DecoderAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                          const torch::Tensor& mask, KvCache* cache, size_t layer) {
  const auto b = x.size(0), t = x.size(1);
  torch::Tensor q, k, v;
  if (const auto qkv = stacked_linear(x, {q_proj.get(), k_proj.get(), v_proj.get()})) {
    // A decode step: q, k and v from one product, q's and k's heads rotated together
    // (core/models/merged_products.h). [B, 1, (H + 2 KV) * D] -> [B, H + 2 KV, 1, D]
    const auto heads = qkv->view({b, t, m_heads + 2 * m_kv_heads, m_head_dim}).transpose(1, 2);
    const auto qk = apply_rotary(heads.narrow(1, 0, m_heads + m_kv_heads), cos, sin);  // [B, H + KV, 1, D]
    q = qk.narrow(1, 0, m_heads);
    k = qk.narrow(1, m_heads, m_kv_heads);
    v = heads.narrow(1, m_heads + m_kv_heads, m_kv_heads);
  } else {
    // [B, T, H * D] -> [B, H, T, D]
    q = apply_rotary(q_proj(x).view({b, t, m_heads, m_head_dim}).transpose(1, 2), cos, sin);
    k = apply_rotary(k_proj(x).view({b, t, m_kv_heads, m_head_dim}).transpose(1, 2), cos, sin);
    v = v_proj(x).view({b, t, m_kv_heads, m_head_dim}).transpose(1, 2);
  }
  if (cache) std::tie(k, v) = cache->append(layer, k, v);
  auto out = grouped_attention(q, k, v, mask, 1.0 / std::sqrt(static_cast<double>(m_head_dim)));
  // [B, H, T, D] -> [B, T, H * D]
  return o_proj(out.transpose(1, 2).reshape({b, t, m_heads * m_head_dim}));
}

DecoderLayerImpl::DecoderLayerImpl(const io::TextDecoderConfig& c) {
  input_layernorm = register_module("input_layernorm", RMSNorm(RMSNormOptions(c.hidden_size).eps(c.rms_norm_eps)));
  self_attn = register_module("self_attn", DecoderAttention(c));
  post_attention_layernorm =
      register_module("post_attention_layernorm", RMSNorm(RMSNormOptions(c.hidden_size).eps(c.rms_norm_eps)));
  mlp = register_module("mlp", GatedMlp(c.hidden_size, c.intermediate_size, c.hidden_act, c.mlp_bias));
}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                             const torch::Tensor& mask, KvCache* cache, size_t layer) {
  const auto [h, out] = forward_pending(x, {}, cos, sin, mask, cache, layer);
  return h + out;
}

std::pair<torch::Tensor, torch::Tensor> DecoderLayerImpl::forward_pending(const torch::Tensor& x, const torch::Tensor& pending,
                                                                          const torch::Tensor& cos, const torch::Tensor& sin,
                                                                          const torch::Tensor& mask, KvCache* cache, size_t layer) {
  // transformers' order: residual = x; h = residual + attn(norm(x)); h + mlp(norm(h)).
  const auto [residual, normed] = input_layernorm->forward_after_add(x, pending);
  auto [h, normed_h] = post_attention_layernorm->forward_after_add(residual, self_attn(normed, cos, sin, mask, cache, layer));
  return {h, mlp(normed_h)};
}

TextDecoderImpl::TextDecoderImpl(const io::TextDecoderConfig& c) : m_graphed(std::make_shared<GraphedStack>()) {
  if (c.use_sliding_window) throw FormatError("sliding-window attention is not supported");
  if (c.rope_parameters.rope_type != "default")
    throw FormatError("rope_type \"" + c.rope_parameters.rope_type + "\" is not supported (only the default rotary)");
  embed_tokens = register_module("embed_tokens", torch::nn::Embedding(c.vocab_size, c.hidden_size));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) layers->push_back(DecoderLayer(c));
  norm = register_module("norm", RMSNorm(RMSNormOptions(c.hidden_size).eps(c.rms_norm_eps)));
  // Not a checkpoint tensor: computed from the config (registered so .to(device) moves it).
  rotary = register_module("rotary_emb", RotaryEmbedding(c.head_dim, c.rope_parameters.rope_theta, c.rope_parameters.mrope_section));
}

bool TextDecoderImpl::graphs_replayed() const { return m_graphed->replayed(); }

torch::Tensor TextDecoderImpl::forward(const torch::Tensor& inputs_embeds, const torch::Tensor& position_ids,
                                      const torch::Tensor& attention_mask, KvCache* cache,
                                      const torch::Tensor& isolated_segments) {
  const auto b = inputs_embeds.size(0), t = inputs_embeds.size(1);
  if (isolated_segments.defined() && cache) throw Error("packed samples are not decoded with a KV cache");
  // Keys before these queries: the cached ones, or (static cache) every slot, masked by attention_mask.
  const int64_t past = cache ? cache->attended(t) - t : 0;
  auto [cos, sin] = rotary(position_ids, inputs_embeds.scalar_type());
  // Isolated samples: their segments already say where padding is (0).
  auto mask = isolated_segments.defined()
                  ? block_causal_mask(isolated_segments, inputs_embeds.scalar_type(), inputs_embeds.device())
                  : causal_mask(attention_mask, b, t, past, inputs_embeds.scalar_type(), inputs_embeds.device());
  // The stack as replayed CUDA graphs where `graphs` allows them and they apply (graphed_stack.h),
  // else plainly. The parameters are gathered only then (a walk over every module). The graphs
  // are told the adapters' state (`adapters`, walked here unless the caller has) and which stack
  // this is: either differing from the last call's is another capture.
  const auto run = [&](const GraphBlock& stack, bool graphs, bool checkpointed, std::optional<lora::AdapterState> adapters) {
    if (graphs && inputs_embeds.is_cuda()) {
      const auto params = trainable_tensors(*this);
      if (GraphedStack::applies(inputs_embeds, params)) {
        if (!adapters) adapters = lora::adapter_state(*layers);
        const uint64_t variant = adapters->signature * 2 + (checkpointed ? 1 : 0);
        return m_graphed->run(stack, inputs_embeds, {cos, sin, mask}, params, variant);
      }
    }
    return stack(inputs_embeds, {cos, sin, mask});
  };
  if (!cache && checkpoint_blocks(is_training())) {
    const lora::AdapterState adapters = lora::adapter_state(*layers);
    const CheckpointOptions options = checkpoint_options(adapters.draws_random);
    // Each layer checkpointed, then the final norm: [B, T, hidden] -> [B, T, hidden], reading cos/sin/mask.
    const auto stack = [this, options](const torch::Tensor& x, const std::vector<torch::Tensor>& fixed) {
      auto h = x;
      for (size_t i = 0; i < layers->size(); ++i) {
        auto layer = layers->ptr<DecoderLayerImpl>(i);
        // cos/sin/mask are captured, not inputs: computed from ids and masks, they need no gradient.
        h = checkpoint([layer, c = fixed[0], s = fixed[1], m = fixed[2], i](const torch::Tensor& y) {
          return layer->forward(y, c, s, m, nullptr, i);
        }, h, trainable_tensors(*layer), options);
      }
      return norm(h);
    };
    // Graphed only where nothing random would have to be drawn again alike, and nothing is copied
    // to host memory (a capture can't allocate it).
    return run(stack, !options.draws_random && !options.offload_inputs && checkpoint_graphs_enabled(), /*checkpointed=*/true,
               adapters);
  }
  // The layers and the final norm: [B, T, hidden] -> [B, T, hidden], reading cos/sin/mask. Each
  // layer's last residual add runs with the next norm (one kernel when decoding on CUDA).
  const auto stack = [this, cache](const torch::Tensor& x, const std::vector<torch::Tensor>& fixed) {
    torch::Tensor h = x, pending;
    for (size_t i = 0; i < layers->size(); ++i)
      std::tie(h, pending) = layers->ptr<DecoderLayerImpl>(i)->forward_pending(h, pending, fixed[0], fixed[1], fixed[2], cache, i);
    return norm->forward_after_add(h, pending).second;
  };
  return run(stack, !cache && is_training() && train_graphs_enabled(), /*checkpointed=*/false, std::nullopt);
}

}  // namespace vltune::models
