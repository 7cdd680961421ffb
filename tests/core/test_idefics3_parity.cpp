// Idefics3 / SmolVLM against transformers (../shared/fixtures/hf/<family>/, every family whose
// config is idefics3): logits and loss of the main case, of the batch case (two right-padded
// samples whose tile lists are padded with all-zero images) and of the nosplit case (one untiled
// non-square image with a partly-zero pixel_attention_mask), greedy generation, the position ids
// of a padded tile, and the loader's accounting of tensors. Tolerances from the fixtures README;
// every expected value read from the files.

// LibTorch before Qt: Qt's `slots` macro would break torch's headers.
#include "core/models/idefics3.h"
#include "core/models/qwen_vl.h"
#include "core/vision/idefics3_image_processor.h"
#include "core/vision/image_ops.h"

#include <QtTest/QtTest>

#include "tests/model_parity_support.h"

#include "core/error.h"
#include "core/io/aux_configs.h"
#include "core/io/hf_config.h"
#include "core/io/json_file.h"
#include "core/io/safetensors.h"
#include "core/io/safetensors_writer.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;
using vltune::io::Json;
using vltune::models::Idefics3Inputs;

namespace {

void add_family_rows() {
  vltune::test::add_family_rows(vltune::test::fixture_families_of({vltune::io::ModelFamily::idefics3}), "Idefics3");
}

using Fixture = vltune::test::ParityFixture;
Fixture fixture(const QString& family) { return vltune::test::parity_fixture(family); }
using vltune::test::compare_logits;
using vltune::test::compare_loss;

Idefics3Inputs inputs_from(const vltune::io::SafetensorsFile& ref, const std::string& prefix) {
  Idefics3Inputs in;
  in.input_ids = ref.tensor(prefix + "input_ids").clone();
  in.attention_mask = ref.tensor(prefix + "attention_mask").clone();
  in.pixel_values = ref.tensor(prefix + "pixel_values").clone();
  if (ref.contains(prefix + "pixel_attention_mask")) in.pixel_attention_mask = ref.tensor(prefix + "pixel_attention_mask").clone();
  return in;
}

vltune::models::Idefics3 cached_model(const fs::path& dir) {
  static std::map<fs::path, vltune::models::Idefics3> cache;
  auto it = cache.find(dir);
  if (it == cache.end()) it = cache.emplace(dir, vltune::models::load_idefics3(dir / "model")).first;
  return it->second;
}

bool has_case(const Fixture& f, const char* name) {
  const auto cases = f.reference.value("cases", Json::array());
  return std::find(cases.begin(), cases.end(), name) != cases.end();
}

void check_case(const Fixture& f, const std::string& inputs, const std::string& logits_key, const std::string& loss_key) {
  torch::NoGradGuard no_grad;
  auto model = cached_model(f.dir);
  const Idefics3Inputs in = inputs_from(f.tensors, inputs);
  const auto logits = model->forward(in);
  compare_logits(logits, f.tensors.tensor(logits_key), logits_key.c_str());
  const double loss = vltune::models::causal_lm_loss(logits, f.tensors.tensor(inputs + "labels")).item<double>();
  compare_loss(loss, f.reference.at(loss_key).get<double>(), loss_key.c_str());
}

}  // namespace

class TestIdefics3Parity : public QObject {
  Q_OBJECT

 private slots:
  void mainCase_data() { add_family_rows(); }
  void mainCase();
  void batchCase_data() { add_family_rows(); }
  void batchCase();
  void nosplitCase_data() { add_family_rows(); }
  void nosplitCase();
  void greedyGeneration_data() { add_family_rows(); }
  void greedyGeneration();
  void processorImages_data() { add_family_rows(); }
  void processorImages();
  void fromPngToLoss_data() { add_family_rows(); }
  void fromPngToLoss();
  void loaderAccounting_data() { add_family_rows(); }
  void loaderAccounting();
  void paddedImageMasking_data() { add_family_rows(); }
  void paddedImageMasking();
  void processorTilingAndPadding();
  void positionIds();
  void pixelShuffle();
};

void TestIdefics3Parity::mainCase() {
  QFETCH(QString, family);
  check_case(fixture(family), "input.", "base.logits", "base_loss");
}

void TestIdefics3Parity::batchCase() {
  QFETCH(QString, family);
  const Fixture f = fixture(family);
  if (!has_case(f, "batch")) QSKIP("this fixture set has no batch case");
  check_case(f, "batch.input.", "batch.logits", "batch_loss");
}

void TestIdefics3Parity::nosplitCase() {
  QFETCH(QString, family);
  const Fixture f = fixture(family);
  if (!has_case(f, "nosplit")) QSKIP("this fixture set has no nosplit case");
  check_case(f, "nosplit.input.", "nosplit.logits", "nosplit_loss");
}

void TestIdefics3Parity::greedyGeneration() {
  QFETCH(QString, family);
  const Fixture f = fixture(family);
  if (!f.tensors.contains("base.generate")) QSKIP("this fixture set has no generation");
  auto model = cached_model(f.dir);
  const Idefics3Inputs in = inputs_from(f.tensors, "input.");
  const auto expected = f.tensors.tensor("base.generate");
  const auto generation = vltune::io::read_generation_config(f.dir / "model" / "generation_config.json");
  // As many steps as the reference took (it records one margin per step).
  const auto steps = static_cast<int64_t>(f.reference.at("base_generate_margins").size());
  const auto got = model->generate_greedy(in, steps, generation.eos_token_ids);
  QVERIFY2(torch::equal(got, expected), qPrintable(QString("generated %1 tokens, reference %2")
                                                       .arg(got.size(1) - in.input_ids.size(1))
                                                       .arg(expected.size(1) - in.input_ids.size(1))));
}

namespace {

vltune::vision::Idefics3ImageProcessor processor_for(const fs::path& dir) {
  return vltune::vision::Idefics3ImageProcessor(vltune::io::read_preprocessor_config(dir / "model" / "preprocessor_config.json"));
}

// [B, N, C, H, W] -> [B * N, C, H, W], what compare_pixels takes.
torch::Tensor tiles_of(const torch::Tensor& x) { return x.reshape({-1, x.size(2), x.size(3), x.size(4)}); }

}  // namespace

void TestIdefics3Parity::processorImages() {
  // Every image of processor.safetensors: pixel_values by the README's pixel rule, the
  // pixel_attention_mask identical.
  QFETCH(QString, family);
  const Fixture f = fixture(family);
  const fs::path file = f.dir / "processor.safetensors";
  if (!fs::exists(file)) QSKIP("this fixture set has no processor.safetensors");
  const auto expected = vltune::io::SafetensorsFile::open(file);
  const auto processor = processor_for(f.dir);
  int checked = 0;
  for (const auto& info : expected.tensors()) {
    const std::string suffix = ".pixel_values";
    if (info.name.size() <= suffix.size() || info.name.compare(info.name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    const std::string image = info.name.substr(0, info.name.size() - suffix.size());
    const auto ours = processor.process_files(std::vector<fs::path>{vltune::test::hf_fixtures_root() / "images" / image});
    const auto ref = expected.tensor(info.name);
    QCOMPARE(ours.pixel_values.sizes().vec(), ref.sizes().vec());
    vltune::test::compare_pixels(tiles_of(ours.pixel_values), tiles_of(ref), processor.params().normalize, image);
    if (expected.contains(image + ".pixel_attention_mask")) {
      const auto mask = expected.tensor(image + ".pixel_attention_mask").to(torch::kLong);
      QVERIFY2(torch::equal(ours.pixel_attention_mask, mask), (image + ": pixel_attention_mask differs").c_str());
    }
    ++checked;
  }
  QVERIFY2(checked > 0, "processor.safetensors holds no pixel_values");
}

void TestIdefics3Parity::fromPngToLoss() {
  // The main case with its image through our processor: the reference's logits and loss.
  QFETCH(QString, family);
  torch::NoGradGuard no_grad;
  const Fixture f = fixture(family);
  if (!f.reference.contains("image")) QSKIP("reference.json names no image");
  auto model = cached_model(f.dir);
  const auto processor = processor_for(f.dir);
  const fs::path image = vltune::test::hf_fixtures_root() / "images" / f.reference.at("image").get<std::string>();
  Idefics3Inputs in = inputs_from(f.tensors, "input.");
  const auto processed = processor.process_files(std::vector<fs::path>{image});
  QCOMPARE(processed.pixel_values.sizes().vec(), in.pixel_values.sizes().vec());
  in.pixel_values = processed.pixel_values;
  in.pixel_attention_mask = processed.pixel_attention_mask;
  const auto logits = model->forward(in);
  compare_logits(logits, f.tensors.tensor("base.logits"), "base.logits from the PNG");
  const double loss = vltune::models::causal_lm_loss(logits, f.tensors.tensor("input.labels")).item<double>();
  compare_loss(loss, f.reference.at("base_loss").get<double>(), "base_loss from the PNG");
}

void TestIdefics3Parity::loaderAccounting() {
  QFETCH(QString, family);
  const Fixture f = fixture(family);
  vltune::test::TempDir dir;
  for (const char* name : {"config.json", "generation_config.json"})
    if (fs::exists(f.dir / "model" / name)) fs::copy_file(f.dir / "model" / name, dir.path() / name);
  const auto source = vltune::io::SafetensorsFile::open(f.dir / "model" / "model.safetensors");
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& info : source.tensors()) tensors.emplace_back(info.name, source.tensor(info.name));
  auto starts = [](const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; };
  // One tensor left out: an error naming the model's parameter (the name without `model.`).
  const std::string dropped = tensors.front().first;
  auto fewer = tensors;
  fewer.erase(fewer.begin());
  vltune::io::save_safetensors(dir.path() / "model.safetensors", fewer);
  std::string error = vltune::test::format_error([&] { vltune::models::load_idefics3(dir.path()); });
  const std::string wanted = starts(dropped, "model.") ? dropped.substr(6) : dropped;
  QVERIFY2(vltune::test::contains(error, "lacks") && vltune::test::contains(error, wanted), error.c_str());
  // One extra tensor: an error naming it.
  auto more = tensors;
  more.emplace_back("model.text_model.layers.0.self_attn.extra.weight", torch::zeros({2}));
  vltune::io::save_safetensors(dir.path() / "model.safetensors", more);
  error = vltune::test::format_error([&] { vltune::models::load_idefics3(dir.path()); });
  QVERIFY2(vltune::test::contains(error, "model.text_model.layers.0.self_attn.extra.weight"), error.c_str());
  // Bare module names (no `model.`) in bf16 load the same weights, as float32.
  std::vector<std::pair<std::string, torch::Tensor>> bare;
  for (const auto& [name, t] : tensors) bare.emplace_back(starts(name, "model.") ? name.substr(6) : name, t.to(torch::kBFloat16));
  vltune::io::save_safetensors(dir.path() / "model.safetensors", bare);
  auto model = vltune::models::load_idefics3(dir.path());
  QCOMPARE(model->lm_head->weight.scalar_type(), torch::kFloat32);
  QVERIFY(torch::equal(model->lm_head->weight, source.tensor("lm_head.weight").to(torch::kBFloat16).to(torch::kFloat32)));
}

void TestIdefics3Parity::paddedImageMasking() {
  // A zero-padded image with its pixel_attention_mask: the real patches come out of the vision
  // model as the unpadded image's do (same bucketed positions, attention only among real patches).
  QFETCH(QString, family);
  torch::NoGradGuard no_grad;
  const Fixture f = fixture(family);
  auto model = cached_model(f.dir);
  const auto tile = f.tensors.tensor("input.pixel_values").select(1, 0);  // [1, C, S, S]
  const int64_t p = model->vision_model->patch_size(), side = tile.size(-1) / p;
  if (side < 3) QSKIP("tiles too small to pad");
  const int64_t ph = side / 2, pw = side - 1;  // real patches: ph x pw at the top left
  const auto crop = tile.narrow(2, 0, ph * p).narrow(3, 0, pw * p).contiguous();
  auto padded = torch::zeros_like(tile);
  padded.narrow(2, 0, ph * p).narrow(3, 0, pw * p).copy_(crop);
  auto pixel_mask = torch::zeros({1, tile.size(2), tile.size(3)});
  pixel_mask.narrow(1, 0, ph * p).narrow(2, 0, pw * p).fill_(1);
  const auto patch_mask = vltune::models::idefics3_patch_attention_mask(pixel_mask, p);
  QCOMPARE(patch_mask.sum().item<int64_t>(), ph * pw);
  const auto ours = model->vision_model(padded, patch_mask);  // [1, side * side, hidden]
  const auto real = ours.view({1, side, side, -1}).narrow(1, 0, ph).narrow(2, 0, pw).reshape({1, ph * pw, -1});
  const auto unpadded = model->vision_model(crop, torch::Tensor());
  const double diff = (real - unpadded).abs().max().item<double>();
  qInfo("padded vs unpadded real patches: max |diff| %.3g", diff);
  QVERIFY(diff <= 1e-5);
}

void TestIdefics3Parity::processorTilingAndPadding() {
  // Tiles of 128 after a longest-edge resize to 384: 384x256 (W x H) -> 2 rows x 3 cols + the
  // global image; 300x300 -> 3 x 3 + 1; batched, the first list padded with all-zero images and a
  // zero mask. Without splitting: one 128 x 128 image.
  vltune::vision::Idefics3ImageParams p;
  p.longest_edge = 384;
  p.max_image_size = 128;
  const vltune::vision::Idefics3ImageProcessor processor(p);
  QCOMPARE(processor.resized_size({300, 200}).width, int64_t{384});
  QCOMPARE(processor.resized_size({300, 200}).height, int64_t{256});
  QCOMPARE(processor.tiled_size({190, 256}).width, int64_t{256});  // int(256 * 190 / 256) rounded up to 256
  // prepare() keeps the tiled image and, in a band below it, its global view (one tile,
  // left-aligned, zero beside it): what the image cache stores, so a hit resizes nothing.
  {
    const torch::Tensor noisy = torch::randint(256, {3, 200, 300}, torch::kByte);
    QCOMPARE(processor.prepared_size({300, 200}).width, int64_t{384});
    QCOMPARE(processor.prepared_size({300, 200}).height, int64_t{256 + 128});
    const torch::Tensor prepared = processor.prepare(noisy);
    QCOMPARE(prepared.sizes().vec(), (std::vector<int64_t>{3, 384, 384}));
    const torch::Tensor whole = vltune::vision::resize_bicubic_antialias(noisy, 256, 384);
    QVERIFY(prepared.narrow(1, 0, 256).equal(whole));
    QVERIFY(prepared.narrow(1, 256, 128).narrow(2, 0, 128).equal(vltune::vision::resize_bicubic_antialias(whole, 128, 128)));
    QVERIFY(prepared.narrow(1, 256, 128).narrow(2, 128, 256).eq(0).all().item<bool>());
    int64_t rows = 0, cols = 0;
    const torch::Tensor tiles = processor.finish(prepared, rows, cols, "image", /*normalize=*/false);
    QCOMPARE(tiles.sizes().vec(), (std::vector<int64_t>{7, 3, 128, 128}));
    QCOMPARE(rows, int64_t{2});
    QCOMPARE(cols, int64_t{3});
    QVERIFY(tiles[4].equal(whole.narrow(1, 128, 128).narrow(2, 128, 128)));  // row 1, column 1
    QVERIFY(tiles[6].equal(prepared.narrow(1, 256, 128).narrow(2, 0, 128)));
    QCOMPARE(processor.prepared_size({100, 100}).height, int64_t{384 + 128});  // 3 x 3 tiles + band
    // One tile is not split: no band.
    vltune::vision::Idefics3ImageParams one = p;
    one.longest_edge = 128;
    QCOMPARE(vltune::vision::Idefics3ImageProcessor(one).prepare(noisy).sizes().vec(), (std::vector<int64_t>{3, 128, 128}));
  }
  const std::vector<torch::Tensor> images{torch::full({3, 200, 300}, 128, torch::kByte),
                                          torch::full({3, 300, 300}, 64, torch::kByte)};
  const auto out = processor.process(images);
  QCOMPARE(out.pixel_values.sizes().vec(), (std::vector<int64_t>{2, 10, 3, 128, 128}));
  QCOMPARE(out.rows, (std::vector<int64_t>{2, 3}));
  QCOMPARE(out.cols, (std::vector<int64_t>{3, 3}));
  QCOMPARE(out.pixel_attention_mask.sum({1, 2, 3}).to(torch::kDouble)[0].item<double>(), 7.0 * 128 * 128);
  QVERIFY(out.pixel_values[0].narrow(0, 7, 3).eq(0).all().item<bool>());
  QVERIFY(out.pixel_attention_mask[1].eq(1).all().item<bool>());
  p.do_image_splitting = false;
  const auto single = vltune::vision::Idefics3ImageProcessor(p).process(std::span<const torch::Tensor>(images.data(), 1));
  QCOMPARE(single.pixel_values.sizes().vec(), (std::vector<int64_t>{1, 1, 3, 128, 128}));
  QCOMPARE(single.rows, (std::vector<int64_t>{0}));
}

void TestIdefics3Parity::positionIds() {
  // A 4x4-patch image whose real part is 2x3 patches at the top left, on a 4-per-side position
  // table: fractions 0, 1/2 of the height and 0, 1/3, 2/3 of the width bucketed onto quarters,
  // rows 0 and 2, columns 0, 1 and 2; the padding patches 0.
  auto mask = torch::zeros({1, 4, 4}, torch::kBool);
  mask.index_put_({0, torch::indexing::Slice(0, 2), torch::indexing::Slice(0, 3)}, true);
  const auto ids = vltune::models::idefics3_position_ids(mask, 4);
  const std::vector<int64_t> expected{0, 1, 2, 0, 8, 9, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  QCOMPARE(std::vector<int64_t>(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + ids.numel()), expected);
  // A full grid: the identity.
  const auto full = vltune::models::idefics3_position_ids(torch::ones({1, 4, 4}, torch::kBool), 4);
  QVERIFY(torch::equal(full, torch::arange(16, torch::kLong).view({1, 16})));
  // A patch is real when any of its pixels is.
  auto pixels = torch::zeros({1, 8, 8});
  pixels[0][5][2] = 1;
  const auto patches = vltune::models::idefics3_patch_attention_mask(pixels, 4);
  QCOMPARE(patches.sizes().vec(), (std::vector<int64_t>{1, 2, 2}));
  QCOMPARE(patches.sum().item<int64_t>(), int64_t{1});
  QVERIFY(patches[0][1][0].item<bool>());
}

void TestIdefics3Parity::pixelShuffle() {
  // 4x4 patches of width 1, scale 2: each token the 2x2 block, row-major inside it... as the
  // reference's reshapes lay it out: token (i, j) holds rows 2i, 2i+1 of columns 2j, 2j+1 as
  // [r0c0, r0c1, r1c0, r1c1].
  const auto x = torch::arange(16, torch::kFloat).view({1, 16, 1});
  const auto y = vltune::models::idefics3_pixel_shuffle(x, 2);
  QCOMPARE(y.sizes().vec(), (std::vector<int64_t>{1, 4, 4}));
  const std::vector<float> first{0, 1, 4, 5};
  QCOMPARE(std::vector<float>(y[0][0].data_ptr<float>(), y[0][0].data_ptr<float>() + 4), first);
  const std::vector<float> second{2, 3, 6, 7};
  QCOMPARE(std::vector<float>(y[0][1].contiguous().data_ptr<float>(), y[0][1].contiguous().data_ptr<float>() + 4), second);
}

QTEST_APPLESS_MAIN(TestIdefics3Parity)
#include "test_idefics3_parity.moc"
