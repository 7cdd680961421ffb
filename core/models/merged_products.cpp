#include "core/models/merged_products.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/models/blocks.h"

#if defined(VLTUNE_WITH_CUDA)
#include <c10/cuda/CUDAGraphsC10Utils.h>
#endif

namespace vltune::models {

namespace {

std::atomic<bool>& enabled_flag() {
  static std::atomic<bool> on{[] {
    const char* v = std::getenv("VLTUNE_MERGED_PRODUCTS");
    return v == nullptr || std::strcmp(v, "0") != 0;
  }()};
  return on;
}

// Whether `parts` are rows of one buffer, in order: each contiguous, each starting where the
// previous one ends in the same storage.
bool adjacent(const std::vector<const torch::Tensor*>& parts) {
  for (size_t i = 0; i < parts.size(); ++i) {
    const torch::Tensor& t = *parts[i];
    if (!t.is_contiguous()) return false;
    if (i == 0) continue;
    const torch::Tensor& before = *parts[i - 1];
    if (!t.storage().is_alias_of(before.storage()) || t.storage_offset() != before.storage_offset() + before.numel())
      return false;
  }
  return true;
}

// The rows of `parts` (adjacent) as one tensor: [sum of dim 0, rest of the first's shape].
torch::Tensor rows_of(const std::vector<const torch::Tensor*>& parts) {
  const torch::Tensor& first = *parts.front();
  int64_t rows = 0;
  for (const torch::Tensor* t : parts) rows += t->size(0);
  auto sizes = first.sizes().vec();
  sizes[0] = rows;
  return first.as_strided(sizes, first.strides(), first.storage_offset());
}

// Copies `parts` into one new buffer and points each at its rows there (set_data: the tensors,
// and so the registered parameters, stay the same objects; the separate buffers are freed once
// nothing else holds them).
void stack(const std::vector<torch::Tensor*>& parts) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> values;
  for (const torch::Tensor* t : parts) values.push_back(*t);
  const auto buffer = torch::cat(values, /*dim=*/0);
  int64_t row = 0;
  for (torch::Tensor* t : parts) {
    const int64_t n = t->size(0);
    t->set_data(buffer.narrow(0, row, n));
    row += n;
  }
}

// The layers' weights / biases, in order (Layers: a list of LoraLinearImpl pointers, const or not).
template <typename Layers>
std::vector<const torch::Tensor*> weights_of(const Layers& layers) {
  std::vector<const torch::Tensor*> out;
  for (const lora::LoraLinearImpl* l : layers) out.push_back(&l->weight);
  return out;
}

template <typename Layers>
std::vector<const torch::Tensor*> biases_of(const Layers& layers) {
  std::vector<const torch::Tensor*> out;
  for (const lora::LoraLinearImpl* l : layers) out.push_back(&l->bias);
  return out;
}

bool capturing_cuda_graph(const torch::Tensor& x) {
#if defined(VLTUNE_WITH_CUDA)
  return x.is_cuda() && c10::cuda::currentStreamCaptureStatusMayInitCtx() != c10::cuda::CaptureStatus::None;
#else
  (void)x;
  return false;
#endif
}

}  // namespace

bool merged_products_enabled() { return enabled_flag().load(std::memory_order_relaxed); }

void set_merged_products(bool on) { enabled_flag().store(on, std::memory_order_relaxed); }

bool layers_stacked(std::initializer_list<const lora::LoraLinearImpl*> layers) {
  if (!adjacent(weights_of(layers))) return false;
  return !layers.begin()[0]->bias.defined() || adjacent(biases_of(layers));
}

bool stacking_applies(const torch::Tensor& x, std::initializer_list<const lora::LoraLinearImpl*> layers) {
  if (!merged_products_enabled() || layers.size() < 2 || x.dim() < 2 || x.size(-2) != 1) return false;
  if (c10::InferenceMode::is_enabled()) return false;  // the stacked buffer would be an inference tensor
  const bool recording = at::GradMode::is_enabled();
  if (recording && x.requires_grad()) return false;
  const bool with_bias = layers.begin()[0]->bias.defined();
  for (const auto* l : layers) {
    const torch::Tensor& w = l->weight;
    if (l->is_quantized() || !l->active().empty() || w.dim() != 2 || w.size(1) != x.size(-1)) return false;
    if (w.scalar_type() != x.scalar_type() || w.device() != x.device()) return false;
    if (l->bias.defined() != with_bias) return false;
    if (recording && (w.requires_grad() || (with_bias && l->bias.requires_grad()))) return false;
    if (with_bias && (l->bias.scalar_type() != w.scalar_type() || l->bias.device() != w.device())) return false;
  }
  return !capturing_cuda_graph(x) || layers_stacked(layers);
}

torch::Tensor stacked_linear(const torch::Tensor& x, std::initializer_list<lora::LoraLinearImpl*> layers) {
  const bool with_bias = layers.begin()[0]->bias.defined();
  if (!adjacent(weights_of(layers))) {
    std::vector<torch::Tensor*> weights;
    for (auto* l : layers) weights.push_back(&l->weight);
    stack(weights);
  }
  if (with_bias && !adjacent(biases_of(layers))) {
    std::vector<torch::Tensor*> biases;
    for (auto* l : layers) biases.push_back(&l->bias);
    stack(biases);
  }
  // [..., in] x [sum out, in]^T -> [..., sum out]
  return torch::nn::functional::linear(x, rows_of(weights_of(layers)), with_bias ? rows_of(biases_of(layers)) : torch::Tensor());
}

torch::Tensor grouped_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                const torch::Tensor& mask, double scale) {
  const int64_t b = q.size(0), heads = q.size(1), query_len = q.size(2), dim = q.size(3), kv_heads = k.size(1);
  const int64_t groups = heads / kv_heads;
  if (groups > 1 && query_len == 1 && merged_products_enabled()) {
    // Query head h reads key/value head h / groups (repeat_kv's order): [B, H, 1, D] -> [B, KV, groups, D],
    // the mask [B or 1, 1, 1, Tk] broadcasting over each block's rows.
    auto out = attention(q.reshape({b, kv_heads, groups, dim}), k, v, mask, scale);  // [B, KV, groups, D]
    return out.reshape({b, heads, 1, dim});
  }
  return attention(q, repeat_kv(k, groups), repeat_kv(v, groups), mask, scale);
}

}  // namespace vltune::models
