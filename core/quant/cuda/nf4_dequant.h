#pragma once
// NF4 dequantisation on a CUDA device (bitsandbytes' layout, see core/quant/nf4.h), to bfloat16.
// Plain CUDA C++: no LibTorch here, so the kernel library builds with nvcc alone.

#include <cstdint>

#include <cuda_runtime_api.h>

namespace vltune::quant::cuda {

// out[i] = bf16(NF4[code(i)] * absmax(i / blocksize)) for i < n, where code(i) is the high nibble
// of packed[i / 2] for even i, the low one for odd i, and with double quantisation
// absmax(b) = map[absmax_q[b]] * absmax2[b / blocksize2] + offset (all float32), else
// absmax(b) = absmax_f[b]. Pass absmax_q, map (256 floats) and absmax2 for double quantisation
// (absmax_f null), or absmax_f alone. All pointers are device memory. Asynchronous on `stream`;
// returns the launch's error (cudaSuccess when queued).
cudaError_t dequantize_nf4_bf16(const uint8_t* packed, const uint8_t* absmax_q, const float* map, const float* absmax2,
                                float offset, const float* absmax_f, int64_t n, int blocksize, int blocksize2,
                                void* out_bf16, cudaStream_t stream);

}  // namespace vltune::quant::cuda
