#include "core/models/merged_products.h"

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "core/env_switch.h"
#include "core/kernels/decode_linear.h"
#include "core/kernels/fused_ops.h"
#include "core/models/blocks.h"
#include "core/tensor_cast.h"

#if defined(VLTUNE_WITH_CUDA)
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGraphsC10Utils.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace vltune::models {

namespace {

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

std::atomic<int64_t> g_generation{0};

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
#if defined(VLTUNE_WITH_CUDA)
  // Made on a decode step's side stream (fixed_shape_decode.h), read on the default stream too:
  // once freed (a move, the model's end), the block waits for the default stream's work before
  // the allocator hands it out again.
  if (buffer.is_cuda()) {
    const auto device = buffer.device().index();
    const auto main = c10::cuda::getDefaultCUDAStream(device);
    if (c10::cuda::getCurrentCUDAStream(device) != main)
      c10::cuda::CUDACachingAllocator::recordStream(buffer.storage().data_ptr(), main);
  }
#endif
  g_generation.fetch_add(1, std::memory_order_relaxed);
}

// Stacks `parts` unless they already are rows of one buffer; -> those rows as one tensor.
torch::Tensor stacked_rows(const std::vector<torch::Tensor*>& parts) {
  const std::vector<const torch::Tensor*> readonly(parts.begin(), parts.end());
  if (!adjacent(readonly)) stack(parts);
  return rows_of(readonly);
}

using Layers = std::initializer_list<lora::LoraLinearImpl*>;

std::vector<torch::Tensor*> weights_of(Layers layers) {
  std::vector<torch::Tensor*> out;
  for (auto* l : layers) out.push_back(&l->weight);
  return out;
}

std::vector<torch::Tensor*> biases_of(Layers layers) {
  std::vector<torch::Tensor*> out;
  for (auto* l : layers) out.push_back(&l->bias);
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

// A layer's one active adapter as the stacked product adds it.
struct StackedAdapter {
  lora::LoraLinearImpl* layer;
  torch::Tensor* a;                 // lora_A [r, in]: stacked with the other layers'
  torch::ScalarType compute_dtype;  // the products' dtype (lora_A's own unless set)
};

// The layers' active adapters where they can join a stacked product on x, in order: none when no
// layer has one; else each layer's one plain adapter (no DoRA, no dropout at work), all of one
// compute dtype and lora_A dtype, on x's device and width, none wanting a gradient while autograd
// records. nullopt where they can't (some layers adapted and some not included).
std::optional<std::vector<StackedAdapter>> fitting_adapters(const torch::Tensor& x, Layers layers, bool recording) {
  std::vector<StackedAdapter> out;
  for (auto* l : layers) {
    if (l->active().empty()) continue;
    if (l->active().size() != 1) return std::nullopt;
    const std::string& name = l->active().front();
    const auto& params = l->adapter_params(name);
    if (params.use_dora || (params.dropout > 0.0 && l->is_training())) return std::nullopt;
    torch::Tensor& a = l->lora_A_weight(name);
    const torch::Tensor& b = l->lora_B_weight(name);
    const StackedAdapter fit{l, &a, l->compute_dtype().value_or(a.scalar_type())};
    if (!out.empty() && (fit.compute_dtype != out.front().compute_dtype || a.scalar_type() != out.front().a->scalar_type()))
      return std::nullopt;
    if (a.device() != x.device() || b.device() != x.device() || a.dim() != 2 || a.size(1) != x.size(-1)) return std::nullopt;
    if (recording && (a.requires_grad() || b.requires_grad())) return std::nullopt;
    out.push_back(fit);
  }
  if (!out.empty() && out.size() != layers.size()) return std::nullopt;
  return out;
}

// stacking_applies()'s checks and, in the same pass, the adapters the stacked product adds (empty
// for none); nullopt where it doesn't apply.
std::optional<std::vector<StackedAdapter>> stacking_plan(const torch::Tensor& x, Layers layers) {
  if (!merged_products_enabled() || layers.size() < 2 || x.dim() < 2 || x.size(-2) != 1) return std::nullopt;
  if (c10::InferenceMode::is_enabled()) return std::nullopt;  // the stacked buffer would be an inference tensor
  const bool recording = at::GradMode::is_enabled();
  if (recording && x.requires_grad()) return std::nullopt;
  const bool with_bias = layers.begin()[0]->bias.defined();
  for (const auto* l : layers) {
    const torch::Tensor& w = l->weight;
    if (l->is_quantized() || w.dim() != 2 || w.size(1) != x.size(-1)) return std::nullopt;
    if (w.scalar_type() != x.scalar_type() || w.device() != x.device()) return std::nullopt;
    if (l->bias.defined() != with_bias) return std::nullopt;
    if (recording && (w.requires_grad() || (with_bias && l->bias.requires_grad()))) return std::nullopt;
    if (with_bias && (l->bias.scalar_type() != w.scalar_type() || l->bias.device() != w.device())) return std::nullopt;
  }
  auto adapters = fitting_adapters(x, layers, recording);
  if (!adapters || !capturing_cuda_graph(x)) return adapters;
  // A capture must not allocate: only what is stacked already.
  if (!layers_stacked(layers)) return std::nullopt;
  std::vector<const torch::Tensor*> a_parts;
  for (const auto& a : *adapters) a_parts.push_back(a.a);
  if (!a_parts.empty() && !adjacent(a_parts)) return std::nullopt;
  return adapters;
}

}  // namespace

bool merged_products_enabled() { return switch_on(Switch::merged_products); }

void set_merged_products(bool on) { set_switch(Switch::merged_products, on); }

int64_t stacking_generation() { return g_generation.load(std::memory_order_relaxed); }

bool layers_stacked(Layers layers) {
  const auto weights = weights_of(layers);
  if (!adjacent({weights.begin(), weights.end()})) return false;
  const auto biases = biases_of(layers);
  return !biases.front()->defined() || adjacent({biases.begin(), biases.end()});
}

bool stacking_applies(const torch::Tensor& x, Layers layers) { return stacking_plan(x, layers).has_value(); }

std::optional<torch::Tensor> stacked_linear(const torch::Tensor& x, Layers layers) {
  const auto adapters = stacking_plan(x, layers);
  if (!adapters) return std::nullopt;
  torch::Tensor weight = stacked_rows(weights_of(layers)), bias;
  if (layers.begin()[0]->bias.defined()) bias = stacked_rows(biases_of(layers));
  // [..., in] x [sum out, in]^T -> [..., sum out]
  const auto base = kernels::linear(x, weight, bias);
  if (adapters->empty()) return base;
  // LoraLinearImpl::forward for one adapter, layer by layer, but for the down-projections, which
  // run as one product: result = base + lora_B(lora_A(x)) * scaling, rounded once to base's dtype.
  const auto dtype = adapters->front().compute_dtype;
  std::vector<torch::Tensor*> a_parts;
  for (const auto& a : *adapters) a_parts.push_back(a.a);
  const auto down = torch::nn::functional::linear(cast(x, dtype), cast(stacked_rows(a_parts), dtype));  // [..., sum r]
  auto out = torch::empty_like(base);
  int64_t col = 0, rank = 0;
  for (const auto& a : *adapters) {
    const int64_t width = a.layer->weight.size(0), r = a.a->size(0);
    a.layer->add_adapter_output(out.narrow(-1, col, width), base.narrow(-1, col, width), down.narrow(-1, rank, r));
    col += width;
    rank += r;
  }
  return out;
}

torch::Tensor grouped_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                const torch::Tensor& mask, double scale) {
  const int64_t b = q.size(0), heads = q.size(1), query_len = q.size(2), dim = q.size(3), kv_heads = k.size(1);
  const int64_t groups = heads / kv_heads;
  // A decode step on CUDA: one kernel (two past 256 keys) in place of SDPA's (core/kernels/fused_ops.h).
  if (query_len == 1 && kernels::fused_applies(q, k) && kernels::fused_applies(q, v) && kernels::decode_attention_fits(q, k, v, mask))
    return kernels::fused_decode_attention(q, k, v, mask, scale);
  if (groups > 1 && query_len == 1 && merged_products_enabled()) {
    // Query head h reads key/value head h / groups (repeat_kv's order): [B, H, 1, D] -> [B, KV, groups, D],
    // the mask [B or 1, 1, 1, Tk] broadcasting over each block's rows.
    auto out = attention(q.reshape({b, kv_heads, groups, dim}), k, v, mask, scale);  // [B, KV, groups, D]
    return out.reshape({b, heads, 1, dim});
  }
  return attention(q, repeat_kv(k, groups), repeat_kv(v, groups), mask, scale);
}

}  // namespace vltune::models
