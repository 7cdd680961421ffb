#pragma once
// Fused element-wise kernels for the decoder's small operations (issue 11: a decode step of the
// 2B ran 47 kernels per layer, most of them RMSNorm's eight, the rotary embedding's ten and
// SwiGLU's two; a residual add joins the RMSNorm after it). Each kernel reproduces the LibTorch
// operations it replaces rounding step by rounding step (in the tensor's dtype, as torch rounds
// each operation's result), so only RMSNorm's sum of squares, summed in another order, may differ
// in its last float32 bit. The decode attention kernel is the exception: like SDPA's kernels it
// keeps the softmax in float32 and rounds once, in its own order.
// Plain CUDA C++: no LibTorch here, so the kernel library builds with nvcc alone.

#include <cstdint>

#include <cuda_runtime_api.h>

namespace vltune::kernels::cuda {

enum class DType { f32, bf16, f16 };

// out[r, :] = weight * R(x * rsqrt(mean(x^2) + eps)) for each of `rows` rows of `cols`
// (transformers' LlamaRMSNorm: statistics in float32, the normalised row rounded to the dtype R,
// then the product with weight rounded). x, weight, out: contiguous device arrays of `dtype`.
cudaError_t rms_norm(DType dtype, const void* x, const void* weight, float eps, int64_t rows, int64_t cols, void* out,
                     cudaStream_t stream);

// The residual add and the RMSNorm after it in one pass: sum_out = R(x + delta), then out =
// rms_norm(sum_out) as above, for `rows` rows of `cols`. x, delta, weight, sum_out, out:
// contiguous device arrays of `dtype` (sum_out and out distinct from x and delta).
cudaError_t add_rms_norm(DType dtype, const void* x, const void* delta, const void* weight, float eps, int64_t rows, int64_t cols,
                         void* sum_out, void* out, cudaStream_t stream);

// out = R(R(silu(gate)) * up) (silu in float32: g / (1 + exp(-g))) for `rows` rows of `cols`: out
// contiguous [rows, cols]; gate's and up's rows each `stride` (>= cols) elements apart, their
// elements within a row adjacent (stride cols: contiguous; 2 * cols: the two halves of one
// [rows, 2 * cols] product, gate at its start and up `cols` further on).
cudaError_t silu_mul(DType dtype, const void* gate, const void* up, int64_t rows, int64_t cols, int64_t stride, void* out,
                     cudaStream_t stream);

// The rotary embedding x * cos + rotate_half(x) * sin over 4-D x [B, H, T, D] (D even) given by
// its sizes and element strides; cos and sin share `cs_strides` (0 where they broadcast). Each
// product and the sum rounded to the dtype, as torch does. out: contiguous [B, H, T, D].
cudaError_t rotary(DType dtype, const void* x, const int64_t x_strides[4], const void* cos, const void* sin,
                   const int64_t cs_strides[4], const int64_t sizes[4], void* out, cudaStream_t stream);

// Attention of one query per head over a KV cache (a decode step): out[b, h] = softmax(q[b, h] .
// k[b, h / G]^T * scale + mask[b]) v[b, h / G], G = heads / kv_heads (grouped-query heads read
// their key/value head in place), in float32 with the output rounded once to the dtype. Keys in
// chunks of 256, one block per (batch, head, chunk) and the chunks' partial sums combined by a
// second kernel; keys the mask sets at or below -1e30 (the models' "lowest") are not read.
struct DecodeAttention {
  const void* q = nullptr;     // [B, H, D]: strides q_stride_b, q_stride_h; d contiguous
  const void* k = nullptr;     // [B, KV, keys, D]: strides k_stride[3]; d contiguous, rows 16-byte aligned
  const void* v = nullptr;     // [B, KV, keys, D]: strides v_stride[3]; d contiguous, rows 16-byte aligned
  const void* mask = nullptr;  // additive, of the dtype, [B or 1, keys]: mask_stride_b (0 when shared), mask_stride_t; or null
  int64_t q_stride_b = 0, q_stride_h = 0;
  int64_t k_stride[3] = {0, 0, 0}, v_stride[3] = {0, 0, 0};
  int64_t mask_stride_b = 0, mask_stride_t = 0;
  int64_t batch = 0, heads = 0, kv_heads = 0, keys = 0, head_dim = 0;  // head_dim 64, 128 or 256
  float scale = 1.0f;
  float* workspace = nullptr;  // decode_attention_workspace() floats on the device (several chunks), or null
  bool batched_values = false; // the value pass's rows loaded 8 at a time (no gain measured: off)
  void* out = nullptr;         // [B, H, D] contiguous
};
// The float32 workspace decode_attention needs (0 when the keys fit one chunk).
int64_t decode_attention_workspace(int64_t batch, int64_t heads, int64_t keys, int64_t head_dim);
cudaError_t decode_attention(DType dtype, const DecodeAttention& a, cudaStream_t stream);

// One token's keys and values written into their caches at the position `slot` points to (an
// int64 on the device, so a replayed CUDA graph writes where the step's slot says): k_cache[b, h,
// *slot, :] = k[b, h, :] and the same for v, for B * KV rows of `head_dim` elements of
// `element_size` bytes (2 or 4). k, v: strides k_stride / v_stride over (batch, head), elements
// adjacent; the caches contiguous [B, KV, capacity, head_dim]. A slot outside [0, capacity) writes
// nothing. Bit copies, in one kernel instead of two index_copy_.
struct CacheWrite {
  const void* k = nullptr;
  const void* v = nullptr;
  int64_t k_stride[2] = {0, 0}, v_stride[2] = {0, 0};
  void* k_cache = nullptr;
  void* v_cache = nullptr;
  const int64_t* slot = nullptr;
  int64_t batch = 0, kv_heads = 0, capacity = 0, head_dim = 0, element_size = 0;
};
cudaError_t cache_write(const CacheWrite& w, cudaStream_t stream);

}  // namespace vltune::kernels::cuda
