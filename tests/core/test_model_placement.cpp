// Where a model trains and in which dtype: resolve_placement's choices and refusals, and
// half-precision base weights under float32 LoRA weights (PEFT's autocast_adapter_dtype). With
// every fixture adapter loaded on bfloat16 base weights, on the CPU: the base parameters are
// bfloat16, the rotary frequencies and the LoRA weights stay float32, the loss stays within the
// fixtures README's bf16 tolerance of transformers' float32 lora_loss, and the LoRA gradients
// arrive in float32 pointing where the reference's do; so with the adapters' products in bfloat16
// as under torch.autocast (what training sets), whose arithmetic is checked against the products
// written out here, bit for bit, values and gradients. place_module keeps a tied lm_head sharing
// the embeddings' storage; a model opened in bfloat16 loads straight into it, equal to a float32
// load converted.

// LibTorch and the engine before Qt: Qt's `slots` macro would break torch's headers.
#include "core/data/batch_inputs.h"
#include "core/lora/lora_factory.h"
#include "core/models/weight_loader.h"

#include <QtTest/QtTest>

#include "core/error.h"
#include "core/io/safetensors.h"
#include "tests/model_parity_support.h"
#include "tests/test_support.h"

using vltune::test::error_of;

namespace fs = std::filesystem;
using vltune::lora::LoraModel;
using vltune::lora::ModelPlacement;

class TestModelPlacement : public QObject {
  Q_OBJECT
 private slots:
  void resolvesDeviceAndPrecision();
  void bf16BaseWeightsTrainFloat32Lora_data();
  void bf16BaseWeightsTrainFloat32Lora();
  void loraProductsUnderAutocast();
  void placementKeepsTiedWeightsShared();
  void loadsStraightIntoItsDtype();
};

void TestModelPlacement::resolvesDeviceAndPrecision() {
  using vltune::lora::resolve_placement;
  const ModelPlacement cpu = resolve_placement("cpu", "fp32");
  QVERIFY(cpu.device.is_cpu());
  QCOMPARE(cpu.dtype, torch::kFloat32);
  QCOMPARE(resolve_placement("cpu", "bf16").dtype, torch::kBFloat16);
  QCOMPARE(vltune::lora::to_string(resolve_placement("cpu", "bf16")), std::string("cpu bfloat16"));
  const ModelPlacement any = resolve_placement("auto", "fp32");
  QCOMPARE(any.device.is_cuda(), torch::cuda::is_available());
  // Refusals name the setting and the way out.
  std::string e = error_of([] { resolve_placement("cpu", "fp16"); });
  QVERIFY2(vltune::test::contains(e, "fp16") && vltune::test::contains(e, "CUDA") && vltune::test::contains(e, "bf16"), e.c_str());
  e = error_of([] { resolve_placement("gpu", "fp32"); });
  QVERIFY2(vltune::test::contains(e, "\"gpu\" is not a device"), e.c_str());
  e = error_of([] { resolve_placement("cpu", "fp8"); });
  QVERIFY2(vltune::test::contains(e, "\"fp8\""), e.c_str());
  if (!torch::cuda::is_available()) {
    e = error_of([] { resolve_placement("cuda:0", "bf16"); });
    QVERIFY2(vltune::test::contains(e, "cuda:0") && vltune::test::contains(e, "no CUDA device"), e.c_str());
  } else {
    e = error_of([] { resolve_placement("cuda:99", "bf16"); });
    QVERIFY2(vltune::test::contains(e, "cuda:99"), e.c_str());
  }
}

void TestModelPlacement::bf16BaseWeightsTrainFloat32Lora_data() {
  std::vector<std::string> families;
  for (const auto& f : vltune::test::hf_fixture_families())
    if (fs::exists(vltune::test::hf_fixtures_root() / f / "adapter" / "adapter_config.json") &&
        fs::exists(vltune::test::hf_fixtures_root() / f / "lora_grads.safetensors"))
      families.push_back(f);
  vltune::test::add_family_rows(families, "LoRA adapter and gradients");
}

void TestModelPlacement::bf16BaseWeightsTrainFloat32Lora() {
  QFETCH(QString, family);
  const auto f = vltune::test::parity_fixture(family);
  if (!f.reference.contains("lora_loss")) QSKIP("no lora_loss in this fixture");
  // The adapters' products in float32 (PEFT without autocast), then in bfloat16 (autocast).
  for (const auto compute : {std::optional<torch::ScalarType>(), std::optional<torch::ScalarType>(torch::kBFloat16)}) {
    const char* mode = compute ? "LoRA products in bfloat16" : "LoRA products in float32";
    auto model = vltune::lora::open_model(f.dir / "model", {torch::kCPU, torch::kBFloat16});
    model->load_adapter(f.dir / "adapter");
    model->set_trainable_adapter("default");
    model->set_adapter_compute_dtype(compute);

    int base = 0, lora = 0;
    for (const auto& p : model->module().named_parameters()) {
      const bool is_lora = p.key().find(".lora_A.") != std::string::npos || p.key().find(".lora_B.") != std::string::npos;
      QVERIFY2(p.value().scalar_type() == (is_lora ? torch::kFloat32 : torch::kBFloat16), p.key().c_str());
      ++(is_lora ? lora : base);
    }
    QVERIFY(base > 0 && lora > 0);
    for (const auto& b : model->module().named_buffers())
      if (b.key().find("inv_freq") != std::string::npos) QVERIFY2(b.value().scalar_type() == torch::kFloat32, b.key().c_str());

    const auto l = model->loss(vltune::test::fixture_batch(model->family(), f));
    const double loss = (l.loss_sum / static_cast<double>(l.tokens)).item<double>();
    const double expected = f.reference.at("lora_loss").get<double>();
    qInfo("%s, %s: bf16 base lora_loss %.6f, transformers float32 %.6f", qPrintable(family), mode, loss, expected);
    QVERIFY2(std::abs(loss - expected) <= 2e-2 * std::max(1.0, std::abs(expected)), qPrintable(QString::number(loss)));

    (l.loss_sum / static_cast<double>(l.tokens)).backward();
    // bfloat16 keeps about 3 significant digits through every layer, so the gradients are compared
    // by direction: each layer's within 0.95 cosine of the reference, all of them together 0.99.
    const auto grads = vltune::io::SafetensorsFile::open(f.dir / "lora_grads.safetensors");
    int compared = 0;
    std::vector<torch::Tensor> all_got, all_ref;
    auto cosine = [](const torch::Tensor& a, const torch::Tensor& b) {
      return (a.dot(b) / (a.norm() * b.norm() + 1e-30)).item<double>();
    };
    for (const auto& p : model->trainable_parameters()) {
      QVERIFY2(p.tensor.grad().defined() && p.tensor.grad().scalar_type() == torch::kFloat32, p.name.c_str());
      if (!grads.contains(p.name)) continue;
      const auto ref = grads.tensor(p.name).to(torch::kFloat32).flatten();
      const auto got = p.tensor.grad().flatten();
      if (ref.norm().item<double>() < 1e-8) continue;  // lora_A's gradient is zero while lora_B is zero
      QVERIFY2(cosine(got, ref) > 0.95, (p.name + ": cosine " + std::to_string(cosine(got, ref))).c_str());
      all_got.push_back(got);
      all_ref.push_back(ref);
      ++compared;
    }
    QVERIFY2(compared > 0, "no LoRA gradient compared");
    const double overall = cosine(torch::cat(all_got), torch::cat(all_ref));
    qInfo("%s, %s: %d LoRA gradients, overall cosine %.5f", qPrintable(family), mode, compared, overall);
    QVERIFY(overall > 0.99);
  }
}

void TestModelPlacement::loraProductsUnderAutocast() {
  // One layer, bfloat16 base, a float32 adapter whose B is not zero: with the compute dtype set,
  // forward is autocast's arithmetic (the input and both matrices cast to bfloat16, the product
  // scaled and added in bfloat16) and the gradients reach the float32 weights in float32, equal
  // to autograd through that arithmetic written out. Without it, the float32 path is unchanged.
  torch::manual_seed(3);
  vltune::lora::LoraLinear layer(24, 40);
  layer->to(torch::kBFloat16);
  vltune::lora::LoraAdapterParams params;
  params.r = 4;
  params.alpha = 12;
  layer->add_adapter("a", params);
  layer->set_active({"a"});
  {
    torch::NoGradGuard no_grad;
    layer->lora_B_weight("a").normal_(0, 0.5);
  }
  const double scaling = 12.0 / 4;
  const auto x = torch::randn({3, 5, 24}).to(torch::kBFloat16);
  const auto upstream = torch::randn({3, 5, 40}).to(torch::kBFloat16);

  // The reference: autocast's arithmetic on leaf copies of the weights.
  const auto A = layer->lora_A_weight("a").detach().clone().requires_grad_();
  const auto B = layer->lora_B_weight("a").detach().clone().requires_grad_();
  const auto base = torch::nn::functional::linear(x, layer->weight, layer->bias);
  const auto expected =
      base + torch::nn::functional::linear(torch::nn::functional::linear(x, A.to(torch::kBFloat16)), B.to(torch::kBFloat16)) * scaling;
  (expected.to(torch::kFloat32) * upstream.to(torch::kFloat32)).sum().backward();

  layer->set_compute_dtype(torch::kBFloat16);
  QCOMPARE(layer->compute_dtype(), std::optional<torch::ScalarType>(torch::kBFloat16));
  const auto got = layer->forward(x);
  QCOMPARE(got.scalar_type(), torch::kBFloat16);
  QVERIFY2(torch::equal(got, expected), "forward is autocast's arithmetic");
  (got.to(torch::kFloat32) * upstream.to(torch::kFloat32)).sum().backward();
  const auto& gA = layer->lora_A_weight("a").grad();
  const auto& gB = layer->lora_B_weight("a").grad();
  QVERIFY(gA.defined() && gB.defined());
  QCOMPARE(gA.scalar_type(), torch::kFloat32);
  QVERIFY2(torch::equal(gA, A.grad()), "lora_A's gradient");
  QVERIFY2(torch::equal(gB, B.grad()), "lora_B's gradient");

  // Off again: PEFT without autocast (input cast to float32, the float32 product added and the
  // sum cast back), which differs from the bfloat16 products in the last bits.
  layer->set_compute_dtype(std::nullopt);
  torch::NoGradGuard no_grad;
  const auto fp32_path = layer->forward(x);
  const auto fp32_expected =
      (base.to(torch::kFloat32) + torch::nn::functional::linear(torch::nn::functional::linear(x.to(torch::kFloat32), A), B) * scaling)
          .to(torch::kBFloat16);
  QVERIFY2(torch::equal(fp32_path, fp32_expected), "float32 products without a compute dtype");
  QVERIFY2(!torch::equal(fp32_path, got), "the two arithmetics differ somewhere");
}

void TestModelPlacement::placementKeepsTiedWeightsShared() {
  // place_module converts tensor by tensor; a tied lm_head must still share the embeddings'
  // storage afterwards (module.to() gives it a copy of its own), and keep the same values.
  std::vector<std::string> tied;
  for (const auto& f : vltune::test::hf_fixture_families()) {
    const auto config = vltune::io::read_model_config(vltune::test::hf_fixtures_root() / f / "model");
    if (config.family() != vltune::io::ModelFamily::clip && config.text_decoder()->tie_word_embeddings) tied.push_back(f);
  }
  if (tied.empty()) QSKIP("no fixture family ties lm_head to the embeddings");
  for (const auto& family : tied) {
    auto model = vltune::lora::open_model(vltune::test::hf_fixtures_root() / family / "model");
    auto params = model->module().named_parameters();
    const std::string head = "lm_head.weight";
    std::string embed;
    for (const auto& p : params)
      if (p.key() != head && p.value().data_ptr() == params[head].data_ptr()) embed = p.key();
    QVERIFY2(!embed.empty(), (family + ": lm_head is tied when loaded").c_str());
    const auto before = params[head].detach().clone();
    vltune::models::place_module(model->module(), torch::kCPU, torch::kBFloat16);
    params = model->module().named_parameters();
    QCOMPARE(params[head].scalar_type(), torch::kBFloat16);
    QVERIFY2(params[head].data_ptr() == params[embed].data_ptr(), (family + ": " + embed + " and lm_head share storage").c_str());
    QVERIFY(torch::equal(params[head], before.to(torch::kBFloat16)));
    for (const auto& b : model->module().named_buffers())
      if (b.key().find("inv_freq") != std::string::npos) QCOMPARE(b.value().scalar_type(), torch::kFloat32);
    qInfo("%s: %s and lm_head share one bfloat16 copy", family.c_str(), embed.c_str());
  }
}

void TestModelPlacement::loadsStraightIntoItsDtype() {
  // open_model in bfloat16 builds its parameters in bfloat16 as they load (linear weights never
  // initialised, never float32): the same tensors, bit for bit, as loading in float32 and
  // converting afterwards, for every fixture family; buffers stay float32 either way.
  for (const auto& family : vltune::test::hf_fixture_families()) {
    const fs::path folder = vltune::test::hf_fixtures_root() / family / "model";
    torch::manual_seed(1);  // a different random init underneath must not matter
    auto direct = vltune::lora::open_model(folder, {torch::kCPU, torch::kBFloat16});
    torch::manual_seed(2);
    auto converted = vltune::lora::open_model(folder);
    vltune::models::place_module(converted->module(), torch::kCPU, torch::kBFloat16);
    auto want = converted->module().named_parameters();
    size_t compared = 0;
    for (const auto& p : direct->module().named_parameters()) {
      QVERIFY2(want.contains(p.key()), (family + ": " + p.key()).c_str());
      const auto& w = want[p.key()];
      QVERIFY2(p.value().scalar_type() == w.scalar_type() && torch::equal(p.value(), w), (family + ": " + p.key()).c_str());
      ++compared;
    }
    QCOMPARE(compared, want.size());
    auto want_buffers = converted->module().named_buffers();
    for (const auto& b : direct->module().named_buffers())
      QVERIFY2(torch::equal(b.value(), want_buffers[b.key()]), (family + ": buffer " + b.key()).c_str());
    qInfo("%s: %zu parameters loaded straight into bfloat16, equal to the float32 load converted", family.c_str(), compared);
  }
}

QTEST_APPLESS_MAIN(TestModelPlacement)
#include "test_model_placement.moc"
