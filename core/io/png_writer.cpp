#include "core/io/png_writer.h"

#include <algorithm>
#include <array>

#include "core/error.h"
#include "core/io/json_file.h"

namespace vltune::io {

namespace {

const std::array<uint32_t, 256>& crc_table() {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  return table;
}

void put_u32(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

// length, type, data, CRC of type + data.
void put_chunk(std::string& out, std::string_view type, std::string_view data) {
  put_u32(out, static_cast<uint32_t>(data.size()));
  const size_t start = out.size();
  out.append(type);
  out.append(data);
  put_u32(out, crc32(std::string_view(out).substr(start)));
}

// zlib header (deflate, 32K window, no dictionary, fastest), stored blocks of at most 65535
// bytes, Adler-32 of the data.
std::string zlib_stored(std::string_view data) {
  std::string out = {'\x78', '\x01'};
  size_t pos = 0;
  do {
    const size_t n = std::min<size_t>(65535, data.size() - pos);
    const bool last = pos + n == data.size();
    out.push_back(last ? '\x01' : '\x00');  // BFINAL, BTYPE = 00 (stored)
    const auto len = static_cast<uint16_t>(n);
    const auto nlen = static_cast<uint16_t>(~len);
    out.push_back(static_cast<char>(len & 0xFF));
    out.push_back(static_cast<char>(len >> 8));
    out.push_back(static_cast<char>(nlen & 0xFF));
    out.push_back(static_cast<char>(nlen >> 8));
    out.append(data.substr(pos, n));
    pos += n;
  } while (pos < data.size());
  put_u32(out, adler32(data));
  return out;
}

}  // namespace

uint32_t crc32(std::string_view bytes, uint32_t crc) {
  const auto& table = crc_table();
  uint32_t c = crc ^ 0xFFFFFFFFu;
  for (unsigned char b : bytes) c = table[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

uint32_t adler32(std::string_view bytes) {
  constexpr uint32_t kMod = 65521;
  uint32_t a = 1, b = 0;
  for (unsigned char c : bytes) {
    a = (a + c) % kMod;
    b = (b + a) % kMod;
  }
  return (b << 16) | a;
}

std::string encode_png_rgb(int width, int height, std::span<const uint8_t> rgb) {
  if (width <= 0 || height <= 0) throw Error("PNG: size " + std::to_string(width) + "x" + std::to_string(height) + " is not positive");
  const size_t row = static_cast<size_t>(width) * 3;
  if (rgb.size() != row * static_cast<size_t>(height))
    throw Error("PNG: " + std::to_string(rgb.size()) + " bytes of pixels for " + std::to_string(width) + "x" +
                std::to_string(height) + " RGB");
  std::string raw;  // each row: filter type 0, then its pixels
  raw.reserve((row + 1) * static_cast<size_t>(height));
  for (int y = 0; y < height; ++y) {
    raw.push_back('\0');
    raw.append(reinterpret_cast<const char*>(rgb.data()) + row * static_cast<size_t>(y), row);
  }
  std::string ihdr;
  put_u32(ihdr, static_cast<uint32_t>(width));
  put_u32(ihdr, static_cast<uint32_t>(height));
  ihdr += {'\x08', '\x02', '\x00', '\x00', '\x00'};  // 8 bits, truecolour, deflate, filter 0, no interlace

  std::string out = "\x89PNG\r\n\x1a\n";
  put_chunk(out, "IHDR", ihdr);
  put_chunk(out, "IDAT", zlib_stored(raw));
  put_chunk(out, "IEND", {});
  return out;
}

void write_png_rgb(const std::filesystem::path& path, int width, int height, std::span<const uint8_t> rgb) {
  write_file_atomic(path, encode_png_rgb(width, height, rgb));
}

}  // namespace vltune::io
