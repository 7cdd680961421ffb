#include "core/vision/image_io.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include <ATen/ATen.h>

#include "core/error.h"
#include "core/vision/image_ops.h"

#if VLTUNE_WITH_STB_IMAGE
#include "core/vision/stb_decoder.h"
#endif

#if VLTUNE_WITH_IMAGE_IO
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#endif

namespace vltune::vision {

namespace {

// --- EXIF orientation ------------------------------------------------------------------------------

bool starts_with(std::span<const uint8_t> b, size_t at, std::string_view text) {
  return at + text.size() <= b.size() && std::memcmp(b.data() + at, text.data(), text.size()) == 0;
}

uint32_t be16(std::span<const uint8_t> b, size_t at) { return (uint32_t{b[at]} << 8) | b[at + 1]; }
uint32_t be32(std::span<const uint8_t> b, size_t at) { return (be16(b, at) << 16) | be16(b, at + 2); }
uint32_t le32(std::span<const uint8_t> b, size_t at) {
  return uint32_t{b[at]} | (uint32_t{b[at + 1]} << 8) | (uint32_t{b[at + 2]} << 16) | (uint32_t{b[at + 3]} << 24);
}

// Orientation (tag 0x0112) in IFD0 of a TIFF-structured EXIF block; 1 when absent or malformed.
int tiff_orientation(std::span<const uint8_t> t) {
  if (starts_with(t, 0, std::string_view("Exif\0\0", 6))) t = t.subspan(6);  // some writers keep the prefix
  if (t.size() < 8) return 1;
  bool little = false;
  if (t[0] == 'I' && t[1] == 'I') little = true;
  else if (t[0] != 'M' || t[1] != 'M') return 1;
  const auto u16 = [&](size_t at) -> uint32_t {
    return little ? (uint32_t{t[at]} | (uint32_t{t[at + 1]} << 8)) : be16(t, at);
  };
  const auto u32 = [&](size_t at) -> uint32_t { return little ? le32(t, at) : be32(t, at); };
  if (u16(2) != 42) return 1;
  const size_t ifd = u32(4);
  if (ifd + 2 > t.size()) return 1;
  const uint32_t entries = u16(ifd);
  for (uint32_t i = 0; i < entries; ++i) {
    const size_t e = ifd + 2 + size_t{12} * i;
    if (e + 12 > t.size()) break;
    if (u16(e) != 0x0112) continue;
    const uint32_t type = u16(e + 2);
    uint32_t value = 0;
    if (type == 3) value = u16(e + 8);        // SHORT, the standard type
    else if (type == 4) value = u32(e + 8);   // LONG, seen in the wild
    return (value >= 1 && value <= 8) ? static_cast<int>(value) : 1;
  }
  return 1;
}

// JPEG: the first APP1 segment that starts with "Exif\0\0".
int jpeg_orientation(std::span<const uint8_t> b) {
  size_t p = 2;
  while (p + 4 <= b.size()) {
    if (b[p] != 0xFF) return 1;
    const uint8_t marker = b[p + 1];
    if (marker == 0xFF) {  // fill byte
      ++p;
      continue;
    }
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // no length
      p += 2;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) return 1;  // image data or the end: no EXIF before it
    const size_t len = be16(b, p + 2);
    if (len < 2 || p + 2 + len > b.size()) return 1;
    if (marker == 0xE1 && len >= 8 && starts_with(b, p + 4, std::string_view("Exif\0\0", 6)))
      return tiff_orientation(b.subspan(p + 10, len - 8));
    p += 2 + len;
  }
  return 1;
}

// PNG: the eXIf chunk (PIL reads it wherever it is).
int png_orientation(std::span<const uint8_t> b) {
  size_t p = 8;
  while (p + 12 <= b.size()) {
    const size_t len = be32(b, p);
    if (p + 12 + len > b.size()) return 1;
    if (starts_with(b, p + 4, "eXIf")) return tiff_orientation(b.subspan(p + 8, len));
    if (starts_with(b, p + 4, "IEND")) return 1;
    p += 12 + len;
  }
  return 1;
}

// WebP: the RIFF "EXIF" chunk.
int webp_orientation(std::span<const uint8_t> b) {
  size_t p = 12;
  while (p + 8 <= b.size()) {
    const size_t len = le32(b, p + 4);
    if (p + 8 + len > b.size()) return 1;
    if (starts_with(b, p, "EXIF")) return tiff_orientation(b.subspan(p + 8, len));
    p += 8 + len + (len & 1);
  }
  return 1;
}

#if VLTUNE_WITH_IMAGE_IO
constexpr bool kHasOpenCv = true;
#else
constexpr bool kHasOpenCv = false;
#endif
#if VLTUNE_WITH_STB_IMAGE
constexpr bool kHasStb = true;
#else
constexpr bool kHasStb = false;
#endif

#if !VLTUNE_WITH_IMAGE_IO && !VLTUNE_WITH_STB_IMAGE
constexpr const char* kNoImageIo = "built without image decoding (VLTUNE_WITH_IMAGE_IO=OFF and no stb_image.h)";
#endif

#if VLTUNE_WITH_IMAGE_IO

// 16-bit samples to 8-bit: the high byte (PIL's "RGB;16B"-style unpacking, libpng's strip_16).
cv::Mat high_byte(const cv::Mat& img) {
  cv::Mat out(img.rows, img.cols, CV_MAKETYPE(CV_8U, img.channels()));
  const int n = img.cols * img.channels();
  for (int r = 0; r < img.rows; ++r) {
    const uint16_t* s = img.ptr<uint16_t>(r);
    uint8_t* d = out.ptr<uint8_t>(r);
    for (int k = 0; k < n; ++k) d[k] = static_cast<uint8_t>(s[k] >> 8);
  }
  return out;
}

cv::Mat decode(const cv::Mat& buffer, int flags, const std::string& label) {
  try {
    return cv::imdecode(buffer, flags);
  } catch (const cv::Exception& e) {
    throw FormatError(label + ": cannot decode the image (" + e.what() + ")");
  }
}

#endif

}  // namespace

int read_exif_orientation(std::span<const uint8_t> bytes) {
  if (bytes.size() >= 4 && bytes[0] == 0xFF && bytes[1] == 0xD8) return jpeg_orientation(bytes);
  if (starts_with(bytes, 0, "\x89PNG\r\n\x1a\n")) return png_orientation(bytes);
  if (starts_with(bytes, 0, "RIFF") && starts_with(bytes, 8, "WEBP")) return webp_orientation(bytes);
  return 1;
}

bool image_io_available() { return has_image_decoder(ImageDecoder::opencv) || has_image_decoder(ImageDecoder::stb); }

bool has_image_decoder(ImageDecoder decoder) {
  switch (decoder) {
    case ImageDecoder::opencv: return kHasOpenCv;
    case ImageDecoder::stb: return kHasStb;
  }
  return false;
}

at::Tensor decode_image_rgb(std::span<const uint8_t> bytes, const std::string& label) {
  return decode_image_rgb(bytes, label, has_image_decoder(ImageDecoder::opencv) ? ImageDecoder::opencv : ImageDecoder::stb);
}

at::Tensor decode_image_rgb(std::span<const uint8_t> bytes, const std::string& label, ImageDecoder decoder) {
  if (!has_image_decoder(decoder))
    throw Error(label + ": cannot decode the image: this build has no " +
                (decoder == ImageDecoder::opencv ? "OpenCV imgcodecs (VLTUNE_WITH_IMAGE_IO=OFF)" : "stb_image (libstb-dev)") +
                " decoder");
  if (decoder == ImageDecoder::stb) {
#if VLTUNE_WITH_STB_IMAGE
    return apply_exif_orientation(to_rgb(stb_decode_hwc(bytes, label)), read_exif_orientation(bytes)).contiguous();
#endif
  }
#if VLTUNE_WITH_IMAGE_IO
  if (bytes.empty()) throw FormatError(label + ": empty (0 bytes), not an image");
  const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<uint8_t*>(bytes.data()));
  // UNCHANGED keeps alpha and 16-bit samples (and skips OpenCV's EXIF rotation: done below).
  cv::Mat img = decode(buffer, cv::IMREAD_UNCHANGED, label);
  if (img.empty()) throw FormatError(label + ": not an image OpenCV can decode (or it has no pixels)");
  if (img.depth() == CV_16U) {
    img = high_byte(img);
  } else if (img.depth() != CV_8U) {  // float or 32-bit samples: OpenCV's own 8-bit colour conversion
    img = decode(buffer, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION, label);
    if (img.empty() || img.depth() != CV_8U)
      throw FormatError(label + ": pixel depth OpenCV cannot convert to 8 bits");
  }
  if (img.rows < 1 || img.cols < 1) throw FormatError(label + ": the image has no pixels");
  const int channels = img.channels();
  if (channels == 3) cv::cvtColor(img, img, cv::COLOR_BGR2RGB);
  else if (channels == 4) cv::cvtColor(img, img, cv::COLOR_BGRA2RGBA);
  else if (channels != 1 && channels != 2)
    throw FormatError(label + ": " + std::to_string(channels) + " channels per pixel are not supported");
  if (!img.isContinuous()) img = img.clone();
  const at::Tensor hwc = at::from_blob(img.data, {img.rows, img.cols, channels}, at::TensorOptions().dtype(at::kByte));
  const at::Tensor rgb = to_rgb(hwc);  // a fresh tensor: no reference to img's buffer survives
  return apply_exif_orientation(rgb, read_exif_orientation(bytes)).contiguous();
#else
  throw Error(label + ": cannot decode the image: vltune was built without OpenCV imgcodecs");
#endif
}

at::Tensor read_image_rgb(const std::filesystem::path& path) {
#if !VLTUNE_WITH_IMAGE_IO && !VLTUNE_WITH_STB_IMAGE
  throw Error(path.string() + ": cannot decode the image: vltune was " + kNoImageIo);
#else
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw FileError(path.string() + ": a folder, not an image file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError(path.string() + ": cannot open the image (" + std::strerror(errno) + ")");
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw FileError(path.string() + ": cannot read the image (" + std::strerror(errno) + ")");
  if (bytes.empty()) throw FormatError(path.string() + ": empty file (0 bytes), not an image");
  return decode_image_rgb(bytes, path.string());
#endif
}

}  // namespace vltune::vision
