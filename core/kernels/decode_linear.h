#pragma once
// A decode step's linear layers through one matrix-vector kernel (core/kernels/cuda/decode_linear.h)
// instead of cuBLAS's, for work without gradients on a CUDA device with at most four rows of
// input (one new token for each of up to four sequences): the base product of every LoraLinear
// (o_proj, down_proj, lm_head) and of the merged q/k/v and gate/up products (merged_products.h).
// Each output is one float32 dot product plus the bias, rounded once, as cuBLAS computes it in its
// own order: the last bit may differ.
//
// On by default for bfloat16 and float16 (float32 too with VLTUNE_FUSED_KERNELS=1, as the other
// fused kernels): on an H200 it took Qwen2-VL-2B's decode from 437 to 560 tok/s, every layer's
// error against the exact product at most cuBLAS's (bench/RESULTS.md, run G).
// VLTUNE_DECODE_GEMV=0 (or set_decode_gemv_enabled(false)) turns it off, VLTUNE_FUSED_KERNELS=0 too.

#include <torch/torch.h>

namespace vltune::kernels {

bool decode_gemv_enabled();
void set_decode_gemv_enabled(bool on);

// Whether fused_decode_linear takes these: switched on, fused_applies(x, weight) (and bias alike),
// x [..., in] contiguous with 1 to 4 rows, weight [out, in] contiguous, bias [out] or undefined,
// `in` a whole number of 16-byte pieces and the data 16-byte aligned.
bool decode_linear_fits(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias);

// x W^T + b: x [..., in] -> [..., out]. Requires decode_linear_fits(x, weight, bias).
// warps_per_feature: 1, 2, 4 or 8 warps an output feature, or 0 to let the kernel choose (a
// benchmark's choice).
torch::Tensor fused_decode_linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                  int warps_per_feature = 0);

// torch::nn::functional::linear(x, weight, bias), through fused_decode_linear where it fits.
torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias);

}  // namespace vltune::kernels
