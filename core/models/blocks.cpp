#include "core/models/blocks.h"

#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/kernels/fused_ops.h"
#include "core/models/compact_autograd.h"
#include "core/models/merged_products.h"
#include "core/torch_compat.h"

namespace vltune::models {

RMSNormImpl::RMSNormImpl(const RMSNormOptions& options_) : options(options_) {
  weight = register_parameter("weight", torch::ones({options.dim()}));
}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
  // Decoding on CUDA: one kernel instead of eight, the same roundings (core/kernels/fused_ops.h).
  if (kernels::fused_applies(x, weight)) return kernels::fused_rms_norm(x, weight, options.eps());
  // Training: one autograd node for the eight operations below.
  if (compact_node_applies({&x, &weight})) return rms_norm_node(x, weight, options.eps());
  const auto input_dtype = x.scalar_type();
  auto h = x.to(torch::kFloat32);
  const auto variance = h.pow(2).mean(/*dim=*/-1, /*keepdim=*/true);
  h = h * torch::rsqrt(variance + options.eps());
  return weight * h.to(input_dtype);
}

std::pair<torch::Tensor, torch::Tensor> RMSNormImpl::forward_after_add(const torch::Tensor& x, const torch::Tensor& delta) {
  if (!delta.defined()) return {x, forward(x)};
  if (kernels::fused_applies(x, delta) && kernels::fused_applies(x, weight) && x.sizes() == delta.sizes())
    return kernels::fused_add_rms_norm(x, delta, weight, options.eps());
  auto sum = x + delta;
  return {sum, forward(sum)};
}

torch::Tensor rotate_half(const torch::Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  auto x1 = x.narrow(-1, 0, half);
  auto x2 = x.narrow(-1, half, x.size(-1) - half);
  return torch::cat({-x2, x1}, /*dim=*/-1);
}

torch::Tensor apply_rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  if (kernels::fused_applies(x, cos) && kernels::rotary_fits(x, cos, sin)) return kernels::fused_rotary(x, cos, sin);
  if (compact_node_applies({&x}) && rotary_node_fits(x, cos, sin)) return rotary_node(x, cos, sin);
  return x * cos + rotate_half(x) * sin;
}

torch::Tensor repeat_kv(const torch::Tensor& x, int64_t groups) {
  if (groups == 1) return x;
  const auto b = x.size(0), h = x.size(1), t = x.size(2), d = x.size(3);
  // [B, kv, T, D] -> [B, kv, groups, T, D] -> [B, kv * groups, T, D]
  return x.unsqueeze(2).expand({b, h, groups, t, d}).reshape({b, h * groups, t, d});
}

torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const torch::Tensor& mask, double scale) {
#if VLTUNE_HAS_SDPA
  if (q.is_cuda()) {
    const c10::optional<at::Tensor> sdpa_mask = mask.defined() ? c10::optional<at::Tensor>(mask.to(q.scalar_type())) : c10::nullopt;
#if VLTUNE_HAS_SDPA_SCALE
    return at::scaled_dot_product_attention(q, k, v, sdpa_mask, /*dropout_p=*/0.0, /*is_causal=*/false, scale);
#else
    // 2.0 scales by 1/sqrt(D) itself: pre-scale q so the product carries `scale`.
    const double own = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
    return at::scaled_dot_product_attention(q * (scale / own), k, v, sdpa_mask, /*dropout_p=*/0.0, /*is_causal=*/false);
#endif
  }
#endif
  // Reduced precision computes in float32 here, as fused SDPA kernels accumulate: bf16 scores
  // would be rounded to 3 significant digits before the softmax.
  const auto dtype = q.scalar_type();
  const bool upcast = dtype == torch::kBFloat16 || dtype == torch::kHalf;
  const auto qf = upcast ? q.to(torch::kFloat32) : q, kf = upcast ? k.to(torch::kFloat32) : k,
             vf = upcast ? v.to(torch::kFloat32) : v;
  // scores: [B, H, Tq, Tk]
  auto scores = torch::matmul(qf, kf.transpose(-2, -1)) * scale;
  if (mask.defined()) scores = scores + mask.to(scores.scalar_type());
  auto probs = torch::softmax(scores, /*dim=*/-1, torch::kFloat32).to(qf.scalar_type());
  return torch::matmul(probs, vf).to(dtype);
}

double mask_lowest(torch::Dtype dtype) {
  return dtype == torch::kFloat32    ? static_cast<double>(std::numeric_limits<float>::lowest())
         : dtype == torch::kFloat64  ? std::numeric_limits<double>::lowest()
         : dtype == torch::kBFloat16 ? -3.3895313892515355e38
                                     : -65504.0;
}

torch::Tensor causal_mask(const torch::Tensor& attention_mask, int64_t batch, int64_t query_len, int64_t past,
                          torch::Dtype dtype, torch::Device device) {
  const int64_t key_len = past + query_len;
  const double lowest = mask_lowest(dtype);
  auto opts = torch::TensorOptions().dtype(torch::kLong).device(device);
  // allowed[q, k] = k <= past + q
  auto allowed = torch::arange(key_len, opts).unsqueeze(0) <= (torch::arange(query_len, opts) + past).unsqueeze(1);
  auto allowed_b = allowed.unsqueeze(0).expand({batch, query_len, key_len});
  if (attention_mask.defined()) allowed_b = allowed_b & attention_mask.to(device).to(torch::kBool).unsqueeze(1);
  auto mask = torch::zeros({batch, 1, query_len, key_len}, torch::TensorOptions().dtype(dtype).device(device));
  return mask.masked_fill(allowed_b.unsqueeze(1).logical_not(), lowest);
}

GatedMlpImpl::GatedMlpImpl(int64_t hidden, int64_t intermediate, std::string act, bool bias) : m_act(std::move(act)) {
  using torch::nn::LinearOptions;
  check_activation(m_act, "MLP");
  gate_proj = register_module("gate_proj", lora::LoraLinear(LinearOptions(hidden, intermediate).bias(bias)));
  up_proj = register_module("up_proj", lora::LoraLinear(LinearOptions(hidden, intermediate).bias(bias)));
  down_proj = register_module("down_proj", lora::LoraLinear(LinearOptions(intermediate, hidden).bias(bias)));
}

torch::Tensor GatedMlpImpl::forward(const torch::Tensor& x) {
  torch::Tensor gate, up;
  if (const auto both = stacked_linear(x, {gate_proj.get(), up_proj.get()})) {
    // A decode step: gate and up from one product, read in place (core/models/merged_products.h).
    // [..., 2 * intermediate]
    const int64_t width = gate_proj->options.out_features();
    gate = both->narrow(-1, 0, width);
    up = both->narrow(-1, width, up_proj->options.out_features());
  } else {
    gate = gate_proj(x);
    up = up_proj(x);
  }
  if ((m_act == "silu" || m_act == "swish") && kernels::fused_applies(gate, up) && gate.sizes() == up.sizes())
    return down_proj(kernels::fused_silu_mul(gate, up));
  return down_proj(activation(m_act, gate) * up);
}

namespace {

torch::Tensor quick_gelu(const torch::Tensor& x) { return x * torch::sigmoid(1.702 * x); }

}  // namespace

torch::Tensor activation(const std::string& name, const torch::Tensor& x) {
  if (name == "silu" || name == "swish") return torch::silu(x);
  if (name == "gelu") return torch::gelu(x);
  if (name == "quick_gelu") return quick_gelu(x);
  if (name == "gelu_pytorch_tanh" || name == "gelu_new" || name == "gelu_fast") return torch::gelu(x, "tanh");
  if (name == "relu") return torch::relu(x);
  throw FormatError("activation \"" + name + "\" is not supported");
}

void check_activation(const std::string& name, const std::string& where) {
  static const char* known[] = {"silu", "swish", "gelu", "quick_gelu", "gelu_pytorch_tanh", "gelu_new", "gelu_fast", "relu"};
  for (const char* k : known)
    if (name == k) return;
  throw FormatError(where + ": activation \"" + name + "\" is not supported");
}

}  // namespace vltune::models
