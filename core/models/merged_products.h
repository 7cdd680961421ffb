#pragma once
// A decode step with fewer, larger products (issue 11). Decoding one token at a time on a GPU is
// bound by the number of kernels, not by the bytes each reads: an H200 profile counted 47 kernels
// per Qwen2-VL-2B layer and token before the fused kernels (core/kernels/fused_ops.h), about 23
// after them by a count of the operations, and the step took three times what reading the weights
// takes. Where no gradient is recorded and each sequence brings one new token, the decoder runs
// instead
//   - q, k and v as one product, and the rotary embedding over q's and k's heads at once;
//   - gate and up as one product, SwiGLU reading its two halves where they lie;
//   - grouped-query attention without copying each key/value head per query head: the one
//     query of each head in a group becomes a row of that group's query block.
// The layers' frozen weights (and biases, and an active adapter's lora_A) are re-pointed once
// into rows of one buffer (`stacked_linear`), so the stacked product costs no memory: each layer
// keeps its checkpoint name, its PEFT path and its own forward, which reads the same values. A
// move to another device or dtype gives the layers separate buffers again; the next decode step
// stacks them anew. Re-pointing changes the module: one model must not decode on two threads.
//
// The arithmetic is the same; only a product's blocking may round differently in the last bit
// (one larger product, or a group's queries in one block). On by default; VLTUNE_MERGED_PRODUCTS=0
// (or set_merged_products(false)) runs the separate products, for comparison.

#include <initializer_list>
#include <optional>

#include <torch/torch.h>

#include "core/lora/lora_linear.h"

namespace vltune::models {

// Whether decode steps merge products (the environment's choice unless set since).
bool merged_products_enabled();
// Switches them for the process.
void set_merged_products(bool on);

// Whether `layers` (each reading x) run as one product on x: enabled; one new token per sequence
// (x: [..., 1, in]); nothing recorded for autograd (grad mode off, or neither x nor any weight,
// bias or adapter matrix wants a gradient); not in inference mode; every layer unquantised, of
// x's width, dtype and device, all with a bias or none; and either none with an active adapter or
// each with exactly one plain one (no DoRA, no dropout at work), in one compute dtype. While a
// CUDA graph is being captured, only layers already stacked (a capture must not allocate).
bool stacking_applies(const torch::Tensor& x, std::initializer_list<lora::LoraLinearImpl*> layers);

// The layers' outputs side by side where stacking applies (stacking_applies(x, layers), checked
// here in the pass that finds the layers' adapters): x [..., in] -> [..., out_1 + ... + out_n],
// each what the layer's own forward gives. The base products run as one; so do the adapters'
// down-projections (lora_A), each adapter's up-projection (lora_B) and sum then written into its
// columns (LoraLinearImpl::add_adapter_output), as PEFT adds it. Stacks the layers' weights (and
// biases, and lora_A matrices) first where they are not already rows of one buffer, in this
// order. nullopt where stacking doesn't apply: the caller runs each layer's forward.
std::optional<torch::Tensor> stacked_linear(const torch::Tensor& x, std::initializer_list<lora::LoraLinearImpl*> layers);

// Whether the layers' weights (and biases) are rows of one buffer, in this order.
bool layers_stacked(std::initializer_list<lora::LoraLinearImpl*> layers);

// How many times stacking has re-pointed weights in this process: what a captured CUDA graph that
// read the old buffers (models::GraphedStack) checks to know it must be captured again.
int64_t stacking_generation();

// Scaled dot-product attention of grouped query heads (blocks.h's attention(), whose mask and
// scale these are): q [B, H, Tq, D], k/v [B, KV, Tk, D] with H a multiple of KV -> [B, H, Tq, D].
// With one query (Tq = 1) on CUDA, the fused decode attention kernel where it applies
// (kernels::fused_decode_attention); else, merging enabled, each group's H / KV queries attend
// as one block of rows; otherwise k and v are repeated per query head (repeat_kv).
torch::Tensor grouped_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                const torch::Tensor& mask, double scale);

}  // namespace vltune::models
