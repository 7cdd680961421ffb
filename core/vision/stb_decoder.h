#pragma once
// Image decoding through stb_image (Debian's libstb-dev), for builds without OpenCV's imgcodecs:
// GPU servers where imgcodecs cannot be installed (it drags GDAL and more) still read the PNG,
// JPEG, BMP and GIF files of a dataset. It returns the samples as stored; image_io.cpp turns them
// into upright RGB exactly as for OpenCV (to_rgb, EXIF orientation).

#include <cstdint>
#include <span>
#include <string>

#include <ATen/core/Tensor.h>

namespace vltune::vision {

// [H, W, C] uint8 with C = 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA) as the file stores
// them (a palette with transparency comes out RGBA; 16-bit samples as their high byte, as
// libpng's strip_16 and the OpenCV path give). Throws FormatError naming `label` when stb cannot
// decode it (WebP, TIFF, a truncated or corrupt file).
at::Tensor stb_decode_hwc(std::span<const uint8_t> bytes, const std::string& label);

}  // namespace vltune::vision
