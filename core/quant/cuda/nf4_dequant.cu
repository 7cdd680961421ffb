// See nf4_dequant.h. One thread per packed byte (two outputs); the code book in constant memory.

#include "core/quant/cuda/nf4_dequant.h"

#include <cuda_bf16.h>

namespace vltune::quant::cuda {

namespace {

// The NF4 values of core/quant/nf4.h (bitsandbytes' nf4_dequantization_lut).
__constant__ float kCode[16] = {
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f, -0.28444138169288635f,
    -0.18477343022823334f, -0.09105003625154495f, 0.0f, 0.07958029955625534f, 0.16093020141124725f,
    0.24611230194568634f, 0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f,
    0.7229568362236023f, 1.0f};

__device__ __forceinline__ float block_scale(int64_t block, const uint8_t* absmax_q, const float* map, const float* absmax2,
                                             float offset, const float* absmax_f, int blocksize2) {
  if (absmax_f) return absmax_f[block];
  // Two float operations, as bitsandbytes' dequantize_blockwise followed by `absmax += offset`.
  return __fadd_rn(__fmul_rn(map[absmax_q[block]], absmax2[block / blocksize2]), offset);
}

__global__ void dequantize_nf4_bf16_kernel(const uint8_t* __restrict__ packed, const uint8_t* __restrict__ absmax_q,
                                           const float* __restrict__ map, const float* __restrict__ absmax2, float offset,
                                           const float* __restrict__ absmax_f, int64_t n, int blocksize, int blocksize2,
                                           __nv_bfloat16* __restrict__ out) {
  const int64_t bytes = (n + 1) / 2;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < bytes;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const uint8_t b = packed[i];
    const int64_t e = 2 * i;  // blocksize is even: both elements share a block
    const float s = block_scale(e / blocksize, absmax_q, map, absmax2, offset, absmax_f, blocksize2);
    out[e] = __float2bfloat16_rn(__fmul_rn(kCode[b >> 4], s));
    if (e + 1 < n) out[e + 1] = __float2bfloat16_rn(__fmul_rn(kCode[b & 15], s));
  }
}

}  // namespace

cudaError_t dequantize_nf4_bf16(const uint8_t* packed, const uint8_t* absmax_q, const float* map, const float* absmax2,
                                float offset, const float* absmax_f, int64_t n, int blocksize, int blocksize2,
                                void* out_bf16, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  if (blocksize < 2 || blocksize % 2 != 0 || (!absmax_f && (!absmax_q || !map || !absmax2 || blocksize2 < 1)))
    return cudaErrorInvalidValue;
  constexpr int threads = 256;
  const int64_t bytes = (n + 1) / 2;
  const int blocks = static_cast<int>(bytes / threads + 1 < 65535 * 16 ? bytes / threads + 1 : 65535 * 16);
  dequantize_nf4_bf16_kernel<<<blocks, threads, 0, stream>>>(packed, absmax_q, map, absmax2, offset, absmax_f, n, blocksize,
                                                             blocksize2, static_cast<__nv_bfloat16*>(out_bf16));
  return cudaGetLastError();
}

}  // namespace vltune::quant::cuda
