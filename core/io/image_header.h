#pragma once
// An image file's pixel size from its header alone (PNG IHDR, JPEG SOF), so token counts can be
// computed without decoding pixels.

#include <cstdint>
#include <filesystem>

namespace vltune::io {

struct ImageDimensions {
  int64_t width = 0;   // pixels
  int64_t height = 0;  // pixels
};

// Throws FileError when the file cannot be read, FormatError naming the file when it is not a
// PNG or JPEG or its header is cut short.
ImageDimensions read_image_dimensions(const std::filesystem::path& path);

}  // namespace vltune::io
