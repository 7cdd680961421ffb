#include "core/io/image_header.h"

#include <algorithm>
#include <array>
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

}  // namespace

ImageDimensions read_image_dimensions(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError(path.string() + ": cannot open the image");
  unsigned char sig[8] = {};
  in.read(reinterpret_cast<char*>(sig), 8);
  static const unsigned char kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  ImageDimensions d;
  if (in.gcount() == 8 && std::equal(sig, sig + 8, kPng)) d = png(in, path);
  else if (in.gcount() >= 2 && sig[0] == 0xFF && sig[1] == 0xD8) {
    in.clear();
    d = jpeg(in, path);
  } else bad(path, "not a PNG or JPEG file (give the image's size instead)");
  if (d.width <= 0 || d.height <= 0) bad(path, "image header gives a zero size");
  return d;
}

}  // namespace vltune::io
