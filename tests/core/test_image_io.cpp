// Image files to RGB tensors: RGB, RGBA and gray + alpha composited on white (PIL's integers),
// grayscale, palette with transparency, 16-bit samples (high byte), EXIF orientation in JPEG and
// PNG (against OpenCV's own IMREAD_COLOR rotation and against explicit rotations), and errors that
// name the file. Test images are written here with OpenCV or, for layouts OpenCV cannot write
// (palette, gray + alpha, eXIf), byte by byte.

#include <array>
#include <fstream>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <QtTest/QtTest>

#include "core/error.h"
#include "core/vision/image_io.h"
#include "core/vision/image_ops.h"
#include "tests/test_support.h"

using vltune::test::error_of;

#if VLTUNE_WITH_IMAGE_IO
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#endif

namespace fs = std::filesystem;
using vltune::test::contains;

namespace {

// --- bytes --------------------------------------------------------------------------------------

void put16be(std::string& out, uint32_t v) {
  out += static_cast<char>((v >> 8) & 0xFF);
  out += static_cast<char>(v & 0xFF);
}
void put32be(std::string& out, uint32_t v) {
  put16be(out, v >> 16);
  put16be(out, v & 0xFFFF);
}
void put16le(std::string& out, uint32_t v) {
  out += static_cast<char>(v & 0xFF);
  out += static_cast<char>((v >> 8) & 0xFF);
}
void put32le(std::string& out, uint32_t v) {
  put16le(out, v & 0xFFFF);
  put16le(out, v >> 16);
}

uint32_t crc32(const std::string& data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : data) {
    crc ^= byte;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

std::string png_chunk(const std::string& type, const std::string& data) {
  std::string out;
  put32be(out, static_cast<uint32_t>(data.size()));
  out += type + data;
  put32be(out, crc32(type + data));
  return out;
}

// A zlib stream of stored (uncompressed) deflate blocks.
std::string zlib_stored(const std::string& raw) {
  std::string out = "\x78\x01";
  size_t pos = 0;
  do {
    const size_t n = std::min<size_t>(65535, raw.size() - pos);
    out += static_cast<char>(pos + n == raw.size() ? 1 : 0);
    put16le(out, static_cast<uint32_t>(n));
    put16le(out, static_cast<uint32_t>(~n & 0xFFFF));
    out += raw.substr(pos, n);
    pos += n;
  } while (pos < raw.size());
  uint32_t a = 1, b = 0;
  for (unsigned char c : raw) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  put32be(out, (b << 16) | a);
  return out;
}

// A PNG from rows of raw samples (without filter bytes); `extra` chunks go before IDAT.
std::string make_png(uint32_t width, uint32_t height, int bit_depth, int color_type,
                     const std::vector<std::string>& rows, const std::string& extra = {}) {
  std::string ihdr;
  put32be(ihdr, width);
  put32be(ihdr, height);
  ihdr += static_cast<char>(bit_depth);
  ihdr += static_cast<char>(color_type);
  ihdr += std::string(3, '\0');  // deflate, adaptive filtering, no interlace
  std::string raw;
  for (const auto& row : rows) raw += '\0' + row;  // filter type 0 (None)
  return "\x89PNG\r\n\x1a\n" + png_chunk("IHDR", ihdr) + extra + png_chunk("IDAT", zlib_stored(raw)) +
         png_chunk("IEND", "");
}

// A TIFF-structured EXIF block: IFD0 with Make and Orientation.
std::string exif_tiff(int orientation, bool big_endian) {
  std::string t;
  const auto u16 = [&](uint32_t v) { big_endian ? put16be(t, v) : put16le(t, v); };
  const auto u32 = [&](uint32_t v) { big_endian ? put32be(t, v) : put32le(t, v); };
  t += big_endian ? "MM" : "II";
  u16(42);
  u32(8);
  u16(2);  // entries
  u16(0x010F);  // Make, ASCII, 4 bytes inline
  u16(2);
  u32(4);
  t += std::string("vlt\0", 4);
  u16(0x0112);  // Orientation, SHORT
  u16(3);
  u32(1);
  u16(static_cast<uint32_t>(orientation));
  u16(0);
  u32(0);  // no next IFD
  return t;
}

// Inserts an APP1 Exif segment right after the JPEG's SOI.
std::string with_jpeg_exif(const std::string& jpeg, int orientation) {
  const std::string payload = std::string("Exif\0\0", 6) + exif_tiff(orientation, false);
  std::string segment = "\xFF\xE1";
  put16be(segment, static_cast<uint32_t>(payload.size() + 2));
  return jpeg.substr(0, 2) + segment + payload + jpeg.substr(2);
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

at::Tensor u8(std::vector<int> values, std::vector<int64_t> shape) {
  std::vector<uint8_t> bytes(values.begin(), values.end());
  return at::from_blob(bytes.data(), shape, at::kByte).clone();
}

// PIL's alpha_composite over white, values computed by hand from libImaging/AlphaComposite.c.
constexpr int kPilRed0Alpha128 = 127;    // r = 0,   a = 128
constexpr int kPilRed200Alpha100 = 233;  // r = 200, a = 100

#if VLTUNE_WITH_IMAGE_IO

// OpenCV BGR(A) -> RGB(A) tensor [C, H, W].
at::Tensor from_mat(const cv::Mat& bgr) {
  cv::Mat rgb;
  if (bgr.channels() == 3) cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  else if (bgr.channels() == 4) cv::cvtColor(bgr, rgb, cv::COLOR_BGRA2RGBA);
  else rgb = bgr.clone();
  return at::from_blob(rgb.data, {rgb.rows, rgb.cols, rgb.channels()}, at::kByte).permute({2, 0, 1}).clone();
}

cv::Mat noise_mat(int rows, int cols, int type, uint64_t seed) {
  cv::Mat m(rows, cols, type);
  cv::RNG rng(seed);
  rng.fill(m, cv::RNG::UNIFORM, 0, CV_MAT_DEPTH(type) == CV_16U ? 65536 : 256);
  return m;
}

// The EXIF transforms spelled with OpenCV (as its own ApplyExifOrientation does).
cv::Mat oriented(const cv::Mat& m, int orientation) {
  cv::Mat out;
  switch (orientation) {
    case 2: cv::flip(m, out, 1); break;
    case 3: cv::rotate(m, out, cv::ROTATE_180); break;
    case 4: cv::flip(m, out, 0); break;
    case 5: cv::transpose(m, out); break;
    case 6: cv::rotate(m, out, cv::ROTATE_90_CLOCKWISE); break;
    case 7: cv::transpose(m, out); cv::flip(out, out, -1); break;
    case 8: cv::rotate(m, out, cv::ROTATE_90_COUNTERCLOCKWISE); break;
    default: out = m.clone();
  }
  return out;
}

std::string encode(const std::string& ext, const cv::Mat& m, const std::vector<int>& params = {}) {
  std::vector<uchar> buf;
  if (!cv::imencode(ext, m, buf, params)) throw std::runtime_error("imencode failed");
  return std::string(buf.begin(), buf.end());
}

#endif

}  // namespace

class TestImageIo : public QObject {
  Q_OBJECT

 private slots:
  // --- tensor conversions (no codecs needed) ----------------------------------------------------

  void compositeOnWhite() {
    // [4, 1, 4]: r channel 0/200/50/9, alpha 128/100/0/255
    const at::Tensor rgba = u8({0, 200, 50, 9, 0, 200, 50, 9, 0, 200, 50, 9, 128, 100, 0, 255}, {4, 1, 4});
    const at::Tensor rgb = vltune::vision::composite_on_white(rgba);
    QCOMPARE(rgb.sizes().vec(), (std::vector<int64_t>{3, 1, 4}));
    for (int c = 0; c < 3; ++c) {
      QCOMPARE(int(rgb[c][0][0].item<uint8_t>()), kPilRed0Alpha128);
      QCOMPARE(int(rgb[c][0][1].item<uint8_t>()), kPilRed200Alpha100);
      QCOMPARE(int(rgb[c][0][2].item<uint8_t>()), 255);  // transparent: white
      QCOMPARE(int(rgb[c][0][3].item<uint8_t>()), 9);    // opaque: unchanged
    }
    // Everywhere within one level of the exact blend.
    at::Tensor all = at::empty({4, 256, 256}, at::kByte);
    for (int a = 0; a < 256; ++a)
      for (int v = 0; v < 256; ++v) {
        all[0][a][v] = all[1][a][v] = all[2][a][v] = static_cast<uint8_t>(v);
        all[3][a][v] = static_cast<uint8_t>(a);
      }
    const at::Tensor out = vltune::vision::composite_on_white(all).to(at::kDouble);
    const at::Tensor alpha = all[3].to(at::kDouble) / 255.0, value = all[0].to(at::kDouble);
    const at::Tensor exact = value * alpha + 255.0 * (1 - alpha);
    QVERIFY((out[0] - exact).abs().max().item<double>() <= 1.0);
  }

  void toRgbLayouts() {
    const at::Tensor gray = u8({10, 20, 30, 40, 50, 60}, {2, 3, 1});
    const at::Tensor g3 = vltune::vision::to_rgb(gray);
    QCOMPARE(g3.sizes().vec(), (std::vector<int64_t>{3, 2, 3}));
    for (int c = 0; c < 3; ++c) QVERIFY(g3[c].equal(gray.squeeze(2)));
    const at::Tensor gray_alpha = u8({0, 128, 200, 100}, {1, 2, 2});  // (gray, alpha) pairs
    const at::Tensor ga = vltune::vision::to_rgb(gray_alpha);
    QCOMPARE(int(ga[1][0][0].item<uint8_t>()), kPilRed0Alpha128);
    QCOMPARE(int(ga[2][0][1].item<uint8_t>()), kPilRed200Alpha100);
    const at::Tensor rgb = u8({1, 2, 3, 4, 5, 6}, {1, 2, 3});
    QVERIFY(vltune::vision::to_rgb(rgb).equal(rgb.permute({2, 0, 1})));
    QVERIFY_EXCEPTION_THROWN(vltune::vision::to_rgb(at::zeros({2, 2, 5}, at::kByte)), vltune::Error);
  }

  void exifOrientationOnTensors() {
    // 2 x 3:  a b c / d e f
    const at::Tensor img = u8({1, 2, 3, 4, 5, 6}, {1, 2, 3});
    const std::vector<std::pair<int, std::vector<int>>> expected = {
        {1, {1, 2, 3, 4, 5, 6}}, {2, {3, 2, 1, 6, 5, 4}}, {3, {6, 5, 4, 3, 2, 1}}, {4, {4, 5, 6, 1, 2, 3}},
        {5, {1, 4, 2, 5, 3, 6}}, {6, {4, 1, 5, 2, 6, 3}}, {7, {6, 3, 5, 2, 4, 1}}, {8, {3, 6, 2, 5, 1, 4}}};
    for (const auto& [orientation, values] : expected) {
      const at::Tensor out = vltune::vision::apply_exif_orientation(img, orientation).contiguous();
      const std::vector<int64_t> shape = orientation >= 5 ? std::vector<int64_t>{1, 3, 2} : std::vector<int64_t>{1, 2, 3};
      QCOMPARE(out.sizes().vec(), shape);
      QVERIFY2(out.equal(u8(values, shape)), ("orientation " + std::to_string(orientation)).c_str());
    }
  }

  void readExifOrientation() {
    for (bool big : {false, true}) {
      const std::string tiff = exif_tiff(6, big);
      const std::string png = make_png(1, 1, 8, 0, {std::string(1, '\0')}, png_chunk("eXIf", tiff));
      QCOMPARE(vltune::vision::read_exif_orientation(std::span(reinterpret_cast<const uint8_t*>(png.data()), png.size())), 6);
    }
    const std::string plain = make_png(1, 1, 8, 0, {std::string(1, '\0')});
    QCOMPARE(vltune::vision::read_exif_orientation(std::span(reinterpret_cast<const uint8_t*>(plain.data()), plain.size())), 1);
    const std::string cut = with_jpeg_exif("\xFF\xD8\xFF\xD9", 8).substr(0, 20);  // truncated segment
    QCOMPARE(vltune::vision::read_exif_orientation(std::span(reinterpret_cast<const uint8_t*>(cut.data()), cut.size())), 1);
    const std::string jpeg = with_jpeg_exif("\xFF\xD8\xFF\xD9", 8);
    QCOMPARE(vltune::vision::read_exif_orientation(std::span(reinterpret_cast<const uint8_t*>(jpeg.data()), jpeg.size())), 8);
    std::string webp = "RIFF";
    const std::string tiff = exif_tiff(3, false);
    put32le(webp, static_cast<uint32_t>(4 + 8 + tiff.size()));
    webp += "WEBPEXIF";
    put32le(webp, static_cast<uint32_t>(tiff.size()));
    webp += tiff;
    QCOMPARE(vltune::vision::read_exif_orientation(std::span(reinterpret_cast<const uint8_t*>(webp.data()), webp.size())), 3);
  }

#if VLTUNE_WITH_IMAGE_IO
  // --- decoding files -----------------------------------------------------------------------------

  void rgbPng() {
    vltune::test::TempDir dir;
    const cv::Mat bgr = noise_mat(23, 31, CV_8UC3, 1);
    QVERIFY(cv::imwrite((dir.path() / "rgb.png").string(), bgr));
    const at::Tensor rgb = vltune::vision::read_image_rgb(dir.path() / "rgb.png");
    QCOMPARE(rgb.scalar_type(), at::kByte);
    QVERIFY(rgb.is_contiguous());
    QVERIFY(rgb.equal(from_mat(bgr)));
  }

  void rgbaPngOnWhite() {
    vltune::test::TempDir dir;
    cv::Mat bgra = noise_mat(16, 16, CV_8UC4, 2);
    bgra.at<cv::Vec4b>(0, 0) = {0, 0, 0, 128};      // black, half transparent
    bgra.at<cv::Vec4b>(0, 1) = {200, 200, 200, 100};
    bgra.at<cv::Vec4b>(0, 2) = {1, 2, 3, 0};        // fully transparent
    bgra.at<cv::Vec4b>(0, 3) = {1, 2, 3, 255};      // opaque
    QVERIFY(cv::imwrite((dir.path() / "rgba.png").string(), bgra));
    const at::Tensor rgb = vltune::vision::read_image_rgb(dir.path() / "rgba.png");
    QCOMPARE(rgb.sizes().vec(), (std::vector<int64_t>{3, 16, 16}));
    QVERIFY(rgb.equal(vltune::vision::composite_on_white(from_mat(bgra))));
    for (int c = 0; c < 3; ++c) {
      QCOMPARE(int(rgb[c][0][0].item<uint8_t>()), kPilRed0Alpha128);
      QCOMPARE(int(rgb[c][0][1].item<uint8_t>()), kPilRed200Alpha100);
      QCOMPARE(int(rgb[c][0][2].item<uint8_t>()), 255);
      QCOMPARE(int(rgb[c][0][3].item<uint8_t>()), 3 - c);  // BGR (1, 2, 3) read as RGB
    }
  }

  void grayscalePng() {
    vltune::test::TempDir dir;
    const cv::Mat gray = noise_mat(9, 14, CV_8UC1, 3);
    QVERIFY(cv::imwrite((dir.path() / "gray.png").string(), gray));
    const at::Tensor rgb = vltune::vision::read_image_rgb(dir.path() / "gray.png");
    const at::Tensor g = from_mat(gray)[0];
    for (int c = 0; c < 3; ++c) QVERIFY(rgb[c].equal(g));
  }

  void grayAlphaAndPalettePng() {
    vltune::test::TempDir dir;
    // gray + alpha (colour type 4), one row: (0, 128), (200, 100), (7, 0), (9, 255)
    write_file(dir.path() / "la.png", make_png(4, 1, 8, 4, {std::string("\x00\x80\xC8\x64\x07\x00\x09\xFF", 8)}));
    const at::Tensor la = vltune::vision::read_image_rgb(dir.path() / "la.png");
    QCOMPARE(la.sizes().vec(), (std::vector<int64_t>{3, 1, 4}));
    for (int c = 0; c < 3; ++c) {
      QCOMPARE(int(la[c][0][0].item<uint8_t>()), kPilRed0Alpha128);
      QCOMPARE(int(la[c][0][1].item<uint8_t>()), kPilRed200Alpha100);
      QCOMPARE(int(la[c][0][2].item<uint8_t>()), 255);
      QCOMPARE(int(la[c][0][3].item<uint8_t>()), 9);
    }
    // palette (colour type 3): red, green, blue, grey; tRNS makes entry 1 transparent, entry 2 half
    const std::string plte("\xFF\x00\x00\x00\xFF\x00\x00\x00\xFF\x80\x80\x80", 12);
    const std::string trns("\xFF\x00\x80", 3);
    write_file(dir.path() / "palette.png",
               make_png(4, 2, 8, 3, {std::string("\x00\x01\x02\x03", 4), std::string("\x03\x02\x01\x00", 4)},
                        png_chunk("PLTE", plte) + png_chunk("tRNS", trns)));
    const at::Tensor p = vltune::vision::read_image_rgb(dir.path() / "palette.png");
    QCOMPARE(p.sizes().vec(), (std::vector<int64_t>{3, 2, 4}));
    const at::Tensor expected_rgba = u8({255, 0, 0, 128, 128, 0, 0, 255,      // R
                                         0, 255, 0, 128, 128, 0, 255, 0,      // G
                                         0, 0, 255, 128, 128, 255, 0, 0,      // B
                                         255, 0, 128, 255, 255, 128, 0, 255}, // A
                                        {4, 2, 4});
    QVERIFY(p.equal(vltune::vision::composite_on_white(expected_rgba)));
    QCOMPARE(int(p[0][0][1].item<uint8_t>()), 255);  // transparent green -> white
  }

  void sixteenBitTakesHighByte() {
    vltune::test::TempDir dir;
    for (int type : {CV_16UC1, CV_16UC3, CV_16UC4}) {
      const cv::Mat wide = noise_mat(11, 13, type, 4 + type);
      const fs::path path = dir.path() / ("wide" + std::to_string(CV_MAT_CN(type)) + ".png");
      QVERIFY(cv::imwrite(path.string(), wide));
      cv::Mat high(wide.size(), CV_MAKETYPE(CV_8U, wide.channels()));
      for (int r = 0; r < wide.rows; ++r)
        for (int k = 0; k < wide.cols * wide.channels(); ++k)
          high.ptr<uint8_t>(r)[k] = static_cast<uint8_t>(wide.ptr<uint16_t>(r)[k] >> 8);
      at::Tensor expected = from_mat(high);
      if (expected.size(0) == 1) expected = expected.expand({3, -1, -1});
      if (expected.size(0) == 4) expected = vltune::vision::composite_on_white(expected);
      QVERIFY2(vltune::vision::read_image_rgb(path).equal(expected), path.filename().c_str());
    }
    // 16-bit gray + alpha, written by hand: (0x1234, 0xFFFF) -> 0x12 opaque
    write_file(dir.path() / "la16.png", make_png(1, 1, 16, 4, {std::string("\x12\x34\xFF\xFF", 4)}));
    const at::Tensor la = vltune::vision::read_image_rgb(dir.path() / "la16.png");
    QVERIFY(la.eq(0x12).all().item<bool>());
  }

  void exifJpeg_data() {
    QTest::addColumn<int>("orientation");
    for (int o = 1; o <= 8; ++o) QTest::newRow(("orientation " + std::to_string(o)).c_str()) << o;
  }

  // Upright as OpenCV's IMREAD_COLOR (which applies EXIF itself) and as the explicit transform.
  void exifJpeg() {
    QFETCH(int, orientation);
    vltune::test::TempDir dir;
    cv::Mat bgr(24, 40, CV_8UC3, cv::Scalar(30, 60, 90));
    cv::rectangle(bgr, cv::Point(0, 0), cv::Point(9, 5), cv::Scalar(0, 0, 255), cv::FILLED);        // red top-left
    cv::rectangle(bgr, cv::Point(30, 18), cv::Point(39, 23), cv::Scalar(255, 255, 255), cv::FILLED);  // white bottom-right
    const fs::path path = dir.path() / "exif.jpg";
    write_file(path, with_jpeg_exif(encode(".jpg", bgr, {cv::IMWRITE_JPEG_QUALITY, 95}), orientation));
    const at::Tensor ours = vltune::vision::read_image_rgb(path);
    const cv::Mat upright = cv::imread(path.string(), cv::IMREAD_COLOR);
    QVERIFY(ours.equal(from_mat(upright)));
    const cv::Mat raw = cv::imread(path.string(), cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
    QVERIFY(ours.equal(from_mat(oriented(raw, orientation))));
    QCOMPARE(ours.size(1), orientation >= 5 ? 40 : 24);
  }

  void exifPng() {
    vltune::test::TempDir dir;
    const cv::Mat bgr = noise_mat(5, 7, CV_8UC3, 5);
    std::string png = encode(".png", bgr);
    png.insert(33, png_chunk("eXIf", exif_tiff(6, true)));  // after the signature and IHDR
    write_file(dir.path() / "exif.png", png);
    QVERIFY(vltune::vision::read_image_rgb(dir.path() / "exif.png").equal(from_mat(oriented(bgr, 6))));
  }

  // stb_image, the decoder of builds without imgcodecs (GPU servers), gives what OpenCV gives:
  // identical RGB for every PNG layout (EXIF orientation included), JPEG within IDCT rounding.
  void stbMatchesOpenCv() {
    using vltune::vision::ImageDecoder;
    if (!vltune::vision::has_image_decoder(ImageDecoder::stb)) QSKIP("this build has no stb_image.h (libstb-dev)");
    std::vector<std::pair<std::string, std::string>> pngs = {
        {"rgb", encode(".png", noise_mat(9, 11, CV_8UC3, 11))},
        {"bgra", encode(".png", noise_mat(9, 11, CV_8UC4, 12))},
        {"gray", encode(".png", noise_mat(9, 11, CV_8UC1, 13))},
        {"rgb16", encode(".png", noise_mat(9, 11, CV_16UC3, 14))},
        {"rgba16", encode(".png", noise_mat(9, 11, CV_16UC4, 15))},
        {"gray16", encode(".png", noise_mat(9, 11, CV_16UC1, 16))},
        {"gray+alpha", make_png(4, 1, 8, 4, {std::string("\x00\x80\xC8\x64\x07\x00\x09\xFF", 8)})},
        {"palette+tRNS", make_png(4, 1, 8, 3, {std::string("\x00\x01\x02\x03", 4)},
                                  png_chunk("PLTE", std::string("\xFF\x00\x00\x00\xFF\x00\x00\x00\xFF\x80\x80\x80", 12)) +
                                      png_chunk("tRNS", std::string("\xFF\x00\x80", 3)))},
    };
    std::string exif = encode(".png", noise_mat(5, 7, CV_8UC3, 17));
    exif.insert(33, png_chunk("eXIf", exif_tiff(6, true)));
    pngs.emplace_back("png with EXIF orientation 6", exif);
    for (const auto& [name, file] : pngs) {
      const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(file.data()), file.size());
      const at::Tensor cv = vltune::vision::decode_image_rgb(bytes, name, ImageDecoder::opencv);
      const at::Tensor stb = vltune::vision::decode_image_rgb(bytes, name, ImageDecoder::stb);
      QVERIFY2(cv.sizes() == stb.sizes() && cv.equal(stb), name.c_str());
    }
    cv::Mat smooth(32, 48, CV_8UC3);
    for (int r = 0; r < smooth.rows; ++r)
      for (int c = 0; c < smooth.cols; ++c) smooth.at<cv::Vec3b>(r, c) = cv::Vec3b(uchar(4 * r), uchar(5 * c), uchar(2 * (r + c)));
    const std::string jpeg = with_jpeg_exif(encode(".jpg", smooth, {cv::IMWRITE_JPEG_QUALITY, 90}), 8);
    const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(jpeg.data()), jpeg.size());
    const at::Tensor cv = vltune::vision::decode_image_rgb(bytes, "jpeg", ImageDecoder::opencv).to(at::kInt);
    const at::Tensor stb = vltune::vision::decode_image_rgb(bytes, "jpeg", ImageDecoder::stb).to(at::kInt);
    QCOMPARE(stb.sizes().vec(), cv.sizes().vec());
    const auto diff = (cv - stb).abs();
    qInfo("JPEG, stb against OpenCV: max |difference| %d, mean %.3f", diff.max().item<int>(), diff.to(at::kFloat).mean().item<float>());
    QVERIFY(diff.max().item<int>() <= 6);
    QVERIFY(diff.to(at::kFloat).mean().item<float>() < 1.0f);
    // What stb cannot read is named as such, with the label.
    const std::string junk = "RIFF\x10\x00\x00\x00WEBPVP8 ";
    const std::span<const uint8_t> webp(reinterpret_cast<const uint8_t*>(junk.data()), junk.size());
    const std::string message = error_of([&] { vltune::vision::decode_image_rgb(webp, "sample 2 image 1", ImageDecoder::stb); });
    QVERIFY2(contains(message, "sample 2 image 1") && contains(message, "PNG, JPEG"), message.c_str());
  }

  void errorsNameTheFile() {
    vltune::test::TempDir dir;
    const fs::path missing = dir.path() / "missing.png";
    QVERIFY_EXCEPTION_THROWN(vltune::vision::read_image_rgb(missing), vltune::FileError);
    QVERIFY(contains(error_of([&] { vltune::vision::read_image_rgb(missing); }), missing.string()));
    const fs::path empty = dir.path() / "empty.png";
    write_file(empty, "");
    QVERIFY_EXCEPTION_THROWN(vltune::vision::read_image_rgb(empty), vltune::FormatError);
    QVERIFY(contains(error_of([&] { vltune::vision::read_image_rgb(empty); }), empty.string()));
    const fs::path junk = dir.path() / "junk.jpg";
    write_file(junk, "this is not an image at all");
    QVERIFY_EXCEPTION_THROWN(vltune::vision::read_image_rgb(junk), vltune::FormatError);
    QVERIFY(contains(error_of([&] { vltune::vision::read_image_rgb(junk); }), junk.string()));
    QVERIFY_EXCEPTION_THROWN(vltune::vision::read_image_rgb(dir.path()), vltune::FileError);
    const fs::path cut = dir.path() / "cut.png";
    write_file(cut, encode(".png", noise_mat(8, 8, CV_8UC3, 6)).substr(0, 40));
    QVERIFY_EXCEPTION_THROWN(vltune::vision::read_image_rgb(cut), vltune::FormatError);
    const std::vector<uint8_t> none;
    QVERIFY(contains(error_of([&] { vltune::vision::decode_image_rgb(none, "sample 3 image 1"); }), "sample 3 image 1"));
  }
#else
  void builtWithoutImageIo() {
    if (vltune::vision::has_image_decoder(vltune::vision::ImageDecoder::stb)) QSKIP("stb_image decodes images in this build");
    QVERIFY(!vltune::vision::image_io_available());
    const std::string message = error_of([] { vltune::vision::read_image_rgb("any.png"); });
    QVERIFY2(contains(message, "built without image decoding"), message.c_str());
    QVERIFY(contains(message, "any.png"));
  }
#endif
};

QTEST_APPLESS_MAIN(TestImageIo)
#include "test_image_io.moc"
