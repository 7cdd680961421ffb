#pragma once
// What the model parity tests share: the fixture families of a model family, the data rows, the
// comparisons with the fixtures README's tolerances, and a fixture's reference files. Include
// after LibTorch and <QtTest> (Qt's `slots` macro breaks torch's headers).

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/data/collate.h"
#include "core/io/hf_config.h"
#include "core/io/json_file.h"
#include "core/io/safetensors.h"
#include "core/vision/image_ops.h"
#include "tests/test_support.h"

namespace vltune::test {


// A "family" column with one row per fixture family; fails when there is none.
inline void add_family_rows(const std::vector<std::string>& families, const char* what) {
  QTest::addColumn<QString>("family");
  QVERIFY2(!families.empty(), (std::string("no ") + what + " fixture families").c_str());
  for (const auto& f : families) QTest::newRow(f.c_str()) << QString::fromStdString(f);
}

// The fixtures README: max |diff| <= 1e-4 * max(1, max |ref|).
inline void compare_logits(const torch::Tensor& got, const torch::Tensor& ref, const char* what) {
  QCOMPARE(got.sizes().vec(), ref.sizes().vec());
  const double scale = std::max(1.0, ref.abs().max().item<double>());
  const double diff = (got - ref).abs().max().item<double>();
  qInfo("%s: max |diff| %.3g (max |ref| %.3g)", what, diff, scale);
  QVERIFY2(diff <= 1e-4 * scale, qPrintable(QString("%1: max |diff| %2, allowed %3").arg(what).arg(diff).arg(1e-4 * scale)));
}

// Losses within 1e-5.
inline void compare_loss(double got, double expected, const char* what) {
  qInfo("%s: %.9g, reference %.9g, |diff| %.3g", what, got, expected, std::abs(got - expected));
  QVERIFY2(std::abs(got - expected) <= 1e-5,
           qPrintable(QString("%1 %2, reference %3").arg(what).arg(got, 0, 'g', 9).arg(expected, 0, 'g', 9)));
}

// The README's pixel rule for [N, C, ...] pixel tensors: de-normalised to 0-255, >= 99.9%
// identical and none off by more than 1.
inline void compare_pixels(const torch::Tensor& ours, const torch::Tensor& ref, const vision::NormalizeParams& p,
                           const std::string& what) {
  QCOMPARE(ours.sizes().vec(), ref.sizes().vec());
  QCOMPARE(ours.scalar_type(), torch::kFloat32);
  const auto channels = static_cast<int64_t>(p.image_mean.size());
  auto denormalise = [&](const torch::Tensor& x) {
    auto d = x.to(torch::kDouble).transpose(0, 1).reshape({channels, -1});  // [C, N*H*W]
    if (p.do_normalize)
      d = d * torch::tensor(p.image_std, torch::kDouble).view({channels, 1}) +
          torch::tensor(p.image_mean, torch::kDouble).view({channels, 1});
    if (p.do_rescale) d = d / p.rescale_factor;
    return d;
  };
  const auto o = denormalise(ours), r = denormalise(ref);
  const double off_grid = (r - r.round()).abs().max().item<double>();
  const auto diff = (o.round() - r.round()).abs();
  const int64_t values = diff.numel(), identical = diff.eq(0).sum().item<int64_t>();
  const auto max_diff = static_cast<int64_t>(diff.max().item<double>());
  qInfo("%s: %lld values, %.4f%% identical after de-normalising, max diff %lld (0-255)", what.c_str(),
        static_cast<long long>(values), 100.0 * static_cast<double>(identical) / static_cast<double>(values),
        static_cast<long long>(max_diff));
  QVERIFY2(off_grid < 1e-3, (what + ": reference values are not integers once de-normalised").c_str());
  QVERIFY2(max_diff <= 1, (what + ": a value off by " + std::to_string(max_diff)).c_str());
  QVERIFY2(identical * 1000 >= values * 999, (what + ": fewer than 99.9% identical").c_str());
}

// A fixture family's folder and reference files.
struct ParityFixture {
  std::filesystem::path dir;        // <fixtures>/<family>
  io::Json reference;               // reference.json
  io::SafetensorsFile tensors;      // reference.safetensors
};

// The fixture's case under `prefix` ("input." the main case, "batch.input." the two-sample
// padded batch) as a collated batch for `family`: with its labels for a loss, without (the prompt
// alone, as generation takes it) when `labels` is false.
inline data::Batch fixture_case_batch(io::ModelFamily family, const ParityFixture& f, const std::string& prefix,
                                      bool labels = true) {
  data::Batch b;
  b.family = family;
  auto get = [&](const std::string& key) {
    return f.tensors.contains(prefix + key) ? f.tensors.tensor(prefix + key).clone() : at::Tensor();
  };
  b.input_ids = get("input_ids");
  b.attention_mask = get("attention_mask");
  if (labels) b.labels = get("labels");
  b.pixel_values = get("pixel_values");
  b.image_grid_thw = get("image_grid_thw");
  b.pixel_attention_mask = get("pixel_attention_mask");
  return b;
}

// The fixture's main case (input.*).
inline data::Batch fixture_batch(io::ModelFamily family, const ParityFixture& f, bool labels = true) {
  return fixture_case_batch(family, f, "input.", labels);
}

// The fixture's two-sample padded batch (batch.input.*) when it has one, else its main case.
inline data::Batch fixture_padded_batch(io::ModelFamily family, const ParityFixture& f) {
  return fixture_case_batch(family, f, f.tensors.contains("batch.input.input_ids") ? "batch.input." : "input.");
}

inline ParityFixture parity_fixture(const QString& family) {
  const std::filesystem::path dir = hf_fixtures_root() / family.toStdString();
  return {dir, io::read_json_file(dir / "reference.json"), io::SafetensorsFile::open(dir / "reference.safetensors")};
}

// The fixture families whose reference holds every one of `keys` (base.generate: the VLMs, not
// CLIP), as the "family" rows of a data function.
inline void add_family_rows_with(std::initializer_list<const char*> keys, const char* what) {
  std::vector<std::string> families;
  for (const auto& f : hf_fixture_families()) {
    const auto t = io::SafetensorsFile::open(hf_fixtures_root() / f / "reference.safetensors");
    if (std::all_of(keys.begin(), keys.end(), [&](const char* k) { return t.contains(k); })) families.push_back(f);
  }
  add_family_rows(families, what);
}

// The new tokens of the fixture's generation `key` ([1, prompt + new]): those after input.input_ids.
inline std::vector<int64_t> generated_tokens(const ParityFixture& f, const std::string& key) {
  const int64_t prompt = f.tensors.tensor("input.input_ids").size(1);
  const auto all = f.tensors.tensor(key).reshape({-1}).to(torch::kLong).contiguous();
  return {all.data_ptr<int64_t>() + prompt, all.data_ptr<int64_t>() + all.numel()};
}

// Loads the fixture's adapter into `model` (a lora::LoraModel) as "default", moves its lora_B off
// zero (seeded: the same every call) so that it changes every layer's output, and makes it the
// active one.
template <typename Model>
void activate_moved_adapter(Model& model, const ParityFixture& f) {
  model.load_adapter(f.dir / "adapter");
  {
    torch::NoGradGuard no_grad;
    torch::manual_seed(1);
    for (auto& p : model.module().named_parameters())
      if (p.key().find("lora_B") != std::string::npos) p.value().add_(torch::randn_like(p.value()) * 0.05);
  }
  model.set_active_adapters({"default"});
}

}  // namespace vltune::test
