// DoRA (use_dora) and Gaussian init (init_lora_weights: gaussian) on LoRA layers (issue 12).
// The reference is PEFT's DoraLinearLayer written out with plain tensor operations here (lora
// weight through an identity matrix, the norm held constant, the base output without its bias);
// the layer must agree with it in outputs and gradients, start as the base model, merge into the
// same function, store PEFT's tensor names, and work on a quantised base.

#include <unistd.h>

#include <cmath>
#include <filesystem>

#include <torch/torch.h>

#include <QtTest/QtTest>

#include "core/error.h"
#include "core/io/json_file.h"
#include "core/io/safetensors.h"
#include "core/lora/adapter_config.h"
#include "core/lora/lora_factory.h"
#include "core/lora/lora_linear.h"
#include "core/lora/peft_adapter.h"
#include "core/train/param_groups.h"
#include "core/train/train_config.h"
#include "tests/model_parity_support.h"

namespace fs = std::filesystem;
namespace lora = vltune::lora;
using lora::LoraAdapterParams;
using lora::LoraLinear;

namespace {

LoraAdapterParams dora_params(int64_t r, double alpha, double dropout = 0.0) {
  LoraAdapterParams p;
  p.r = r;
  p.alpha = alpha;
  p.dropout = dropout;
  p.use_dora = true;
  return p;
}

// A layer with random base weight and bias and one DoRA adapter "d" whose A, B and magnitude are
// random too (B non-zero, so the adapter does something), active.
LoraLinear random_dora_layer(int64_t in, int64_t out, int64_t r, double alpha, bool bias = true) {
  torch::manual_seed(11);
  LoraLinear l(torch::nn::LinearOptions(in, out).bias(bias));
  l->add_adapter("d", dora_params(r, alpha));
  torch::NoGradGuard no_grad;
  l->lora_A_weight("d").normal_(0.0, 0.3);
  l->lora_B_weight("d").normal_(0.0, 0.3);
  l->lora_magnitude("d").mul_(torch::rand({out}) + 0.5);
  l->set_active({"d"});
  return l;
}

// PEFT's LoRA Linear.forward with DoRA, as plain operations: base(x) + (m/||W + s B A|| - 1) *
// (base(x) - bias) + m/||W + s B A|| * B(A(x)) * s, the norm detached.
torch::Tensor peft_dora_forward(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& bias,
                                const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& m, double s) {
  const auto result = bias.defined() ? torch::nn::functional::linear(x, w, bias) : torch::nn::functional::linear(x, w);
  const auto eye = torch::eye(a.size(1), x.options());
  const auto lora_weight = torch::matmul(torch::matmul(eye, a.t()), b.t()).t();  // lora_B(lora_A(x_eye)).T
  const auto weight_norm = torch::linalg_vector_norm(w + s * lora_weight.detach(), 2, {1}).detach();
  const auto mag_norm_scale = (m / weight_norm).view({1, -1});
  const auto lora_result = torch::matmul(torch::matmul(x, a.t()), b.t());
  const auto base_result = bias.defined() ? result - bias : result;
  return result + ((mag_norm_scale - 1) * base_result + mag_norm_scale * lora_result * s);
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

fs::path temp_dir(const char* what) {
  const auto d = fs::temp_directory_path() / (std::string("vltune_test_dora_") + what + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  return d;
}

}  // namespace

class TestDora : public QObject {
  Q_OBJECT

 private slots:
  void forwardAndGradientsMatchPeft();
  void newAdapterLeavesTheOutputUnchanged();
  void mergeComputesTheSameFunction();
  void quantisedBaseMatchesDequantisedCopy();
  void savedInPeftLayoutAndLoadedBack();
  void magnitudesTrainAndAreDecayed();
  void gaussianInit();
  void adapterConfigRoundTrip();
  void yamlKeys();
};

void TestDora::forwardAndGradientsMatchPeft() {
  const double s = 8.0 / 4.0;
  LoraLinear l = random_dora_layer(12, 10, 4, 8.0);
  auto x = torch::randn({2, 5, 12}, torch::requires_grad());
  const auto got = l->forward(x);
  QCOMPARE(got.sizes(), (std::vector<int64_t>{2, 5, 10}));

  // The same numbers as leaves of a separate graph.
  auto a = l->lora_A_weight("d").detach().clone().requires_grad_(true);
  auto b = l->lora_B_weight("d").detach().clone().requires_grad_(true);
  auto m = l->lora_magnitude("d").detach().clone().requires_grad_(true);
  auto xr = x.detach().clone().requires_grad_(true);
  const auto want = peft_dora_forward(xr, l->weight.detach(), l->bias.detach(), a, b, m, s);
  const double diff = max_abs_diff(got, want);
  qInfo("forward: max |ours - PEFT's formula| = %.3g", diff);
  QVERIFY2(diff <= 1e-5, qPrintable(QString::number(diff)));
  // The adapter really changes the output (otherwise the comparison proves little).
  QVERIFY(max_abs_diff(got, torch::nn::functional::linear(x, l->weight, l->bias)) > 1e-2);

  const auto upstream = torch::randn_like(want);
  (got * upstream).sum().backward();
  (want * upstream).sum().backward();
  auto check = [](const char* what, const torch::Tensor& g, const torch::Tensor& r) {
    QVERIFY2(g.defined() && r.defined(), what);
    const double rel = (g - r).norm().item<double>() / r.norm().item<double>();
    qInfo("%s gradient: relative difference %.3g", what, rel);
    QVERIFY2(rel <= 1e-5, qPrintable(QString("%1: %2").arg(what).arg(rel)));
  };
  check("lora_A", l->lora_A_weight("d").grad(), a.grad());
  check("lora_B", l->lora_B_weight("d").grad(), b.grad());
  check("magnitude", l->lora_magnitude("d").grad(), m.grad());
  check("input", x.grad(), xr.grad());
}

void TestDora::newAdapterLeavesTheOutputUnchanged() {
  torch::manual_seed(3);
  LoraLinear l(torch::nn::LinearOptions(16, 6).bias(true));
  const auto x = torch::randn({4, 16});
  const auto base = l->forward(x).detach();
  l->add_adapter("d", dora_params(4, 8.0));
  l->set_active({"d"});
  // PEFT DoraLinearLayer.update_layer: the magnitude is the base weight's row norms.
  const auto norms = torch::linalg_vector_norm(l->weight.detach(), 2, {1});
  QVERIFY(max_abs_diff(l->lora_magnitude("d").detach(), norms) <= 1e-6);
  QCOMPARE(l->lora_magnitude("d").scalar_type(), torch::kFloat32);
  QVERIFY(max_abs_diff(l->forward(x), base) <= 1e-5);
  // Not a DoRA adapter: no magnitude, and asking for one says so.
  LoraAdapterParams plain;
  plain.r = 2;
  l->add_adapter("p", plain);
  QVERIFY_THROWS_EXCEPTION(vltune::Error, l->lora_magnitude("p"));
  // PEFT's parameter names.
  bool found = false;
  for (const auto& p : l->named_parameters())
    if (p.key() == "lora_magnitude_vector.d.weight") found = true;
  QVERIFY(found);
  l->remove_adapter("d");
  for (const auto& p : l->named_parameters()) QVERIFY2(p.key() != "lora_magnitude_vector.d.weight", p.key().c_str());
}

void TestDora::mergeComputesTheSameFunction() {
  for (const bool bias : {true, false}) {
    LoraLinear l = random_dora_layer(20, 7, 3, 6.0, bias);
    l->eval();
    const auto x = torch::randn({3, 20});
    const auto unmerged = l->forward(x).detach();
    l->merge_and_remove({"d"});
    QVERIFY(l->active().empty());
    QVERIFY(l->adapters().empty());
    const double diff = max_abs_diff(l->forward(x), unmerged);
    qInfo("bias %d: merged vs unmerged max diff %.3g", int(bias), diff);
    QVERIFY2(diff <= 1e-5, qPrintable(QString::number(diff)));
  }
}

void TestDora::quantisedBaseMatchesDequantisedCopy() {
  // QDoRA: the norms come from the dequantised base weight, so a DoRA layer on an NF4 base equals
  // one on the dequantised copy, in outputs and gradients, in training mode with dropout too.
  for (const double dropout : {0.0, 0.25}) {
    torch::manual_seed(5);
    LoraLinear q(torch::nn::LinearOptions(128, 24).bias(true));
    LoraLinear r(torch::nn::LinearOptions(128, 24).bias(true));
    {
      torch::NoGradGuard no_grad;
      r->weight.copy_(q->weight);
      r->bias.copy_(q->bias);
    }
    lora::QuantParams qp;
    qp.bits = 4;
    q->quantize_base(qp, torch::kFloat32);
    {
      torch::NoGradGuard no_grad;
      r->weight.copy_(vltune::quant::dequantize(q->quantized_weight(), torch::kFloat32));
    }
    for (auto* l : {&q, &r}) {
      torch::manual_seed(9);
      (*l)->add_adapter("d", dora_params(4, 8.0, dropout));
      (*l)->set_active({"d"});
      torch::NoGradGuard no_grad;
      (*l)->lora_B_weight("d").normal_(0.0, 0.2);
    }
    QVERIFY(max_abs_diff(q->lora_magnitude("d"), r->lora_magnitude("d")) <= 1e-6);
    q->train();
    r->train();
    const auto x = torch::randn({6, 128});
    torch::manual_seed(21);
    const auto yq = q->forward(x);
    torch::manual_seed(21);  // the same dropout mask
    const auto yr = r->forward(x);
    QVERIFY2(max_abs_diff(yq, yr) <= 1e-5, qPrintable(QString::number(max_abs_diff(yq, yr))));
    yq.pow(2).sum().backward();
    yr.pow(2).sum().backward();
    for (const char* which : {"A", "B", "m"}) {
      auto pick = [&](LoraLinear& l) -> torch::Tensor {
        if (which[0] == 'A') return l->lora_A_weight("d").grad();
        if (which[0] == 'B') return l->lora_B_weight("d").grad();
        return l->lora_magnitude("d").grad();
      };
      const auto gq = pick(q), gr = pick(r);
      const double rel = (gq - gr).norm().item<double>() / gr.norm().item<double>();
      QVERIFY2(rel <= 1e-5, qPrintable(QString("dropout %1, %2: %3").arg(dropout).arg(which).arg(rel)));
    }
  }
}

void TestDora::savedInPeftLayoutAndLoadedBack() {
  const auto families = vltune::test::hf_fixture_families();
  QVERIFY(!families.empty());
  std::string family;
  for (const auto& f : families)
    if (f != "clip") family = f;
  const auto f = vltune::test::parity_fixture(QString::fromStdString(family));
  lora::LoraParams params;
  params.rank = 4;
  params.alpha = 8;
  params.use_dora = true;
  params.target = "q_proj,v_proj";
  auto model = lora::open_lora_model(f.dir / "model", params);
  {
    torch::NoGradGuard no_grad;
    torch::manual_seed(2);
    for (auto& p : model->trainable_parameters()) p.tensor.add_(torch::randn_like(p.tensor) * 0.05);
  }
  const auto batch = vltune::test::fixture_batch(model->family(), f);
  model->set_training(false);
  torch::NoGradGuard no_grad;
  const auto l1 = model->loss(batch);
  const double loss = (l1.loss_sum / static_cast<double>(l1.tokens)).item<double>();

  const fs::path dir = temp_dir("save");
  model->save_adapter("default", dir);
  const auto config = vltune::io::read_json_file(dir / "adapter_config.json");
  QCOMPARE(config.at("use_dora").get<bool>(), true);
  const auto file = vltune::io::SafetensorsFile::open(dir / "adapter_model.safetensors");
  int magnitudes = 0, a_count = 0;
  for (const auto& t : file.tensors()) {
    if (t.name.size() > 22 && t.name.compare(t.name.size() - 22, 22, ".lora_magnitude_vector") == 0) {
      ++magnitudes;
      QCOMPARE(t.shape.size(), size_t{1});
      QVERIFY2(t.name.rfind("base_model.model.", 0) == 0, t.name.c_str());
    }
    if (t.name.find(".lora_A.weight") != std::string::npos) ++a_count;
  }
  QVERIFY(a_count > 0);
  QCOMPARE(magnitudes, a_count);  // one magnitude per adapted layer, PEFT's key without ".weight"

  // A fresh base with the adapter loaded computes the same loss.
  auto fresh = lora::open_model(f.dir / "model", {});
  fresh->load_adapter(dir);
  fresh->set_training(false);
  const auto l2 = fresh->loss(batch);
  const double reloaded = (l2.loss_sum / static_cast<double>(l2.tokens)).item<double>();
  qInfo("%s: loss with the DoRA adapter %.9g, reloaded %.9g", family.c_str(), loss, reloaded);
  QVERIFY(std::abs(loss - reloaded) <= 1e-6 * std::max(1.0, std::abs(loss)));

  // The same tensors under an adapter_config that says use_dora: false are refused by name.
  auto plain_config = config;
  plain_config["use_dora"] = false;
  vltune::io::write_json_file_atomic(dir / "adapter_config.json", plain_config);
  auto other = lora::open_model(f.dir / "model", {});
  try {
    other->load_adapter(dir);
    QFAIL("loaded DoRA magnitudes under use_dora: false");
  } catch (const vltune::Error& e) {
    QVERIFY2(std::string(e.what()).find("use_dora") != std::string::npos, e.what());
  }
  fs::remove_all(dir);
}

void TestDora::magnitudesTrainAndAreDecayed() {
  const auto families = vltune::test::hf_fixture_families();
  QVERIFY(!families.empty());
  const auto f = vltune::test::parity_fixture(QString::fromStdString(families.back() == "clip" ? families.front() : families.back()));
  lora::LoraParams params;
  params.rank = 2;
  params.use_dora = true;
  params.target = "q_proj";
  auto model = lora::open_lora_model(f.dir / "model", params);
  const auto trainable = model->trainable_parameters();
  int magnitudes = 0;
  for (const auto& p : trainable)
    if (p.group == vltune::train::ParamGroup::dora_magnitude) {
      ++magnitudes;
      QVERIFY2(p.name.find(".lora_magnitude_vector.default.weight") != std::string::npos, p.name.c_str());
      QVERIFY(p.tensor.requires_grad());
    }
  QVERIFY(magnitudes > 0);
  QCOMPARE(static_cast<size_t>(magnitudes) * 3, trainable.size());

  // transformers decays every parameter but biases and norms: the magnitudes too (LoRA+: lora_b).
  vltune::train::GroupParams gp;
  gp.learning_rate = 1e-4;
  gp.weight_decay = 0.1;
  for (const double ratio : {0.0, 16.0}) {
    gp.loraplus_lr_ratio = ratio;
    for (const auto& g : vltune::train::make_param_groups(trainable, gp))
      for (const auto& name : g.names)
        if (name.find("lora_magnitude_vector") != std::string::npos) {
          QCOMPARE(g.weight_decay, 0.1);
          QCOMPARE(g.lr, ratio > 0 ? 1e-4 * ratio : 1e-4);
        }
  }

  // One backward pass reaches every magnitude.
  model->set_training(true);
  const auto batch = vltune::test::fixture_batch(model->family(), f);
  const auto l = model->loss(batch);
  (l.loss_sum / static_cast<double>(l.tokens)).backward();
  for (const auto& p : trainable)
    if (p.group == vltune::train::ParamGroup::dora_magnitude) {
      QVERIFY2(p.tensor.grad().defined(), p.name.c_str());
      QVERIFY2(p.tensor.grad().abs().sum().item<double>() > 0, p.name.c_str());
    }
}

void TestDora::gaussianInit() {
  // PEFT init_lora_weights="gaussian": lora_A ~ normal(0, 1/r), lora_B zeros.
  LoraAdapterParams p;
  p.r = 16;
  p.init = lora::LoraInit::gaussian;
  LoraLinear l(torch::nn::LinearOptions(256, 8));
  torch::manual_seed(7);
  l->add_adapter("g", p);
  // PEFT's order of draws: nn.Linear(in, r) and nn.Linear(r, out) make their default init first,
  // then reset_lora_parameters draws A again.
  torch::manual_seed(7);
  (void)torch::empty({16, 256}).uniform_();
  (void)torch::empty({8, 16}).uniform_();
  const auto want = torch::empty({16, 256}).normal_(0.0, 1.0 / 16.0);
  QVERIFY(torch::equal(l->lora_A_weight("g").detach(), want));
  QCOMPARE(l->lora_B_weight("g").abs().sum().item<double>(), 0.0);
  const double sd = l->lora_A_weight("g").std().item<double>();
  QVERIFY2(std::abs(sd - 1.0 / 16.0) < 0.1 / 16.0, qPrintable(QString::number(sd)));
  // The default stays kaiming-uniform(a = sqrt(5)): bounded by 1/sqrt(in).
  LoraAdapterParams k;
  k.r = 16;
  l->add_adapter("k", k);
  QVERIFY(l->lora_A_weight("k").abs().max().item<double>() <= 1.0 / std::sqrt(256.0));
}

void TestDora::adapterConfigRoundTrip() {
  const auto families = vltune::test::hf_fixture_families();
  QVERIFY(!families.empty());
  const auto f = vltune::test::parity_fixture(QString::fromStdString(families.front()));
  auto model = lora::open_model(f.dir / "model", {});
  LoraAdapterParams p = dora_params(4, 8.0);
  p.init = lora::LoraInit::gaussian;
  const auto c = lora::make_adapter_config(model->layout(), p, vltune::io::Json::array({"q_proj"}), "");
  QCOMPARE(c.at("use_dora").get<bool>(), true);
  QCOMPARE(c.at("init_lora_weights").get<std::string>(), std::string("gaussian"));
  const auto back = lora::adapter_params_from_config(c, "adapter_config.json");
  QVERIFY(back.use_dora);
  QVERIFY(back.init == lora::LoraInit::gaussian);
  const auto plain = lora::make_adapter_config(model->layout(), LoraAdapterParams{}, vltune::io::Json::array({"q_proj"}), "");
  QCOMPARE(plain.at("init_lora_weights").get<bool>(), true);
  QCOMPARE(plain.at("use_dora").get<bool>(), false);
}

void TestDora::yamlKeys() {
  namespace train = vltune::train;
  const auto c = train::load_train_config_from_string(
      "model_name_or_path: m\nstage: sft\nfinetuning_type: lora\nuse_dora: true\ninit_lora_weights: gaussian\n"
      "dataset: d\ntemplate: qwen2_vl\noutput_dir: o\n");
  QVERIFY(c.use_dora);
  QVERIFY(c.init_lora_weights == train::LoraInitWeights::gaussian);
  QVERIFY(train::to_yaml(c).find("init_lora_weights: gaussian") != std::string::npos);
  // Left at PEFT's default, the key is not written (LLaMA-Factory does not know it).
  QVERIFY(train::to_yaml(train::TrainConfig{}).find("init_lora_weights") == std::string::npos);
  try {
    train::load_train_config_from_string("model_name_or_path: m\nfinetuning_type: full\ninit_lora_weights: gaussian\n"
                                         "dataset: d\ntemplate: qwen2_vl\noutput_dir: o\n");
    QFAIL("init_lora_weights accepted for full fine-tuning");
  } catch (const vltune::Error& e) {
    QVERIFY2(std::string(e.what()).find("init_lora_weights") != std::string::npos, e.what());
  }
  try {
    train::load_train_config_from_string("model_name_or_path: m\ninit_lora_weights: pissa\ndataset: d\ntemplate: qwen2_vl\noutput_dir: o\n");
    QFAIL("init_lora_weights: pissa accepted");
  } catch (const vltune::Error& e) {
    QVERIFY2(std::string(e.what()).find("init_lora_weights") != std::string::npos, e.what());
  }
}

QTEST_APPLESS_MAIN(TestDora)
#include "test_dora.moc"
