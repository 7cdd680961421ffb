#pragma once
// A decode step's linear layer as one matrix-vector kernel (issue 11). With one token a sequence,
// out = x W^T + b reads each weight once and does little else, so its time is the weight's bytes
// over the card's bandwidth. cuBLAS's kernels for it took 1.9 times that for the Qwen2-VL-2B's
// layers on an H200 (bench/RESULTS.md, run F): 23% of it for q/k/v and o, whose weights are too
// small to fill the card, and the down product split over K with a reduce kernel and memsets after
// it, and the bias a separate kernel. Here each output feature is one warp's dot product (or a few
// warps', adding their parts in shared memory, where the features are too few to fill the card),
// the weight streamed in 16-byte loads several at a time, and the bias added before the one
// rounding to the dtype, as cuBLAS's epilogue adds it.
// Plain CUDA C++: no LibTorch here, so the kernel library builds with nvcc alone.

#include <cstdint>

#include <cuda_runtime_api.h>

#include "core/kernels/cuda/fused_decode_ops.h"

namespace vltune::kernels::cuda {

// The most rows of x one call takes (a decode step of this many sequences).
constexpr int64_t kDecodeLinearMaxRows = 4;

struct DecodeLinear {
  const void* x = nullptr;       // [rows, in]: rows x_stride elements apart, each 16-byte aligned
  const void* weight = nullptr;  // [out_features, in] contiguous, 16-byte aligned
  const void* bias = nullptr;    // [out_features] or null
  void* out = nullptr;           // [rows, out_features] contiguous
  int64_t rows = 0;              // 1 to kDecodeLinearMaxRows
  int64_t in = 0;                // a multiple of 16 bytes' elements (8 in bf16/f16, 4 in f32)
  int64_t out_features = 0;
  int64_t x_stride = 0;          // elements between x's rows (>= in, a multiple of 16 bytes')
  int warps_per_feature = 0;     // 1, 2, 4 or 8; 0: the fewest that put about 4,096 warps to work
                                 // while each lane still has a 16-byte piece of the row
};

// out[r, o] = R(sum_k x[r, k] * weight[o, k] + bias[o]) in float32, R the rounding to the dtype.
cudaError_t decode_linear(DType dtype, const DecodeLinear& l, cudaStream_t stream);

}  // namespace vltune::kernels::cuda
