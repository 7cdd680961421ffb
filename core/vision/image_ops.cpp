#include "core/vision/image_ops.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "core/error.h"

namespace vltune::vision {

namespace {

std::string shape_text(const at::Tensor& t) {
  std::string out = "[";
  for (int64_t d = 0; d < t.dim(); ++d) out += (d ? ", " : "") + std::to_string(t.size(d));
  return out + "]";
}

// --- antialiased bicubic, uint8 ------------------------------------------------------------------
// LibTorch's aten/src/ATen/native/cpu/UpSampleKernel.cpp (HelperInterpCubic with antialias=true,
// _compute_index_ranges_int16_weights, basic_loop_separable_1d_*<uint8_t>); its AVX2 variant
// (UpSampleKernelAVXAntialias.h, from Pillow-SIMD) does the same integer arithmetic.

// Keys' cubic convolution with a = -0.5 (Pillow's bicubic), evaluated as LibTorch does.
double cubic_filter(double x) {
  constexpr double a = -0.5;
  x = std::abs(x);
  if (x < 1.0) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2.0) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0.0;
}

// The taps of one axis: output index i reads input [start[i], start[i] + count[i]) with the int16
// weights coeffs[i * taps ...], fixed point with `precision` fractional bits.
struct AxisTaps {
  std::vector<int64_t> start;   // first input index per output index
  std::vector<int64_t> count;   // taps used per output index
  int64_t taps = 0;             // row length of coeffs
  std::vector<int16_t> coeffs;  // [out_size, taps]
  unsigned precision = 0;       // fractional bits of coeffs
};

AxisTaps antialias_taps(int64_t in_size, int64_t out_size) {
  constexpr int interp_size = 4;  // bicubic
  // area_pixel_compute_scale without align_corners or a given scale factor.
  const double scale = static_cast<double>(in_size) / static_cast<double>(out_size);
  const double support = (scale >= 1.0) ? (interp_size * 0.5) * scale : interp_size * 0.5;
  const double invscale = (scale >= 1.0) ? 1.0 / scale : 1.0;

  AxisTaps out;
  out.taps = static_cast<int64_t>(std::ceil(support)) * 2 + 1;
  out.start.resize(out_size);
  out.count.resize(out_size);
  std::vector<double> weights(static_cast<size_t>(out_size * out.taps), 0.0);
  double wt_max = 0.0;
  for (int64_t i = 0; i < out_size; ++i) {
    const double center = scale * (i + 0.5);
    const int64_t xmin = std::max(static_cast<int64_t>(center - support + 0.5), int64_t{0});
    int64_t xsize = std::min(static_cast<int64_t>(center + support + 0.5), in_size) - xmin;
    xsize = std::clamp(xsize, int64_t{0}, out.taps);  // LibTorch clips rare off-by-one overshoots
    double* w = weights.data() + i * out.taps;
    double total = 0.0;
    for (int64_t j = 0; j < xsize; ++j) {
      w[j] = cubic_filter((j + xmin - center + 0.5) * invscale);
      total += w[j];
    }
    if (total != 0.0) {
      for (int64_t j = 0; j < xsize; ++j) {
        w[j] /= total;
        wt_max = std::max(wt_max, w[j]);
      }
    }
    out.start[i] = xmin;
    out.count[i] = xsize;
  }
  // The most fractional bits that keep the largest weight (doubled) within int16.
  unsigned precision = 0;
  for (precision = 0; precision < 22; ++precision) {
    const int next_value = static_cast<int>(0.5 + wt_max * (1 << (precision + 1)));
    if (next_value >= (1 << 15)) break;
  }
  out.precision = precision;
  out.coeffs.resize(weights.size());
  for (size_t k = 0; k < weights.size(); ++k) {
    const double v = weights[k] * (1 << precision);
    out.coeffs[k] = static_cast<int16_t>(v < 0 ? static_cast<int>(-0.5 + v) : static_cast<int>(0.5 + v));
  }
  return out;
}

// Rounds a fixed-point sum (with its +0.5 already added) back to uint8.
inline uint8_t to_u8(int sum, unsigned precision) {
  return static_cast<uint8_t>(std::clamp(sum >> precision, 0, 255));
}

// Rows (or columns) handled together: the inner loops then have a fixed trip count the compiler
// turns into vector code (at -O2 too), over 16 independent integer sums, so the results are the
// same as one row at a time.
constexpr int64_t kLanes = 16;

// src: [planes, rows, in_w] -> dst: [planes, rows, out_w], contiguous. Each block of kLanes rows
// is transposed into `cols` first, so that one output pixel of all of them is a vector sum.
void resize_rows(const uint8_t* src, uint8_t* dst, int64_t planes, int64_t rows, int64_t in_w,
                 int64_t out_w, const AxisTaps& t) {
  const int initial = 1 << (t.precision - 1);
  const int64_t total = planes * rows;
  const int64_t blocks = (total + kLanes - 1) / kLanes;
  at::parallel_for(0, blocks, 1, [&](int64_t begin, int64_t end) {
    std::vector<uint8_t> cols(static_cast<size_t>(in_w * kLanes), 0);  // [in_w, kLanes]
    for (int64_t b = begin; b < end; ++b) {
      const int64_t r0 = b * kLanes, n = std::min(kLanes, total - r0);
      for (int64_t r = 0; r < n; ++r) {
        const uint8_t* in = src + (r0 + r) * in_w;
        for (int64_t x = 0; x < in_w; ++x) cols[x * kLanes + r] = in[x];
      }
      for (int64_t x = 0; x < out_w; ++x) {
        const uint8_t* p = cols.data() + t.start[x] * kLanes;
        const int16_t* k = t.coeffs.data() + x * t.taps;
        int sums[kLanes];
        for (int64_t r = 0; r < kLanes; ++r) sums[r] = initial;
        for (int64_t j = 0; j < t.count[x]; ++j) {
          const int w = k[j];
          const uint8_t* c = p + j * kLanes;
          for (int64_t r = 0; r < kLanes; ++r) sums[r] += c[r] * w;
        }
        for (int64_t r = 0; r < n; ++r) dst[(r0 + r) * out_w + x] = to_u8(sums[r], t.precision);
      }
    }
  });
}

// src: [planes, in_h, cols] -> dst: [planes, out_h, cols], contiguous.
void resize_columns(const uint8_t* src, uint8_t* dst, int64_t planes, int64_t in_h, int64_t out_h,
                    int64_t cols, const AxisTaps& t) {
  const int initial = 1 << (t.precision - 1);
  at::parallel_for(0, planes * out_h, 16, [&](int64_t begin, int64_t end) {
    std::vector<int> sums(static_cast<size_t>(cols));
    for (int64_t r = begin; r < end; ++r) {
      const int64_t plane = r / out_h, y = r % out_h;
      const uint8_t* in = src + (plane * in_h + t.start[y]) * cols;
      const int16_t* k = t.coeffs.data() + y * t.taps;
      std::fill(sums.begin(), sums.end(), initial);
      const int64_t whole = cols - cols % kLanes;
      for (int64_t j = 0; j < t.count[y]; ++j) {
        const uint8_t* row = in + j * cols;
        const int w = k[j];
        int* s = sums.data();
        for (int64_t x0 = 0; x0 < whole; x0 += kLanes)
          for (int64_t x = x0; x < x0 + kLanes; ++x) s[x] += row[x] * w;
        for (int64_t x = whole; x < cols; ++x) s[x] += row[x] * w;
      }
      uint8_t* out = dst + r * cols;
      for (int64_t x = 0; x < cols; ++x) out[x] = to_u8(sums[x], t.precision);
    }
  });
}

}  // namespace

at::Tensor resize_bicubic_antialias(const at::Tensor& image, int64_t height, int64_t width) {
  if (image.scalar_type() != at::kByte || (image.dim() != 3 && image.dim() != 4))
    throw Error("resize_bicubic_antialias: expects a uint8 [C, H, W] or [N, C, H, W] image, got " +
                std::string(c10::toString(image.scalar_type())) + " " + shape_text(image));
  if (height < 1 || width < 1)
    throw Error("resize_bicubic_antialias: target size " + std::to_string(width) + "x" +
                std::to_string(height) + " is empty");
  const int64_t in_h = image.size(-2), in_w = image.size(-1);
  if (in_h < 1 || in_w < 1) throw Error("resize_bicubic_antialias: empty image " + shape_text(image));
  if (in_h == height && in_w == width) return image;  // torchvision returns the input unchanged

  const int64_t planes = image.numel() / (in_h * in_w);
  at::Tensor current = image.cpu().contiguous();
  // Horizontal pass first, then vertical, each rounded to uint8 (as LibTorch and Pillow do).
  if (in_w != width) {
    const AxisTaps taps = antialias_taps(in_w, width);
    at::Tensor next = at::empty({planes, in_h, width}, current.options());
    resize_rows(current.data_ptr<uint8_t>(), next.data_ptr<uint8_t>(), planes, in_h, in_w, width, taps);
    current = next;
  }
  if (in_h != height) {
    const AxisTaps taps = antialias_taps(in_h, height);
    at::Tensor next = at::empty({planes, height, width}, current.options());
    resize_columns(current.data_ptr<uint8_t>(), next.data_ptr<uint8_t>(), planes, in_h, height, width, taps);
    current = next;
  }
  std::vector<int64_t> shape(image.sizes().begin(), image.sizes().end());
  shape[shape.size() - 2] = height;
  shape[shape.size() - 1] = width;
  return current.view(shape);
}

namespace {

// The reference's arithmetic on float32 x: [.., C, H, W] (or [C, 256] for the table).
at::Tensor normalize_float(const at::Tensor& x, const NormalizeParams& params, int64_t channels) {
  if (params.do_normalize) {
    if (static_cast<int64_t>(params.image_mean.size()) != channels ||
        static_cast<int64_t>(params.image_std.size()) != channels)
      throw Error("rescale_and_normalize: image_mean has " + std::to_string(params.image_mean.size()) +
                  " and image_std " + std::to_string(params.image_std.size()) + " entries for " +
                  std::to_string(channels) + " channels");
    // transformers folds the rescale into mean and std: torch.tensor(mean) * (1 / factor), float32.
    const float fold = params.do_rescale ? static_cast<float>(1.0 / params.rescale_factor) : 1.0f;
    std::vector<float> mean(channels), std_dev(channels);
    for (int64_t c = 0; c < channels; ++c) {
      mean[c] = static_cast<float>(params.image_mean[c]);
      std_dev[c] = static_cast<float>(params.image_std[c]);
      if (params.do_rescale) {
        mean[c] = mean[c] * fold;
        std_dev[c] = std_dev[c] * fold;
      }
      if (std_dev[c] == 0.0f) throw Error("rescale_and_normalize: image_std[" + std::to_string(c) + "] is 0");
    }
    const auto opts = at::TensorOptions().dtype(at::kFloat);
    const at::Tensor m = at::from_blob(mean.data(), {channels, 1, 1}, opts).clone();
    const at::Tensor s = at::from_blob(std_dev.data(), {channels, 1, 1}, opts).clone();
    return x.sub(m.to(x.device())).div(s.to(x.device()));  // torchvision normalize: sub, then div
  }
  if (params.do_rescale) return x.mul(params.rescale_factor);  // scalar taken as float32, as in torch
  return x;
}

void check_table_inputs(const at::Tensor& raw, const at::Tensor& table) {
  if (raw.scalar_type() != at::kByte || raw.dim() != 3)
    throw Error("normalize_with_table: expects uint8 [outer, C, inner], got " + std::string(c10::toString(raw.scalar_type())) +
                " " + shape_text(raw));
  if (table.scalar_type() != at::kFloat || table.dim() != 2 || table.size(0) != raw.size(1) || table.size(1) != 256)
    throw Error("normalize_with_table: the table is " + shape_text(table) + " for " + std::to_string(raw.size(1)) + " channels");
}

}  // namespace

at::Tensor normalize_table(const NormalizeParams& params, int64_t channels) {
  // [C, 1, 256]: each channel's row of values, laid out as a one-row image.
  const at::Tensor values = at::arange(256, at::TensorOptions().dtype(at::kFloat)).expand({channels, 1, 256}).contiguous();
  return normalize_float(values, params, channels).reshape({channels, 256}).contiguous();
}

at::Tensor normalize_with_table_indexed(const at::Tensor& raw, const at::Tensor& table) {
  check_table_inputs(raw, table);
  // Each value's index in the flattened table (int32: half of int64's traffic).
  const int64_t channels = raw.size(1);
  const at::Tensor offsets = at::arange(channels, raw.options().dtype(at::kInt)).mul_(256).view({1, channels, 1});
  const at::Tensor index = raw.to(at::kInt).add_(offsets);
  return table.to(raw.device()).reshape({-1}).index_select(0, index.reshape({-1})).view(raw.sizes());
}

at::Tensor normalize_with_table(const at::Tensor& raw, const at::Tensor& table) {
  check_table_inputs(raw, table);
  const int64_t channels = raw.size(1);
  if (raw.device().is_cpu()) {
    // One pass, a plane of one channel at a time (plane p uses the table's row p % channels).
    const at::Tensor src = raw.contiguous();
    const at::Tensor table_cpu = table.cpu().contiguous();
    at::Tensor out = at::empty(src.sizes(), src.options().dtype(at::kFloat));
    const int64_t plane = src.size(2);
    const uint8_t* in = src.data_ptr<uint8_t>();
    const float* lut = table_cpu.data_ptr<float>();
    float* dst = out.data_ptr<float>();
    at::parallel_for(0, src.size(0) * channels, 1, [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) {
        const float* row = lut + (p % channels) * 256;
        const uint8_t* a = in + p * plane;
        float* o = dst + p * plane;
        for (int64_t i = 0; i < plane; ++i) o[i] = row[a[i]];
      }
    });
    return out;
  }
  return normalize_with_table_indexed(raw, table);
}

at::Tensor rescale_and_normalize(const at::Tensor& image, const NormalizeParams& params) {
  if (image.dim() < 3) throw Error("rescale_and_normalize: expects [.., C, H, W], got " + shape_text(image));
  const int64_t channels = image.size(-3);
  if (image.scalar_type() != at::kByte || !image.device().is_cpu())
    return normalize_float(image.to(at::kFloat), params, channels);
  // uint8 on the CPU: one pass through a table of the 256 results per channel, instead of three
  // passes (convert, subtract, divide) each writing a new float32 image.
  const at::Tensor src = image.contiguous();
  const int64_t plane = src.size(-2) * src.size(-1);
  return normalize_with_table(src.view({-1, channels, plane}), normalize_table(params, channels)).view(src.sizes());
}

at::Tensor composite_on_white(const at::Tensor& rgba) {
  if (rgba.scalar_type() != at::kByte || rgba.dim() != 3 || rgba.size(0) != 4)
    throw Error("composite_on_white: expects a uint8 [4, H, W] image, got " + shape_text(rgba));
  const at::Tensor src = rgba.cpu().contiguous();
  const int64_t n = src.size(1) * src.size(2);
  at::Tensor out = at::empty({3, src.size(1), src.size(2)}, src.options());
  const uint8_t* in = src.data_ptr<uint8_t>();
  uint8_t* dst = out.data_ptr<uint8_t>();
  // PIL's ImagingAlphaComposite (libImaging/AlphaComposite.c) with dst = opaque white.
  constexpr uint32_t kPrecisionBits = 7;
  const auto div255 = [](uint32_t a) { return ((a >> 8) + a) >> 8; };  // SHIFTFORDIV255
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t a = in[3 * n + i];
    if (a == 0) {
      dst[i] = dst[n + i] = dst[2 * n + i] = 255;
      continue;
    }
    const uint32_t blend = 255 * (255 - a);
    const uint32_t outa255 = a * 255 + blend;
    const uint32_t coef1 = a * 255 * 255 * (1u << kPrecisionBits) / outa255;
    const uint32_t coef2 = 255 * (1u << kPrecisionBits) - coef1;
    for (int c = 0; c < 3; ++c) {
      const uint32_t tmp = in[c * n + i] * coef1 + 255 * coef2;
      dst[c * n + i] = static_cast<uint8_t>(div255(tmp + (0x80u << kPrecisionBits)) >> kPrecisionBits);
    }
  }
  return out;
}

at::Tensor to_rgb(const at::Tensor& hwc) {
  if (hwc.scalar_type() != at::kByte || hwc.dim() != 3 || hwc.size(2) < 1 || hwc.size(2) > 4)
    throw Error("to_rgb: expects a uint8 [H, W, C] image with 1 to 4 channels, got " + shape_text(hwc));
  const at::Tensor chw = hwc.permute({2, 0, 1});
  switch (hwc.size(2)) {
    case 1:
      return chw.expand({3, -1, -1}).contiguous();
    case 2:  // gray + alpha: PIL's LA -> RGBA repeats the gray value
      return composite_on_white(at::cat({chw.slice(0, 0, 1).expand({3, -1, -1}), chw.slice(0, 1, 2)}, 0));
    case 3:
      return chw.contiguous();
    default:
      return composite_on_white(chw.contiguous());
  }
}

at::Tensor apply_exif_orientation(const at::Tensor& image, int orientation) {
  if (image.dim() < 2) throw Error("apply_exif_orientation: expects [.., H, W], got " + shape_text(image));
  const int64_t h = image.dim() - 2, w = image.dim() - 1;
  switch (orientation) {
    case 2: return image.flip({w});                                    // mirrored
    case 3: return image.flip({h, w});                                 // rotated 180
    case 4: return image.flip({h});                                    // flipped upside down
    case 5: return image.transpose(h, w).contiguous();                 // transposed
    case 6: return image.transpose(h, w).flip({w});                    // rotate 90 clockwise
    case 7: return image.transpose(h, w).flip({h, w});                 // transverse
    case 8: return image.transpose(h, w).flip({h});                    // rotate 90 counter-clockwise
    default: return image;
  }
}

}  // namespace vltune::vision
