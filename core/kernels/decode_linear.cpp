#include "core/kernels/decode_linear.h"

#include <cstdint>
#include <string>

#include "core/env_switch.h"
#include "core/error.h"
#include "core/kernels/fused_ops.h"

#if defined(VLTUNE_WITH_CUDA_KERNELS)
#include "core/kernels/cuda/decode_linear.h"
#include "core/kernels/kernel_launch.h"
#endif

namespace vltune::kernels {

namespace {

constexpr int64_t kMaxRows = 4;  // cuda::kDecodeLinearMaxRows, in builds without the kernels too
#if defined(VLTUNE_WITH_CUDA_KERNELS)
static_assert(kMaxRows == cuda::kDecodeLinearMaxRows);
#endif

bool aligned_16(const torch::Tensor& t) { return reinterpret_cast<std::uintptr_t>(t.data_ptr()) % 16 == 0; }

}  // namespace

bool decode_gemv_enabled() { return fused_kernels_built() && switch_on(Switch::decode_gemv); }

void set_decode_gemv_enabled(bool on) { set_switch(Switch::decode_gemv, on); }

bool decode_linear_fits(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  if (!decode_gemv_enabled() || !fused_applies(x, weight) || (bias.defined() && !fused_applies(x, bias))) return false;
  if (x.dim() < 1 || weight.dim() != 2 || !x.is_contiguous() || !weight.is_contiguous()) return false;
  const int64_t in = x.size(-1);
  if (in == 0 || weight.size(1) != in || weight.size(0) == 0) return false;
  const int64_t rows = x.numel() / in;
  if (rows < 1 || rows > kMaxRows) return false;
  if (bias.defined() && (bias.dim() != 1 || bias.size(0) != weight.size(0) || !bias.is_contiguous())) return false;
  const int64_t per_16_bytes = 16 / static_cast<int64_t>(x.element_size());
  return in % per_16_bytes == 0 && aligned_16(x) && aligned_16(weight);
}

torch::Tensor fused_decode_linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                  int warps_per_feature) {
#if defined(VLTUNE_WITH_CUDA_KERNELS)
  if (!decode_linear_fits(x, weight, bias))
    throw Error("fused decode linear: x [..., in] of 1 to 4 contiguous rows and weight [out, in] of its dtype expected, got " +
                c10::str(x.sizes()) + " and " + c10::str(weight.sizes()));
  auto sizes = x.sizes().vec();
  sizes.back() = weight.size(0);
  auto out = torch::empty(sizes, x.options().memory_format(torch::MemoryFormat::Contiguous));
  cuda::DecodeLinear l;
  l.x = x.data_ptr();
  l.weight = weight.data_ptr();
  l.bias = bias.defined() ? bias.data_ptr() : nullptr;
  l.out = out.data_ptr();
  l.in = x.size(-1);
  l.rows = x.numel() / l.in;
  l.out_features = weight.size(0);
  l.x_stride = l.in;
  l.warps_per_feature = warps_per_feature;
  detail::check(cuda::decode_linear(detail::dtype_of(x), l, detail::stream_of(x)), "decode linear");
  return out;
#else
  (void)x, (void)weight, (void)bias, (void)warps_per_feature;
  throw Error("fused decode linear: this build has no CUDA kernels");
#endif
}

torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  if (decode_linear_fits(x, weight, bias)) return fused_decode_linear(x, weight, bias);
  return torch::nn::functional::linear(x, weight, bias);
}

}  // namespace vltune::kernels
