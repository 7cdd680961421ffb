#pragma once
// Fused element-wise kernels for the decoder's small operations (issue 11: a decode step of the
// 2B ran 47 kernels per layer, most of them RMSNorm's eight, the rotary embedding's ten and
// SwiGLU's two; a residual add joins the RMSNorm after it). Each kernel reproduces the LibTorch
// operations it replaces rounding step by rounding step (in the tensor's dtype, as torch rounds
// each operation's result), so only RMSNorm's sum of squares, summed in another order, may differ
// in its last float32 bit.
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

}  // namespace vltune::kernels::cuda
