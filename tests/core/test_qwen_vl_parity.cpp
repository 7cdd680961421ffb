// Qwen2-VL and Qwen2.5-VL against transformers (../shared/fixtures/hf/<family>/, every family
// whose config is one of them): logits, M-RoPE position ids and loss of the main case and of the
// batch case (two right-padded samples, two images in one; for Qwen2.5-VL a grid that needs
// window padding), greedy generation, and the loader's accounting of tensors. Tolerances from the
// fixtures README; every expected value read from the files.

// LibTorch before Qt: Qt's `slots` macro would break torch's headers.
#include "core/models/qwen_vl.h"
#include "core/vision/image_io.h"
#include "core/vision/qwen2_vl_image_processor.h"

#include <QtTest/QtTest>

#include "tests/model_parity_support.h"

#include "core/error.h"
#include "core/io/aux_configs.h"
#include "core/io/hf_config.h"
#include "core/io/json_file.h"
#include "core/io/safetensors.h"
#include "core/io/safetensors_writer.h"
#include "core/models/qwen_vl.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;
using vltune::io::Json;
using vltune::models::QwenVLInputs;

namespace {

void add_family_rows() { vltune::test::add_family_rows(vltune::test::fixture_families_of({vltune::io::ModelFamily::qwen2_vl, vltune::io::ModelFamily::qwen2_5_vl}), "Qwen2-VL / Qwen2.5-VL"); }

using Fixture = vltune::test::ParityFixture;
Fixture fixture(const QString& family) { return vltune::test::parity_fixture(family); }
using vltune::test::compare_logits;
using vltune::test::compare_loss;
using vltune::test::compare_pixels;

QwenVLInputs inputs_from(const vltune::io::SafetensorsFile& ref, const std::string& prefix) {
  QwenVLInputs in;
  in.input_ids = ref.tensor(prefix + "input_ids").clone();
  in.attention_mask = ref.tensor(prefix + "attention_mask").clone();
  in.pixel_values = ref.tensor(prefix + "pixel_values").clone();
  in.image_grid_thw = ref.tensor(prefix + "image_grid_thw").clone();
  return in;
}

vltune::models::QwenVL cached_model(const fs::path& dir) {
  static std::map<fs::path, vltune::models::QwenVL> cache;
  auto it = cache.find(dir);
  if (it == cache.end()) it = cache.emplace(dir, vltune::models::load_qwen_vl(dir / "model")).first;
  return it->second;
}

}  // namespace

class TestQwenVLParity : public QObject {
  Q_OBJECT

 private slots:
  void mainCase_data() { add_family_rows(); }
  void mainCase();
  void batchCase_data() { add_family_rows(); }
  void batchCase();
  void leftPaddedBatch_data() { add_family_rows(); }
  void leftPaddedBatch();
  void greedyGeneration_data() { add_family_rows(); }
  void greedyGeneration();
  void loaderAccounting_data() { add_family_rows(); }
  void loaderAccounting();
  void fromPngToLoss_data() { add_family_rows(); }
  void fromPngToLoss();
  void parityCommand_data() { add_family_rows(); }
  void parityCommand();
  void attentionBlocksOfMixedLengths();
};

namespace {

// One case of reference.safetensors: `inputs` (prefix of its tensors) through the model against
// `positions` and `logits`, and the loss against reference.json's `loss_key`.
void check_case(const Fixture& f, const std::string& inputs, const std::string& positions, const std::string& logits_key,
                const std::string& loss_key) {
  torch::NoGradGuard no_grad;
  auto model = cached_model(f.dir);
  const QwenVLInputs in = inputs_from(f.tensors, inputs);
  QVERIFY(torch::equal(model->position_ids(in), f.tensors.tensor(positions)));
  const auto logits = model->forward(in);
  compare_logits(logits, f.tensors.tensor(logits_key), logits_key.c_str());
  const double loss = vltune::models::causal_lm_loss(logits, f.tensors.tensor(inputs + "labels")).item<double>();
  const double expected = f.reference.at(loss_key).get<double>();
  QVERIFY2(std::abs(loss - expected) <= 1e-5,
           qPrintable(QString("%1 %2, reference %3").arg(QString::fromStdString(loss_key)).arg(loss, 0, 'g', 9).arg(expected, 0, 'g', 9)));
}

}  // namespace

void TestQwenVLParity::mainCase() {
  QFETCH(QString, family);
  check_case(fixture(family), "input.", "base.position_ids", "base.logits", "base_loss");
}

void TestQwenVLParity::batchCase() {
  QFETCH(QString, family);
  const Fixture f = fixture(family);
  const auto cases = f.reference.value("cases", Json::array());
  if (std::find(cases.begin(), cases.end(), "batch") == cases.end()) QSKIP("this fixture set has no batch case");
  check_case(f, "batch.input.", "batch.position_ids", "batch.logits", "batch_loss");
}

void TestQwenVLParity::leftPaddedBatch() {
  // Batched generation pads on the left: the batch case moved to left padding must give the
  // reference's (right-padded) logits at every real token.
  QFETCH(QString, family);
  torch::NoGradGuard no_grad;
  const Fixture f = fixture(family);
  if (!f.tensors.contains("batch.input.input_ids")) QSKIP("this fixture set has no batch case");
  auto model = cached_model(f.dir);
  QwenVLInputs in = inputs_from(f.tensors, "batch.input.");
  const auto reference = f.tensors.tensor("batch.logits");
  const int64_t t = in.input_ids.size(1);
  auto left_ids = torch::zeros_like(in.input_ids), left_mask = torch::zeros_like(in.attention_mask);
  std::vector<int64_t> lengths;
  for (int64_t row = 0; row < in.input_ids.size(0); ++row) {
    const int64_t n = in.attention_mask[row].sum().item<int64_t>();  // right padded: the first n are real
    lengths.push_back(n);
    left_ids[row].narrow(0, t - n, n).copy_(in.input_ids[row].narrow(0, 0, n));
    left_mask[row].narrow(0, t - n, n).fill_(1);
  }
  QVERIFY2(lengths.front() != lengths.back(), "the batch case has no padding to move");
  in.input_ids = left_ids;
  in.attention_mask = left_mask;
  const auto logits = model->forward(in);
  for (int64_t row = 0; row < logits.size(0); ++row) {
    const int64_t n = lengths[static_cast<size_t>(row)];
    compare_logits(logits[row].narrow(0, t - n, n), reference[row].narrow(0, 0, n), "left-padded batch.logits");
  }
}

void TestQwenVLParity::greedyGeneration() {
  QFETCH(QString, family);
  const Fixture f = fixture(family);
  auto model = cached_model(f.dir);
  const QwenVLInputs in = inputs_from(f.tensors, "input.");
  const auto expected = f.tensors.tensor("base.generate");
  const auto generation = vltune::io::read_generation_config(f.dir / "model" / "generation_config.json");
  // As many steps as the reference took (it records one margin per step).
  const auto steps = static_cast<int64_t>(f.reference.at("base_generate_margins").size());
  const auto got = model->generate_greedy(in, steps, generation.eos_token_ids);
  QVERIFY2(torch::equal(got, expected), qPrintable(QString("generated %1 tokens, reference %2")
                                                       .arg(got.size(1) - in.input_ids.size(1))
                                                       .arg(expected.size(1) - in.input_ids.size(1))));
}

void TestQwenVLParity::loaderAccounting() {
  QFETCH(QString, family);
  const Fixture f = fixture(family);
  // A copy of the checkpoint with one tensor left out, and one with an extra tensor: both are
  // errors that name the tensor.
  vltune::test::TempDir dir;
  for (const char* name : {"config.json", "generation_config.json"})
    if (fs::exists(f.dir / "model" / name)) fs::copy_file(f.dir / "model" / name, dir.path() / name);
  const auto source = vltune::io::SafetensorsFile::open(f.dir / "model" / "model.safetensors");
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& info : source.tensors()) tensors.emplace_back(info.name, source.tensor(info.name));
  const std::string dropped = tensors.back().first;
  std::vector<std::pair<std::string, torch::Tensor>> fewer(tensors.begin(), tensors.end() - 1);
  vltune::io::save_safetensors(dir.path() / "model.safetensors", fewer);
  std::string error = vltune::test::format_error([&] { vltune::models::load_qwen_vl(dir.path()); });
  QVERIFY2(vltune::test::contains(error, dropped), error.c_str());
  auto more = tensors;
  more.emplace_back("model.layers.0.self_attn.extra.weight", torch::zeros({2}));
  vltune::io::save_safetensors(dir.path() / "model.safetensors", more);
  error = vltune::test::format_error([&] { vltune::models::load_qwen_vl(dir.path()); });
  QVERIFY2(vltune::test::contains(error, "model.layers.0.self_attn.extra.weight"), error.c_str());
  // The module-path names of newer transformers load the same.
  std::vector<std::pair<std::string, torch::Tensor>> renamed;
  for (const auto& [name, t] : tensors) {
    std::string n = name;
    if (n.rfind("model.", 0) == 0) n = "model.language_model." + n.substr(6);
    else if (n.rfind("visual.", 0) == 0) n = "model." + n;
    renamed.emplace_back(n, t.to(torch::kBFloat16));  // and another dtype
  }
  vltune::io::save_safetensors(dir.path() / "model.safetensors", renamed);
  auto model = vltune::models::load_qwen_vl(dir.path());
  QCOMPARE(model->lm_head->weight.scalar_type(), torch::kFloat32);
}

void TestQwenVLParity::fromPngToLoss() {
  // The whole path: the PNG through our image processor into the model, with the reference's
  // token ids and labels: the same loss as transformers.
  QFETCH(QString, family);
  if (!vltune::vision::image_io_available()) QSKIP("built without image decoding (VLTUNE_WITH_IMAGE_IO=OFF)");
  torch::NoGradGuard no_grad;
  const Fixture f = fixture(family);
  auto model = cached_model(f.dir);
  const vltune::vision::Qwen2VLImageProcessor processor(
      vltune::io::read_preprocessor_config(f.dir / "model" / "preprocessor_config.json"));
  const fs::path image = vltune::test::hf_fixtures_root() / "images" / f.reference.at("image").get<std::string>();
  const auto pixels = processor.process_files(std::vector<fs::path>{image});
  QwenVLInputs in = inputs_from(f.tensors, "input.");
  QVERIFY(torch::equal(pixels.image_grid_thw, in.image_grid_thw));
  in.pixel_values = pixels.pixel_values;
  const auto logits = model->forward(in);
  compare_logits(logits, f.tensors.tensor("base.logits"), "base.logits from the PNG");
  const double loss = vltune::models::causal_lm_loss(logits, f.tensors.tensor("input.labels")).item<double>();
  const double expected = f.reference.at("base_loss").get<double>();
  QVERIFY2(std::abs(loss - expected) <= 1e-5, qPrintable(QString("loss %1, reference %2").arg(loss, 0, 'g', 9).arg(expected, 0, 'g', 9)));
}

void TestQwenVLParity::parityCommand() {
  // `vltune-cli parity` (the check to run on a GPU box) passes on the fixtures in float32 and
  // fails, naming the check, when a reference value is off.
  QFETCH(QString, family);
  const fs::path dir = vltune::test::hf_fixtures_root() / family.toStdString();
  QProcess ok;
  ok.start(QStringLiteral(VLTUNE_CLI_PATH), {"parity", QString::fromStdString(dir.string())});
  QVERIFY(ok.waitForFinished(120000));
  const QString out = QString::fromUtf8(ok.readAllStandardOutput());
  QVERIFY2(ok.exitCode() == 0, qPrintable(out + ok.readAllStandardError()));
  QVERIFY(out.contains("ok   base.generate identical"));

  vltune::test::TempDir copy;
  for (const auto& entry : fs::directory_iterator(dir))
    fs::copy(entry.path(), copy.path() / entry.path().filename(), fs::copy_options::recursive);
  Json reference = vltune::io::read_json_file(dir / "reference.json");
  reference["base_loss"] = reference.at("base_loss").get<double>() + 0.01;
  vltune::io::write_json_file_atomic(copy.path() / "reference.json", reference);
  QProcess bad;
  bad.start(QStringLiteral(VLTUNE_CLI_PATH), {"parity", QString::fromStdString(copy.path().string())});
  QVERIFY(bad.waitForFinished(120000));
  QCOMPARE(bad.exitCode(), 1);
  QVERIFY(QString::fromUtf8(bad.readAllStandardOutput()).contains("FAIL base_loss"));
}

QTEST_APPLESS_MAIN(TestQwenVLParity)
// The vision attention takes runs of equal-length blocks (Qwen2.5-VL's windows) as one batch: the
// same as attending block by block, also where lengths change from block to block.
void TestQwenVLParity::attentionBlocksOfMixedLengths() {
  vltune::models::QwenVisionOptions o;
  o.width = 32;
  o.heads = 4;
  torch::manual_seed(0);
  vltune::models::QwenVisionAttention attn(o);
  torch::NoGradGuard no_grad;
  const std::vector<int64_t> bounds{0, 4, 8, 11, 15, 19, 20, 24};
  const int64_t n = bounds.back(), d = o.width / o.heads;
  const auto x = torch::randn({n, o.width}), angles = torch::randn({n, d});
  const auto cos = angles.cos(), sin = angles.sin();
  const auto got = attn->forward(x, cos, sin, bounds);
  std::vector<torch::Tensor> parts;
  for (size_t i = 0; i + 1 < bounds.size(); ++i) {
    const int64_t start = bounds[i], len = bounds[i + 1] - bounds[i];
    parts.push_back(attn->forward(x.narrow(0, start, len), cos.narrow(0, start, len), sin.narrow(0, start, len), {0, len}));
  }
  const auto want = torch::cat(parts, 0);
  const double diff = (got - want).abs().max().item<double>();
  QVERIFY2(diff <= 1e-6, qPrintable(QString("blocks batched differ from block by block by %1").arg(diff)));
  // Blocks do attend only within themselves: one block's input changes nothing outside it.
  auto changed = x.clone();
  changed.narrow(0, 8, 3).add_(1.0);
  const auto moved = (attn->forward(changed, cos, sin, bounds) - got).abs().sum(/*dim=*/1);
  QVERIFY(moved.narrow(0, 0, 8).max().item<double>() == 0.0);
  QVERIFY(moved.narrow(0, 11, n - 11).max().item<double>() == 0.0);
  QVERIFY(moved.narrow(0, 8, 3).min().item<double>() > 0.0);
}

#include "test_qwen_vl_parity.moc"
