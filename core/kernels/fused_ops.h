#pragma once
// The decoder's small operations as single CUDA kernels (core/kernels/cuda): RMSNorm, SwiGLU's
// silu(gate) * up and the rotary embedding, for work without gradients on a CUDA device (decode,
// evaluation). Everywhere else, and in builds without the kernels, the models run LibTorch
// operations. Off unless VLTUNE_FUSED_KERNELS=1 until a GPU run has checked them against those
// operations (vltune-bench-kernels); then on by default.

#include <torch/torch.h>

namespace vltune::kernels {

// Whether this build has the fused kernels (a CUDA LibTorch and nvcc).
bool fused_kernels_built();
// Whether they are in use (built, and switched on by VLTUNE_FUSED_KERNELS=1 or set_fused_kernels_enabled).
bool fused_kernels_enabled();
// Switches them for the process (what the environment variable set at start).
void set_fused_kernels_enabled(bool on);

// Whether the fused kernels take a computation on `x` (and `other`, when defined): enabled, x
// on CUDA in float32, bfloat16 or float16, `other` alike, and no gradient wanted through either.
bool fused_applies(const torch::Tensor& x, const torch::Tensor& other = {});

// weight * R(x * rsqrt(mean(x^2) + eps)) over the last dimension (models::RMSNorm's arithmetic).
// x: [..., D], weight: [D] of x's dtype. Requires fused_applies(x, weight).
torch::Tensor fused_rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps);
// silu(gate) * up, each rounded to the dtype. Same shapes. Requires fused_applies(gate, up).
torch::Tensor fused_silu_mul(const torch::Tensor& gate, const torch::Tensor& up);
// x * cos + rotate_half(x) * sin for x [B, H, T, D] (any strides, D even) and cos/sin of x's dtype
// broadcasting to it (e.g. [B, 1, T, D]). -> contiguous [B, H, T, D]. Requires fused_applies(x, cos)
// and rotary_fits(x, cos, sin).
torch::Tensor fused_rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);
// Whether fused_rotary takes these shapes.
bool rotary_fits(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

}  // namespace vltune::kernels
