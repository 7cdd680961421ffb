#pragma once
// Writing PNG files without zlib, OpenCV or Qt: 8-bit RGB, every row with filter 0, and the zlib
// stream made of stored (uncompressed) deflate blocks. Files come out about as large as the raw
// pixels; for plots of a few hundred pixels that is fine and it keeps the engine dependency-free.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace vltune::io {

// CRC-32 as PNG chunks and zlib use it (reflected 0xEDB88320), continuing from `crc` (0 to start).
uint32_t crc32(std::string_view bytes, uint32_t crc = 0);
// zlib's Adler-32 checksum.
uint32_t adler32(std::string_view bytes);

// The bytes of a PNG file of `width` x `height` pixels; `rgb` holds height rows of width * 3
// bytes. Throws vltune::Error when the sizes disagree or are not positive.
std::string encode_png_rgb(int width, int height, std::span<const uint8_t> rgb);

// encode_png_rgb written to `path` atomically. Throws Error / FileError.
void write_png_rgb(const std::filesystem::path& path, int width, int height, std::span<const uint8_t> rgb);

}  // namespace vltune::io
