#pragma once
// Building blocks every model family shares: RMSNorm, rotary helpers, attention (SDPA where the
// LibTorch has it, matmul-softmax otherwise), attention masks, activations by config name.

#include <string>
#include <utility>

#include <torch/torch.h>

#include "core/lora/lora_linear.h"

namespace vltune::models {

// Llama/Qwen RMSNorm: weight * x / sqrt(mean(x^2) + eps), the statistics in float32.
struct RMSNormOptions {
  RMSNormOptions(int64_t dim) : dim_(dim) {}
  TORCH_ARG(int64_t, dim);         // normalized width
  TORCH_ARG(double, eps) = 1e-6;   // added to the mean square
};

class RMSNormImpl : public torch::nn::Module {
 public:
  explicit RMSNormImpl(const RMSNormOptions& options);
  // x: [..., dim] -> [..., dim]
  torch::Tensor forward(const torch::Tensor& x);
  // The residual add before the norm: (x + delta, forward(x + delta)), as one kernel where the
  // fused kernels apply (core/kernels/fused_ops.h: decoding on CUDA), else as those operations.
  // delta undefined: (x, forward(x)). x, delta: [..., dim] -> both [..., dim]
  std::pair<torch::Tensor, torch::Tensor> forward_after_add(const torch::Tensor& x, const torch::Tensor& delta);

  RMSNormOptions options;
  torch::Tensor weight;  // [dim]
};
TORCH_MODULE(RMSNorm);

// [x1, x2] -> [-x2, x1] over the last dimension (halves).
torch::Tensor rotate_half(const torch::Tensor& x);

// x * cos + rotate_half(x) * sin; cos/sin broadcast against x.
torch::Tensor apply_rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

// Repeats grouped key/value heads: [B, kv_heads, T, D] -> [B, kv_heads * groups, T, D].
torch::Tensor repeat_kv(const torch::Tensor& x, int64_t groups);

// Scaled dot-product attention. q: [B, H, Tq, D], k/v: [B, H, Tk, D], mask: additive float
// [B or 1, 1, Tq, Tk] or undefined (no mask). Softmax in float32 like the reference.
torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const torch::Tensor& mask, double scale);

// What a masked entry of an additive mask holds: the dtype's lowest finite value.
double mask_lowest(torch::Dtype dtype);

// The additive mask of a decoder: causal plus padding. attention_mask: [B, Tk] of 0/1 (undefined:
// all ones); `past` keys precede the Tq queries. Masked entries hold the dtype's lowest value
// (as transformers does, so a fully masked row stays finite). Result: [B, 1, Tq, Tk].
torch::Tensor causal_mask(const torch::Tensor& attention_mask, int64_t batch, int64_t query_len, int64_t past,
                          torch::Dtype dtype, torch::Device device);

// The SwiGLU-style MLP of Llama, Qwen2 and Qwen2.5-VL's vision blocks:
// down_proj(act(gate_proj(x)) * up_proj(x)).
class GatedMlpImpl : public torch::nn::Module {
 public:
  GatedMlpImpl(int64_t hidden, int64_t intermediate, std::string act, bool bias);
  // x: [..., hidden] -> [..., hidden]
  torch::Tensor forward(const torch::Tensor& x);

  lora::LoraLinear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};

 private:
  std::string m_act;
};
TORCH_MODULE(GatedMlp);

// An activation by its config name: "silu", "gelu", "quick_gelu", "gelu_pytorch_tanh", ...
// Throws vltune::FormatError naming it when unknown.
torch::Tensor activation(const std::string& name, const torch::Tensor& x);
// Throws FormatError (naming `where`) unless activation() knows `name`.
void check_activation(const std::string& name, const std::string& where);

}  // namespace vltune::models
