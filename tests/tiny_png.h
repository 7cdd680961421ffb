#pragma once
// Writes small valid PNG files without an image library (zlib "stored" blocks, no compression),
// so dataset tests can lay out real images whatever the build's image I/O.

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace vltune::test {

namespace detail {

inline uint32_t png_crc(const uint8_t* data, size_t n, uint32_t crc = 0xffffffffu) {
  for (size_t i = 0; i < n; ++i) {
    crc ^= data[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return crc;
}

inline void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
}

inline void put_chunk(std::vector<uint8_t>& out, const char* type, const std::vector<uint8_t>& data) {
  put_u32(out, static_cast<uint32_t>(data.size()));
  const size_t start = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data.begin(), data.end());
  put_u32(out, png_crc(out.data() + start, out.size() - start) ^ 0xffffffffu);
}

}  // namespace detail

// PNG bytes of a width x height RGB image whose pixel (x, y) is (x*7+seed, y*5+seed, x+y+seed) mod 256.
inline std::vector<uint8_t> png_bytes(int width, int height, int seed = 0) {
  std::vector<uint8_t> raw;  // filter byte 0 + RGB per row
  for (int y = 0; y < height; ++y) {
    raw.push_back(0);
    for (int x = 0; x < width; ++x) {
      raw.push_back(static_cast<uint8_t>(x * 7 + seed));
      raw.push_back(static_cast<uint8_t>(y * 5 + seed));
      raw.push_back(static_cast<uint8_t>(x + y + seed));
    }
  }
  std::vector<uint8_t> z = {0x78, 0x01};
  uint32_t a = 1, b = 0;
  for (uint8_t c : raw) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  for (size_t pos = 0; pos < raw.size() || pos == 0;) {
    const size_t len = std::min<size_t>(65535, raw.size() - pos);
    const bool last = pos + len == raw.size();
    z.push_back(last ? 1 : 0);
    z.push_back(static_cast<uint8_t>(len));
    z.push_back(static_cast<uint8_t>(len >> 8));
    z.push_back(static_cast<uint8_t>(~len));
    z.push_back(static_cast<uint8_t>(~len >> 8));
    z.insert(z.end(), raw.begin() + static_cast<std::ptrdiff_t>(pos), raw.begin() + static_cast<std::ptrdiff_t>(pos + len));
    pos += len;
    if (last) break;
  }
  detail::put_u32(z, (b << 16) | a);

  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  std::vector<uint8_t> ihdr;
  detail::put_u32(ihdr, static_cast<uint32_t>(width));
  detail::put_u32(ihdr, static_cast<uint32_t>(height));
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});  // 8-bit RGB, deflate, no filter method, no interlace
  detail::put_chunk(png, "IHDR", ihdr);
  detail::put_chunk(png, "IDAT", z);
  detail::put_chunk(png, "IEND", {});
  return png;
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
