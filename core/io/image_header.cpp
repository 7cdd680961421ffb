#include "core/io/image_header.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <fstream>
#include <string>

#include "core/error.h"

namespace vltune::io {

namespace {

uint32_t be16(const unsigned char* p) { return (uint32_t{p[0]} << 8) | p[1]; }
uint32_t be32(const unsigned char* p) { return (be16(p) << 16) | be16(p + 2); }

[[noreturn]] void bad(const std::filesystem::path& path, const std::string& what) {
  throw FormatError(path.string() + ": " + what);
}

// PNG: 8-byte signature, then the IHDR chunk (length, "IHDR", width, height; big-endian).
ImageDimensions png(std::ifstream& in, const std::filesystem::path& path) {
  std::array<unsigned char, 24> h{};
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(h.data()), h.size())) bad(path, "PNG header cut short");
  if (std::string(reinterpret_cast<const char*>(h.data() + 12), 4) != "IHDR") bad(path, "PNG without an IHDR chunk first");
  return {be32(h.data() + 16), be32(h.data() + 20)};
}

// JPEG: walk the marker segments to the first start-of-frame (SOF0..SOF15 but DHT, JPG, DAC).
ImageDimensions jpeg(std::ifstream& in, const std::filesystem::path& path) {
  in.seekg(2);
  for (;;) {
    unsigned char m[4];
    if (!in.read(reinterpret_cast<char*>(m), 2)) bad(path, "JPEG without a frame header");
    if (m[0] != 0xFF) bad(path, "JPEG marker expected");
    if (m[1] == 0xFF) {  // fill byte
      in.seekg(-1, std::ios::cur);
      continue;
    }
    if (m[1] == 0xD8 || (m[1] >= 0xD0 && m[1] <= 0xD7) || m[1] == 0x01) continue;  // no length
    if (!in.read(reinterpret_cast<char*>(m + 2), 2)) bad(path, "JPEG segment cut short");
    const uint32_t len = be16(m + 2);
    if (len < 2) bad(path, "JPEG segment length invalid");
    const bool sof = m[1] >= 0xC0 && m[1] <= 0xCF && m[1] != 0xC4 && m[1] != 0xC8 && m[1] != 0xCC;
    if (sof) {
      unsigned char f[5];
      if (!in.read(reinterpret_cast<char*>(f), 5)) bad(path, "JPEG frame header cut short");
      return {be16(f + 3), be16(f + 1)};  // precision, height, width
    }
    in.seekg(len - 2, std::ios::cur);
  }
}

uint32_t le16(const unsigned char* p) { return uint32_t{p[0]} | (uint32_t{p[1]} << 8); }
uint32_t le24(const unsigned char* p) { return le16(p) | (uint32_t{p[2]} << 16); }
uint32_t le32(const unsigned char* p) { return le16(p) | (le16(p + 2) << 16); }

// WebP: "RIFF" size "WEBP", then the first chunk: VP8 (lossy: the key frame's 14-bit sizes after
// its start code), VP8L (lossless: 14-bit sizes minus one after the 0x2F signature) or VP8X
// (extended: the canvas, 24-bit sizes minus one).
ImageDimensions webp(std::ifstream& in, const std::filesystem::path& path) {
  std::array<unsigned char, 30> h{};
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(h.data()), h.size())) bad(path, "WebP header cut short");
  const std::string chunk(reinterpret_cast<const char*>(h.data() + 12), 4);
  const unsigned char* d = h.data() + 20;  // the chunk's data
  if (chunk == "VP8 ") {
    if (d[3] != 0x9D || d[4] != 0x01 || d[5] != 0x2A) bad(path, "WebP VP8 frame without its start code");
    return {le16(d + 6) & 0x3FFF, le16(d + 8) & 0x3FFF};
  }
  if (chunk == "VP8L") {
    if (d[0] != 0x2F) bad(path, "WebP VP8L chunk without its signature");
    const uint32_t bits = le32(d + 1);
    return {int64_t{bits & 0x3FFF} + 1, int64_t{(bits >> 14) & 0x3FFF} + 1};
  }
  if (chunk == "VP8X") return {int64_t{le24(d + 4)} + 1, int64_t{le24(d + 7)} + 1};
  bad(path, "WebP with an unknown first chunk \"" + chunk + "\"");
}

// BMP: "BM", the file header (14 bytes), then the DIB header: the old 12-byte OS/2 core header
// with 16-bit sizes, or a newer one with 32-bit signed sizes (negative height: stored top-down).
ImageDimensions bmp(std::ifstream& in, const std::filesystem::path& path) {
  std::array<unsigned char, 26> h{};
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(h.data()), h.size())) bad(path, "BMP header cut short");
  if (le32(h.data() + 14) == 12) return {le16(h.data() + 18), le16(h.data() + 20)};
  const auto width = static_cast<int32_t>(le32(h.data() + 18));
  const auto height = static_cast<int32_t>(le32(h.data() + 22));
  return {std::abs(int64_t{width}), std::abs(int64_t{height})};
}

// GIF: "GIF87a"/"GIF89a", then the logical screen's width and height (what PIL calls the size).
ImageDimensions gif(std::ifstream& in, const std::filesystem::path& path) {
  std::array<unsigned char, 10> h{};
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(h.data()), h.size())) bad(path, "GIF header cut short");
  return {le16(h.data() + 6), le16(h.data() + 8)};
}

constexpr std::streamsize kExifRead = 16 << 10;

std::vector<uint8_t> read_block(std::ifstream& in, std::streamsize length) {
  std::vector<uint8_t> block(static_cast<size_t>(std::min(length, kExifRead)));
  in.read(reinterpret_cast<char*>(block.data()), static_cast<std::streamsize>(block.size()));
  block.resize(static_cast<size_t>(in.gcount()));
  return block;
}

// JPEG: APP segments come before the frame; the first APP1 starting "Exif\0\0" holds the block.
std::vector<uint8_t> jpeg_exif(std::ifstream& in) {
  in.seekg(2);
  unsigned char m[4];
  while (in.read(reinterpret_cast<char*>(m), 2) && m[0] == 0xFF) {
    if (m[1] == 0xFF) {
      in.seekg(-1, std::ios::cur);
      continue;
    }
    if (m[1] == 0xD8 || (m[1] >= 0xD0 && m[1] <= 0xD7) || m[1] == 0x01) continue;
    if (m[1] == 0xDA || m[1] == 0xD9 || (m[1] >= 0xC0 && m[1] <= 0xCF && m[1] != 0xC4 && m[1] != 0xC8 && m[1] != 0xCC))
      return {};  // image data, the end, or the frame: no EXIF before it
    if (!in.read(reinterpret_cast<char*>(m + 2), 2)) return {};
    const uint32_t len = be16(m + 2);
    if (len < 2) return {};
    if (m[1] == 0xE1 && len >= 8) {
      std::vector<uint8_t> block = read_block(in, len - 2);
      if (block.size() >= 6 && std::memcmp(block.data(), "Exif\0\0", 6) == 0) {
        block.erase(block.begin(), block.begin() + 6);
        return block;
      }
      in.seekg(static_cast<std::streamoff>(len - 2) - static_cast<std::streamoff>(block.size()), std::ios::cur);
      continue;
    }
    in.seekg(len - 2, std::ios::cur);
  }
  return {};
}

// PNG: chunks (length, type, data, CRC) up to the image data.
std::vector<uint8_t> png_exif(std::ifstream& in) {
  in.seekg(8);
  unsigned char h[8];
  while (in.read(reinterpret_cast<char*>(h), 8)) {
    const std::string type(reinterpret_cast<const char*>(h + 4), 4);
    if (type == "eXIf") return read_block(in, be32(h));
    if (type == "IDAT" || type == "IEND") return {};
    in.seekg(static_cast<std::streamoff>(be32(h)) + 4, std::ios::cur);
  }
  return {};
}

// WebP: RIFF chunks (fourcc, little-endian size, data padded to even).
std::vector<uint8_t> webp_exif(std::ifstream& in) {
  in.seekg(12);
  unsigned char h[8];
  while (in.read(reinterpret_cast<char*>(h), 8)) {
    const uint32_t size = le32(h + 4);
    if (std::memcmp(h, "EXIF", 4) == 0) return read_block(in, size);
    in.seekg(static_cast<std::streamoff>(size) + (size & 1), std::ios::cur);
  }
  return {};
}

}  // namespace

ImageDimensions read_image_dimensions(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError(path.string() + ": cannot open the image");
  unsigned char sig[12] = {};
  in.read(reinterpret_cast<char*>(sig), 12);
  const std::streamsize got = in.gcount();
  in.clear();
  const auto is = [&](size_t at, std::string_view text) {
    return static_cast<size_t>(got) >= at + text.size() && std::memcmp(sig + at, text.data(), text.size()) == 0;
  };
  ImageDimensions d;
  if (is(0, "\x89PNG\r\n\x1A\n")) d = png(in, path);
  else if (is(0, "\xFF\xD8")) d = jpeg(in, path);
  else if (is(0, "RIFF") && is(8, "WEBP")) d = webp(in, path);
  else if (is(0, "BM")) d = bmp(in, path);
  else if (is(0, "GIF87a") || is(0, "GIF89a")) d = gif(in, path);
  else bad(path, "not a PNG, JPEG, WebP, BMP or GIF file (give the image's size instead)");
  if (d.width <= 0 || d.height <= 0) bad(path, "image header gives a zero size");
  return d;
}

std::vector<uint8_t> read_exif_block(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError(path.string() + ": cannot open the image");
  unsigned char sig[12] = {};
  in.read(reinterpret_cast<char*>(sig), 12);
  if (in.gcount() < 12) return {};
  in.clear();
  if (std::memcmp(sig, "\x89PNG\r\n\x1A\n", 8) == 0) return png_exif(in);
  if (sig[0] == 0xFF && sig[1] == 0xD8) return jpeg_exif(in);
  if (std::memcmp(sig, "RIFF", 4) == 0 && std::memcmp(sig + 8, "WEBP", 4) == 0) return webp_exif(in);
  return {};
}

}  // namespace vltune::io
