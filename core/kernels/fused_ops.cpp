#include "core/kernels/fused_ops.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/error.h"

#if defined(VLTUNE_WITH_CUDA_KERNELS)
#include <ATen/cuda/CUDAContext.h>

#include "core/kernels/cuda/fused_decode_ops.h"
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
cuda::DType dtype_of(const torch::Tensor& t) {
  switch (t.scalar_type()) {
    case torch::kFloat32: return cuda::DType::f32;
    case torch::kBFloat16: return cuda::DType::bf16;
    case torch::kHalf: return cuda::DType::f16;
    default: throw Error(std::string("fused kernels: no kernel for ") + c10::toString(t.scalar_type()));
  }
}

cudaStream_t stream_of(const torch::Tensor& t) { return at::cuda::getCurrentCUDAStream(t.device().index()).stream(); }

void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess) throw Error(std::string("fused ") + what + " kernel: " + cudaGetErrorString(err));
}

// t seen as rows of its last dimension, each row's elements adjacent: how many elements apart the
// rows lie (at least the row's width), or -1 where t can't be seen so. A contiguous t: its width;
// one half of a merged [..., 2 * width] product: 2 * width.
int64_t rows_stride(const torch::Tensor& t) {
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

torch::Tensor fused_rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
#if defined(VLTUNE_WITH_CUDA_KERNELS)
  const int64_t cols = x.size(-1);
  if (weight.dim() != 1 || weight.size(0) != cols)
    throw Error("fused RMSNorm: weight [" + std::to_string(cols) + "] expected, got " + c10::str(weight.sizes()));
  const auto xc = x.contiguous();
  const auto wc = weight.contiguous();
  auto out = torch::empty_like(xc);
  const int64_t rows = cols > 0 ? xc.numel() / cols : 0;
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
  const int64_t cols = x.size(-1);
  if (weight.dim() != 1 || weight.size(0) != cols)
    throw Error("fused add + RMSNorm: weight [" + std::to_string(cols) + "] expected, got " + c10::str(weight.sizes()));
  if (delta.sizes() != x.sizes())
    throw Error("fused add + RMSNorm: shapes " + c10::str(x.sizes()) + " and " + c10::str(delta.sizes()) + " differ");
  const auto xc = x.contiguous(), dc = delta.contiguous(), wc = weight.contiguous();
  auto sum = torch::empty_like(xc), out = torch::empty_like(xc);
  const int64_t rows = cols > 0 ? xc.numel() / cols : 0;
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

}  // namespace vltune::kernels
