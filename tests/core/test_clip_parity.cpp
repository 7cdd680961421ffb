// CLIP against transformers (../shared/fixtures/hf/<family>/, every family whose config is clip):
// logits_per_image, logits_per_text, text_embeds, image_embeds and the contrastive loss for the
// reference's batch of four images and four padded texts; the image processor against the
// reference's pixel_values (and processor.safetensors when there is one); the EOS pooling
// conventions; the loader's accounting of tensors. Tolerances from the fixtures README; every
// expected value read from the files.

// LibTorch before Qt: Qt's `slots` macro would break torch's headers.
#include "core/models/clip.h"
#include "core/vision/clip_image_processor.h"

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

namespace {

void add_family_rows() { vltune::test::add_family_rows(vltune::test::fixture_families_of({vltune::io::ModelFamily::clip}), "CLIP"); }

using Fixture = vltune::test::ParityFixture;
Fixture fixture(const QString& family) { return vltune::test::parity_fixture(family); }
using vltune::test::compare_logits;
using vltune::test::compare_loss;
using vltune::test::compare_pixels;

// Embeddings and logits alike: the README's logits tolerance.
const auto& compare_values = vltune::test::compare_logits;

vltune::models::ClipModel cached_model(const fs::path& dir) {
  static std::map<fs::path, vltune::models::ClipModel> cache;
  auto it = cache.find(dir);
  if (it == cache.end()) it = cache.emplace(dir, vltune::models::load_clip(dir / "model")).first;
  return it->second;
}

vltune::models::ClipInputs inputs_from(const vltune::io::SafetensorsFile& ref) {
  return {ref.tensor("input.input_ids").clone(), ref.tensor("input.attention_mask").clone(), ref.tensor("input.pixel_values").clone()};
}

vltune::vision::ClipImageProcessor processor_for(const fs::path& dir) {
  return vltune::vision::ClipImageProcessor(vltune::io::read_preprocessor_config(dir / "model" / "preprocessor_config.json"));
}

}  // namespace

class TestClipParity : public QObject {
  Q_OBJECT

 private slots:
  void baseCase_data() { add_family_rows(); }
  void baseCase();
  void paddingIgnored_data() { add_family_rows(); }
  void paddingIgnored();
  void legacyEosPooling_data() { add_family_rows(); }
  void legacyEosPooling();
  void processorImages_data() { add_family_rows(); }
  void processorImages();
  void fromPngsToLoss_data() { add_family_rows(); }
  void fromPngsToLoss();
  void loaderAccounting_data() { add_family_rows(); }
  void loaderAccounting();
};

void TestClipParity::baseCase() {
  QFETCH(QString, family);
  torch::NoGradGuard no_grad;
  const Fixture f = fixture(family);
  auto model = cached_model(f.dir);
  const auto out = model->forward(inputs_from(f.tensors));
  compare_values(out.logits_per_image, f.tensors.tensor("base.logits_per_image"), "base.logits_per_image");
  if (f.tensors.contains("base.logits_per_text"))
    compare_values(out.logits_per_text, f.tensors.tensor("base.logits_per_text"), "base.logits_per_text");
  compare_values(out.text_embeds, f.tensors.tensor("base.text_embeds"), "base.text_embeds");
  compare_values(out.image_embeds, f.tensors.tensor("base.image_embeds"), "base.image_embeds");
  const double loss = vltune::models::clip_contrastive_loss(out.logits_per_text).item<double>();
  const double expected = f.reference.at("base_loss").get<double>();
  qInfo("base_loss: %.9g, reference %.9g, |diff| %.3g", loss, expected, std::abs(loss - expected));
  QVERIFY2(std::abs(loss - expected) <= 1e-5, qPrintable(QString("base_loss %1, reference %2").arg(loss, 0, 'g', 9).arg(expected, 0, 'g', 9)));
}

void TestClipParity::paddingIgnored() {
  // Each text alone, cut to its real tokens, gives the batch's embedding: padding and the
  // pooling position are right.
  QFETCH(QString, family);
  torch::NoGradGuard no_grad;
  const Fixture f = fixture(family);
  auto model = cached_model(f.dir);
  const auto in = inputs_from(f.tensors);
  const auto batch = model->text_features(in.input_ids, in.attention_mask);
  for (int64_t row = 0; row < in.input_ids.size(0); ++row) {
    const int64_t n = in.attention_mask[row].sum().item<int64_t>();
    const auto ids = in.input_ids[row].narrow(0, 0, n).unsqueeze(0);
    const auto alone = model->text_features(ids, torch::Tensor());
    compare_values(alone[0], batch[row], "one text alone");
  }
}

void TestClipParity::legacyEosPooling() {
  // Configs with eos_token_id 2 (the first CLIP checkpoints) pool at the largest id instead of
  // the first end token. The reference texts end with their largest id, so the same checkpoint
  // under a legacy config gives the same embeddings.
  QFETCH(QString, family);
  torch::NoGradGuard no_grad;
  const Fixture f = fixture(family);
  vltune::test::TempDir dir;
  Json config = vltune::io::read_json_file(f.dir / "model" / "config.json");
  const int64_t eos_id = config.at("text_config").value("eos_token_id", int64_t{49407});
  config["text_config"]["eos_token_id"] = 2;
  vltune::io::write_json_file_atomic(dir.path() / "config.json", config);
  fs::create_symlink(f.dir / "model" / "model.safetensors", dir.path() / "model.safetensors");
  auto legacy = vltune::models::load_clip(dir.path());
  auto in = inputs_from(f.tensors);
  const auto first_eos = (in.input_ids == eos_id).to(torch::kInt).argmax(/*dim=*/-1);
  if (!torch::equal(first_eos, in.input_ids.argmax(/*dim=*/-1)))
    QSKIP("these texts' largest id is not their end token: the conventions pool differently");
  const auto out = legacy->forward(in);
  compare_values(out.text_embeds, f.tensors.tensor("base.text_embeds"), "text_embeds, legacy pooling");
}

void TestClipParity::processorImages() {
  QFETCH(QString, family);
  const Fixture f = fixture(family);
  const auto processor = processor_for(f.dir);
  int checked = 0;
  // The reference's own pixel_values: the images reference.json lists, in order.
  if (f.reference.contains("images") && f.tensors.contains("input.pixel_values")) {
    std::vector<fs::path> files;
    for (const auto& name : f.reference.at("images")) files.push_back(vltune::test::hf_fixtures_root() / "images" / name.get<std::string>());
    compare_pixels(processor.process_files(files), f.tensors.tensor("input.pixel_values"), processor.params().normalize,
                   "input.pixel_values");
    ++checked;
  }
  const fs::path file = f.dir / "processor.safetensors";
  if (fs::exists(file)) {
    const auto expected = vltune::io::SafetensorsFile::open(file);
    for (const auto& info : expected.tensors()) {
      const std::string suffix = ".pixel_values";
      if (info.name.size() <= suffix.size() || info.name.compare(info.name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
      const std::string image = info.name.substr(0, info.name.size() - suffix.size());
      const auto ours = processor.process_files(std::vector<fs::path>{vltune::test::hf_fixtures_root() / "images" / image});
      compare_pixels(ours, expected.tensor(info.name), processor.params().normalize, image);
      ++checked;
    }
  }
  if (checked == 0) QSKIP("no processor reference in this fixture set");
}

void TestClipParity::fromPngsToLoss() {
  QFETCH(QString, family);
  torch::NoGradGuard no_grad;
  const Fixture f = fixture(family);
  if (!f.reference.contains("images")) QSKIP("reference.json names no images");
  auto model = cached_model(f.dir);
  std::vector<fs::path> files;
  for (const auto& name : f.reference.at("images")) files.push_back(vltune::test::hf_fixtures_root() / "images" / name.get<std::string>());
  auto in = inputs_from(f.tensors);
  in.pixel_values = processor_for(f.dir).process_files(files);
  const auto out = model->forward(in);
  compare_values(out.logits_per_image, f.tensors.tensor("base.logits_per_image"), "base.logits_per_image from the PNGs");
  const double loss = vltune::models::clip_contrastive_loss(out.logits_per_text).item<double>();
  const double expected = f.reference.at("base_loss").get<double>();
  QVERIFY2(std::abs(loss - expected) <= 1e-5, qPrintable(QString("loss %1, reference %2").arg(loss, 0, 'g', 9).arg(expected, 0, 'g', 9)));
}

void TestClipParity::loaderAccounting() {
  QFETCH(QString, family);
  const Fixture f = fixture(family);
  vltune::test::TempDir dir;
  fs::copy_file(f.dir / "model" / "config.json", dir.path() / "config.json");
  const auto source = vltune::io::SafetensorsFile::open(f.dir / "model" / "model.safetensors");
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& info : source.tensors()) tensors.emplace_back(info.name, source.tensor(info.name));
  const std::string dropped = tensors.back().first;
  std::vector<std::pair<std::string, torch::Tensor>> fewer(tensors.begin(), tensors.end() - 1);
  vltune::io::save_safetensors(dir.path() / "model.safetensors", fewer);
  std::string error = vltune::test::format_error([&] { vltune::models::load_clip(dir.path()); });
  QVERIFY2(vltune::test::contains(error, dropped), error.c_str());
  auto more = tensors;
  more.emplace_back("text_model.encoder.layers.0.extra.weight", torch::zeros({2}));
  vltune::io::save_safetensors(dir.path() / "model.safetensors", more);
  error = vltune::test::format_error([&] { vltune::models::load_clip(dir.path()); });
  QVERIFY2(vltune::test::contains(error, "text_model.encoder.layers.0.extra.weight"), error.c_str());
  // openai/clip-* checkpoints also hold the embeddings' position_ids buffers: not an error.
  auto with_buffers = tensors;
  with_buffers.emplace_back("text_model.embeddings.position_ids", torch::arange(4, torch::kLong).unsqueeze(0));
  with_buffers.emplace_back("vision_model.embeddings.position_ids", torch::arange(4, torch::kLong).unsqueeze(0));
  vltune::io::save_safetensors(dir.path() / "model.safetensors", with_buffers);
  auto model = vltune::models::load_clip(dir.path());
  QCOMPARE(model->logit_scale.scalar_type(), torch::kFloat32);
}

QTEST_APPLESS_MAIN(TestClipParity)
#include "test_clip_parity.moc"
