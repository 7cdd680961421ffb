// See fused_decode_ops.h. Arithmetic in float32 with an explicit rounding to the dtype wherever
// the LibTorch operations produce a tensor of that dtype.

#include "core/kernels/cuda/fused_decode_ops.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace vltune::kernels::cuda {

namespace {

template <typename T>
__device__ __forceinline__ float to_float(T v);
template <>
__device__ __forceinline__ float to_float<float>(float v) { return v; }
template <>
__device__ __forceinline__ float to_float<__nv_bfloat16>(__nv_bfloat16 v) { return __bfloat162float(v); }
template <>
__device__ __forceinline__ float to_float<__half>(__half v) { return __half2float(v); }

template <typename T>
__device__ __forceinline__ T from_float(float v);
template <>
__device__ __forceinline__ float from_float<float>(float v) { return v; }
template <>
__device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }
template <>
__device__ __forceinline__ __half from_float<__half>(float v) { return __float2half_rn(v); }

// v rounded to T and back: the value a tensor of dtype T holds.
template <typename T>
__device__ __forceinline__ float round_to(float v) { return to_float<T>(from_float<T>(v)); }

constexpr int kNormThreads = 256;

// One block per row: the sum of squares in float32 (warp shuffles, then across warps). With
// `delta`, the row is R(x + delta) first (the residual add, as torch's add rounds it), written to
// `sum_out`; each thread reads back only the elements it wrote.
template <typename T>
__global__ void rms_norm_kernel(const T* __restrict__ x, const T* __restrict__ delta, const T* __restrict__ weight, float eps,
                                int64_t cols, T* __restrict__ sum_out, T* __restrict__ out) {
  const T* row = x + blockIdx.x * cols;
  const T* add = delta ? delta + blockIdx.x * cols : nullptr;
  T* sums = delta ? sum_out + blockIdx.x * cols : nullptr;
  T* dst = out + blockIdx.x * cols;
  float sum = 0.0f;
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
    float v = to_float<T>(row[c]);
    if (add) {
      v = round_to<T>(__fadd_rn(v, to_float<T>(add[c])));
      sums[c] = from_float<T>(v);
    }
    sum = __fadd_rn(sum, __fmul_rn(v, v));
  }
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, offset);
  __shared__ float warp_sums[kNormThreads / 32];
  __shared__ float inv_rms;
  if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = sum;
  __syncthreads();
  if (threadIdx.x == 0) {
    float total = 0.0f;
    for (int w = 0; w < kNormThreads / 32; ++w) total += warp_sums[w];
    // mean as ATen's: the sum times 1/n; then + eps in float32 and rsqrt (ATen's rsqrt_wrapper).
    const float mean = __fmul_rn(total, 1.0f / static_cast<float>(cols));
    inv_rms = rsqrtf(__fadd_rn(mean, eps));
  }
  __syncthreads();
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
    const float v = to_float<T>(add ? sums[c] : row[c]);
    const float h = round_to<T>(__fmul_rn(v, inv_rms));
    dst[c] = from_float<T>(__fmul_rn(to_float<T>(weight[c]), h));
  }
}

// Element i of the output is (row i / cols, column i % cols); gate's and up's rows lie `stride`
// elements apart (cols when contiguous; twice that for the halves of one [rows, 2 * cols] product).
template <typename T>
__global__ void silu_mul_kernel(const T* __restrict__ gate, const T* __restrict__ up, int64_t rows, int64_t cols,
                                int64_t stride, T* __restrict__ out) {
  const int64_t n = rows * cols;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t row = i / cols;
    const int64_t at = row * stride + (i - row * cols);
    const float g = to_float<T>(gate[at]);
    // ATen's silu: x / (1 + exp(-x)) in float32, rounded to the dtype; then the product, rounded.
    const float s = round_to<T>(g / (1.0f + expf(-g)));
    out[i] = from_float<T>(__fmul_rn(s, to_float<T>(up[at])));
  }
}

struct Shape4 {
  int64_t size[4];
  int64_t x_stride[4];
  int64_t cs_stride[4];
};

template <typename T>
__global__ void rotary_kernel(const T* __restrict__ x, const T* __restrict__ cos, const T* __restrict__ sin, Shape4 s,
                              int64_t n, T* __restrict__ out) {
  const int64_t d_size = s.size[3], half = d_size / 2;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t rest = i;
    const int64_t d = rest % d_size;
    rest /= d_size;
    const int64_t t = rest % s.size[2];
    rest /= s.size[2];
    const int64_t h = rest % s.size[1];
    const int64_t b = rest / s.size[1];
    const int64_t xo = b * s.x_stride[0] + h * s.x_stride[1] + t * s.x_stride[2];
    const int64_t co = b * s.cs_stride[0] + h * s.cs_stride[1] + t * s.cs_stride[2] + d * s.cs_stride[3];
    const float xv = to_float<T>(x[xo + d * s.x_stride[3]]);
    // rotate_half: [-x2, x1] (the negation is exact)
    const float rot = d < half ? -to_float<T>(x[xo + (d + half) * s.x_stride[3]]) : to_float<T>(x[xo + (d - half) * s.x_stride[3]]);
    const float a = round_to<T>(__fmul_rn(xv, to_float<T>(cos[co])));
    const float c = round_to<T>(__fmul_rn(rot, to_float<T>(sin[co])));
    out[i] = from_float<T>(__fadd_rn(a, c));
  }
}

int grid_for(int64_t n, int threads) {
  const int64_t blocks = (n + threads - 1) / threads;
  return static_cast<int>(blocks < 65535 * 16 ? (blocks > 0 ? blocks : 1) : 65535 * 16);
}

template <typename T>
cudaError_t rms_norm_as(const void* x, const void* delta, const void* weight, float eps, int64_t rows, int64_t cols,
                        void* sum_out, void* out, cudaStream_t stream) {
  rms_norm_kernel<T><<<static_cast<unsigned>(rows), kNormThreads, 0, stream>>>(
      static_cast<const T*>(x), static_cast<const T*>(delta), static_cast<const T*>(weight), eps, cols, static_cast<T*>(sum_out),
      static_cast<T*>(out));
  return cudaGetLastError();
}

template <typename T>
cudaError_t silu_mul_as(const void* gate, const void* up, int64_t rows, int64_t cols, int64_t stride, void* out,
                        cudaStream_t stream) {
  silu_mul_kernel<T><<<grid_for(rows * cols, 256), 256, 0, stream>>>(static_cast<const T*>(gate), static_cast<const T*>(up),
                                                                     rows, cols, stride, static_cast<T*>(out));
  return cudaGetLastError();
}

template <typename T>
cudaError_t rotary_as(const void* x, const Shape4& s, const void* cos, const void* sin, void* out, cudaStream_t stream) {
  const int64_t n = s.size[0] * s.size[1] * s.size[2] * s.size[3];
  rotary_kernel<T><<<grid_for(n, 256), 256, 0, stream>>>(static_cast<const T*>(x), static_cast<const T*>(cos),
                                                         static_cast<const T*>(sin), s, n, static_cast<T*>(out));
  return cudaGetLastError();
}

// launch(T{}) with T the element type of `dtype`.
template <typename Launch>
cudaError_t for_dtype(DType dtype, Launch&& launch) {
  switch (dtype) {
    case DType::f32: return launch(float{});
    case DType::bf16: return launch(__nv_bfloat16{});
    case DType::f16: return launch(__half{});
  }
  return cudaErrorInvalidValue;
}

}  // namespace

cudaError_t rms_norm(DType dtype, const void* x, const void* weight, float eps, int64_t rows, int64_t cols, void* out,
                     cudaStream_t stream) {
  if (rows <= 0 || cols <= 0) return cudaSuccess;
  if (rows > 2147483647) return cudaErrorInvalidValue;
  return for_dtype(dtype, [&](auto t) {
    return rms_norm_as<decltype(t)>(x, /*delta=*/nullptr, weight, eps, rows, cols, /*sum_out=*/nullptr, out, stream);
  });
}

cudaError_t add_rms_norm(DType dtype, const void* x, const void* delta, const void* weight, float eps, int64_t rows, int64_t cols,
                         void* sum_out, void* out, cudaStream_t stream) {
  if (rows <= 0 || cols <= 0) return cudaSuccess;
  if (rows > 2147483647 || delta == nullptr || sum_out == nullptr) return cudaErrorInvalidValue;
  return for_dtype(dtype, [&](auto t) {
    return rms_norm_as<decltype(t)>(x, delta, weight, eps, rows, cols, sum_out, out, stream);
  });
}

cudaError_t silu_mul(DType dtype, const void* gate, const void* up, int64_t rows, int64_t cols, int64_t stride, void* out,
                     cudaStream_t stream) {
  if (rows <= 0 || cols <= 0) return cudaSuccess;
  if (stride < cols) return cudaErrorInvalidValue;
  return for_dtype(dtype, [&](auto t) { return silu_mul_as<decltype(t)>(gate, up, rows, cols, stride, out, stream); });
}

cudaError_t rotary(DType dtype, const void* x, const int64_t x_strides[4], const void* cos, const void* sin,
                   const int64_t cs_strides[4], const int64_t sizes[4], void* out, cudaStream_t stream) {
  Shape4 s{};
  for (int i = 0; i < 4; ++i) {
    if (sizes[i] <= 0) return cudaSuccess;
    s.size[i] = sizes[i];
    s.x_stride[i] = x_strides[i];
    s.cs_stride[i] = cs_strides[i];
  }
  if (s.size[3] % 2 != 0) return cudaErrorInvalidValue;
  return for_dtype(dtype, [&](auto t) { return rotary_as<decltype(t)>(x, s, cos, sin, out, stream); });
}

}  // namespace vltune::kernels::cuda
