#include "core/quant/nf4.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <map>
#include <mutex>
#include <string>

#include "core/error.h"

#if defined(VLTUNE_WITH_CUDA_KERNELS)
#include <ATen/cuda/CUDAContext.h>

#include "core/quant/cuda/nf4_dequant.h"
#endif

namespace vltune::quant {

namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// `table` (a constant CPU tensor, one per `name`) on `device`, copied there once. A copy per
// dequantisation was a host-to-device transfer in every linear layer of every step, which a CUDA
// graph of the decode step can't record.
const torch::Tensor& on_device(const char* name, const torch::Tensor& table, const torch::Device& device) {
  if (device.is_cpu()) return table;
  static std::mutex mutex;
  // Never destroyed: device memory freed after the CUDA runtime shut down at exit would crash.
  static auto* copies = new std::map<std::string, torch::Tensor>();
  const std::lock_guard<std::mutex> lock(mutex);
  auto& copy = (*copies)[std::string(name) + "@" + device.str()];
  if (!copy.defined()) copy = table.to(device);
  return copy;
}

// The kernels' block reduction: fmaxf over |x| from -FLT_MAX (NaN ignored).
float block_absmax(const float* x, int64_t n) {
  float m = -FLT_MAX;
  for (int64_t i = 0; i < n; ++i) m = std::fmax(m, std::fabs(x[i]));
  return m;
}

void check_float(const torch::Tensor& w, const char* what) {
  if (!w.defined() || !w.is_floating_point())
    throw Error(std::string(what) + ": the weight must be a floating-point tensor");
}

}  // namespace

const std::array<float, 256>& dynamic_map_signed() {
  // create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8) of bitsandbytes'
  // functional.py, step by step with the same float32 torch operations: the fractions are the
  // midpoints of torch.linspace(0.1, 1, 2^i + 1), scaled by 10^(i - 6), both signs, plus 0 and 1.
  static const std::array<float, 256> map = [] {
    constexpr int max_exponent_bits = 7, total_bits = 8;
    constexpr int non_sign_bits = total_bits - 1;
    std::vector<double> data;
    for (int i = 0; i < max_exponent_bits; ++i) {
      const int64_t fraction_items = (int64_t{1} << (i + non_sign_bits - max_exponent_bits)) + 1;
      const auto boundaries = torch::linspace(0.1, 1.0, fraction_items, torch::kFloat32);
      const auto means = (boundaries.narrow(0, 0, fraction_items - 1) + boundaries.narrow(0, 1, fraction_items - 1)) / 2.0;
      // Python's 10 ** k: a float for k < 0, the int 1 for k = 0 (either way the same scalar).
      const double scale = std::pow(10.0, -(max_exponent_bits - 1) + i);
      for (const torch::Tensor& part : {means * scale, means * -scale}) {
        const auto c = part.contiguous();
        const float* p = c.data_ptr<float>();
        data.insert(data.end(), p, p + c.numel());
      }
    }
    // additional_items = 2^(7 - 7) - 1 = 0 for these arguments: none.
    data.push_back(0.0);
    data.push_back(1.0);
    if (data.size() != 256) throw Error("dynamic map: " + std::to_string(data.size()) + " values instead of 256");
    std::sort(data.begin(), data.end());
    std::array<float, 256> out{};
    for (size_t i = 0; i < 256; ++i) out[i] = static_cast<float>(data[i]);
    return out;
  }();
  return map;
}

namespace {

// dynamic_map_signed() as a float32 tensor on `device`.
const torch::Tensor& dynamic_map_tensor(const torch::Device& device) {
  static const torch::Tensor map = [] {
    const auto& m = dynamic_map_signed();
    return torch::from_blob(const_cast<float*>(m.data()), {256}, torch::kFloat32).clone();
  }();
  return on_device("dynamic map", map, device);
}

}  // namespace

uint8_t nf4_index(float x) {
  // The decision tree of dQuantizeNF4 is a binary search over the sorted thresholds with `>`:
  // counting the thresholds below x gives the same leaf (and 0 for NaN, as the tree does).
  uint8_t code = 0;
  for (float t : kNf4Thresholds) code += x > t ? 1 : 0;
  return code;
}

uint8_t dynamic_index(const std::array<float, 256>& code, float x) {
  // bitsandbytes csrc/kernels.cu dQuantize<STOCHASTIC = 0>, statement for statement.
  int pivot = 127, upper_pivot = 255, lower_pivot = 0;
  float lower = -1.0f, upper = 1.0f;
  float val = code[pivot];
  for (int i = 64; i > 0; i >>= 1) {
    if (x > val) {
      lower_pivot = pivot;
      lower = val;
      pivot += i;
    } else {
      upper_pivot = pivot;
      upper = val;
      pivot -= i;
    }
    val = code[pivot];
  }
  if (upper_pivot == 255) upper = code[upper_pivot];
  if (lower_pivot == 0) lower = code[lower_pivot];
  if (x > val) {
    const float midpoint = (upper + val) * 0.5f;
    return static_cast<uint8_t>(x > midpoint ? upper_pivot : pivot);
  }
  const float midpoint = (lower + val) * 0.5f;
  return static_cast<uint8_t>(x < midpoint ? lower_pivot : pivot);
}

int64_t QuantizedWeight::numel() const {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

int64_t QuantizedWeight::blocks() const { return type == QuantType::nf4 ? ceil_div(numel(), blocksize) : shape.at(0); }

int64_t QuantizedWeight::bytes() const {
  int64_t b = 0;
  for (const auto* t : {&packed, &absmax, &absmax2})
    if (t->defined()) b += t->numel() * static_cast<int64_t>(t->element_size());
  return b;
}

QuantizedWeight QuantizedWeight::to(torch::Device device) const {
  QuantizedWeight out = *this;
  for (auto* t : {&out.packed, &out.absmax, &out.absmax2})
    if (t->defined()) *t = t->to(device);
  return out;
}

namespace {

// functional.quantize_4bit(compress_statistics=True) on q's float32 absmax (on the CPU): offset =
// absmax.mean(); quantize_blockwise(absmax - offset, code=dynamic, blocksize=256).
void double_quantize(QuantizedWeight& q) {
  const torch::Tensor absmax = q.absmax.to(torch::kCPU).contiguous();
  const int64_t blocks = absmax.numel();
  const auto mean = absmax.mean();
  const auto centered = (absmax - mean).contiguous();
  const float* c = centered.data_ptr<float>();
  const int64_t blocks2 = ceil_div(blocks, q.blocksize2);
  auto absmax2 = torch::empty({blocks2}, torch::kFloat32);
  auto qabsmax = torch::empty({blocks}, torch::kUInt8);
  float* a2 = absmax2.data_ptr<float>();
  uint8_t* qa = qabsmax.data_ptr<uint8_t>();
  const auto& map = dynamic_map_signed();
  at::parallel_for(0, blocks2, 16, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t lo = b * q.blocksize2, hi = std::min(lo + q.blocksize2, blocks);
      const float m = block_absmax(c + lo, hi - lo);
      a2[b] = m;
      const float inv = 1.0f / m;
      for (int64_t j = lo; j < hi; ++j) qa[j] = dynamic_index(map, c[j] * inv);
    }
  });
  q.double_quant = true;
  q.offset = mean.item<float>();
  q.absmax = qabsmax;
  q.absmax2 = absmax2;
}

// The NF4 form of w without its codes and scales yet (type, shape, dtype, blocksize), shared by
// both quantisers. Throws vltune::Error for a non-float w or a blocksize not even and >= 2.
QuantizedWeight nf4_shell(const torch::Tensor& w, int64_t blocksize) {
  check_float(w, "NF4 quantisation");
  if (blocksize < 2 || blocksize % 2 != 0)
    throw Error("NF4 quantisation: blocksize must be even and at least 2, got " + std::to_string(blocksize));
  QuantizedWeight q;
  q.type = QuantType::nf4;
  q.shape = w.sizes().vec();
  q.dtype = w.scalar_type();
  q.blocksize = blocksize;
  return q;
}

}  // namespace

QuantizedWeight quantize_nf4(const torch::Tensor& w, int64_t blocksize, bool double_quant, int64_t chunk_elements) {
  if (!w.device().is_cpu()) return quantize_nf4_tensor_ops(w, blocksize, double_quant);
  QuantizedWeight q = nf4_shell(w, blocksize);
  const int64_t n = w.numel();
  const int64_t blocks = ceil_div(n, blocksize);
  auto absmax = torch::empty({blocks}, torch::kFloat32);
  auto packed = torch::empty({ceil_div(n, 2)}, torch::kUInt8);
  float* amax_p = absmax.data_ptr<float>();
  uint8_t* packed_p = packed.data_ptr<uint8_t>();
  const auto flat = w.reshape({-1});
  // Whole blocks per chunk, so no block (and no byte: blocks are even) spans two chunks.
  const int64_t chunk = std::max<int64_t>(1, chunk_elements / blocksize) * blocksize;
  for (int64_t start = 0; start < n; start += chunk) {
    const int64_t len = std::min(chunk, n - start);
    const auto x = flat.narrow(0, start, len).to(torch::kCPU).to(torch::kFloat32).contiguous();
    const float* xp = x.data_ptr<float>();
    at::parallel_for(0, ceil_div(len, blocksize), 16, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t lo = b * blocksize, hi = std::min(lo + blocksize, len);
        const float m = block_absmax(xp + lo, hi - lo);
        amax_p[(start + lo) / blocksize] = m;
        // The kernels multiply by the reciprocal; an all-zero block gives NaN and code 0, as there.
        const float inv = 1.0f / m;
        for (int64_t j = lo; j < hi; j += 2) {
          const uint8_t first = nf4_index(xp[j] * inv);
          // An odd tail: the kernels' zero-filled load of the missing element.
          const uint8_t second = j + 1 < hi ? nf4_index(xp[j + 1] * inv) : nf4_index(0.0f * inv);
          packed_p[(start + j) / 2] = static_cast<uint8_t>(first << 4 | second);
        }
      }
    });
  }
  q.packed = packed;
  q.absmax = absmax;
  if (double_quant) double_quantize(q);
  return q.to(w.device());
}

QuantizedWeight quantize_nf4_tensor_ops(const torch::Tensor& w, int64_t blocksize, bool double_quant) {
  QuantizedWeight q = nf4_shell(w, blocksize);
  torch::NoGradGuard no_grad;
  const int64_t n = w.numel(), blocks = ceil_div(n, blocksize);
  // Zeros fill the last block: they change no block's absmax, and the loop codes an odd tail's
  // missing element as a zero too.
  auto x = w.reshape({-1}).to(torch::kFloat32);
  if (blocks * blocksize != n) x = torch::constant_pad_nd(x, {0, blocks * blocksize - n});
  x = x.view({blocks, blocksize});
  const auto absmax = x.abs().amax(/*dim=*/1);                     // [blocks]
  const auto scaled = x * torch::reciprocal(absmax).unsqueeze(1);  // the loop's x * (1.0f / m)
  // nf4_index: the thresholds below the value (`>`), NaN (an all-zero block) code 0.
  const auto thresholds = torch::tensor(std::vector<float>(kNf4Thresholds.begin(), kNf4Thresholds.end()),
                                        torch::TensorOptions().dtype(torch::kFloat32).device(w.device()));
  auto codes = torch::bucketize(scaled, thresholds, /*out_int32=*/true, /*right=*/false);
  codes = torch::where(torch::isnan(scaled), torch::zeros_like(codes), codes).view({-1, 2});
  const auto packed = (codes.select(1, 0) * 16 + codes.select(1, 1)).to(torch::kUInt8);
  q.packed = packed.narrow(0, 0, ceil_div(n, 2)).contiguous();
  q.absmax = absmax.contiguous();
  if (double_quant) double_quantize(q);
  return q.to(w.device());
}

QuantizedWeight quantize_int8(const torch::Tensor& w, int64_t chunk_rows) {
  check_float(w, "int8 quantisation");
  if (w.dim() != 2) throw Error("int8 quantisation: the weight must be 2-D [out, in], got " + std::to_string(w.dim()) + "-D");
  QuantizedWeight q;
  q.type = QuantType::int8;
  q.shape = w.sizes().vec();
  q.dtype = w.scalar_type();
  const int64_t rows = w.size(0);
  std::vector<torch::Tensor> parts, stats;
  for (int64_t r = 0; r < rows; r += std::max<int64_t>(1, chunk_rows)) {
    const int64_t len = std::min(std::max<int64_t>(1, chunk_rows), rows - r);
    const auto x = w.narrow(0, r, len).to(torch::kCPU).to(torch::kFloat32);
    // bnb int8_vectorwise_quant (threshold 0): row_stats = max |A|, round(A * (127 / row_stats)).
    const auto row_stats = std::get<0>(x.abs().max(/*dim=*/1));
    // A row of zeros would give 0 * inf = NaN: keep it 0.
    const auto scale = torch::where(row_stats > 0, 127.0 / row_stats, torch::zeros_like(row_stats));
    parts.push_back(torch::round(x * scale.unsqueeze(1)).to(torch::kInt8));
    stats.push_back(row_stats);
  }
  q.packed = torch::cat(parts).to(w.device());
  q.absmax = torch::cat(stats).to(w.device());
  return q;
}

torch::Tensor dequantize_absmax(const QuantizedWeight& q) {
  if (q.type != QuantType::nf4 || !q.double_quant) return q.absmax;
  // dequantize_blockwise(qabsmax, state2) + offset, in float32.
  const auto& map = dynamic_map_tensor(q.absmax.device());
  const int64_t blocks = q.absmax.numel();
  auto vals = map.index_select(0, q.absmax.to(torch::kLong));
  const int64_t padded = ceil_div(blocks, q.blocksize2) * q.blocksize2;
  if (padded != blocks) vals = torch::constant_pad_nd(vals, {0, padded - blocks});
  vals = (vals.view({-1, q.blocksize2}) * q.absmax2.unsqueeze(1)).reshape({-1}).narrow(0, 0, blocks);
  return vals + q.offset;
}

bool has_cuda_dequant_kernel() {
#if defined(VLTUNE_WITH_CUDA_KERNELS)
  return true;
#else
  return false;
#endif
}

torch::Tensor dequantize(const QuantizedWeight& q, torch::ScalarType out_dtype) {
  const int64_t n = q.numel();
  if (q.type == QuantType::int8) {
    // bnb int8_vectorwise_dequant: A * stats * (1 / 127).
    return (q.packed.to(torch::kFloat32) * q.absmax.unsqueeze(1) * 7.874015718698502e-3).to(out_dtype);
  }
#if defined(VLTUNE_WITH_CUDA_KERNELS)
  // On a CUDA device, to bf16 (the compute dtype of QLoRA): the kernel of core/quant/cuda, the
  // same float32 arithmetic in one pass.
  if (q.packed.is_cuda() && out_dtype == torch::kBFloat16) {
    const auto dev = q.packed.device();
    auto out = torch::empty(q.shape, q.packed.options().dtype(torch::kBFloat16));
    const auto packed = q.packed.contiguous();
    torch::Tensor absmax = q.absmax.contiguous(), absmax2, map;
    if (q.double_quant) {
      map = dynamic_map_tensor(dev);
      absmax2 = q.absmax2.contiguous();
    }
    const cudaError_t err = cuda::dequantize_nf4_bf16(
        packed.data_ptr<uint8_t>(), q.double_quant ? absmax.data_ptr<uint8_t>() : nullptr,
        q.double_quant ? map.data_ptr<float>() : nullptr, q.double_quant ? absmax2.data_ptr<float>() : nullptr, q.offset,
        q.double_quant ? nullptr : absmax.data_ptr<float>(), n, static_cast<int>(q.blocksize), static_cast<int>(q.blocksize2),
        out.data_ptr(), at::cuda::getCurrentCUDAStream(dev.index()).stream());
    if (err != cudaSuccess) throw Error(std::string("NF4 dequantisation kernel: ") + cudaGetErrorString(err));
    return out;
  }
#endif
  // Each byte's two values at once: a [256, 2] table (high nibble first).
  static const torch::Tensor pair_table = [] {
    auto t = torch::empty({256, 2}, torch::kFloat32);
    auto a = t.accessor<float, 2>();
    for (int b = 0; b < 256; ++b) {
      a[b][0] = kNf4Code[b >> 4];
      a[b][1] = kNf4Code[b & 15];
    }
    return t;
  }();
  const auto& table = on_device("nf4 pairs", pair_table, q.packed.device());
  auto vals = table.index_select(0, q.packed.to(torch::kLong)).reshape({-1}).narrow(0, 0, n);
  const int64_t blocks = ceil_div(n, q.blocksize);
  if (blocks * q.blocksize != n) vals = torch::constant_pad_nd(vals, {0, blocks * q.blocksize - n});
  const auto absmax = dequantize_absmax(q);
  vals = (vals.view({blocks, q.blocksize}) * absmax.unsqueeze(1)).reshape({-1}).narrow(0, 0, n);
  return vals.view(q.shape).to(out_dtype);
}

torch::Tensor nf4_codes(const QuantizedWeight& q) {
  if (q.type != QuantType::nf4) throw Error("nf4_codes: the weight is not NF4");
  const auto hi = torch::bitwise_right_shift(q.packed, 4);
  const auto lo = torch::bitwise_and(q.packed, 15);
  return torch::stack({hi, lo}, 1).reshape({-1}).narrow(0, 0, q.numel());
}

}  // namespace vltune::quant
