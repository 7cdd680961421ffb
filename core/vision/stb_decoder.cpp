#include "core/vision/stb_decoder.h"

#include <climits>
#include <memory>

#include <ATen/ATen.h>

#include "core/error.h"

// The implementation lives in this one translation unit. Only decoding from memory is used.
#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_STDIO
#define STBI_NO_HDR         // float images: not a dataset format
#define STBI_NO_LINEAR
#define STBI_FAILURE_USERMSG
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#endif
#include <stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace vltune::vision {

at::Tensor stb_decode_hwc(std::span<const uint8_t> bytes, const std::string& label) {
  if (bytes.empty()) throw FormatError(label + ": empty (0 bytes), not an image");
  if (bytes.size() > static_cast<size_t>(INT_MAX)) throw FormatError(label + ": larger than 2 GiB, not decoded");
  int w = 0, h = 0, channels = 0;
  // desired_channels 0: as stored. 16-bit files are reduced to their high byte by stb itself.
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &channels, 0), stbi_image_free);
  if (!pixels) {
    const char* why = stbi_failure_reason();
    throw FormatError(label + ": not an image this build can decode (" + (why ? why : "unknown reason") +
                      "; without OpenCV's imgcodecs it reads PNG, JPEG, BMP and GIF)");
  }
  if (w < 1 || h < 1) throw FormatError(label + ": the image has no pixels");
  if (channels < 1 || channels > 4) throw FormatError(label + ": " + std::to_string(channels) + " channels per pixel are not supported");
  return at::from_blob(pixels.get(), {h, w, channels}, at::TensorOptions().dtype(at::kByte)).clone();
}

}  // namespace vltune::vision
