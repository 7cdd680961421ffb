#pragma once
// What the LibTorch side of core/kernels needs to launch a kernel of core/kernels/cuda: a tensor's
// element type and stream, the rows layout of its last dimension, and errors that name the kernel.
// Only in builds with the kernels (VLTUNE_WITH_CUDA_KERNELS).

#include <cstdint>
#include <string>

#include <ATen/cuda/CUDAContext.h>
#include <torch/torch.h>

#include "core/error.h"
#include "core/kernels/cuda/fused_decode_ops.h"

namespace vltune::kernels::detail {

inline cuda::DType dtype_of(const torch::Tensor& t) {
  switch (t.scalar_type()) {
    case torch::kFloat32: return cuda::DType::f32;
    case torch::kBFloat16: return cuda::DType::bf16;
    case torch::kHalf: return cuda::DType::f16;
    default: throw Error(std::string("fused kernels: no kernel for ") + c10::toString(t.scalar_type()));
  }
}

inline cudaStream_t stream_of(const torch::Tensor& t) { return at::cuda::getCurrentCUDAStream(t.device().index()).stream(); }

inline void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess) throw Error(std::string("fused ") + what + " kernel: " + cudaGetErrorString(err));
}

// t seen as rows of its last dimension, each row's elements adjacent: how many elements apart the
// rows lie (at least the row's width), or -1 where t can't be seen so. A contiguous t: its width;
// one half of a merged [..., 2 * width] product: 2 * width.
inline int64_t rows_stride(const torch::Tensor& t) {
  if (t.dim() == 0) return -1;
  const int64_t cols = t.size(-1);
  if (cols != 1 && t.stride(-1) != 1) return -1;
  int64_t stride = -1, next = -1;  // the rows' stride; what the next outer dimension's must be
  for (int64_t d = t.dim() - 2; d >= 0; --d) {
    if (t.size(d) == 1) continue;
    if (stride < 0) {
      stride = t.stride(d);
    } else if (t.stride(d) != next) {
      return -1;
    }
    next = t.stride(d) * t.size(d);
  }
  if (stride < 0) return cols;  // a single row
  return stride >= cols ? stride : -1;
}

}  // namespace vltune::kernels::detail
