// Qwen2-VL / Qwen2.5-VL image processor against transformers' (torchvision backend) outputs in the
// fixtures: every image in images/ against processor.safetensors, and the model inputs of the
// main and batch cases in reference.safetensors. Shapes and grids must be identical; pixel values,
// de-normalised back to 0-255, identical for at least 99.9% and never off by more than 1 (the
// fixtures README's rule). Also: the antialiased resize against LibTorch's own float kernel, the
// patch layout on a synthetic image, and the settings read from preprocessor_config.json.

#include <algorithm>
#include <cmath>
#include <fstream>
#include <regex>
#include <sstream>

#include <ATen/ATen.h>
#include <QtTest/QtTest>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/io/aux_configs.h"
#include "core/io/safetensors.h"
#include "core/text/image_placeholders.h"
#include "core/vision/image_io.h"
#include "core/vision/image_ops.h"
#include "core/vision/qwen2_vl_image_processor.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;
using nlohmann::json;
using vltune::vision::Qwen2VLImageInputs;
using vltune::vision::Qwen2VLImageParams;
using vltune::vision::Qwen2VLImageProcessor;

namespace {

fs::path root() { return vltune::test::hf_fixtures_root(); }

json read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  return json::parse(in);
}

// Families whose preprocessor_config.json is a Qwen2VLImageProcessor.
std::vector<std::string> qwen_families() {
  std::vector<std::string> out;
  for (const auto& family : vltune::test::hf_fixture_families()) {
    const fs::path config = root() / family / "model" / "preprocessor_config.json";
    if (fs::exists(config) &&
        vltune::io::read_preprocessor_config(config).kind == vltune::io::ImageProcessorKind::qwen2_vl)
      out.push_back(family);
  }
  return out;
}

std::vector<std::string> fixture_images() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root() / "images", ec))
    if (entry.is_regular_file()) out.push_back(entry.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

Qwen2VLImageProcessor processor_for(const std::string& family) {
  return Qwen2VLImageProcessor(vltune::io::read_preprocessor_config(root() / family / "model" / "preprocessor_config.json"));
}

// The batch case's images, in order, as make_fixtures.py (beside the fixtures) lists them in
// qwen_batch_cases: `names = ["a.png", "b.png", ...]`.
std::vector<std::string> qwen_batch_images() {
  const fs::path script = root() / "make_fixtures.py";
  std::ifstream in(script);
  if (!in) throw std::runtime_error("cannot open " + script.string() + " (it names the batch case's images)");
  std::stringstream text;
  text << in.rdbuf();
  const std::string source = text.str();
  const size_t def = source.find("def qwen_batch_cases");
  const size_t names = def == std::string::npos ? def : source.find("names = [", def);
  const size_t end = names == std::string::npos ? names : source.find(']', names);
  if (end == std::string::npos)
    throw std::runtime_error(script.string() + ": no `names = [...]` in qwen_batch_cases");
  const std::string list = source.substr(names, end - names);
  std::vector<std::string> out;
  const std::regex quoted("[\"']([^\"']+)[\"']");
  for (auto it = std::sregex_iterator(list.begin(), list.end(), quoted); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[1].str());
  return out;
}

// How closely two pixel_values agree once de-normalised to 0-255.
struct Agreement {
  int64_t values = 0;       // compared values
  int64_t identical = 0;    // equal after rounding to integers
  int64_t max_diff = 0;     // largest |difference| of the rounded values
  double max_raw = 0.0;     // largest |difference| of the normalised float values
  double ref_off_grid = 0;  // how far the reference strays from integers (should be ~0)
};

// pixel_values [N, C*T*P*P] -> de-normalised to 0-255 units, [N, C, T*P*P] double.
at::Tensor denormalise(const at::Tensor& pixel_values, const Qwen2VLImageParams& p) {
  const int64_t channels = static_cast<int64_t>(p.normalize.image_mean.size());
  at::Tensor x = pixel_values.to(at::kDouble).reshape({pixel_values.size(0), channels, -1});
  if (p.normalize.do_normalize) {
    const at::Tensor mean = at::tensor(p.normalize.image_mean, at::kDouble).view({1, channels, 1});
    const at::Tensor std_dev = at::tensor(p.normalize.image_std, at::kDouble).view({1, channels, 1});
    x = x * std_dev + mean;
  }
  if (p.normalize.do_rescale) x = x / p.normalize.rescale_factor;
  return x;
}

Agreement compare(const at::Tensor& ours, const at::Tensor& ref, const Qwen2VLImageParams& p) {
  Agreement a;
  const at::Tensor o = denormalise(ours, p), r = denormalise(ref, p);
  const at::Tensor diff = (o.round() - r.round()).abs();
  a.values = diff.numel();
  a.identical = diff.eq(0).sum().item<int64_t>();
  a.max_diff = static_cast<int64_t>(diff.max().item<double>());
  a.max_raw = (ours.to(at::kDouble) - ref.to(at::kDouble)).abs().max().item<double>();
  a.ref_off_grid = (r - r.round()).abs().max().item<double>();
  return a;
}

// Checks the fixtures README's rule and prints the measured agreement.
void check_pixels(const std::string& what, const Qwen2VLImageInputs& ours, const at::Tensor& ref_values,
                  const at::Tensor& ref_grid, const Qwen2VLImageParams& p) {
  QCOMPARE(ours.image_grid_thw.sizes().vec(), ref_grid.sizes().vec());
  QVERIFY2(ours.image_grid_thw.equal(ref_grid.to(at::kLong)),
           (what + ": grid differs").c_str());
  QCOMPARE(ours.pixel_values.sizes().vec(), ref_values.sizes().vec());
  QCOMPARE(ours.pixel_values.scalar_type(), at::kFloat);
  const Agreement a = compare(ours.pixel_values, ref_values, p);
  const double share = 100.0 * static_cast<double>(a.identical) / static_cast<double>(a.values);
  qInfo("%s: %lld values, %.4f%% identical after de-normalising, max diff %lld (0-255), max |raw diff| %.3g",
        what.c_str(), static_cast<long long>(a.values), share, static_cast<long long>(a.max_diff), a.max_raw);
  QVERIFY2(a.ref_off_grid < 1e-3, (what + ": reference values are not integers once de-normalised").c_str());
  QVERIFY2(a.max_diff <= 1, (what + ": a value off by " + std::to_string(a.max_diff)).c_str());
  QVERIFY2(a.identical * 1000 >= a.values * 999,
           (what + ": only " + std::to_string(share) + "% identical").c_str());
}

// A deterministic uint8 image [C, H, W].
at::Tensor pattern_image(int64_t c, int64_t h, int64_t w, uint64_t seed) {
  at::Tensor out = at::empty({c, h, w}, at::kByte);
  uint8_t* p = out.data_ptr<uint8_t>();
  uint64_t s = seed;
  for (int64_t i = 0; i < out.numel(); ++i) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    p[i] = static_cast<uint8_t>(s >> 56);
  }
  return out;
}

}  // namespace

class TestQwen2VLProcessor : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QVERIFY2(!qwen_families().empty(),
             ("no Qwen2-VL fixture family under " + root().string() + " (set VLTUNE_HF_FIXTURES)").c_str());
    QVERIFY2(!fixture_images().empty(), ("no images in " + (root() / "images").string()).c_str());
  }

  // --- parity with the fixtures ---------------------------------------------------------------

  void fixtureImages_data() {
    QTest::addColumn<QString>("family");
    QTest::addColumn<QString>("image");
    for (const auto& family : qwen_families()) {
      if (!fs::exists(root() / family / "processor.safetensors")) continue;
      for (const auto& image : fixture_images())
        QTest::newRow((family + "/" + image).c_str()) << QString::fromStdString(family) << QString::fromStdString(image);
    }
  }

  void fixtureImages() {
    QFETCH(QString, family);
    QFETCH(QString, image);
    if (!vltune::vision::image_io_available()) QSKIP("built without image decoding (VLTUNE_WITH_IMAGE_IO=OFF)");
    const std::string name = image.toStdString();
    const auto ref = vltune::io::SafetensorsFile::open(root() / family.toStdString() / "processor.safetensors");
    const Qwen2VLImageProcessor proc = processor_for(family.toStdString());
    const fs::path files[] = {root() / "images" / name};
    const Qwen2VLImageInputs ours = proc.process_files(files);
    check_pixels(family.toStdString() + "/" + name, ours, ref.tensor(name + ".pixel_values"),
                 ref.tensor(name + ".image_grid_thw"), proc.params());
  }

  void referenceInputs_data() {
    QTest::addColumn<QString>("family");
    QTest::addColumn<QString>("prefix");  // reference.safetensors key prefix ("input", "batch.input")
    QTest::addColumn<QStringList>("images");
    QTest::addColumn<QString>("file");
    for (const auto& family : qwen_families()) {
      const json info = read_json(root() / family / "reference.json");
      QTest::newRow((family + "/main").c_str())
          << QString::fromStdString(family) << "input"
          << QStringList{QString::fromStdString(info.at("image").get<std::string>())} << "reference.safetensors";
      const json cases = info.value("cases", json::array());
      if (std::find(cases.begin(), cases.end(), "batch") != cases.end()) {
        QStringList names;
        for (const auto& n : qwen_batch_images()) names << QString::fromStdString(n);
        QTest::newRow((family + "/batch").c_str())
            << QString::fromStdString(family) << "batch.input" << names << "reference.safetensors";
      }
      if (info.contains("e2e") && fs::exists(root() / family / "processor_e2e.safetensors"))
        QTest::newRow((family + "/e2e").c_str())
            << QString::fromStdString(family) << "e2e"
            << QStringList{QString::fromStdString(info.at("e2e").at("image").get<std::string>())}
            << "processor_e2e.safetensors";
    }
  }

  void referenceInputs() {
    QFETCH(QString, family);
    QFETCH(QString, prefix);
    QFETCH(QStringList, images);
    QFETCH(QString, file);
    if (!vltune::vision::image_io_available()) QSKIP("built without image decoding (VLTUNE_WITH_IMAGE_IO=OFF)");
    const auto ref = vltune::io::SafetensorsFile::open(root() / family.toStdString() / file.toStdString());
    const Qwen2VLImageProcessor proc = processor_for(family.toStdString());
    std::vector<fs::path> files;
    for (const QString& image : images) files.push_back(root() / "images" / image.toStdString());
    const Qwen2VLImageInputs ours = proc.process_files(files);
    const std::string p = prefix.toStdString();
    check_pixels(family.toStdString() + "/" + p, ours, ref.tensor(p + ".pixel_values"),
                 ref.tensor(p + ".image_grid_thw"), proc.params());
  }

  // The grid the processor makes is the one the prompt's token count was computed with.
  void gridAgreesWithTokenCounts() {
    for (const auto& family : qwen_families()) {
      const auto config = vltune::io::read_preprocessor_config(root() / family / "model" / "preprocessor_config.json");
      const Qwen2VLImageProcessor proc(config);
      const std::vector<vltune::text::ImageSize> sizes = {{300, 200}, {97, 131}, {160, 90}, {448, 448},
                                                          {4000, 3000}, {28, 28}, {11, 2000}, {1, 1}};
      for (const vltune::text::ImageSize size : sizes)
        QCOMPARE(proc.grid(size), vltune::text::qwen_image_grid(size, config));
    }
  }

  void paramsFromConfig() {
    for (const auto& family : qwen_families()) {
      const json info = read_json(root() / family / "reference.json");
      const Qwen2VLImageParams p = processor_for(family).params();
      const json& expected = info.at("processor");
      QCOMPARE(p.min_pixels, expected.at("min_pixels").get<int64_t>());
      QCOMPARE(p.max_pixels, expected.at("max_pixels").get<int64_t>());
      QCOMPARE(p.patch_size, expected.at("patch_size").get<int64_t>());
      QCOMPARE(p.merge_size, expected.at("merge_size").get<int64_t>());
      QCOMPARE(p.temporal_patch_size, expected.at("temporal_patch_size").get<int64_t>());
    }
    vltune::io::PreprocessorConfig clip;  // member defaults: CLIP
    clip.image_processor_type = "CLIPImageProcessor";
    clip.kind = vltune::io::ImageProcessorKind::clip;
    QVERIFY(vltune::test::contains(vltune::test::format_error([&] { Qwen2VLImageProcessor{clip}; }),
                                   "CLIPImageProcessor"));
    vltune::io::PreprocessorConfig bilinear;
    bilinear.kind = vltune::io::ImageProcessorKind::qwen2_vl;
    bilinear.resample = 2;
    QVERIFY(vltune::test::contains(vltune::test::format_error([&] { Qwen2VLImageProcessor{bilinear}; }),
                                   "resample 2"));
  }

  // --- the pieces -------------------------------------------------------------------------------

  // The patch rows on an image whose every value says where it came from: value = c*64 + y*8 + x.
  void patchLayout() {
    Qwen2VLImageParams p;
    p.do_resize = false;
    p.normalize.do_rescale = false;
    p.normalize.do_normalize = false;
    p.patch_size = 2;
    p.merge_size = 2;
    p.temporal_patch_size = 2;
    const int64_t C = 3, H = 4, W = 8, P = 2, m = 2, T = 2;
    at::Tensor image = at::empty({C, H, W}, at::kByte);
    for (int64_t c = 0; c < C; ++c)
      for (int64_t y = 0; y < H; ++y)
        for (int64_t x = 0; x < W; ++x) image[c][y][x] = static_cast<uint8_t>(c * 64 + y * 8 + x);
    const Qwen2VLImageInputs out = Qwen2VLImageProcessor(p).process(image);
    QCOMPARE(out.image_grid_thw.sizes().vec(), (std::vector<int64_t>{1, 3}));
    QCOMPARE(out.image_grid_thw[0][1].item<int64_t>(), H / P);
    QCOMPARE(out.image_grid_thw[0][2].item<int64_t>(), W / P);
    const int64_t gw = W / P;
    QCOMPARE(out.pixel_values.sizes().vec(), (std::vector<int64_t>{(H / P) * gw, C * T * P * P}));
    const auto acc = out.pixel_values.accessor<float, 2>();
    for (int64_t row = 0; row < out.pixel_values.size(0); ++row) {
      // rows run over merged blocks (bh, bw), then the m x m patches inside each block
      const int64_t mw = row % m, mh = (row / m) % m, block = row / (m * m);
      const int64_t bw = block % (gw / m), bh = block / (gw / m);
      for (int64_t col = 0; col < out.pixel_values.size(1); ++col) {
        const int64_t px = col % P, py = (col / P) % P, c = col / (T * P * P);  // (C, T, P, P)
        const int64_t y = (bh * m + mh) * P + py, x = (bw * m + mw) * P + px;
        QCOMPARE(acc[row][col], static_cast<float>(c * 64 + y * 8 + x));
      }
    }
  }

  // Same size: untouched. Constant images stay constant. A batch equals its images one by one.
  void resizeBasics() {
    const at::Tensor img = pattern_image(3, 37, 53, 1);
    QVERIFY(vltune::vision::resize_bicubic_antialias(img, 37, 53).equal(img));
    const at::Tensor flat = at::full({3, 40, 30}, 77, at::kByte);
    for (auto [h, w] : std::vector<std::pair<int64_t, int64_t>>{{13, 7}, {90, 61}, {40, 112}, {5, 30}})
      QVERIFY(vltune::vision::resize_bicubic_antialias(flat, h, w).eq(77).all().item<bool>());
    const at::Tensor batch = at::stack({img, pattern_image(3, 37, 53, 2)});
    const at::Tensor both = vltune::vision::resize_bicubic_antialias(batch, 20, 70);
    QCOMPARE(both.sizes().vec(), (std::vector<int64_t>{2, 3, 20, 70}));
    QVERIFY(both[1].equal(vltune::vision::resize_bicubic_antialias(batch[1], 20, 70)));
    QVERIFY(vltune::test::contains(
        [] {
          try {
            vltune::vision::resize_bicubic_antialias(at::zeros({3, 4, 4}, at::kFloat), 2, 2);
          } catch (const vltune::Error& e) {
            return std::string(e.what());
          }
          return std::string();
        }(),
        "uint8"));
  }

  // Rows are resized 16 at a time (transposed into vector lanes): every row of an image, whatever
  // lane or partial block it falls in, comes out as it does resized alone.
  void resizeRowsAreIndependent() {
    at::manual_seed(3);
    const at::Tensor img = at::randint(256, {2, 3, 37, 53}, at::kByte);
    for (int64_t w : {70, 29, 1}) {
      const at::Tensor all = vltune::vision::resize_bicubic_antialias(img, 37, w);
      for (int64_t n = 0; n < 2; ++n)
        for (int64_t c = 0; c < 3; ++c)
          for (int64_t y = 0; y < 37; ++y) {
            const at::Tensor row = img[n][c].narrow(0, y, 1).unsqueeze(0);  // [1, 1, 53]
            QVERIFY2(all[n][c][y].equal(vltune::vision::resize_bicubic_antialias(row, 1, w)[0][0]),
                     ("row " + std::to_string(y) + " of plane " + std::to_string(n * 3 + c) + " to width " +
                      std::to_string(w)).c_str());
          }
    }
    // Columns likewise: a transposed image resized in height is the transpose of it resized in width.
    const at::Tensor t = img.transpose(-1, -2).contiguous();  // [2, 3, 53, 37]
    QVERIFY(vltune::vision::resize_bicubic_antialias(t, 70, 37).equal(
        vltune::vision::resize_bicubic_antialias(img, 37, 70).transpose(-1, -2)));
  }

  // uint8 images are normalised through a table of each channel's 256 results: the very numbers
  // the float32 tensor operations give the same image converted to float.
  void normalizeTableIsTheTensorArithmetic() {
    at::manual_seed(4);
    const at::Tensor img = at::randint(256, {2, 3, 19, 23}, at::kByte);
    for (int variant = 0; variant < 4; ++variant) {
      vltune::vision::NormalizeParams p;
      p.do_rescale = variant != 1;
      p.do_normalize = variant != 2;
      if (variant == 3) {
        p.image_mean = {0.5, 0.25, 0.125};
        p.image_std = {0.5, 0.3, 0.7};
        p.rescale_factor = 1.0 / 127.5;
      }
      const at::Tensor table = vltune::vision::rescale_and_normalize(img, p);
      const at::Tensor ops = vltune::vision::rescale_and_normalize(img.to(at::kFloat), p);
      QCOMPARE(table.scalar_type(), at::kFloat);
      QVERIFY2(table.equal(ops), ("variant " + std::to_string(variant)).c_str());
      // uint8 pixels normalised later (on the GPU in training) through the table: both routes, the
      // CPU's and the device's index_select, give the same floats, for any [outer, C, inner] view.
      const at::Tensor lut = vltune::vision::normalize_table(p, 3);
      const at::Tensor grouped = img.view({2, 3, -1});
      QVERIFY(vltune::vision::normalize_with_table(grouped, lut).view(img.sizes()).equal(ops));
      QVERIFY(vltune::vision::normalize_with_table_indexed(grouped, lut).view(img.sizes()).equal(ops));
    }
    const std::string wrong = vltune::test::error_of([&] {
      vltune::vision::normalize_with_table(img.view({2, 3, -1}), vltune::vision::normalize_table({}, 3).narrow(0, 0, 2));
    });
    QVERIFY2(vltune::test::contains(wrong, "the table is [2, 256] for 3 channels"), wrong.c_str());
  }

  // The uint8 integer kernel is LibTorch's antialiased bicubic: within one level of LibTorch's
  // float kernel (rounded), shrinking and enlarging. A smooth image: on noise the uint8 kernel's
  // clamp between its two passes (as in the reference) moves values further.
  void resizeTracksFloatKernel() {
    at::Tensor img = at::empty({3, 131, 97}, at::kByte);
    for (int64_t c = 0; c < 3; ++c)
      for (int64_t y = 0; y < 131; ++y)
        for (int64_t x = 0; x < 97; ++x)
          img[c][y][x] = static_cast<uint8_t>(std::lround(128 + 80 * std::sin(x / 7.0 + c) * std::cos(y / 5.0)));
    for (auto [h, w] : std::vector<std::pair<int64_t, int64_t>>{{56, 84}, {252, 196}, {131, 28}, {17, 97}, {140, 112}}) {
      const at::Tensor ours = vltune::vision::resize_bicubic_antialias(img, h, w).to(at::kInt);
      const at::Tensor ref = at::_upsample_bicubic2d_aa(img.unsqueeze(0).to(at::kFloat), {h, w}, false)
                                 .squeeze(0).round().clamp(0, 255).to(at::kInt);
      const int64_t off = (ours - ref).abs().max().item<int64_t>();
      QVERIFY2(off <= 1, ("resize to " + std::to_string(w) + "x" + std::to_string(h) + ": off by " +
                          std::to_string(off)).c_str());
    }
  }

  void normalizeArithmetic() {
    vltune::vision::NormalizeParams p;  // CLIP mean/std, 1/255
    const at::Tensor img = pattern_image(3, 4, 5, 4);
    const at::Tensor out = vltune::vision::rescale_and_normalize(img, p);
    QCOMPARE(out.scalar_type(), at::kFloat);
    // the fused form: (x - mean*255) / (std*255), every step in float32
    for (int64_t c = 0; c < 3; ++c) {
      const float mean = static_cast<float>(p.image_mean[c]) * 255.0f;
      const float std_dev = static_cast<float>(p.image_std[c]) * 255.0f;
      for (int64_t i = 0; i < 20; ++i) {
        const float x = static_cast<float>(img[c].flatten()[i].item<uint8_t>());
        QCOMPARE(out[c].flatten()[i].item<float>(), (x - mean) / std_dev);
      }
    }
    p.do_normalize = false;
    QVERIFY(vltune::vision::rescale_and_normalize(img, p).equal(img.to(at::kFloat) * static_cast<float>(1.0 / 255.0)));
    p.image_mean = {0.5};
    p.do_normalize = true;
    QVERIFY_EXCEPTION_THROWN(vltune::vision::rescale_and_normalize(img, p), vltune::Error);
  }

  void errorsNameTheImage() {
    const Qwen2VLImageProcessor proc;
    const at::Tensor tall = at::zeros({3, 3000, 10}, at::kByte);
    QVERIFY(vltune::test::contains(vltune::test::format_error([&] { proc.process(tall, "sample 7 image 0"); }),
                                   "sample 7 image 0"));
    std::string message;
    try {
      proc.process(at::zeros({3, 20, 20}, at::kFloat), "sample 8");
    } catch (const vltune::Error& e) {
      message = e.what();
    }
    QVERIFY2(vltune::test::contains(message, "sample 8") && vltune::test::contains(message, "uint8"), message.c_str());
    const Qwen2VLImageInputs none = proc.process(std::span<const at::Tensor>{});
    QCOMPARE(none.pixel_values.sizes().vec(), (std::vector<int64_t>{0, 3 * 2 * 14 * 14}));
    QCOMPARE(none.image_grid_thw.sizes().vec(), (std::vector<int64_t>{0, 3}));
  }
};

QTEST_APPLESS_MAIN(TestQwen2VLProcessor)
#include "test_qwen2_vl_processor.moc"
