#pragma once
// The decoder's small operations as single CUDA kernels (core/kernels/cuda): RMSNorm (with the
// residual add before it), SwiGLU's silu(gate) * up, the rotary embedding, and a decode step's
// attention and KV cache write, for work without gradients on a CUDA device (decode, evaluation).
// Everywhere else, and in builds without the kernels, the models run LibTorch operations. On by
// default for bfloat16 and float16, where an H200 run (vltune-bench-kernels, 2026-11-27) found the
// rotary and SwiGLU kernels bit-identical to the operations and RMSNorm within the dtype's
// rounding (1 ulp on at most 0.003% of elements: its sum of squares is added in another order);
// float32 only with VLTUNE_FUSED_KERNELS=1, since there that order shows in the last bit of about
// a fifth of RMSNorm's outputs. VLTUNE_FUSED_KERNELS=0 turns them off.

#include <utility>

#include <torch/torch.h>

namespace vltune::kernels {

// Whether this build has the fused kernels (a CUDA LibTorch and nvcc).
bool fused_kernels_built();
// Whether they are in use for some dtype (built, and not switched off by VLTUNE_FUSED_KERNELS=0 or
// set_fused_kernels_enabled(false)).
bool fused_kernels_enabled();
// Whether float32 takes them too (VLTUNE_FUSED_KERNELS=1 or set_fused_kernels_enabled(true)).
bool fused_kernels_take_float32();
// Switches them for the process and every dtype (on) or none (off), whatever the environment set.
void set_fused_kernels_enabled(bool on);

// Whether the fused kernels take a computation on `x` (and `other`, when defined): enabled, x
// on CUDA in bfloat16 or float16 (float32 too when fused_kernels_take_float32()), `other` alike,
// and no gradient wanted through either.
bool fused_applies(const torch::Tensor& x, const torch::Tensor& other = {});

// weight * R(x * rsqrt(mean(x^2) + eps)) over the last dimension (models::RMSNorm's arithmetic).
// x: [..., D], weight: [D] of x's dtype. Requires fused_applies(x, weight).
torch::Tensor fused_rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps);
// The residual add and the RMSNorm after it as one kernel: (x + delta, fused_rms_norm(x + delta)),
// the sum rounded to the dtype as torch's add rounds it. x, delta: [..., D] of one shape; weight:
// [D]. -> both contiguous [..., D]. Requires fused_applies(x, delta) and fused_applies(x, weight).
std::pair<torch::Tensor, torch::Tensor> fused_add_rms_norm(const torch::Tensor& x, const torch::Tensor& delta,
                                                           const torch::Tensor& weight, double eps);
// silu(gate) * up, each rounded to the dtype. Same shapes -> contiguous. Rows that lie a common
// stride apart (the two halves of one merged gate/up product) are read in place, without copies.
// Requires fused_applies(gate, up).
torch::Tensor fused_silu_mul(const torch::Tensor& gate, const torch::Tensor& up);
// x * cos + rotate_half(x) * sin for x [B, H, T, D] (any strides, D even) and cos/sin of x's dtype
// broadcasting to it (e.g. [B, 1, T, D]). -> contiguous [B, H, T, D]. Requires fused_applies(x, cos)
// and rotary_fits(x, cos, sin).
torch::Tensor fused_rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);
// Whether fused_rotary takes these shapes.
bool rotary_fits(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

// Attention of a decode step: softmax(q k^T * scale + mask) v for one query per head, grouped-query
// heads reading their key/value head in place (query head h reads h / (H / KV), repeat_kv's
// order), in float32 with the output rounded once: SDPA's result within its rounding, in two
// kernels or one instead of cuDNN's prefill-shaped one (14 us a layer for the 2B on an H200).
// Masked keys (at or below -1e30) are not read. q: [B, H, 1, D]; k, v: [B, KV, keys, D]; mask:
// additive [B or 1, 1, 1, keys] or undefined -> [B, H, 1, D] contiguous. Requires fused_applies(q, k),
// fused_applies(q, v) and decode_attention_fits(q, k, v, mask).
torch::Tensor fused_decode_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                     const torch::Tensor& mask, double scale);
// Whether fused_decode_attention takes these: the shapes above with D 64, 128 or 256, q's dtype
// and device throughout, each row's elements adjacent and k's and v's rows 16-byte aligned; and not
// switched off by VLTUNE_FUSED_ATTENTION=0 (or set_fused_attention_enabled(false)).
bool decode_attention_fits(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const torch::Tensor& mask);
void set_fused_attention_enabled(bool on);

// One decode token's keys and values written into a static KV cache at the position the device
// tensor `slot` (int64, one element) holds: k_cache.index_copy_(2, slot, k) and the same for v, in
// one kernel instead of two (bit copies; a slot outside the cache writes nothing rather than
// failing an assertion on the device). k, v: [B, KV, 1, D], each row's elements adjacent; the
// caches contiguous [B, KV, capacity, D] of k's dtype on its device. Requires fused_applies(k,
// k_cache), fused_applies(v, v_cache) and cache_write_fits(...).
void fused_cache_write(const torch::Tensor& k_cache, const torch::Tensor& v_cache, const torch::Tensor& slot,
                       const torch::Tensor& k, const torch::Tensor& v);
bool cache_write_fits(const torch::Tensor& k_cache, const torch::Tensor& v_cache, const torch::Tensor& slot,
                      const torch::Tensor& k, const torch::Tensor& v);

}  // namespace vltune::kernels
