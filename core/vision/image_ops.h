#pragma once
// Tensor operations shared by the image processors, written to give the very numbers of the
// reference: transformers' torchvision processors on a CPU.
//   - resize_bicubic_antialias: torchvision F.resize(uint8 image, (h, w), BICUBIC, antialias=True),
//     which on a CPU runs LibTorch's native uint8 antialiased kernel (Pillow's algorithm: separable,
//     horizontal pass first, int16 fixed-point weights, each pass rounded and clamped to uint8).
//     Computed here, so it is the same on every LibTorch version (1.13 has no uint8 kernel).
//   - rescale_and_normalize: transformers' fused rescale + normalize in float32.
//   - to_rgb / composite_on_white / apply_exif_orientation: what PIL's convert("RGB") after
//     transformers' convert_to_rgb (alpha composited on white) and ImageOps.exif_transpose do.
// Images are channels-first uint8 tensors on the CPU: [C, H, W] (or [N, C, H, W] where noted).
// No OpenCV here: these build and run without image decoding.

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

namespace vltune::vision {

// torchvision F.resize(image, [height, width], InterpolationMode.BICUBIC, antialias=True) on a
// uint8 CPU tensor. image: [C, H, W] or [N, C, H, W] uint8 -> same rank, [.., C, height, width]
// uint8. An image already of that size is returned as is. Throws vltune::Error for another dtype
// or rank or a size below 1.
at::Tensor resize_bicubic_antialias(const at::Tensor& image, int64_t height, int64_t width);

// Rescale and normalise, as transformers' TorchvisionBackend._rescale_and_normalize does.
struct NormalizeParams {
  bool do_rescale = true;                 // multiply by rescale_factor
  double rescale_factor = 1.0 / 255.0;    // 0-255 -> 0-1
  bool do_normalize = true;               // subtract image_mean, divide by image_std (per channel)
  std::vector<double> image_mean = {0.48145466, 0.4578275, 0.40821073};   // per channel (OpenAI CLIP)
  std::vector<double> image_std = {0.26862954, 0.26130258, 0.27577711};   // per channel (OpenAI CLIP)
};

// image: [.., C, H, W] (uint8 or float) -> float32 of the same shape. With both steps the mean
// and std are scaled by 1/rescale_factor (in float32) and the result is (x - mean') / std', as the
// reference computes it. Throws vltune::Error when mean/std do not have C entries or a std is 0.
at::Tensor rescale_and_normalize(const at::Tensor& image, const NormalizeParams& params);

// What rescale_and_normalize gives each value of a uint8 image's channels: float32 [channels, 256],
// computed by the same tensor operations, so looking values up in it is bit for bit the same.
// Throws as rescale_and_normalize does.
at::Tensor normalize_table(const NormalizeParams& params, int64_t channels);

// raw: uint8 [outer, C, inner] on any device; table: normalize_table's [C, 256] -> float32
// [outer, C, inner] on raw's device, table[c][value] for every value (exact: a lookup, no
// arithmetic). What lets uint8 pixels travel to the GPU and be normalised there.
at::Tensor normalize_with_table(const at::Tensor& raw, const at::Tensor& table);
// Its route off the CPU (an index_select of the table), callable on the CPU so that the tests
// check it against the CPU's.
at::Tensor normalize_with_table_indexed(const at::Tensor& raw, const at::Tensor& table);

// PIL's alpha_composite of an RGBA image over an opaque white background, in PIL's integer
// arithmetic (transformers' convert_to_rgb). rgba: [4, H, W] uint8 -> [3, H, W] uint8.
at::Tensor composite_on_white(const at::Tensor& rgba);

// Any decoded pixel layout to RGB: hwc [H, W, C] uint8 with C = 1 (gray), 2 (gray + alpha),
// 3 (RGB) or 4 (RGBA), channels in that order -> [3, H, W] uint8 (contiguous). Alpha is
// composited on white; gray is repeated into the three channels.
at::Tensor to_rgb(const at::Tensor& hwc);

// The EXIF orientation tag (1-8) applied the way PIL's ImageOps.exif_transpose (and OpenCV's
// IMREAD_COLOR) does, so the image appears upright. image: [.., H, W] -> [.., H', W'] (H and W
// swap for 5-8). 1 or an unknown value: returned as is.
at::Tensor apply_exif_orientation(const at::Tensor& image, int orientation);

}  // namespace vltune::vision
