#include "core/kernels/fused_ops.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/env_switch.h"
#include "core/error.h"

#if defined(VLTUNE_WITH_CUDA_KERNELS)
#include "core/kernels/cuda/fused_decode_ops.h"
#include "core/kernels/kernel_launch.h"
#endif

namespace vltune::kernels {

namespace {

// Which dtypes take the kernels: none, bfloat16 / float16 (the default), or float32 too.
enum class Mode : int { off, half, all };

std::atomic<Mode>& mode() {
  static std::atomic<Mode> m{[] {
    const char* v = std::getenv("VLTUNE_FUSED_KERNELS");
    if (v != nullptr && std::strcmp(v, "1") == 0) return Mode::all;
    if (v != nullptr && std::strcmp(v, "0") == 0) return Mode::off;
    return Mode::half;
  }()};
  return m;
}

bool fusable_dtype(torch::ScalarType t) {
  return t == torch::kFloat32 || t == torch::kBFloat16 || t == torch::kHalf;
}

#if defined(VLTUNE_WITH_CUDA_KERNELS)
using detail::check;
using detail::dtype_of;
using detail::rows_stride;
using detail::stream_of;

// The decode attention kernel's value pass with its rows loaded 8 at a time, the same arithmetic:
// on only where VLTUNE_ATTENTION_BATCHED_VALUES=1. On an H200 (bench/RESULTS.md, run G) it saved
// 1-6 us a call alone and nothing in the 2B's or 3B's decode, so it stays off.
bool attention_batched_values() { return switch_on(Switch::attention_batched_values); }
#else
[[noreturn]] void not_built(const char* what) { throw Error(std::string("fused ") + what + ": this build has no CUDA kernels"); }
#endif

}  // namespace

bool fused_kernels_built() {
#if defined(VLTUNE_WITH_CUDA_KERNELS)
  return true;
#else
  return false;
#endif
}

bool fused_kernels_enabled() { return fused_kernels_built() && mode().load(std::memory_order_relaxed) != Mode::off; }

bool fused_kernels_take_float32() { return fused_kernels_built() && mode().load(std::memory_order_relaxed) == Mode::all; }

void set_fused_kernels_enabled(bool on) { mode().store(on ? Mode::all : Mode::off, std::memory_order_relaxed); }

bool fused_applies(const torch::Tensor& x, const torch::Tensor& other) {
  if (!fused_kernels_enabled() || !x.defined() || !x.is_cuda() || !fusable_dtype(x.scalar_type())) return false;
  if (x.scalar_type() == torch::kFloat32 && !fused_kernels_take_float32()) return false;
  if (other.defined() && (other.device() != x.device() || other.scalar_type() != x.scalar_type())) return false;
  // Autograd can't see through the kernels: training keeps the operations.
  if (at::GradMode::is_enabled() && (x.requires_grad() || (other.defined() && other.requires_grad()))) return false;
  return true;
}

bool rotary_fits(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  if (x.dim() != 4 || cos.dim() != 4 || sin.dim() != 4 || x.size(3) % 2 != 0) return false;
  if (cos.sizes() != sin.sizes() || cos.strides() != sin.strides() || sin.scalar_type() != x.scalar_type() ||
      sin.device() != x.device())
    return false;
  for (int i = 0; i < 4; ++i)
    if (cos.size(i) != x.size(i) && cos.size(i) != 1) return false;
  return cos.size(3) == x.size(3);
}

#if defined(VLTUNE_WITH_CUDA_KERNELS)
namespace {

// The rows of x's last dimension an RMSNorm kernel normalises, after checking `weight` is one per
// column; `what` names the kernel in the error.
int64_t norm_rows(const torch::Tensor& x, const torch::Tensor& weight, const char* what) {
  const int64_t cols = x.size(-1);
  if (weight.dim() != 1 || weight.size(0) != cols)
    throw Error(std::string("fused ") + what + ": weight [" + std::to_string(cols) + "] expected, got " + c10::str(weight.sizes()));
  return cols > 0 ? x.numel() / cols : 0;
}

}  // namespace
#endif

torch::Tensor fused_rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
#if defined(VLTUNE_WITH_CUDA_KERNELS)
  const int64_t cols = x.size(-1), rows = norm_rows(x, weight, "RMSNorm");
  const auto xc = x.contiguous();
  const auto wc = weight.contiguous();
  auto out = torch::empty_like(xc);
  check(cuda::rms_norm(dtype_of(xc), xc.data_ptr(), wc.data_ptr(), static_cast<float>(eps), rows, cols,
                       out.data_ptr(), stream_of(xc)),
        "RMSNorm");
  return out;
#else
  (void)x, (void)weight, (void)eps;
  not_built("RMSNorm");
#endif
}

std::pair<torch::Tensor, torch::Tensor> fused_add_rms_norm(const torch::Tensor& x, const torch::Tensor& delta,
                                                           const torch::Tensor& weight, double eps) {
#if defined(VLTUNE_WITH_CUDA_KERNELS)
  const int64_t cols = x.size(-1), rows = norm_rows(x, weight, "add + RMSNorm");
  if (delta.sizes() != x.sizes())
    throw Error("fused add + RMSNorm: shapes " + c10::str(x.sizes()) + " and " + c10::str(delta.sizes()) + " differ");
  const auto xc = x.contiguous(), dc = delta.contiguous(), wc = weight.contiguous();
  auto sum = torch::empty_like(xc), out = torch::empty_like(xc);
  check(cuda::add_rms_norm(dtype_of(xc), xc.data_ptr(), dc.data_ptr(), wc.data_ptr(), static_cast<float>(eps), rows, cols,
                           sum.data_ptr(), out.data_ptr(), stream_of(xc)),
        "add + RMSNorm");
  return {sum, out};
#else
  (void)x, (void)delta, (void)weight, (void)eps;
  not_built("add + RMSNorm");
#endif
}

torch::Tensor fused_silu_mul(const torch::Tensor& gate, const torch::Tensor& up) {
#if defined(VLTUNE_WITH_CUDA_KERNELS)
  if (gate.sizes() != up.sizes())
    throw Error("fused silu * up: shapes " + c10::str(gate.sizes()) + " and " + c10::str(up.sizes()) + " differ");
  const int64_t cols = gate.dim() == 0 ? 1 : gate.size(-1);
  auto out = torch::empty(gate.sizes(), gate.options().memory_format(torch::MemoryFormat::Contiguous));
  // Rows read where they lie when both are laid out as rows a common stride apart (the halves of
  // one merged gate/up product); otherwise from contiguous copies.
  const int64_t stride = rows_stride(gate);
  if (stride > 0 && stride == rows_stride(up)) {
    check(cuda::silu_mul(dtype_of(gate), gate.data_ptr(), up.data_ptr(), gate.numel() / std::max<int64_t>(cols, 1), cols, stride,
                         out.data_ptr(), stream_of(gate)),
          "silu * up");
    return out;
  }
  const auto g = gate.contiguous(), u = up.contiguous();
  check(cuda::silu_mul(dtype_of(g), g.data_ptr(), u.data_ptr(), g.numel() / std::max<int64_t>(cols, 1), cols, cols,
                       out.data_ptr(), stream_of(g)),
        "silu * up");
  return out;
#else
  (void)gate, (void)up;
  not_built("silu * up");
#endif
}

torch::Tensor fused_rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
#if defined(VLTUNE_WITH_CUDA_KERNELS)
  if (!rotary_fits(x, cos, sin))
    throw Error("fused rotary: x [B, H, T, D] with cos/sin broadcasting to it expected, got " + c10::str(x.sizes()) + " and " +
                c10::str(cos.sizes()));
  auto out = torch::empty(x.sizes(), x.options().memory_format(torch::MemoryFormat::Contiguous));
  int64_t sizes[4], xs[4], cs[4];
  for (int i = 0; i < 4; ++i) {
    sizes[i] = x.size(i);
    xs[i] = x.stride(i);
    cs[i] = cos.size(i) == 1 ? 0 : cos.stride(i);
  }
  check(cuda::rotary(dtype_of(x), x.data_ptr(), xs, cos.data_ptr(), sin.data_ptr(), cs, sizes, out.data_ptr(), stream_of(x)),
        "rotary");
  return out;
#else
  (void)x, (void)cos, (void)sin;
  not_built("rotary");
#endif
}

void set_fused_attention_enabled(bool on) { set_switch(Switch::fused_attention, on); }

bool decode_attention_fits(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const torch::Tensor& mask) {
  if (!switch_on(Switch::fused_attention)) return false;
  if (!q.defined() || !k.defined() || !v.defined() || q.dim() != 4 || k.dim() != 4 || v.sizes() != k.sizes() || q.size(2) != 1)
    return false;
  const int64_t d = q.size(3);
  if ((d != 64 && d != 128 && d != 256) || k.size(3) != d || k.size(0) != q.size(0) || k.size(1) == 0 || k.size(2) == 0 ||
      q.size(1) % k.size(1) != 0)
    return false;
  if (k.scalar_type() != q.scalar_type() || v.scalar_type() != q.scalar_type() || k.device() != q.device() ||
      v.device() != q.device())
    return false;
  if (q.stride(3) != 1 || k.stride(3) != 1 || v.stride(3) != 1) return false;
  // k's and v's rows are read in 16-byte pieces.
  const int64_t per_16_bytes = 16 / static_cast<int64_t>(q.element_size());
  for (const auto* t : {&k, &v}) {
    if (reinterpret_cast<std::uintptr_t>(t->data_ptr()) % 16 != 0) return false;
    for (int i = 0; i < 3; ++i)
      if (t->size(i) > 1 && t->stride(i) % per_16_bytes != 0) return false;
  }
  if (mask.defined() && (mask.dim() != 4 || mask.size(1) != 1 || mask.size(2) != 1 || mask.size(3) != k.size(2) ||
                         (mask.size(0) != 1 && mask.size(0) != q.size(0)) || mask.device() != q.device()))
    return false;
  return true;
}

torch::Tensor fused_decode_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                     const torch::Tensor& mask, double scale) {
#if defined(VLTUNE_WITH_CUDA_KERNELS)
  if (!decode_attention_fits(q, k, v, mask))
    throw Error("fused decode attention: q [B, H, 1, D] and k/v [B, KV, keys, D] (D 64, 128 or 256, H a multiple of KV) expected, got " +
                c10::str(q.sizes()) + ", " + c10::str(k.sizes()) + " and " + c10::str(v.sizes()));
  const int64_t batch = q.size(0), heads = q.size(1), dim = q.size(3), keys = k.size(2);
  auto out = torch::empty({batch, heads, 1, dim}, q.options().memory_format(torch::MemoryFormat::Contiguous));
  const torch::Tensor m = mask.defined() ? mask.to(q.scalar_type()) : torch::Tensor();  // as SDPA is handed it
  const int64_t floats = cuda::decode_attention_workspace(batch, heads, keys, dim);
  const torch::Tensor work = floats > 0 ? torch::empty({floats}, q.options().dtype(torch::kFloat32)) : torch::Tensor();
  cuda::DecodeAttention a;
  a.q = q.data_ptr();
  a.q_stride_b = q.stride(0);
  a.q_stride_h = q.stride(1);
  a.k = k.data_ptr();
  a.v = v.data_ptr();
  for (int i = 0; i < 3; ++i) {
    a.k_stride[i] = k.stride(i);
    a.v_stride[i] = v.stride(i);
  }
  if (m.defined()) {
    a.mask = m.data_ptr();
    a.mask_stride_b = m.size(0) == 1 ? 0 : m.stride(0);
    a.mask_stride_t = m.stride(3);
  }
  a.batch = batch;
  a.heads = heads;
  a.kv_heads = k.size(1);
  a.keys = keys;
  a.head_dim = dim;
  a.scale = static_cast<float>(scale);
  a.workspace = work.defined() ? work.data_ptr<float>() : nullptr;
  a.batched_values = attention_batched_values();
  a.out = out.data_ptr();
  check(cuda::decode_attention(dtype_of(q), a, stream_of(q)), "decode attention");
  return out;
#else
  (void)q, (void)k, (void)v, (void)mask, (void)scale;
  not_built("decode attention");
#endif
}

bool cache_write_fits(const torch::Tensor& k_cache, const torch::Tensor& v_cache, const torch::Tensor& slot,
                      const torch::Tensor& k, const torch::Tensor& v) {
  if (!k_cache.defined() || !v_cache.defined() || !slot.defined() || !k.defined() || !v.defined()) return false;
  if (k.dim() != 4 || k.size(2) != 1 || v.sizes() != k.sizes() || k_cache.dim() != 4 || v_cache.sizes() != k_cache.sizes())
    return false;
  if (k_cache.size(0) != k.size(0) || k_cache.size(1) != k.size(1) || k_cache.size(3) != k.size(3)) return false;
  if (!k_cache.is_contiguous() || !v_cache.is_contiguous() || (k.size(3) > 1 && (k.stride(3) != 1 || v.stride(3) != 1)))
    return false;
  for (const auto* t : {&v, &k_cache, &v_cache})
    if (t->scalar_type() != k.scalar_type() || t->device() != k.device()) return false;
  if (k.element_size() != 2 && k.element_size() != 4) return false;
  return slot.scalar_type() == torch::kLong && slot.numel() == 1 && slot.device() == k.device();
}

void fused_cache_write(const torch::Tensor& k_cache, const torch::Tensor& v_cache, const torch::Tensor& slot,
                       const torch::Tensor& k, const torch::Tensor& v) {
#if defined(VLTUNE_WITH_CUDA_KERNELS)
  if (!cache_write_fits(k_cache, v_cache, slot, k, v))
    throw Error("fused KV cache write: k/v [B, KV, 1, D] into contiguous caches [B, KV, capacity, D] at an int64 slot expected, got " +
                c10::str(k.sizes()) + " into " + c10::str(k_cache.sizes()));
  cuda::CacheWrite w;
  w.k = k.data_ptr();
  w.v = v.data_ptr();
  w.k_stride[0] = k.stride(0);
  w.k_stride[1] = k.stride(1);
  w.v_stride[0] = v.stride(0);
  w.v_stride[1] = v.stride(1);
  w.k_cache = k_cache.data_ptr();
  w.v_cache = v_cache.data_ptr();
  w.slot = slot.data_ptr<int64_t>();
  w.batch = k.size(0);
  w.kv_heads = k.size(1);
  w.capacity = k_cache.size(2);
  w.head_dim = k.size(3);
  w.element_size = static_cast<int64_t>(k.element_size());
  check(cuda::cache_write(w, stream_of(k)), "KV cache write");
#else
  (void)k_cache, (void)v_cache, (void)slot, (void)k, (void)v;
  not_built("KV cache write");
#endif
}

}  // namespace vltune::kernels
