// LLaVA-1.5 against transformers (../shared/fixtures/hf/<family>/, every family whose config is
// llava): logits and loss of the main case and of the batch case (two right-padded samples),
// greedy generation, the image processor on every image of processor.safetensors, the full
// processor's reference (processor_e2e.safetensors: pixels from the image file, input_ids from the
// text with the <image> marker expanded) and the PNG through our processor into the model, and
// the loader's accounting of tensors. Tolerances from the fixtures README; every expected value
// read from the files.

// LibTorch before Qt: Qt's `slots` macro would break torch's headers.
#include "core/models/llava.h"
#include "core/models/qwen_vl.h"
#include "core/vision/clip_image_processor.h"

#include <QtTest/QtTest>

#include "tests/model_parity_support.h"

#include "core/error.h"
#include "core/io/aux_configs.h"
#include "core/io/hf_config.h"
#include "core/io/json_file.h"
#include "core/io/safetensors.h"
#include "core/io/safetensors_writer.h"
#include "core/text/image_placeholders.h"
#include "core/text/tokenizer.h"
#include "core/vision/image_io.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;
using vltune::io::Json;
using vltune::models::LlavaInputs;

namespace {

void add_family_rows() { vltune::test::add_family_rows(vltune::test::fixture_families_of({vltune::io::ModelFamily::llava}), "LLaVA"); }

using Fixture = vltune::test::ParityFixture;
Fixture fixture(const QString& family) { return vltune::test::parity_fixture(family); }
using vltune::test::compare_logits;
using vltune::test::compare_loss;
using vltune::test::compare_pixels;

LlavaInputs inputs_from(const vltune::io::SafetensorsFile& ref, const std::string& prefix) {
  LlavaInputs in;
  in.input_ids = ref.tensor(prefix + "input_ids").clone();
  in.attention_mask = ref.tensor(prefix + "attention_mask").clone();
  in.pixel_values = ref.tensor(prefix + "pixel_values").clone();
  return in;
}

vltune::models::Llava cached_model(const fs::path& dir) {
  static std::map<fs::path, vltune::models::Llava> cache;
  auto it = cache.find(dir);
  if (it == cache.end()) it = cache.emplace(dir, vltune::models::load_llava(dir / "model")).first;
  return it->second;
}

vltune::vision::ClipImageProcessor processor_for(const fs::path& dir) {
  return vltune::vision::ClipImageProcessor(vltune::io::read_preprocessor_config(dir / "model" / "preprocessor_config.json"));
}

void check_case(const Fixture& f, const std::string& inputs, const std::string& logits_key, const std::string& loss_key) {
  torch::NoGradGuard no_grad;
  auto model = cached_model(f.dir);
  const LlavaInputs in = inputs_from(f.tensors, inputs);
  const auto logits = model->forward(in);
  compare_logits(logits, f.tensors.tensor(logits_key), logits_key.c_str());
  const double loss = vltune::models::causal_lm_loss(logits, f.tensors.tensor(inputs + "labels")).item<double>();
  compare_loss(loss, f.reference.at(loss_key).get<double>(), loss_key.c_str());
}

}  // namespace

class TestLlavaParity : public QObject {
  Q_OBJECT

 private slots:
  void mainCase_data() { add_family_rows(); }
  void mainCase();
  void batchCase_data() { add_family_rows(); }
  void batchCase();
  void greedyGeneration_data() { add_family_rows(); }
  void greedyGeneration();
  void processorImages_data() { add_family_rows(); }
  void processorImages();
  void fullProcessor_data() { add_family_rows(); }
  void fullProcessor();
  void fromPngToLoss_data() { add_family_rows(); }
  void fromPngToLoss();
  void loaderAccounting_data() { add_family_rows(); }
  void loaderAccounting();
  void padToSquare();
};

void TestLlavaParity::mainCase() {
  QFETCH(QString, family);
  check_case(fixture(family), "input.", "base.logits", "base_loss");
}

void TestLlavaParity::batchCase() {
  QFETCH(QString, family);
  const Fixture f = fixture(family);
  const auto cases = f.reference.value("cases", Json::array());
  if (std::find(cases.begin(), cases.end(), "batch") == cases.end()) QSKIP("this fixture set has no batch case");
  check_case(f, "batch.input.", "batch.logits", "batch_loss");
}

void TestLlavaParity::greedyGeneration() {
  QFETCH(QString, family);
  const Fixture f = fixture(family);
  if (!f.tensors.contains("base.generate")) QSKIP("this fixture set has no generation");
  auto model = cached_model(f.dir);
  const LlavaInputs in = inputs_from(f.tensors, "input.");
  const auto expected = f.tensors.tensor("base.generate");
  const auto generation = vltune::io::read_generation_config(f.dir / "model" / "generation_config.json");
  // As many steps as the reference took (it records one margin per step).
  const auto steps = static_cast<int64_t>(f.reference.at("base_generate_margins").size());
  const auto got = model->generate_greedy(in, steps, generation.eos_token_ids);
  QVERIFY2(torch::equal(got, expected), qPrintable(QString("generated %1 tokens, reference %2")
                                                       .arg(got.size(1) - in.input_ids.size(1))
                                                       .arg(expected.size(1) - in.input_ids.size(1))));
}

void TestLlavaParity::processorImages() {
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
    compare_pixels(ours, expected.tensor(info.name), processor.params().normalize, image);
    ++checked;
  }
  QVERIFY2(checked > 0, "processor.safetensors holds no pixel_values");
}

void TestLlavaParity::fullProcessor() {
  // LlavaProcessor on reference.json's e2e text and image: our image processor gives its
  // pixel_values, our tokenizer with the <image> marker expanded its input_ids.
  QFETCH(QString, family);
  const Fixture f = fixture(family);
  const fs::path file = f.dir / "processor_e2e.safetensors";
  if (!fs::exists(file) || !f.reference.contains("e2e")) QSKIP("this fixture set has no full-processor reference");
  const auto expected = vltune::io::SafetensorsFile::open(file);
  const std::string image_name = f.reference.at("e2e").at("image").get<std::string>();
  const std::string text = f.reference.at("e2e").at("text").get<std::string>();
  const fs::path image = vltune::test::hf_fixtures_root() / "images" / image_name;
  const auto processor = processor_for(f.dir);
  compare_pixels(processor.process_files(std::vector<fs::path>{image}), expected.tensor("e2e.pixel_values"),
                 processor.params().normalize, "e2e.pixel_values");

  const auto layout = vltune::text::load_image_layout(f.dir / "model");
  const auto rgb = vltune::vision::read_image_rgb(image);
  const std::vector<vltune::text::ImageSize> sizes{{rgb.size(2), rgb.size(1)}};
  size_t next = 0;
  const std::string expanded = vltune::text::expand_image_markers(text, layout, sizes, next, "e2e");
  QCOMPARE(next, size_t{1});
  const auto tokenizer = vltune::text::load_tokenizer(f.dir / "model");
  const auto ids = tokenizer->encode(expanded, /*add_special=*/true);
  const auto ref_ids = expected.tensor("e2e.input_ids");
  std::vector<int64_t> ours(ids.begin(), ids.end());
  std::vector<int64_t> theirs(ref_ids.data_ptr<int64_t>(), ref_ids.data_ptr<int64_t>() + ref_ids.numel());
  QCOMPARE(ours, theirs);
  // The image tokens are as many as the model's vision tower makes.
  auto model = cached_model(f.dir);
  torch::NoGradGuard no_grad;
  LlavaInputs in;
  in.input_ids = torch::tensor(ours, torch::kLong).view({1, -1});
  in.pixel_values = processor.process_files(std::vector<fs::path>{image});
  const auto logits = model->forward(in);
  QCOMPARE(logits.size(1), in.input_ids.size(1));
  QVERIFY(torch::isfinite(logits).all().item<bool>());
}

void TestLlavaParity::fromPngToLoss() {
  // The main case with its image through our processor: the reference's logits and loss.
  QFETCH(QString, family);
  torch::NoGradGuard no_grad;
  const Fixture f = fixture(family);
  auto model = cached_model(f.dir);
  const auto processor = processor_for(f.dir);
  const fs::path image = vltune::test::hf_fixtures_root() / "images" / f.reference.at("image").get<std::string>();
  LlavaInputs in = inputs_from(f.tensors, "input.");
  in.pixel_values = processor.process_files(std::vector<fs::path>{image});
  const auto logits = model->forward(in);
  compare_logits(logits, f.tensors.tensor("base.logits"), "base.logits from the PNG");
  const double loss = vltune::models::causal_lm_loss(logits, f.tensors.tensor("input.labels")).item<double>();
  compare_loss(loss, f.reference.at("base_loss").get<double>(), "base_loss from the PNG");
}

void TestLlavaParity::loaderAccounting() {
  QFETCH(QString, family);
  const Fixture f = fixture(family);
  vltune::test::TempDir dir;
  for (const char* name : {"config.json", "generation_config.json"})
    if (fs::exists(f.dir / "model" / name)) fs::copy_file(f.dir / "model" / name, dir.path() / name);
  const auto source = vltune::io::SafetensorsFile::open(f.dir / "model" / "model.safetensors");
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& info : source.tensors()) tensors.emplace_back(info.name, source.tensor(info.name));
  // One tensor left out (one the model needs: not the tower's unused post_layernorm): an error naming it.
  size_t drop = 0;
  while (tensors[drop].first.find("post_layernorm") != std::string::npos) ++drop;
  const std::string dropped = tensors[drop].first;
  auto fewer = tensors;
  fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(drop));
  vltune::io::save_safetensors(dir.path() / "model.safetensors", fewer);
  std::string error = vltune::test::format_error([&] { vltune::models::load_llava(dir.path()); });
  // The message names the model's parameter: the checkpoint name without its layout's prefix.
  std::string wanted = dropped;
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"language_model.model.", "language_model."}, {"language_model.lm_head.", "lm_head."},
           {"vision_tower.vision_model.", "vision_tower."}})
    if (wanted.rfind(from, 0) == 0) wanted = to + wanted.substr(from.size());
  QVERIFY2(vltune::test::contains(error, "lacks") && vltune::test::contains(error, wanted), error.c_str());
  // One extra tensor: an error naming it.
  auto more = tensors;
  more.emplace_back("language_model.model.layers.0.self_attn.extra.weight", torch::zeros({2}));
  vltune::io::save_safetensors(dir.path() / "model.safetensors", more);
  error = vltune::test::format_error([&] { vltune::models::load_llava(dir.path()); });
  QVERIFY2(vltune::test::contains(error, "language_model.model.layers.0.self_attn.extra.weight"), error.c_str());
  // The other layouts load the same: llava-hf Hub names and transformers >= 4.52's, in bf16.
  auto layout = [&](auto rename) {
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (const auto& [name, t] : tensors) out.emplace_back(rename(name), t.to(torch::kBFloat16));
    vltune::io::save_safetensors(dir.path() / "model.safetensors", out);
    auto model = vltune::models::load_llava(dir.path());
    QCOMPARE(model->lm_head->weight.scalar_type(), torch::kFloat32);
  };
  auto starts = [](const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; };
  // The fixtures' own names: language_model.model.*, language_model.lm_head.*, vision_tower.* (as
  // checked above); rewrite from them.
  layout([&](std::string n) {
    if (starts(n, "vision_tower.") && !starts(n, "vision_tower.vision_model.")) n = "vision_tower.vision_model." + n.substr(13);
    return n;
  });
  layout([&](std::string n) {
    if (starts(n, "language_model.model.")) return "model.language_model." + n.substr(21);
    if (starts(n, "language_model.lm_head.")) return "lm_head." + n.substr(23);
    if (starts(n, "vision_tower.")) return "model.vision_tower.vision_model." + n.substr(13);
    if (starts(n, "multi_modal_projector.")) return "model." + n;
    return n;
  });
}

void TestLlavaParity::padToSquare() {
  // LLaVA-1.5's expand2square: a 2x4 (H x W) image centred on a 4x4 square of int(mean * 255).
  auto image = torch::full({3, 2, 4}, 200, torch::kByte);
  const std::vector<uint8_t> fill{122, 116, 104};
  const auto out = vltune::vision::pad_to_square(image, fill);
  QCOMPARE(out.sizes().vec(), (std::vector<int64_t>{3, 4, 4}));
  QCOMPARE(out[0][0][0].item<int>(), 122);
  QCOMPARE(out[2][3][3].item<int>(), 104);
  QCOMPARE(out[1][1][0].item<int>(), 200);
  QCOMPARE(out[1][2][3].item<int>(), 200);
  // In the processor: the mean colour from image_mean, the output the crop size.
  vltune::vision::ClipImageParams p;
  p.pad_to_square = true;
  p.shortest_edge = 8;
  p.crop_height = p.crop_width = 8;
  const vltune::vision::ClipImageProcessor processor(p);
  QCOMPARE(processor.resized_size({20, 10}).width, int64_t{8});
  const auto pixels = processor.process(torch::full({3, 10, 20}, 255, torch::kByte));
  QCOMPARE(pixels.sizes().vec(), (std::vector<int64_t>{1, 3, 8, 8}));
}

QTEST_APPLESS_MAIN(TestLlavaParity)
#include "test_llava_parity.moc"
