// LoRA against PEFT (../shared/fixtures/hf/<family>/adapter and the lora_* references, every
// family in the fixtures): the fixture adapter loaded gives lora.logits, lora_loss and every
// gradient of lora_grads.safetensors; one step of the trainer's AdamW with the fixture's settings
// gives lora_loss_after_adamw_step and lora_after_step.generate; the adapter saved again has the same
// keys and adapter_config.json; a copy in the pre-4.52 key layout loads to the same logits; the
// adapter merged and exported loads back to the adapter's logits. Tolerances from the fixtures
// README; every expected value read from the files.

// LibTorch and the engine before Qt: Qt's `slots` macro would break torch's headers.
#include "core/data/batch_inputs.h"
#include "core/lora/lora_factory.h"
#include "core/lora/merge_export.h"
#include "core/lora/peft_adapter.h"
#include "core/train/optimizer.h"

#include <QtTest/QtTest>

#include "tests/model_parity_support.h"

#include "core/error.h"
#include "core/io/aux_configs.h"
#include "core/io/checkpoint.h"
#include "core/io/json_file.h"
#include "core/io/safetensors.h"
#include "core/io/safetensors_writer.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;
using vltune::io::Json;
using vltune::io::ModelFamily;
using vltune::lora::LoraModel;

namespace {

using Fixture = vltune::test::ParityFixture;

// Every fixture family with an adapter/.
void add_family_rows() {
  std::vector<std::string> families;
  for (const auto& f : vltune::test::hf_fixture_families())
    if (fs::exists(vltune::test::hf_fixtures_root() / f / "adapter" / "adapter_config.json")) families.push_back(f);
  vltune::test::add_family_rows(families, "LoRA adapter");
}

// The model of a fixture family with its adapter loaded as "default" (active, trainable).
std::unique_ptr<LoraModel> adapted_model(const Fixture& f, const fs::path& adapter) {
  auto model = vltune::lora::open_model(f.dir / "model");
  model->load_adapter(adapter);
  model->set_trainable_adapter("default");
  return model;
}

// The model's outputs for the main case under the reference's names (lora.logits, or CLIP's
// lora.logits_per_image / lora.text_embeds), with `prefix` instead of "lora.".
std::vector<std::pair<std::string, torch::Tensor>> outputs(LoraModel& model, const Fixture& f, const std::string& prefix) {
  torch::NoGradGuard no_grad;
  const auto batch = vltune::test::fixture_batch(model.family(), f);
  std::vector<std::pair<std::string, torch::Tensor>> out;
  std::visit(
      [&](auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, vltune::models::QwenVL>) out.emplace_back(prefix + "logits", m->forward(vltune::data::qwen_inputs(batch)));
        else if constexpr (std::is_same_v<M, vltune::models::Llava>) out.emplace_back(prefix + "logits", m->forward(vltune::data::llava_inputs(batch)));
        else if constexpr (std::is_same_v<M, vltune::models::Idefics3>) out.emplace_back(prefix + "logits", m->forward(vltune::data::idefics3_inputs(batch)));
        else {
          const auto o = m->forward(vltune::data::clip_inputs(batch));
          out.emplace_back(prefix + "logits_per_image", o.logits_per_image);
          out.emplace_back(prefix + "text_embeds", o.text_embeds);
        }
      },
      model.model());
  return out;
}

// Every output present in the reference under `prefix` against ours.
void compare_outputs(LoraModel& model, const Fixture& f, const std::string& prefix, const std::string& label) {
  int compared = 0;
  for (const auto& [name, got] : outputs(model, f, prefix)) {
    if (!f.tensors.contains(name)) continue;
    vltune::test::compare_logits(got, f.tensors.tensor(name), (label + " " + name).c_str());
    ++compared;
  }
  QVERIFY2(compared > 0, ("no " + prefix + "* output in the reference").c_str());
}

// Mean loss of the main case, as the reference computes lora_loss.
torch::Tensor mean_loss(LoraModel& model, const Fixture& f) {
  const auto l = model.loss(vltune::test::fixture_batch(model.family(), f));
  return l.loss_sum / static_cast<double>(l.tokens);
}

// Greedy generation from the main case's prompt (labels dropped), as long as `expected` at most.
torch::Tensor generate(LoraModel& model, const Fixture& f, const torch::Tensor& expected) {
  const auto batch = vltune::test::fixture_batch(model.family(), f);
  const auto eos = vltune::io::read_generation_config(f.dir / "model" / "generation_config.json").eos_token_ids;
  const int64_t steps = expected.size(1) - batch.input_ids.size(1);
  torch::Tensor out;
  std::visit(
      [&](auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, vltune::models::QwenVL>) out = m->generate_greedy(vltune::data::qwen_inputs(batch), steps, eos);
        else if constexpr (std::is_same_v<M, vltune::models::Llava>) out = m->generate_greedy(vltune::data::llava_inputs(batch), steps, eos);
        else if constexpr (std::is_same_v<M, vltune::models::Idefics3>) out = m->generate_greedy(vltune::data::idefics3_inputs(batch), steps, eos);
      },
      model.model());
  return out;
}

// The AdamW step of the reference (make_fixtures.py: AdamW over the adapter's parameters after one
// backward of lora_loss), made by the trainer's own optimizer: reference.json's "lora_adamw"
// settings when it records them, else the ones the fixtures README documents (lr 1e-2, betas
// (0.9, 0.999), eps 1e-8, weight_decay 0.01).
vltune::train::AdamW reference_adamw(const Json& reference, const std::vector<vltune::train::TrainableParam>& trainable) {
  const Json s = reference.value("lora_adamw", Json::object());
  if (s.value("amsgrad", false)) throw std::runtime_error("the reference's AdamW uses amsgrad, which the trainer does not");
  const auto betas = s.value("betas", std::vector<double>{0.9, 0.999});
  vltune::train::OptimizerGroup group;
  group.name = "lora";
  for (const auto& p : trainable) {
    group.names.push_back(p.name);
    group.params.push_back(p.tensor);
  }
  group.lr = s.value("lr", 1e-2);
  group.weight_decay = s.value("weight_decay", 0.01);
  return vltune::train::AdamW({group}, {betas.at(0), betas.at(1), s.value("eps", 1e-8)});
}

}  // namespace

class TestLoraParity : public QObject {
  Q_OBJECT

 private slots:
  void adapterLogits_data() { add_family_rows(); }
  void adapterLogits();
  void lossAndGradients_data() { add_family_rows(); }
  void lossAndGradients();
  void adamwStep_data() { add_family_rows(); }
  void adamwStep();
  void saveRoundTrip_data() { add_family_rows(); }
  void saveRoundTrip();
  void oldKeyLayout_data() { add_family_rows(); }
  void oldKeyLayout();
  void mergeAndExport_data() { add_family_rows(); }
  void mergeAndExport();
  void adapterErrors_data() { add_family_rows(); }
  void adapterErrors();
};

void TestLoraParity::adapterLogits() {
  // The fixture adapter gives lora.*; with no adapter active, the same copy gives base.*.
  QFETCH(QString, family);
  const Fixture f = vltune::test::parity_fixture(family);
  auto model = adapted_model(f, f.dir / "adapter");
  compare_outputs(*model, f, "lora.", "adapter");
  model->set_active_adapters({});
  compare_outputs(*model, f, "base.", "adapter inactive");
  model->set_active_adapters({"default"});
  compare_outputs(*model, f, "lora.", "adapter active again");
}

void TestLoraParity::lossAndGradients() {
  QFETCH(QString, family);
  const Fixture f = vltune::test::parity_fixture(family);
  auto model = adapted_model(f, f.dir / "adapter");
  auto loss = mean_loss(*model, f);
  vltune::test::compare_loss(loss.item<double>(), f.reference.at("lora_loss").get<double>(), "lora_loss");
  loss.backward();

  const auto grads = vltune::io::SafetensorsFile::open(f.dir / "lora_grads.safetensors");
  const auto params = model->trainable_parameters();
  std::set<std::string> ours;
  double worst = 0.0;
  for (const auto& p : params) {
    ours.insert(p.name);
    QVERIFY2(grads.contains(p.name), ("no reference gradient for " + p.name).c_str());
    QVERIFY2(p.tensor.grad().defined(), ("no gradient for " + p.name).c_str());
    const auto ref = grads.tensor(p.name);
    const double rel = (p.tensor.grad() - ref).norm().item<double>() / ref.norm().item<double>();
    worst = std::max(worst, rel);
    QVERIFY2(rel <= 1e-4, qPrintable(QString("%1: relative gradient difference %2").arg(QString::fromStdString(p.name)).arg(rel)));
  }
  for (const auto& info : grads.tensors()) QVERIFY2(ours.count(info.name), ("not trained here: " + info.name).c_str());
  // lora_trainable lists the same names.
  for (const auto& name : f.reference.at("lora_trainable")) QVERIFY(ours.count(name.get<std::string>()));
  QCOMPARE(ours.size(), f.reference.at("lora_trainable").size());
  qInfo("%zu LoRA gradients, worst relative difference %.3g", params.size(), worst);
  // Nothing else requires grad.
  size_t requiring = 0;
  for (const auto& p : model->module().parameters()) requiring += p.requires_grad();
  QCOMPARE(requiring, params.size());
}

void TestLoraParity::adamwStep() {
  // Two checks. The step itself (settings, decoupled weight decay, bias correction) on the
  // reference's own gradients must land on lora_loss_after_adamw_step; then end to end, on our
  // gradients. The first AdamW step moves every element by about lr * g / (|g| + eps), so an
  // element whose gradient is ~1e-7 (float32 round-off level against a tensor max of ~0.2) moves
  // by a sizeable fraction of lr on round-off alone: the end-to-end check is the sensitive one.
  QFETCH(QString, family);
  const Fixture f = vltune::test::parity_fixture(family);
  const auto grads = vltune::io::SafetensorsFile::open(f.dir / "lora_grads.safetensors");
  const double expected = f.reference.at("lora_loss_after_adamw_step").get<double>();
  for (const bool reference_gradients : {true, false}) {
    auto model = adapted_model(f, f.dir / "adapter");
    vltune::train::AdamW optimizer = reference_adamw(f.reference, model->trainable_parameters());
    mean_loss(*model, f).backward();
    if (reference_gradients) {
      torch::NoGradGuard no_grad;
      for (const auto& p : model->trainable_parameters()) p.tensor.mutable_grad().copy_(grads.tensor(p.name));
    }
    optimizer.step();
    torch::NoGradGuard no_grad;
    const double loss = mean_loss(*model, f).item<double>();
    if (!reference_gradients && f.tensors.contains("lora_after_step.generate")) {
      const auto reference = f.tensors.tensor("lora_after_step.generate");
      const auto got = generate(*model, f, reference);
      qInfo("lora_after_step.generate: %s", torch::equal(got, reference) ? "identical" : "DIFFERENT");
      QVERIFY2(torch::equal(got, reference),
               qPrintable(QString("generated %1 tokens, reference %2").arg(got.size(1)).arg(reference.size(1))));
    }
    if (reference_gradients) {
      vltune::test::compare_loss(loss, expected, "lora_loss_after_adamw_step (step on the reference gradients)");
    } else {
      // Our gradients meet the README's 1e-4 relative rule, but Adam's first step turns an
      // element's round-off (a 1e-7 gradient off by 1e-7 in either implementation, float64 in
      // between) into a move of ~lr/20: the loss after it may differ by a little more than the
      // 1e-5 the step itself meets above. Twice that, and identical generation, bound it here.
      qInfo("lora_loss_after_adamw_step (end to end): %.9g, reference %.9g, |diff| %.3g", loss, expected,
            std::abs(loss - expected));
      QVERIFY2(std::abs(loss - expected) <= 2e-5,
               qPrintable(QString("end to end: %1, reference %2").arg(loss, 0, 'g', 9).arg(expected, 0, 'g', 9)));
    }
  }
}

void TestLoraParity::saveRoundTrip() {
  // Saved again: the same tensor names and values, and the same adapter_config.json, field for field.
  QFETCH(QString, family);
  const Fixture f = vltune::test::parity_fixture(family);
  auto model = adapted_model(f, f.dir / "adapter");
  vltune::test::TempDir dir;
  model->save_trained(dir.path());
  const auto ref = vltune::io::SafetensorsFile::open(f.dir / "adapter" / "adapter_model.safetensors");
  const auto ours = vltune::io::SafetensorsFile::open(dir.path() / "adapter_model.safetensors");
  QCOMPARE(ours.tensors().size(), ref.tensors().size());
  for (const auto& info : ref.tensors()) {
    QVERIFY2(ours.contains(info.name), ("not saved: " + info.name).c_str());
    QVERIFY2(torch::equal(ours.tensor(info.name), ref.tensor(info.name)), ("saved differently: " + info.name).c_str());
  }
  const Json ref_config = vltune::io::read_json_file(f.dir / "adapter" / "adapter_config.json");
  const Json our_config = vltune::io::read_json_file(dir.path() / "adapter_config.json");
  for (const auto& [key, value] : ref_config.items())
    QVERIFY2(our_config.contains(key) && our_config.at(key) == value, ("adapter_config.json differs at " + key).c_str());
  QVERIFY2(our_config == ref_config, "adapter_config.json has other fields");
  // And load_trained reads it back.
  model->load_trained(dir.path());
  compare_outputs(*model, f, "lora.", "reloaded");
}

void TestLoraParity::oldKeyLayout() {
  // The fixture adapter renamed to the pre-4.52 layout (base_model.model.model.layers.N...;
  // LLaVA base_model.model.language_model.model.layers.N...) loads to the same logits.
  QFETCH(QString, family);
  const Fixture f = vltune::test::parity_fixture(family);
  const auto family_id = vltune::io::read_model_config(f.dir / "model").family();
  const std::string now = "base_model.model.model.language_model.";
  const std::string old = family_id == ModelFamily::llava ? "base_model.model.language_model.model." : "base_model.model.model.";
  const auto ref = vltune::io::SafetensorsFile::open(f.dir / "adapter" / "adapter_model.safetensors");
  vltune::io::NamedTensors renamed;
  int changed = 0;
  for (const auto& info : ref.tensors()) {
    std::string name = info.name;
    if (name.rfind(now, 0) == 0) {
      name = old + name.substr(now.size());
      ++changed;
    }
    renamed.emplace_back(name, ref.tensor(info.name));
  }
  if (changed == 0) QSKIP("this family's adapter keys are the same in both layouts");
  vltune::test::TempDir dir;
  fs::copy_file(f.dir / "adapter" / "adapter_config.json", dir.path() / "adapter_config.json");
  vltune::io::save_safetensors(dir.path() / "adapter_model.safetensors", renamed);
  auto model = adapted_model(f, dir.path());
  compare_outputs(*model, f, "lora.", "old layout");
  // Saved again, it is in the current layout.
  vltune::test::TempDir again;
  model->save_trained(again.path());
  const auto saved = vltune::io::SafetensorsFile::open(again.path() / "adapter_model.safetensors");
  for (const auto& info : ref.tensors()) QVERIFY2(saved.contains(info.name), info.name.c_str());
}

void TestLoraParity::mergeAndExport() {
  // Merged into the weights and exported (sharded, to exercise the index): the exported folder
  // loads with the plain loader and gives the adapter's outputs.
  QFETCH(QString, family);
  const Fixture f = vltune::test::parity_fixture(family);
  auto model = adapted_model(f, f.dir / "adapter");
  const auto adapted = outputs(*model, f, "lora.");
  vltune::test::TempDir dir;
  vltune::lora::ExportParams params;
  params.max_shard_bytes = 200'000;  // several shards for these tiny models
  // Progress: merging, then writing after each shard up to every byte, then copying.
  std::vector<vltune::lora::ExportProgress> progress;
  params.on_progress = [&](const vltune::lora::ExportProgress& p) { progress.push_back(p); };
  vltune::lora::export_merged(*model, dir.path(), params);
  QVERIFY(progress.size() >= 5);
  QVERIFY(progress.front().phase == vltune::lora::ExportPhase::merging);
  QVERIFY(progress.back().phase == vltune::lora::ExportPhase::copying);
  uint64_t shard_bytes = 0;
  for (const auto& entry : fs::directory_iterator(dir.path()))
    if (entry.path().extension() == ".safetensors") shard_bytes += fs::file_size(entry.path());
  QVERIFY(progress.back().bytes_total > 0 && progress.back().bytes_done == progress.back().bytes_total);
  QVERIFY(progress.back().bytes_total <= shard_bytes);  // the files add their headers
  for (size_t i = 1; i < progress.size(); ++i) QVERIFY(progress[i].bytes_done >= progress[i - 1].bytes_done);
  QVERIFY(model->adapter_names().empty());
  QVERIFY(fs::exists(dir.path() / "config.json"));
  for (const auto& entry : fs::directory_iterator(f.dir / "model"))
    if (entry.path().extension() != ".safetensors") QVERIFY2(fs::exists(dir.path() / entry.path().filename()), entry.path().filename().c_str());
  // Same tensor names as the source checkpoint.
  const auto source = vltune::io::Checkpoint::open(f.dir / "model");
  const auto exported = vltune::io::Checkpoint::open(dir.path());
  QCOMPARE(exported.names(), source.names());
  QVERIFY2(fs::exists(dir.path() / "model.safetensors.index.json"), "not sharded");

  auto merged = vltune::lora::open_model(dir.path());
  const auto got = outputs(*merged, f, "lora.");
  for (size_t i = 0; i < got.size(); ++i) {
    const auto& ref = adapted[i].second;
    const double scale = std::max(1.0, ref.abs().max().item<double>());
    const double diff = (got[i].second - ref).abs().max().item<double>();
    qInfo("merged %s: max |diff| %.3g against the adapter model", got[i].first.c_str(), diff);
    QVERIFY2(diff <= 1e-5 * scale, qPrintable(QString("merged %1 differs by %2").arg(QString::fromStdString(got[i].first)).arg(diff)));
    if (f.tensors.contains(got[i].first)) vltune::test::compare_logits(got[i].second, f.tensors.tensor(got[i].first), "merged vs reference");
  }
}

void TestLoraParity::adapterErrors() {
  // A key that names no layer, a missing tensor, and a config this engine does not implement:
  // errors naming the key.
  QFETCH(QString, family);
  const Fixture f = vltune::test::parity_fixture(family);
  const auto ref = vltune::io::SafetensorsFile::open(f.dir / "adapter" / "adapter_model.safetensors");
  vltune::io::NamedTensors tensors;
  for (const auto& info : ref.tensors()) tensors.emplace_back(info.name, ref.tensor(info.name));
  vltune::test::TempDir dir;
  fs::copy_file(f.dir / "adapter" / "adapter_config.json", dir.path() / "adapter_config.json");

  auto extra = tensors;
  const std::string bogus = "base_model.model.no_such_module.lora_A.weight";
  extra.emplace_back(bogus, torch::zeros({1, 1}));
  vltune::io::save_safetensors(dir.path() / "adapter_model.safetensors", extra);
  std::string error = vltune::test::format_error([&] { adapted_model(f, dir.path()); });
  QVERIFY2(vltune::test::contains(error, bogus), error.c_str());

  auto fewer = tensors;
  const std::string dropped = fewer.back().first;
  fewer.pop_back();
  vltune::io::save_safetensors(dir.path() / "adapter_model.safetensors", fewer);
  error = vltune::test::format_error([&] { adapted_model(f, dir.path()); });
  QVERIFY2(vltune::test::contains(error, dropped), error.c_str());

  vltune::io::save_safetensors(dir.path() / "adapter_model.safetensors", tensors);
  Json config = vltune::io::read_json_file(f.dir / "adapter" / "adapter_config.json");
  // A config that says DoRA over plain LoRA tensors: the magnitudes are missing, and the message
  // says why they were expected.
  config["use_dora"] = true;
  vltune::io::write_json_file_atomic(dir.path() / "adapter_config.json", config);
  error = vltune::test::format_error([&] { adapted_model(f, dir.path()); });
  QVERIFY2(vltune::test::contains(error, "use_dora: true"), error.c_str());
  QVERIFY2(vltune::test::contains(error, "lora_magnitude_vector"), error.c_str());
}

QTEST_APPLESS_MAIN(TestLoraParity)
#include "test_lora_parity.moc"
