#pragma once
// An image file's pixel size from its header alone (PNG IHDR, JPEG SOF, WebP VP8/VP8L/VP8X, BMP
// info header, GIF logical screen), so token counts can be computed without decoding pixels. The
// size is the stored one: an EXIF orientation that turns the picture is not applied here.

#include <cstdint>
#include <filesystem>
#include <vector>

namespace vltune::io {

struct ImageDimensions {
  int64_t width = 0;   // pixels
  int64_t height = 0;  // pixels
};

// Throws FileError when the file cannot be read, FormatError naming the file when it is not a
// PNG, JPEG, WebP, BMP or GIF file or its header is cut short.
ImageDimensions read_image_dimensions(const std::filesystem::path& path);

// The start of a file's EXIF block (TIFF structure; at most its first 16 KiB, which hold IFD0 and
// so the orientation): JPEG's APP1 "Exif" segment, PNG's eXIf chunk before the image data, WebP's
// EXIF chunk. Found by walking the segment or chunk headers, reading no pixel data; empty when the
// file has none or is not one of these formats. Throws FileError when the file cannot be opened.
std::vector<uint8_t> read_exif_block(const std::filesystem::path& path);

}  // namespace vltune::io
