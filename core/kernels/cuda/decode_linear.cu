// See decode_linear.h.

#include "core/kernels/cuda/decode_linear.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "core/kernels/cuda/element_conversions.cuh"

namespace vltune::kernels::cuda {

namespace {

using detail::from_float;
using detail::to_float;

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;
constexpr int kUnroll = 4;            // 16-byte pieces of the weight a lane has in flight
constexpr int64_t kTargetWarps = 4096;  // about half of what an H100's or H200's SMs hold at once

// One block: kWarps / W output features, W warps each. The warps of a feature take its row's
// 16-byte pieces in turn (warp w of W: pieces w * 32 + lane, then W * 32 further on), each lane
// kUnroll of them loaded before any is used, and dot them with the R rows of x in float32. The
// lanes' sums meet by warp shuffles, the W warps' in shared memory in order; the bias is added and
// the sum rounded once to T.
template <typename T, int R, int W>
__global__ void __launch_bounds__(kThreads) decode_linear_kernel(DecodeLinear l) {
  constexpr int kVec = 16 / static_cast<int>(sizeof(T));  // elements a 16-byte piece
  constexpr int kFeatures = kWarps / W;                   // output features a block
  constexpr int kStep = W * 32;                           // pieces between one lane's
  static_assert(kWarps % W == 0, "warps per feature");
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
  const int part = warp % W;
  const int64_t o = static_cast<int64_t>(blockIdx.x) * kFeatures + warp / W;
  const int64_t pieces = l.in / kVec;
  float acc[R];
#pragma unroll
  for (int r = 0; r < R; ++r) acc[r] = 0.0f;
  if (o < l.out_features) {
    const uint4* w = reinterpret_cast<const uint4*>(static_cast<const T*>(l.weight) + o * l.in);
    const T* x = static_cast<const T*>(l.x);
    for (int64_t first = part * 32 + lane; first < pieces; first += static_cast<int64_t>(kStep) * kUnroll) {
      uint4 wv[kUnroll];
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {
        const int64_t p = first + static_cast<int64_t>(u) * kStep;
        // Streamed (evict first): each weight is read once a step; x stays cached for the others.
        wv[u] = p < pieces ? __ldcs(w + p) : make_uint4(0, 0, 0, 0);
      }
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {
        const int64_t p = first + static_cast<int64_t>(u) * kStep;
        if (p >= pieces) break;
        const T* we = reinterpret_cast<const T*>(&wv[u]);
#pragma unroll
        for (int r = 0; r < R; ++r) {
          const uint4 xv = __ldg(reinterpret_cast<const uint4*>(x + r * l.x_stride) + p);
          const T* xe = reinterpret_cast<const T*>(&xv);
#pragma unroll
          for (int e = 0; e < kVec; ++e) acc[r] = fmaf(to_float<T>(we[e]), to_float<T>(xe[e]), acc[r]);
        }
      }
    }
  }
#pragma unroll
  for (int r = 0; r < R; ++r)
    for (int offset = 16; offset > 0; offset /= 2) acc[r] += __shfl_xor_sync(0xffffffffu, acc[r], offset);
  if constexpr (W > 1) {
    __shared__ float parts_s[kWarps][R];
    if (lane == 0) {
#pragma unroll
      for (int r = 0; r < R; ++r) parts_s[warp][r] = acc[r];
    }
    __syncthreads();
    if (part != 0) return;
#pragma unroll
    for (int r = 0; r < R; ++r)
      for (int w = 1; w < W; ++w) acc[r] += parts_s[warp + w][r];
  }
  if (lane != 0 || o >= l.out_features) return;
  const float b = l.bias ? to_float<T>(static_cast<const T*>(l.bias)[o]) : 0.0f;
  T* out = static_cast<T*>(l.out);
#pragma unroll
  for (int r = 0; r < R; ++r) out[r * l.out_features + o] = from_float<T>(acc[r] + b);
}

template <typename T, int R, int W>
cudaError_t launch(const DecodeLinear& l, cudaStream_t stream) {
  constexpr int64_t kFeatures = kWarps / W;
  const int64_t blocks = (l.out_features + kFeatures - 1) / kFeatures;
  if (blocks > 2147483647) return cudaErrorInvalidValue;
  decode_linear_kernel<T, R, W><<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(l);
  return cudaGetLastError();
}

template <typename T, int R>
cudaError_t launch_rows(const DecodeLinear& l, int warps, cudaStream_t stream) {
  switch (warps) {
    case 1: return launch<T, R, 1>(l, stream);
    case 2: return launch<T, R, 2>(l, stream);
    case 4: return launch<T, R, 4>(l, stream);
    case 8: return launch<T, R, 8>(l, stream);
    default: return cudaErrorInvalidValue;
  }
}

template <typename T>
cudaError_t launch_typed(const DecodeLinear& l, int warps, cudaStream_t stream) {
  switch (l.rows) {
    case 1: return launch_rows<T, 1>(l, warps, stream);
    case 2: return launch_rows<T, 2>(l, warps, stream);
    case 3: return launch_rows<T, 3>(l, warps, stream);
    case 4: return launch_rows<T, 4>(l, warps, stream);
    default: return cudaErrorInvalidValue;
  }
}

int element_size(DType dtype) { return dtype == DType::f32 ? 4 : 2; }

// How many warps share one output feature when the call doesn't say (DecodeLinear::warps_per_feature).
int decode_linear_warps(DType dtype, int64_t in, int64_t out_features) {
  const int64_t pieces = in * element_size(dtype) / 16;
  int w = 1;
  while (w < kWarps && out_features * w < kTargetWarps && pieces >= 2 * 32 * w) w *= 2;
  return w;
}

}  // namespace

cudaError_t decode_linear(DType dtype, const DecodeLinear& l, cudaStream_t stream) {
  if (l.rows <= 0 || l.out_features <= 0) return cudaSuccess;
  const int64_t vec = 16 / element_size(dtype);
  if (l.rows > kDecodeLinearMaxRows || l.in <= 0 || l.in % vec != 0 || l.x_stride < l.in || l.x_stride % vec != 0 ||
      l.x == nullptr || l.weight == nullptr || l.out == nullptr)
    return cudaErrorInvalidValue;
  for (const void* p : {l.x, l.weight})
    if (reinterpret_cast<uintptr_t>(p) % 16 != 0) return cudaErrorInvalidValue;
  const int warps = l.warps_per_feature > 0 ? l.warps_per_feature : decode_linear_warps(dtype, l.in, l.out_features);
  switch (dtype) {
    case DType::f32: return launch_typed<float>(l, warps, stream);
    case DType::bf16: return launch_typed<__nv_bfloat16>(l, warps, stream);
    case DType::f16: return launch_typed<__half>(l, warps, stream);
  }
  return cudaErrorInvalidValue;
}

}  // namespace vltune::kernels::cuda
