// Merged decode products (core/models/merged_products.h): q/k/v and gate/up as one product each,
// grouped-query attention of one query without repeated keys/values. Checked here:
//  - the stacked product gives each layer's own output (float32 and bfloat16, with and without a
//    bias), the layers' weights become rows of one buffer without changing a value, stay so
//    (no second copy), and are stacked anew after a move to another dtype;
//  - with an active adapter on each layer (ranks, scales and compute dtypes as PEFT's), each
//    layer's output too, with the adapters' lora_A stacked as well;
//  - it applies only where nothing is recorded for autograd, to one new token per sequence, to
//    layers with none or one plain adapter each (no DoRA, two, dropout at work, or mixed), no
//    quantised base, and not when switched off; where it doesn't, stacked_linear() says so;
//  - stacked weights save, train and merge like separate ones;
//  - grouped attention of one query equals attention over repeated keys/values;
//  - a residual add with the norm after it (RMSNorm::forward_after_add, one kernel on CUDA) is,
//    on the CPU, the add and the norm, bit for bit;
//  - every VLM fixture family decodes transformers' greedy tokens with the merged products, its
//    logits those of the separate products within float32 rounding, with the layers' weights
//    stacked by the first step; and with its adapter, the same sampled tokens both ways.

// LibTorch and the engine before Qt: Qt's `slots` macro would break torch's headers.
#include <torch/torch.h>

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <vector>

#include "core/error.h"
#include "core/gen/generation_params.h"
#include "core/gen/generator.h"
#include "core/io/safetensors.h"
#include "core/io/safetensors_writer.h"
#include "core/kernels/fused_ops.h"
#include "core/lora/lora_factory.h"
#include "core/lora/lora_linear.h"
#include "core/lora/lora_model.h"
#include "core/models/blocks.h"
#include "core/models/merged_products.h"
#include "core/models/text_decoder.h"
#include "core/text/tokenizer.h"

#include <QtTest/QtTest>
#include <QTemporaryDir>

#include "tests/model_parity_support.h"

namespace {

using vltune::lora::LoraLinear;
using vltune::models::layers_stacked;
using vltune::models::stacked_linear;
using vltune::models::stacking_applies;

// Runs `f` with merged products on or off, restoring the setting after.
template <typename F>
auto with_merged(bool on, F&& f) {
  const bool before = vltune::models::merged_products_enabled();
  vltune::models::set_merged_products(on);
  struct Restore {
    bool before;
    ~Restore() { vltune::models::set_merged_products(before); }
  } restore{before};
  return f();
}

// Three layers reading `in` features, as an attention block's q, k and v (random, not zero, bias).
std::vector<LoraLinear> projections(int64_t in, std::vector<int64_t> outs, bool bias, torch::Dtype dtype) {
  std::vector<LoraLinear> layers;
  for (int64_t out : outs) {
    LoraLinear l(torch::nn::LinearOptions(in, out).bias(bias));
    l->to(dtype);
    layers.push_back(l);
  }
  return layers;
}

// The layers' outputs side by side, each from its own forward.
torch::Tensor separate(std::vector<LoraLinear>& layers, const torch::Tensor& x) {
  std::vector<torch::Tensor> outs;
  for (auto& l : layers) outs.push_back(l(x));
  return torch::cat(outs, -1);
}

std::optional<torch::Tensor> stacked_or_not(std::vector<LoraLinear>& layers, const torch::Tensor& x) {
  return layers.size() == 3 ? stacked_linear(x, {layers[0].get(), layers[1].get(), layers[2].get()})
                            : stacked_linear(x, {layers[0].get(), layers[1].get()});
}

// The stacked product; throws where stacking doesn't apply (the cases calling it expect it to).
torch::Tensor stacked(std::vector<LoraLinear>& layers, const torch::Tensor& x) {
  const auto out = stacked_or_not(layers, x);
  if (!out) throw std::runtime_error("stacked_linear: stacking did not apply");
  return *out;
}

// stacking_applies(); where it refuses, stacked_linear must refuse too (and stack nothing).
bool applies(std::vector<LoraLinear>& layers, const torch::Tensor& x) {
  const bool yes = layers.size() == 3 ? stacking_applies(x, {layers[0].get(), layers[1].get(), layers[2].get()})
                                      : stacking_applies(x, {layers[0].get(), layers[1].get()});
  if (!yes && stacked_or_not(layers, x).has_value()) throw std::runtime_error("stacked_linear ran where stacking_applies refused");
  return yes;
}

bool stacked_now(std::vector<LoraLinear>& layers) {
  return layers.size() == 3 ? layers_stacked({layers[0].get(), layers[1].get(), layers[2].get()})
                            : layers_stacked({layers[0].get(), layers[1].get()});
}

// max |a - b| / max(1, max |b|), in float64.
double relative_diff(const torch::Tensor& a, const torch::Tensor& b) {
  const auto da = a.to(torch::kDouble), db = b.to(torch::kDouble);
  return (da - db).abs().max().item<double>() / std::max(1.0, db.abs().max().item<double>());
}

// Every attention block and MLP of `model` that the decode step merges, stacked or not.
struct Stacking {
  int stacked = 0, total = 0;
};
Stacking decoder_stacking(vltune::lora::LoraModel& model) {
  Stacking s;
  for (const auto& m : model.module().named_modules()) {
    if (auto* attn = m.value()->as<vltune::models::DecoderAttentionImpl>()) {
      ++s.total;
      s.stacked += layers_stacked({attn->q_proj.get(), attn->k_proj.get(), attn->v_proj.get()});
    } else if (auto* mlp = m.value()->as<vltune::models::GatedMlpImpl>()) {
      if (m.key().find("visual") != std::string::npos) continue;  // vision blocks see many tokens at once
      ++s.total;
      s.stacked += layers_stacked({mlp->gate_proj.get(), mlp->up_proj.get()});
    }
  }
  return s;
}

// Whether `layers`' adapter "default" matrices lora_A are rows of one buffer.
bool adapters_stacked(std::initializer_list<vltune::lora::LoraLinearImpl*> layers) {
  vltune::lora::LoraLinearImpl* before = nullptr;
  for (auto* l : layers) {
    if (before) {
      auto& prev = before->lora_A_weight("default");
      auto& a = l->lora_A_weight("default");
      if (!a.storage().is_alias_of(prev.storage()) || a.storage_offset() != prev.storage_offset() + prev.numel()) return false;
    }
    before = l;
  }
  return true;
}

// The attention blocks and MLPs of the decoder whose merged layers all carry adapter "default",
// and how many of them have their lora_A stacked.
Stacking adapter_stacking(vltune::lora::LoraModel& model) {
  Stacking s;
  for (const auto& m : model.module().named_modules()) {
    if (auto* attn = m.value()->as<vltune::models::DecoderAttentionImpl>()) {
      if (!attn->q_proj->has_adapter("default") || !attn->k_proj->has_adapter("default") || !attn->v_proj->has_adapter("default"))
        continue;
      ++s.total;
      s.stacked += adapters_stacked({attn->q_proj.get(), attn->k_proj.get(), attn->v_proj.get()});
    } else if (auto* mlp = m.value()->as<vltune::models::GatedMlpImpl>()) {
      if (!mlp->gate_proj->has_adapter("default") || !mlp->up_proj->has_adapter("default")) continue;
      ++s.total;
      s.stacked += adapters_stacked({mlp->gate_proj.get(), mlp->up_proj.get()});
    }
  }
  return s;
}

}  // namespace

class TestMergedProducts : public QObject {
  Q_OBJECT
 private slots:
  void stackedProductIsEachLayers_data();
  void stackedProductIsEachLayers();
  void appliesOnlyToPlainDecodeSteps();
  void stackedAgainAfterAMove();
  void stackedWeightsSaveTrainAndMerge();
  void adaptedLayerWithoutAutograd_data();
  void adaptedLayerWithoutAutograd();
  void residualAddWithNextNorm_data();
  void residualAddWithNextNorm();
  void groupedAttentionOfOneQuery_data();
  void groupedAttentionOfOneQuery();
  void decodeAttentionKernelShapes();
  void familyDecodeMergedAndSeparate_data();
  void familyDecodeMergedAndSeparate();
};

void TestMergedProducts::stackedProductIsEachLayers_data() {
  QTest::addColumn<bool>("bfloat16");
  QTest::addColumn<bool>("bias");
  QTest::addColumn<int>("count");
  QTest::addColumn<int>("adapter");  // 0: none; 1: float32 products (chat); 2: bfloat16 products (autocast)
  QTest::newRow("q/k/v float32 bias") << false << true << 3 << 0;
  QTest::newRow("q/k/v float32") << false << false << 3 << 0;
  QTest::newRow("gate/up bfloat16") << true << false << 2 << 0;
  QTest::newRow("q/k/v bfloat16 bias") << true << true << 3 << 0;
  QTest::newRow("q/k/v float32 bias, adapters") << false << true << 3 << 1;
  QTest::newRow("q/k/v bfloat16 bias, float32 adapters") << true << true << 3 << 1;
  QTest::newRow("gate/up bfloat16, adapters in bfloat16") << true << false << 2 << 2;
}

void TestMergedProducts::stackedProductIsEachLayers() {
  QFETCH(bool, bfloat16);
  QFETCH(bool, bias);
  QFETCH(int, count);
  QFETCH(int, adapter);
  torch::manual_seed(11);
  const auto dtype = bfloat16 ? torch::kBFloat16 : torch::kFloat32;
  auto layers = count == 3 ? projections(32, {32, 16, 16}, bias, dtype) : projections(32, {48, 48}, bias, dtype);
  std::vector<torch::Tensor> before;
  for (auto& l : layers) before.push_back(l->weight.clone());
  torch::NoGradGuard no_grad;
  if (adapter > 0) {
    // Ranks and scales that differ per layer; lora_B not zero, so each adapter counts.
    for (size_t i = 0; i < layers.size(); ++i) {
      vltune::lora::LoraAdapterParams params;
      params.r = 2 + 2 * static_cast<int64_t>(i);
      params.alpha = 3.0 + static_cast<double>(i);
      layers[i]->add_adapter("default", params);
      layers[i]->set_active({"default"});
      layers[i]->lora_B_weight("default").normal_(0, 0.5);
      layers[i]->set_scale(i == 1 ? 0.5 : 1.0);
      if (adapter == 2) layers[i]->set_compute_dtype(torch::kBFloat16);
    }
  }
  const auto x = torch::randn({3, 1, 32}).to(dtype);  // three sequences, one new token each
  const auto want = separate(layers, x);
  QVERIFY(!stacked_now(layers));
  QVERIFY(applies(layers, x));
  const auto got = stacked(layers, x);
  QCOMPARE(got.sizes().vec(), want.sizes().vec());
  QCOMPARE(got.scalar_type(), dtype);
  const double diff = relative_diff(got, want);
  qInfo("stacked against separate products: %.3g", diff);
  QVERIFY2(diff <= (bfloat16 ? 1e-2 : 1e-6), qPrintable(QString::number(diff)));
  if (adapter > 0) {
    // The adapters count (the same product without them differs) and their lora_A are stacked.
    QVERIFY(!torch::equal(got, with_merged(true, [&] {
      for (auto& l : layers) l->set_active({});
      auto plain = stacked(layers, x);
      for (auto& l : layers) l->set_active({"default"});
      return plain;
    })));
    for (size_t i = 1; i < layers.size(); ++i)
      QCOMPARE(layers[i]->lora_A_weight("default").data_ptr(),
               static_cast<void*>(static_cast<char*>(layers[i - 1]->lora_A_weight("default").data_ptr()) +
                                  layers[i - 1]->lora_A_weight("default").nbytes()));
  }

  // Rows of one buffer now, every value as it was, and each layer's own forward unchanged.
  QVERIFY(stacked_now(layers));
  for (size_t i = 0; i < layers.size(); ++i) QVERIFY(torch::equal(layers[i]->weight, before[i]));
  QVERIFY(torch::equal(separate(layers, x), want));
  // The registered parameters are the layers' tensors: named_parameters sees the stacked rows.
  QCOMPARE(layers[1]->named_parameters()["weight"].data_ptr(), layers[1]->weight.data_ptr());
  // A second product finds them stacked: nothing copied again.
  const auto* first = layers[0]->weight.data_ptr();
  QVERIFY(torch::equal(stacked(layers, x), got));
  QCOMPARE(layers[0]->weight.data_ptr(), first);
}

void TestMergedProducts::appliesOnlyToPlainDecodeSteps() {
  torch::manual_seed(12);
  auto layers = projections(64, {64, 32, 32}, /*bias=*/true, torch::kFloat32);
  const auto one = torch::randn({1, 1, 64}), prompt = torch::randn({1, 5, 64});
  {
    torch::NoGradGuard no_grad;
    QVERIFY(applies(layers, one));
    QVERIFY2(!applies(layers, prompt), "several tokens per sequence (a prompt) keep the separate products");
    QVERIFY2(!with_merged(false, [&] { return applies(layers, one); }), "switched off");
    QVERIFY2(!applies(layers, one.to(torch::kDouble)), "another dtype than the weights'");
  }
  // Grad mode on: only while nothing wants a gradient.
  for (auto& l : layers) l->weight.set_requires_grad(false), l->bias.set_requires_grad(false);
  QVERIFY(applies(layers, one));
  QVERIFY2(!applies(layers, one.clone().set_requires_grad(true)), "an input that wants a gradient");
  layers[1]->weight.set_requires_grad(true);
  QVERIFY2(!applies(layers, one), "a trained weight");
  layers[1]->weight.set_requires_grad(false);
  {
    c10::InferenceMode inference;
    QVERIFY2(!applies(layers, one), "inference mode (the stacked buffer would be an inference tensor)");
  }
  // Adapters: one plain active one on every layer, or none.
  for (auto& l : layers) {
    l->add_adapter("default", {});
    l->add_adapter("other", {});
    l->lora_A_weight("default").set_requires_grad(false);  // frozen, as a loaded adapter for chat
    l->lora_B_weight("default").set_requires_grad(false);
  }
  layers[2]->set_active({"default"});
  QVERIFY2(!applies(layers, one), "an active adapter on some layers only");
  for (auto& l : layers) l->set_active({"default"});
  QVERIFY2(applies(layers, one), "one adapter on each");
  layers[1]->set_active({"default", "other"});
  QVERIFY2(!applies(layers, one), "two active adapters on a layer");
  layers[1]->set_active({"default"});
  layers[0]->set_compute_dtype(torch::kBFloat16);
  QVERIFY2(!applies(layers, one), "adapters in different compute dtypes");
  layers[0]->set_compute_dtype(std::nullopt);
  layers[2]->lora_A_weight("default").set_requires_grad(true);
  QVERIFY2(!applies(layers, one), "an adapter being trained (grad mode on)");
  {
    torch::NoGradGuard no_grad;
    QVERIFY2(applies(layers, one), "an adapter being trained, answering a pinned sample (no grad)");
  }
  vltune::lora::LoraAdapterParams dropout;
  dropout.dropout = 0.1;
  for (auto& l : layers) l->add_adapter("dropped", dropout), l->set_active({"dropped"});
  torch::NoGradGuard no_grad_from_here;
  for (auto& l : layers) l->train(true);
  QVERIFY2(!applies(layers, one), "dropout at work (training mode)");
  for (auto& l : layers) l->train(false);
  QVERIFY2(applies(layers, one), "dropout in eval mode does nothing");
  vltune::lora::LoraAdapterParams dora;
  dora.use_dora = true;
  layers[1]->add_adapter("dora", dora);
  layers[1]->set_active({"dora"});
  QVERIFY2(!applies(layers, one), "a DoRA adapter");
  for (auto& l : layers) l->set_active({});
  QVERIFY(applies(layers, one));
  // A quantised base.
  layers[0]->quantize_base({/*bits=*/4}, torch::kFloat32);
  QVERIFY2(!applies(layers, one), "a quantised base");
  // Biases on some layers only.
  auto mixed = projections(64, {64, 32}, /*bias=*/true, torch::kFloat32);
  mixed.push_back(projections(64, {32}, /*bias=*/false, torch::kFloat32)[0]);
  QVERIFY2(!applies(mixed, one), "biases on some layers only");
}

void TestMergedProducts::stackedAgainAfterAMove() {
  torch::manual_seed(13);
  auto layers = projections(16, {24, 24}, /*bias=*/true, torch::kFloat32);
  torch::NoGradGuard no_grad;
  stacked(layers, torch::randn({1, 1, 16}));
  QVERIFY(stacked_now(layers));
  // Module::to gives each parameter its own buffer again; the next step stacks them anew.
  for (auto& l : layers) l->to(torch::kDouble);
  QVERIFY(!stacked_now(layers));
  const auto x = torch::randn({2, 1, 16}, torch::kDouble);
  QVERIFY(applies(layers, x));
  const auto got = stacked(layers, x);
  QVERIFY(stacked_now(layers));
  QCOMPARE(got.scalar_type(), torch::kDouble);
  QVERIFY(relative_diff(got, separate(layers, x)) <= 1e-12);
}

void TestMergedProducts::stackedWeightsSaveTrainAndMerge() {
  torch::manual_seed(14);
  auto layers = projections(16, {16, 8, 8}, /*bias=*/true, torch::kFloat32);
  // A twin with separate buffers and the same values.
  auto twin = projections(16, {16, 8, 8}, /*bias=*/true, torch::kFloat32);
  {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < 3; ++i) twin[i]->weight.copy_(layers[i]->weight), twin[i]->bias.copy_(layers[i]->bias);
    stacked(layers, torch::randn({1, 1, 16}));
  }
  QVERIFY(stacked_now(layers));

  // Saved: each layer's own rows, read back as they were.
  QTemporaryDir dir;
  const std::filesystem::path file = dir.filePath("stacked.safetensors").toStdString();
  vltune::io::NamedTensors named;
  for (size_t i = 0; i < 3; ++i) named.push_back({"l" + std::to_string(i) + ".weight", layers[i]->weight});
  for (size_t i = 0; i < 3; ++i) named.push_back({"l" + std::to_string(i) + ".bias", layers[i]->bias});
  vltune::io::save_safetensors(file, named);
  const auto saved = vltune::io::SafetensorsFile::open(file);
  for (size_t i = 0; i < 3; ++i) {
    QVERIFY(torch::equal(saved.tensor("l" + std::to_string(i) + ".weight"), twin[i]->weight));
    QVERIFY(torch::equal(saved.tensor("l" + std::to_string(i) + ".bias"), twin[i]->bias));
  }

  // Trained: an adapter on each, the same output and gradients as on separate buffers.
  vltune::lora::LoraAdapterParams params;
  params.r = 4;
  for (auto* set : {&layers, &twin}) {
    torch::manual_seed(15);
    for (auto& l : *set) {
      l->add_adapter("default", params);
      l->set_active({"default"});
      l->weight.set_requires_grad(false);
      l->bias.set_requires_grad(false);
      torch::NoGradGuard no_grad;
      l->lora_B_weight("default").normal_(0, 0.1);
    }
  }
  const auto x = torch::randn({2, 3, 16});
  const auto out = separate(layers, x), twin_out = separate(twin, x);
  QVERIFY(torch::equal(out, twin_out));
  out.pow(2).sum().backward();
  twin_out.pow(2).sum().backward();
  for (size_t i = 0; i < 3; ++i) {
    QVERIFY(torch::equal(layers[i]->lora_A_weight("default").grad(), twin[i]->lora_A_weight("default").grad()));
    QVERIFY(torch::equal(layers[i]->lora_B_weight("default").grad(), twin[i]->lora_B_weight("default").grad()));
  }

  // Merged into the base: in place, in the stacked rows, and the stacked product sees it.
  for (auto* set : {&layers, &twin})
    for (auto& l : *set) l->merge_and_remove({"default"});
  QVERIFY(stacked_now(layers));
  torch::NoGradGuard no_grad;
  const auto one = torch::randn({1, 1, 16});
  QVERIFY(applies(layers, one));
  QVERIFY(relative_diff(stacked(layers, one), separate(twin, one)) <= 1e-6);
}

void TestMergedProducts::adaptedLayerWithoutAutograd_data() {
  QTest::addColumn<bool>("bfloat16");
  QTest::addColumn<bool>("computeBf16");
  QTest::newRow("bfloat16 base, float32 adapter") << true << false;
  QTest::newRow("bfloat16 base, adapter in bfloat16") << true << true;
  QTest::newRow("float32") << false << false;
}

// A single adapted layer outside a merged group (o_proj, down_proj) writes its sum in the output's
// dtype directly when nothing is recorded: the same values as the sum in the wider dtype, cast.
void TestMergedProducts::adaptedLayerWithoutAutograd() {
  QFETCH(bool, bfloat16);
  QFETCH(bool, computeBf16);
  torch::manual_seed(17);
  const auto dtype = bfloat16 ? torch::kBFloat16 : torch::kFloat32;
  auto layer = projections(24, {40}, /*bias=*/true, dtype)[0];
  vltune::lora::LoraAdapterParams params;
  params.r = 4;
  layer->add_adapter("default", params);
  layer->set_active({"default"});
  if (computeBf16) layer->set_compute_dtype(torch::kBFloat16);
  {
    torch::NoGradGuard no_grad;
    layer->lora_B_weight("default").normal_(0, 0.5);
  }
  for (auto& p : layer->parameters()) p.set_requires_grad(false);
  const auto x = torch::randn({3, 5, 24}).to(dtype);
  const auto recorded = layer(x);  // grad mode on, nothing wanting a gradient: the plain sum
  torch::Tensor unrecorded;
  {
    torch::NoGradGuard no_grad;
    unrecorded = layer(x);
  }
  QCOMPARE(unrecorded.scalar_type(), recorded.scalar_type());
  QVERIFY(torch::equal(unrecorded, recorded));
  // The adapter counts.
  layer->set_active({});
  QVERIFY(!torch::equal(layer(x), recorded));
  // Adding "the" adapter's output needs exactly one active.
  auto out = torch::empty_like(recorded);
  const auto down = torch::zeros({3, 5, 4}, recorded.options());
  QVERIFY_THROWS_EXCEPTION(vltune::Error, layer->add_adapter_output(out, recorded, down));
}

void TestMergedProducts::residualAddWithNextNorm_data() {
  QTest::addColumn<bool>("bfloat16");
  QTest::newRow("float32") << false;
  QTest::newRow("bfloat16") << true;
}

// RMSNorm::forward_after_add, which the decoder's layers call so that a residual add and the norm
// after it can run as one kernel on CUDA: here, on the CPU, the same operations, bit for bit.
void TestMergedProducts::residualAddWithNextNorm() {
  QFETCH(bool, bfloat16);
  torch::manual_seed(19);
  const auto dtype = bfloat16 ? torch::kBFloat16 : torch::kFloat32;
  vltune::models::RMSNorm norm(vltune::models::RMSNormOptions(24).eps(1e-5));
  {
    torch::NoGradGuard no_grad;
    norm->weight.uniform_(0.5, 1.5);
  }
  norm->to(dtype);
  const auto x = (torch::randn({2, 3, 24}) * 3).to(dtype), delta = torch::randn({2, 3, 24}).to(dtype);
  torch::NoGradGuard no_grad;
  // Nothing pending: x itself, and its norm.
  const auto [same, normed] = norm->forward_after_add(x, {});
  QVERIFY(same.is_same(x));
  QVERIFY(torch::equal(normed, norm(x)));
  // A pending add: the sum as torch's add rounds it, and the norm of that sum.
  const auto [sum, normed_sum] = norm->forward_after_add(x, delta);
  QCOMPARE(sum.scalar_type(), dtype);
  QVERIFY(torch::equal(sum, x + delta));
  QVERIFY(torch::equal(normed_sum, norm(x + delta)));
  QVERIFY(!torch::equal(normed_sum, normed));
}

void TestMergedProducts::groupedAttentionOfOneQuery_data() {
  QTest::addColumn<int>("heads");
  QTest::addColumn<int>("kvHeads");
  QTest::addColumn<int>("queries");
  QTest::newRow("one query, 3 per group") << 6 << 2 << 1;
  QTest::newRow("one query, no groups") << 4 << 4 << 1;
  QTest::newRow("one query, one group (MQA)") << 5 << 1 << 1;
  QTest::newRow("a prompt, repeated") << 6 << 2 << 4;
}

void TestMergedProducts::groupedAttentionOfOneQuery() {
  QFETCH(int, heads);
  QFETCH(int, kvHeads);
  QFETCH(int, queries);
  torch::manual_seed(16);
  const int64_t b = 2, keys = 7, dim = 8;
  const auto q = torch::randn({b, heads, queries, dim}), k = torch::randn({b, kvHeads, keys, dim}),
             v = torch::randn({b, kvHeads, keys, dim});
  // Padding in the second sequence's first two keys, causal over the queries.
  const auto attention_mask = torch::ones({b, keys}, torch::kLong);
  attention_mask[1].narrow(0, 0, 2).zero_();
  const auto mask = vltune::models::causal_mask(attention_mask, b, queries, keys - queries, torch::kFloat32, torch::kCPU);
  const double scale = 1.0 / std::sqrt(static_cast<double>(dim));
  const int64_t groups = heads / kvHeads;
  const auto want = vltune::models::attention(q, vltune::models::repeat_kv(k, groups), vltune::models::repeat_kv(v, groups), mask, scale);
  const auto got = vltune::models::grouped_attention(q, k, v, mask, scale);
  QCOMPARE(got.sizes().vec(), want.sizes().vec());
  const double diff = relative_diff(got, want);
  qInfo("grouped against repeated: %.3g", diff);
  QVERIFY2(diff <= 1e-6, qPrintable(QString::number(diff)));
  // Switched off: the repeated keys/values themselves.
  QVERIFY(torch::equal(with_merged(false, [&] { return vltune::models::grouped_attention(q, k, v, mask, scale); }), want));
}

// Which calls the CUDA decode attention kernel takes (kernels::decode_attention_fits: shapes, not
// the device, which fused_applies checks); its values are checked on a GPU (vltune-bench-kernels
// against the exact result, gpu_check.sh's parity and chat answers).
void TestMergedProducts::decodeAttentionKernelShapes() {
  namespace k = vltune::kernels;
  const auto bf16 = torch::TensorOptions().dtype(torch::kBFloat16);
  const int64_t heads = 6, kv = 2, dim = 128, keys = 432;
  // The decoder's: q the first heads of the rotated [B, H + KV, 1, D], the cache's buffers, its mask.
  const auto q = torch::zeros({1, heads + kv, 1, dim}, bf16).narrow(1, 0, heads);
  const auto cache_k = torch::zeros({1, kv, keys, dim}, bf16), cache_v = torch::zeros({1, kv, keys, dim}, bf16);
  const auto mask = torch::zeros({1, 1, 1, keys}, bf16);
  QVERIFY(k::decode_attention_fits(q, cache_k, cache_v, mask));
  QVERIFY(k::decode_attention_fits(q, cache_k, cache_v, {}));
  QVERIFY(k::decode_attention_fits(torch::zeros({1, 2, 1, 64}, bf16), torch::zeros({1, 2, 9, 64}, bf16),
                                   torch::zeros({1, 2, 9, 64}, bf16), {}));  // no groups, head size 64
  // Not a decode step, a head size without a kernel, heads not a multiple of the key heads.
  QVERIFY(!k::decode_attention_fits(torch::zeros({1, heads, 2, dim}, bf16), cache_k, cache_v, mask));
  QVERIFY(!k::decode_attention_fits(torch::zeros({1, heads, 1, 80}, bf16), torch::zeros({1, kv, keys, 80}, bf16),
                                    torch::zeros({1, kv, keys, 80}, bf16), {}));
  QVERIFY(!k::decode_attention_fits(torch::zeros({1, 5, 1, dim}, bf16), cache_k, cache_v, mask));
  // A mask of another length, or with a row per query head; keys of another dtype.
  QVERIFY(!k::decode_attention_fits(q, cache_k, cache_v, torch::zeros({1, 1, 1, keys - 1}, bf16)));
  QVERIFY(!k::decode_attention_fits(q, cache_k, cache_v, torch::zeros({1, heads, 1, keys}, bf16)));
  QVERIFY(!k::decode_attention_fits(q, cache_k.to(torch::kFloat32), cache_v, mask));
  // Rows not 16-byte aligned (read in 16-byte pieces): one element in.
  const auto shifted = torch::zeros({1, kv, keys, dim + 8}, bf16).narrow(3, 1, dim);
  QVERIFY(!k::decode_attention_fits(q, shifted, cache_v, mask));
  QVERIFY(!k::decode_attention_fits(q, cache_k, shifted, mask));
  // Switched off (VLTUNE_FUSED_ATTENTION=0).
  k::set_fused_attention_enabled(false);
  const bool off = k::decode_attention_fits(q, cache_k, cache_v, mask);
  k::set_fused_attention_enabled(true);
  QVERIFY(!off);
  // A CPU build has no kernel: a clear error, not a crash. (On CPU tensors grouped_attention never
  // asks for it: fused_applies wants CUDA.)
  QVERIFY(!k::fused_applies(q, cache_k));
  if (!k::fused_kernels_built()) QVERIFY_THROWS_EXCEPTION(vltune::Error, k::fused_decode_attention(q, cache_k, cache_v, mask, 0.1));
}

void TestMergedProducts::familyDecodeMergedAndSeparate_data() { vltune::test::add_family_rows_with({"base.generate"}, "generation"); }

void TestMergedProducts::familyDecodeMergedAndSeparate() {
  QFETCH(QString, family);
  const auto f = vltune::test::parity_fixture(family);
  auto model = vltune::lora::open_model(f.dir / "model");
  const auto tokenizer = vltune::text::load_tokenizer(f.dir / "model");
  const auto expected = vltune::test::generated_tokens(f, "base.generate");
  auto params = vltune::gen::read_generation_params(f.dir / "model");
  params.max_new_tokens = static_cast<int64_t>(expected.size());
  params.output_logits = true;
  const auto generate = [&](bool merged) {
    return with_merged(merged, [&] {
      vltune::gen::EvalModeGuard eval(*model);
      auto decode = vltune::gen::decode_model(*model, vltune::test::fixture_batch(model->family(), f, /*labels=*/false));
      decode.shapes = vltune::gen::StepShapes::fixed;
      return vltune::gen::generate(decode, *tokenizer, params);
    });
  };
  QCOMPARE(decoder_stacking(*model).stacked, 0);
  const auto separate_run = generate(false);
  QCOMPARE(decoder_stacking(*model).stacked, 0);
  const auto merged_run = generate(true);
  // Every decoder layer's q/k/v and gate/up were stacked by the first step.
  const auto s = decoder_stacking(*model);
  QVERIFY(s.total > 0);
  QCOMPARE(s.stacked, s.total);
  QVERIFY2(merged_run.token_ids == expected, "merged products: the tokens differ from transformers' base.generate");
  QVERIFY2(separate_run.token_ids == expected, "separate products: the tokens differ from transformers' base.generate");
  QCOMPARE(merged_run.logits.size(), separate_run.logits.size());
  double worst = 0;
  for (size_t i = 0; i < merged_run.logits.size(); ++i) worst = std::max(worst, relative_diff(merged_run.logits[i], separate_run.logits[i]));
  qInfo("%s: %zu tokens, worst logit |diff| / max(1, |logit|) merged against separate: %.3g", qPrintable(family),
        merged_run.token_ids.size(), worst);
  QVERIFY2(worst <= 1e-5, qPrintable(QString::number(worst)));

  // Adapted (the fixture's adapter, lora_B moved off zero so it changes every layer), sampled:
  // the same draws merged and separate, from the same scores.
  vltune::test::activate_moved_adapter(*model, f);
  params = vltune::gen::GenerationParams{};
  params.max_new_tokens = 12;
  params.do_sample = true;
  params.seed = 3;
  params.temperature = 0.9;
  params.output_logits = true;
  const auto adapted_separate = generate(false);
  const auto adapted_merged = generate(true);
  QVERIFY2(adapted_merged.token_ids == adapted_separate.token_ids, "adapted: merged and separate products draw other tokens");
  worst = 0;
  for (size_t i = 0; i < adapted_merged.logits.size(); ++i)
    worst = std::max(worst, relative_diff(adapted_merged.logits[i], adapted_separate.logits[i]));
  qInfo("%s adapted: %zu tokens, worst logit |diff| / max(1, |logit|): %.3g", qPrintable(family), adapted_merged.token_ids.size(), worst);
  QVERIFY2(worst <= 1e-5, qPrintable(QString::number(worst)));
  // Every group whose layers all carry the adapter took it into its merged products: their
  // lora_A matrices are rows of one buffer now.
  const auto a = adapter_stacking(*model);
  qInfo("%s: %d of %d adapted groups with stacked lora_A", qPrintable(family), a.stacked, a.total);
  QCOMPARE(a.stacked, a.total);
}

QTEST_GUILESS_MAIN(TestMergedProducts)
#include "test_merged_products.moc"
