// See fused_decode_ops.h. Arithmetic in float32 with an explicit rounding to the dtype wherever
// the LibTorch operations produce a tensor of that dtype.

#include "core/kernels/cuda/fused_decode_ops.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <math_constants.h>

#include "core/kernels/cuda/element_conversions.cuh"

namespace vltune::kernels::cuda {

namespace {

using detail::from_float;
using detail::round_to;
using detail::to_float;

constexpr int kNormThreads = 256;
constexpr int kNormHeld = 16;  // elements a thread keeps in registers: rows up to 4,096 wide are read once

// One block per row: the sum of squares in float32 (warp shuffles, then across warps). With
// `delta`, the row is R(x + delta) first (the residual add, as torch's add rounds it), written to
// `sum_out`. A row up to kNormThreads * kNormHeld wide stays in registers between the two passes
// (its loads all issued at once, and not repeated); a wider one is read again. Either way each
// thread takes the elements threadIdx.x + i * kNormThreads, in that order.
template <typename T>
__global__ void rms_norm_kernel(const T* __restrict__ x, const T* __restrict__ delta, const T* __restrict__ weight, float eps,
                                int64_t cols, T* __restrict__ sum_out, T* __restrict__ out) {
  const T* row = x + blockIdx.x * cols;
  const T* add = delta ? delta + blockIdx.x * cols : nullptr;
  T* sums = delta ? sum_out + blockIdx.x * cols : nullptr;
  T* dst = out + blockIdx.x * cols;
  const bool held = cols <= static_cast<int64_t>(kNormThreads) * kNormHeld;
  float v_held[kNormHeld];
  float sum = 0.0f;
  if (held) {
#pragma unroll
    for (int i = 0; i < kNormHeld; ++i) {
      const int64_t c = threadIdx.x + static_cast<int64_t>(i) * kNormThreads;
      float v = 0.0f;
      if (c < cols) {
        v = to_float<T>(row[c]);
        if (add) v = round_to<T>(__fadd_rn(v, to_float<T>(add[c])));
      }
      v_held[i] = v;
    }
#pragma unroll
    for (int i = 0; i < kNormHeld; ++i) {
      const int64_t c = threadIdx.x + static_cast<int64_t>(i) * kNormThreads;
      if (c < cols) {
        if (add) sums[c] = from_float<T>(v_held[i]);
        sum = __fadd_rn(sum, __fmul_rn(v_held[i], v_held[i]));
      }
    }
  } else {
    for (int64_t c = threadIdx.x; c < cols; c += kNormThreads) {
      float v = to_float<T>(row[c]);
      if (add) {
        v = round_to<T>(__fadd_rn(v, to_float<T>(add[c])));
        sums[c] = from_float<T>(v);
      }
      sum = __fadd_rn(sum, __fmul_rn(v, v));
    }
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
  if (held) {
#pragma unroll
    for (int i = 0; i < kNormHeld; ++i) {
      const int64_t c = threadIdx.x + static_cast<int64_t>(i) * kNormThreads;
      if (c < cols) {
        const float h = round_to<T>(__fmul_rn(v_held[i], inv_rms));
        dst[c] = from_float<T>(__fmul_rn(to_float<T>(weight[c]), h));
      }
    }
  } else {
    // Each thread reads back only the sums it wrote.
    for (int64_t c = threadIdx.x; c < cols; c += kNormThreads) {
      const float v = to_float<T>(add ? sums[c] : row[c]);
      const float h = round_to<T>(__fmul_rn(v, inv_rms));
      dst[c] = from_float<T>(__fmul_rn(to_float<T>(weight[c]), h));
    }
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

constexpr int kAttnThreads = 256;  // a block's threads, and the keys of one chunk

// The largest (kSum false) or the sum (true) of v over the block; every thread gets it. `red`:
// one float per warp. Ends with a barrier, so shared memory written before the call is visible after.
template <bool kSum>
__device__ __forceinline__ float block_reduce(float v, float* red) {
  for (int offset = 16; offset > 0; offset /= 2) {
    const float other = __shfl_xor_sync(0xffffffffu, v, offset);
    v = kSum ? v + other : fmaxf(v, other);
  }
  if (threadIdx.x % 32 == 0) red[threadIdx.x / 32] = v;
  __syncthreads();
  float r = red[0];
  for (int w = 1; w < static_cast<int>(blockDim.x / 32); ++w) r = kSum ? r + red[w] : fmaxf(r, red[w]);
  __syncthreads();  // red is written again by the next call
  return r;
}

// One block per (batch * head, chunk of kAttnThreads keys). Thread i scores key i of the chunk
// (its row read in 16-byte pieces against q in shared memory); the chunk's softmax weights go to
// shared memory; then kLanes threads a key row, each 16 bytes of it, sum p * v over every
// kGroups-th key (kBatched: their rows loaded several at a time), and the groups' sums are added
// in shared memory. One chunk: the output; several: the chunk's (sum p v, max, sum p) for the combine.
template <typename T, int D, bool kBatched>
__global__ void __launch_bounds__(kAttnThreads) decode_attention_kernel(DecodeAttention a) {
  constexpr int kVec = 16 / static_cast<int>(sizeof(T));  // elements a 16-byte load
  constexpr int kLanes = D / kVec;                        // threads a value row
  constexpr int kGroups = kAttnThreads / kLanes;          // key groups of the value pass
  static_assert(D % kVec == 0 && kAttnThreads % kLanes == 0 && D <= kAttnThreads, "head size");
  __shared__ float q_s[D];
  __shared__ float p_s[kAttnThreads];
  __shared__ float red_s[kAttnThreads / 32];
  __shared__ float acc_s[kGroups][D];
  const int tid = static_cast<int>(threadIdx.x);
  const int64_t bh = blockIdx.x;
  const int64_t b = bh / a.heads, h = bh % a.heads;
  const int64_t kvh = h / (a.heads / a.kv_heads);
  const int64_t t0 = static_cast<int64_t>(blockIdx.y) * kAttnThreads;
  const int n = static_cast<int>(a.keys - t0 < kAttnThreads ? a.keys - t0 : kAttnThreads);
  const T* q = static_cast<const T*>(a.q) + b * a.q_stride_b + h * a.q_stride_h;
  if (tid < D) q_s[tid] = to_float<T>(q[tid]);
  __syncthreads();

  float s = -CUDART_INF_F;
  if (tid < n) {
    const int64_t t = t0 + tid;
    const float m = a.mask ? to_float<T>(static_cast<const T*>(a.mask)[b * a.mask_stride_b + t * a.mask_stride_t]) : 0.0f;
    if (m > -1e30f) {  // a masked key (the models' "lowest") is never read
      const T* row = static_cast<const T*>(a.k) + b * a.k_stride[0] + kvh * a.k_stride[1] + t * a.k_stride[2];
      float dot = 0.0f;
#pragma unroll
      for (int c = 0; c < D; c += kVec) {
        const uint4 raw = *reinterpret_cast<const uint4*>(row + c);
        const T* e = reinterpret_cast<const T*>(&raw);
#pragma unroll
        for (int j = 0; j < kVec; ++j) dot = fmaf(q_s[c + j], to_float<T>(e[j]), dot);
      }
      s = __fadd_rn(__fmul_rn(dot, a.scale), m);
    }
  }
  const float top = block_reduce<false>(s, red_s);
  const float p = s == -CUDART_INF_F ? 0.0f : expf(s - top);
  p_s[tid] = p;
  const float total = block_reduce<true>(p, red_s);  // its barrier publishes p_s

  const int lane = tid % kLanes, g = tid / kLanes;
  const T* rows = static_cast<const T*>(a.v) + b * a.v_stride[0] + kvh * a.v_stride[1] + t0 * a.v_stride[2] + lane * kVec;
  float acc[kVec];
#pragma unroll
  for (int e = 0; e < kVec; ++e) acc[e] = 0.0f;
  if constexpr (kBatched) {
    // The group's rows kBatch at a time, each batch's loads all issued before any is used (a load
    // behind a branch on its key's weight waits for the one before). A masked key's row is read
    // too but doesn't count: its weight of 0 selects the sum as it was (so no 0 * NaN from a slot
    // never written). The same additions in the same order as the loop below.
    constexpr int kRows = kAttnThreads / kGroups;  // rows a group takes of a full chunk
    constexpr int kBatch = kRows < 8 ? kRows : 8;
    static_assert(kRows % kBatch == 0, "rows per group");
#pragma unroll
    for (int first = 0; first < kRows; first += kBatch) {
      uint4 raw[kBatch];
#pragma unroll
      for (int r = 0; r < kBatch; ++r) {
        const int j = g + (first + r) * kGroups;
        raw[r] = j < n ? *reinterpret_cast<const uint4*>(rows + j * a.v_stride[2]) : make_uint4(0, 0, 0, 0);
      }
#pragma unroll
      for (int r = 0; r < kBatch; ++r) {
        const int j = g + (first + r) * kGroups;
        const float pj = j < n ? p_s[j] : 0.0f;
        const T* e = reinterpret_cast<const T*>(&raw[r]);
#pragma unroll
        for (int i = 0; i < kVec; ++i) acc[i] = pj != 0.0f ? fmaf(pj, to_float<T>(e[i]), acc[i]) : acc[i];
      }
    }
  } else {
#pragma unroll 4
    for (int j = g; j < n; j += kGroups) {
      const float pj = p_s[j];
      if (pj == 0.0f) continue;
      const uint4 raw = *reinterpret_cast<const uint4*>(rows + j * a.v_stride[2]);
      const T* e = reinterpret_cast<const T*>(&raw);
#pragma unroll
      for (int i = 0; i < kVec; ++i) acc[i] = fmaf(pj, to_float<T>(e[i]), acc[i]);
    }
  }
#pragma unroll
  for (int e = 0; e < kVec; ++e) acc_s[g][lane * kVec + e] = acc[e];
  __syncthreads();
  if (tid >= D) return;
  float sum = 0.0f;
#pragma unroll
  for (int o = 0; o < kGroups; ++o) sum += acc_s[o][tid];
  if (gridDim.y == 1) {
    static_cast<T*>(a.out)[bh * D + tid] = from_float<T>(total > 0.0f ? sum / total : 0.0f);
  } else {
    float* part = a.workspace + (bh * gridDim.y + blockIdx.y) * (D + 2);
    part[tid] = sum;
    if (tid == 0) {
      part[D] = top;
      part[D + 1] = total;
    }
  }
}

// The chunks' partial sums of one (batch * head) a block, each rescaled to the largest max.
template <typename T>
__global__ void decode_attention_combine_kernel(const float* __restrict__ work, int chunks, int head_dim, T* __restrict__ out) {
  const int64_t bh = blockIdx.x;
  const int64_t width = head_dim + 2;
  const float* w = work + bh * chunks * width;
  float top = -CUDART_INF_F;
  for (int c = 0; c < chunks; ++c)
    if (w[c * width + head_dim + 1] > 0.0f) top = fmaxf(top, w[c * width + head_dim]);
  for (int d = static_cast<int>(threadIdx.x); d < head_dim; d += static_cast<int>(blockDim.x)) {
    float acc = 0.0f, total = 0.0f;
    for (int c = 0; c < chunks; ++c) {
      const float* part = w + c * width;
      if (part[head_dim + 1] <= 0.0f) continue;  // every key of the chunk masked
      const float rescale = expf(part[head_dim] - top);
      acc = fmaf(part[d], rescale, acc);
      total = fmaf(part[head_dim + 1], rescale, total);
    }
    out[bh * head_dim + d] = from_float<T>(total > 0.0f ? acc / total : 0.0f);
  }
}

// Thread i copies element i % n of k's rows (i < n) or of v's (n = B * KV * D).
template <typename E>
__global__ void cache_write_kernel(CacheWrite w, int64_t n) {
  const int64_t slot = *w.slot;
  if (slot < 0 || slot >= w.capacity) return;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < 2 * n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const bool is_v = i >= n;
    const int64_t j = is_v ? i - n : i;
    const int64_t d = j % w.head_dim, bh = j / w.head_dim;
    const int64_t b = bh / w.kv_heads, h = bh % w.kv_heads;
    const int64_t* stride = is_v ? w.v_stride : w.k_stride;
    const E* src = static_cast<const E*>(is_v ? w.v : w.k);
    E* dst = static_cast<E*>(is_v ? w.v_cache : w.k_cache);
    dst[(bh * w.capacity + slot) * w.head_dim + d] = src[b * stride[0] + h * stride[1] + d];
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

template <typename T, int D>
cudaError_t decode_attention_as(const DecodeAttention& a, cudaStream_t stream) {
  const int64_t chunks = (a.keys + kAttnThreads - 1) / kAttnThreads;
  const dim3 grid(static_cast<unsigned>(a.batch * a.heads), static_cast<unsigned>(chunks));
  if (a.batched_values)
    decode_attention_kernel<T, D, true><<<grid, kAttnThreads, 0, stream>>>(a);
  else
    decode_attention_kernel<T, D, false><<<grid, kAttnThreads, 0, stream>>>(a);
  if (chunks > 1)
    decode_attention_combine_kernel<T><<<grid.x, D, 0, stream>>>(a.workspace, static_cast<int>(chunks), D, static_cast<T*>(a.out));
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

// decode_attention_as<T, D> for the head sizes there are kernels for.
template <typename T>
cudaError_t decode_attention_for(const DecodeAttention& a, cudaStream_t stream) {
  switch (a.head_dim) {
    case 64: return decode_attention_as<T, 64>(a, stream);
    case 128: return decode_attention_as<T, 128>(a, stream);
    case 256: return decode_attention_as<T, 256>(a, stream);
    default: return cudaErrorInvalidValue;
  }
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

int64_t decode_attention_workspace(int64_t batch, int64_t heads, int64_t keys, int64_t head_dim) {
  const int64_t chunks = (keys + kAttnThreads - 1) / kAttnThreads;
  return chunks > 1 ? batch * heads * chunks * (head_dim + 2) : 0;
}

cudaError_t decode_attention(DType dtype, const DecodeAttention& a, cudaStream_t stream) {
  if (a.batch <= 0 || a.heads <= 0) return cudaSuccess;
  const int64_t chunks = (a.keys + kAttnThreads - 1) / kAttnThreads;
  if (a.keys <= 0 || a.kv_heads <= 0 || a.heads % a.kv_heads != 0 || a.batch * a.heads > 2147483647 || chunks > 65535 ||
      (chunks > 1 && a.workspace == nullptr))
    return cudaErrorInvalidValue;
  return for_dtype(dtype, [&](auto t) { return decode_attention_for<decltype(t)>(a, stream); });
}

cudaError_t cache_write(const CacheWrite& w, cudaStream_t stream) {
  const int64_t n = w.batch * w.kv_heads * w.head_dim;
  if (n <= 0) return cudaSuccess;
  if (w.slot == nullptr || w.capacity <= 0) return cudaErrorInvalidValue;
  switch (w.element_size) {
    case 2: cache_write_kernel<uint16_t><<<grid_for(2 * n, 256), 256, 0, stream>>>(w, n); break;
    case 4: cache_write_kernel<uint32_t><<<grid_for(2 * n, 256), 256, 0, stream>>>(w, n); break;
    default: return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

}  // namespace vltune::kernels::cuda
