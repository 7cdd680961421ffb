#pragma once
// Image files to RGB uint8 tensors, with OpenCV's imgcodecs (core, imgproc, imgcodecs only; never
// highgui). Every layout comes out as the reference pipeline sees it (PIL's Image.open,
// ImageOps.exif_transpose, transformers' convert_to_rgb):
//   RGB, BGR-ordered files      -> RGB
//   RGBA, gray + alpha, palette with transparency -> composited on opaque white (PIL's integers)
//   grayscale                   -> the gray value in all three channels
//   16 bits per channel         -> the high byte (what PIL's 16-bit PNG modes read; see below)
//   EXIF orientation (JPEG APP1, PNG eXIf, WebP EXIF) -> applied, so the image is upright
// Other depths (float, 32-bit) go through OpenCV's own conversion to 8-bit colour.
// 16-bit grayscale differs from PIL on purpose: PIL clips "I;16" values above 255 to white when
// converting to RGB; the high byte keeps the picture.
//
// Built with VLTUNE_WITH_IMAGE_IO=OFF (no imgcodecs), files are decoded by stb_image when its
// header was found (PNG, JPEG, BMP, GIF; the same RGB and orientation rules), else the same
// functions exist and throw vltune::Error saying so; the processors still work on tensors.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include <ATen/core/Tensor.h>

namespace vltune::vision {

// The decoders a build may have: OpenCV's imgcodecs (VLTUNE_WITH_IMAGE_IO) and stb_image.
enum class ImageDecoder { opencv, stb };

// Whether this build decodes image files (with either decoder).
bool image_io_available();
bool has_image_decoder(ImageDecoder decoder);

// Decodes an image file into RGB: [3, H, W] uint8, contiguous, upright. Throws FileError when the
// file is missing or unreadable, FormatError (naming the file) when it is empty, not an image
// OpenCV can decode, or has no pixels; vltune::Error when built without image decoding.
at::Tensor read_image_rgb(const std::filesystem::path& path);

// The same for an encoded image in memory; `label` names it in errors (a path, "sample 3 image 1").
at::Tensor decode_image_rgb(std::span<const uint8_t> bytes, const std::string& label);
// The same with a chosen decoder (OpenCV when the build has it, else stb, is the default); throws
// vltune::Error when the build lacks it.
at::Tensor decode_image_rgb(std::span<const uint8_t> bytes, const std::string& label, ImageDecoder decoder);

// The EXIF orientation (1-8) of an encoded JPEG, PNG or WebP image; 1 when it has none or the
// EXIF block is malformed. Pure parsing: available in every build.
int read_exif_orientation(std::span<const uint8_t> bytes);

}  // namespace vltune::vision
