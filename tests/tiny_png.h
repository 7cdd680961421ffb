#pragma once
// Small valid PNG files for dataset tests (the engine's own encoder, core/io/png_writer.h), so
// tests can lay out real images whatever the build's image I/O.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/io/png_writer.h"

namespace vltune::test {

// PNG bytes of a width x height RGB image whose pixel (x, y) is (x*7+seed, y*5+seed, x+y+seed) mod 256.
inline std::vector<uint8_t> png_bytes(int width, int height, int seed = 0) {
  std::vector<uint8_t> rgb;
  rgb.reserve(static_cast<size_t>(width) * static_cast<size_t>(height) * 3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      rgb.push_back(static_cast<uint8_t>(x * 7 + seed));
      rgb.push_back(static_cast<uint8_t>(y * 5 + seed));
      rgb.push_back(static_cast<uint8_t>(x + y + seed));
    }
  const std::string png = io::encode_png_rgb(width, height, rgb);
  return {png.begin(), png.end()};
}

// Appends a PNG chunk (length, type, data, CRC) to `out`, for tests that splice extra chunks in.
inline void put_png_chunk(std::vector<uint8_t>& out, const char* type, const std::vector<uint8_t>& data) {
  const auto put_u32 = [&](uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
  };
  put_u32(static_cast<uint32_t>(data.size()));
  std::string typed(type, 4);
  typed.append(data.begin(), data.end());
  out.insert(out.end(), typed.begin(), typed.end());
  put_u32(io::crc32(typed));
}

// Writes png_bytes(width, height, seed) to `path`, creating its folder.
inline void write_png(const std::filesystem::path& path, int width, int height, int seed = 0) {
  std::filesystem::create_directories(path.parent_path());
  const auto bytes = png_bytes(width, height, seed);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
}

// Writes `text` to `path` as is, creating its folder.
inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace vltune::test
