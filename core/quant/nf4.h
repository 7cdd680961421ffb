#pragma once
// 4-bit NormalFloat (NF4) and 8-bit row-wise quantisation of frozen linear weights (QLoRA), laid
// out exactly as bitsandbytes lays them out, so numbers agree with
// bnb.functional.quantize_4bit(w, blocksize=64, quant_type="nf4", compress_statistics=True):
//
// - the flattened tensor in blocks of `blocksize` elements (the last one may be partial), each
//   scaled by its absmax: code = dQuantizeNF4(x * (1 / absmax)), the decision tree of
//   bitsandbytes' csrc/kernels.cu (thresholds at the float midpoints between codes, `>`);
// - two codes per byte, the first element in the HIGH nibble; an odd tail is padded with the
//   code of 0.0 (7), as the kernels' zero-filled loads do;
// - double quantisation ("compress_statistics"): offset = mean(absmax); absmax - offset
//   quantised in blocks of 256 with create_dynamic_map(signed=True) and the kernels' dQuantize
//   (binary search, ties to the midpoint rule); the second-level absmax stays float32.
// - dequantise: absmax = map[q] * absmax2[b / 256] + offset, out = NF4[code] * absmax, in
//   float32, then rounded to the output dtype.
//
// The 8-bit option is LLM.int8's row-wise absmax scheme (bnb int8_vectorwise_quant with no
// outlier threshold, the scheme of bnb's Int8Params): q = round(w * (127 / rowmax)), back as
// q * rowmax * (1/127).
//
// Quantising reads the source in chunks of rows moved to the CPU as float32, so the caller never
// needs a full-precision copy anywhere but where the source already is.

#include <array>
#include <cstdint>
#include <vector>

#include <torch/torch.h>

namespace vltune::quant {

// The 16 NF4 values: bitsandbytes csrc/kernels.cu nf4_dequantization_lut (= functional.py
// get_4bit_type("nf4"); Dettmers et al., QLoRA, 2023, appendix E), as float.
inline constexpr std::array<float, 16> kNf4Code = {
    -1.0f,
    -0.6961928009986877f,
    -0.5250730514526367f,
    -0.39491748809814453f,
    -0.28444138169288635f,
    -0.18477343022823334f,
    -0.09105003625154495f,
    0.0f,
    0.07958029955625534f,
    0.16093020141124725f,
    0.24611230194568634f,
    0.33791524171829224f,
    0.44070982933044434f,
    0.5626170039176941f,
    0.7229568362236023f,
    1.0f,
};

// dQuantizeNF4's 15 decision thresholds (bitsandbytes csrc/kernels.cu), ascending: code i is
// chosen when x > threshold[i - 1] and not x > threshold[i]; so a value exactly on a midpoint
// takes the lower code, and NaN takes code 0.
inline constexpr std::array<float, 15> kNf4Thresholds = {
    -0.8480964004993439f, -0.6106329262256622f, -0.4599952697753906f, -0.33967943489551544f,
    -0.23460740596055984f, -0.13791173323988914f, -0.045525018125772476f, 0.03979014977812767f,
    0.1202552504837513f, 0.2035212516784668f, 0.2920137718319893f, 0.3893125355243683f,
    0.5016634166240692f, 0.6427869200706482f, 0.8614784181118011f,
};

// bitsandbytes' create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8): 256 sorted
// float32 values in [-1, 1], computed as its Python computes them (torch.linspace in float32).
const std::array<float, 256>& dynamic_map_signed();

// The NF4 code (0..15) of a value already scaled to [-1, 1] (dQuantizeNF4).
uint8_t nf4_index(float x);
// The index (0..255) of x in a sorted 256-entry map: bitsandbytes' dQuantize<0> (binary search
// from pivot 127, then the nearer of the two neighbours by the float midpoint).
uint8_t dynamic_index(const std::array<float, 256>& code, float x);

enum class QuantType { nf4, int8 };

// A quantised [out, in] weight and everything needed to get it back.
struct QuantizedWeight {
  QuantType type = QuantType::nf4;     // NF4 blocks or int8 rows
  std::vector<int64_t> shape;          // the original shape, [out, in]
  torch::ScalarType dtype = torch::kFloat32;  // the dtype quantised from: dequantize()'s usual output
  int64_t blocksize = 64;              // NF4: elements per absmax block
  torch::Tensor packed;                // NF4: uint8 [ceil(n / 2)], two codes per byte; int8: int8 [out, in]
  torch::Tensor absmax;                // NF4: float32 [blocks], or uint8 [blocks] map indices with double_quant; int8: float32 [out] row absmax
  bool double_quant = false;           // absmax quantised to 8 bits (bitsandbytes' compress_statistics)
  int64_t blocksize2 = 256;            // double quant: absmax values per second-level block
  torch::Tensor absmax2;               // double quant: float32 [ceil(blocks / 256)]
  float offset = 0.0f;                 // double quant: mean of absmax, subtracted before quantising it

  int64_t numel() const;
  int64_t blocks() const;
  // Bytes held by the tensors above.
  int64_t bytes() const;
  torch::Device device() const { return packed.device(); }
  // The same weight with its tensors on `device`.
  QuantizedWeight to(torch::Device device) const;
};

// NF4 of a 2-D (or any-shape) float tensor of any floating dtype on any device; the result's
// tensors are on w's device. `chunk_elements`: how much of w is converted to float32 on the CPU
// at a time (rounded to whole blocks). Throws vltune::Error for a non-float w or a blocksize
// that is not even and >= 2.
// A weight on a GPU is quantised there (quantize_nf4_tensor_ops): copying it to the CPU and back
// took minutes for a 7B model's 6.5 B elements.
QuantizedWeight quantize_nf4(const torch::Tensor& w, int64_t blocksize = 64, bool double_quant = true,
                             int64_t chunk_elements = int64_t{1} << 22);
// The same NF4 in LibTorch operations on w's device, bit-identical to quantize_nf4's loop for
// finite weights (a NaN in a block: the loop's absmax ignores it, this one's does not). The
// double quantisation of the absmax runs on the CPU either way.
QuantizedWeight quantize_nf4_tensor_ops(const torch::Tensor& w, int64_t blocksize = 64, bool double_quant = true);

// LLM.int8 row-wise absmax int8 of a 2-D float tensor (rows of all zeros stay 0).
QuantizedWeight quantize_int8(const torch::Tensor& w, int64_t chunk_rows = 4096);

// The per-block float32 absmax [blocks] (undoing the double quantisation), on q's device.
torch::Tensor dequantize_absmax(const QuantizedWeight& q);
// The weight back, shape q.shape, in `out_dtype`, on q's device: computed in float32, then rounded.
torch::Tensor dequantize(const QuantizedWeight& q, torch::ScalarType out_dtype);
inline torch::Tensor dequantize(const QuantizedWeight& q) { return dequantize(q, q.dtype); }

// Whether this build has the NF4 dequantisation kernel of core/quant/cuda (nvcc and a CUDA
// LibTorch at build time): dequantize() then uses it for CUDA tensors to bfloat16.
bool has_cuda_dequant_kernel();

// The unpacked NF4 codes, uint8 [numel] (tests and diagnostics).
torch::Tensor nf4_codes(const QuantizedWeight& q);

}  // namespace vltune::quant
