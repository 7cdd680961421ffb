// Gradient checkpointing (core/models/checkpointing.h) and its wiring into the models:
//  - checkpoint() on a toy block: the gradients of the plain block, dropout included, with and
//    without an input that requires grad; the generator ends where the plain run leaves it; a
//    block that draws nothing also without the generators' state kept (draws_random false);
//    offloaded (the input kept for backward in host memory, use_unsloth_gc) the same gradients,
//    the input's bytes counted as offloaded; without grad mode it is just the block;
//  - every fixture family (../shared/fixtures/hf) with a new LoRA adapter on every linear layer,
//    lora_dropout > 0, the vision tower frozen (LLaMA-Factory's default) and trained: the loss and
//    every LoRA gradient of a fixture batch are identical with checkpointing off and on, and the
//    loss's graph holds one checkpointed block per block that trains (each decoder layer, and the
//    vision blocks when they train), none with checkpointing off; offloaded too, each decoder
//    layer's input counted as offloaded;
//  - checkpointing stays out of evaluation (eval mode) and no-grad forwards.

// LibTorch and the engine before Qt: Qt's `slots` macro would break torch's headers.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "core/data/collate.h"
#include "core/lora/lora_factory.h"
#include "core/models/checkpointing.h"

#include <QtTest/QtTest>

#include "tests/model_parity_support.h"

namespace fs = std::filesystem;
using vltune::lora::LoraModel;
using vltune::models::checkpoint;
using vltune::models::checkpointed_blocks;
using vltune::models::offloaded_checkpoint_bytes;

namespace {

using Fixture = vltune::test::ParityFixture;

constexpr double kLoraDropout = 0.1;  // > 0, so the recompute must replay the dropout masks

// A new adapter on every linear layer LLaMA-Factory's lora_target "all" selects, with dropout, in
// training mode. lora_B starts at zero (PEFT's init), which would make every lora_A gradient zero
// and the comparison of those vacuous: it is given small random values instead.
std::unique_ptr<LoraModel> trained_model(const Fixture& f, bool train_vision, double dropout = kLoraDropout) {
  vltune::lora::LoraParams p;
  p.rank = 4;
  p.dropout = dropout;
  p.freeze.freeze_vision_tower = !train_vision;
  p.seed = 7;
  auto model = vltune::lora::open_lora_model(f.dir / "model", p);
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(11);
  for (auto& param : model->trainable_parameters())
    if (param.group == vltune::train::ParamGroup::lora_B) param.tensor.copy_(at::randn(param.tensor.sizes(), gen) * 0.05);
  model->set_training(true);
  return model;
}

// Every stack of blocks the model can checkpoint (decoder, encoders, vision blocks).
std::vector<const vltune::models::CheckpointedStack*> stacks(LoraModel& model) {
  std::vector<const vltune::models::CheckpointedStack*> out;
  for (const auto& m : model.module().modules(/*include_self=*/false))
    if (auto* s = dynamic_cast<const vltune::models::CheckpointedStack*>(m.get())) out.push_back(s);
  return out;
}

// Blocks holding a trainable parameter: the language model's (decoder layers; CLIP: its text
// encoder's layers) and every stack's (vision blocks too).
struct TrainingBlocks {
  size_t language = 0;
  size_t all = 0;
};
TrainingBlocks training_blocks(LoraModel& model) {
  TrainingBlocks out;
  auto count = [](const torch::nn::ModuleList& blocks) {
    size_t n = 0;
    for (const auto& b : *blocks) n += !vltune::models::trainable_tensors(*b).empty();
    return n;
  };
  for (const auto& item : model.module().named_modules(/*name_prefix=*/"", /*include_self=*/false)) {
    size_t n = 0;
    bool language = false;
    if (auto* d = dynamic_cast<vltune::models::TextDecoderImpl*>(item.value().get())) {
      n = count(d->layers);
      language = true;
    } else if (auto* e = dynamic_cast<vltune::models::ClipEncoderImpl*>(item.value().get())) {
      n = count(e->layers);
      language = item.key().rfind("text_model.", 0) == 0;
    } else if (auto* v = dynamic_cast<vltune::models::QwenVisionImpl*>(item.value().get())) {
      n = count(v->blocks);
    }
    out.all += n;
    if (language) out.language += n;
  }
  return out;
}

// One forward + backward of the mean loss from a fixed seed.
struct Step {
  double loss = 0.0;
  size_t checkpointed = 0;          // checkpointed blocks in the loss's graph
  int64_t offloaded = 0;            // bytes of their inputs kept in host memory
  std::vector<at::Tensor> grads;    // in trainable_parameters() order
  double next_random = 0.0;         // a draw after backward: where the generator ended
};
Step step(LoraModel& model, const vltune::data::Batch& batch, bool checkpointing, bool offload = false) {
  model.set_gradient_checkpointing(checkpointing);
  model.set_checkpoint_offload(offload);
  auto params = model.trainable_parameters();
  for (auto& p : params) p.tensor.mutable_grad().reset();
  at::manual_seed(1234);
  const auto l = model.loss(batch);
  const at::Tensor loss = l.loss_sum / static_cast<double>(l.tokens);
  Step out;
  out.loss = loss.item<double>();
  out.checkpointed = checkpointed_blocks(loss);
  out.offloaded = offloaded_checkpoint_bytes(loss);
  loss.backward();
  for (const auto& p : params) out.grads.push_back(p.tensor.grad().defined() ? p.tensor.grad().clone() : at::Tensor());
  out.next_random = at::rand({1}).item<double>();
  return out;
}

}  // namespace

class TestGradientCheckpointing : public QObject {
  Q_OBJECT

 private slots:
  void toyBlock();
  void sameLossAndGradients_data();
  void sameLossAndGradients();
  void onlyWhileTraining_data();
  void onlyWhileTraining();
};

void TestGradientCheckpointing::toyBlock() {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  at::Tensor w1 = (at::randn({16, 8}, gen) * 0.3).requires_grad_(), b1 = at::zeros({16}).requires_grad_();
  at::Tensor w2 = (at::randn({4, 16}, gen) * 0.3).requires_grad_();
  // An MLP block with dropout: [N, 8] -> [N, 4].
  auto block = [&](const at::Tensor& x) { return at::linear(at::dropout(at::gelu(at::linear(x, w1, b1)), 0.3, true), w2); };
  const at::Tensor x0 = at::randn({5, 8}, gen);

  // checkpointed: 0 plain, 1 checkpointed, 2 checkpointed with the input offloaded.
  auto run = [&](int checkpointed, bool input_grad) {
    for (auto* p : {&w1, &b1, &w2}) p->mutable_grad().reset();
    at::manual_seed(123);
    at::Tensor x = x0.clone().requires_grad_(input_grad);
    at::Tensor y = checkpointed ? checkpoint(block, x, {w1, b1, w2}, {.offload_inputs = checkpointed == 2}) : block(x);
    const size_t nodes = checkpointed_blocks(y);
    const int64_t offloaded = offloaded_checkpoint_bytes(y);
    (y * y).sum().backward();
    const double next_random = at::rand({1}).item<double>();  // where the generator ended
    return std::make_tuple(std::vector<at::Tensor>{w1.grad().clone(), b1.grad().clone(), w2.grad().clone()},
                           input_grad ? x.grad().clone() : at::Tensor(), next_random, nodes, offloaded);
  };
  for (bool input_grad : {true, false}) {
    const auto [plain, plain_x, plain_next, plain_nodes, plain_offloaded] = run(0, input_grad);
    QCOMPARE(plain_nodes, size_t{0});
    QCOMPARE(plain_offloaded, int64_t{0});
    for (int mode : {1, 2}) {
      const auto [ckpt, ckpt_x, ckpt_next, ckpt_nodes, ckpt_offloaded] = run(mode, input_grad);
      QCOMPARE(ckpt_nodes, size_t{1});
      QCOMPARE(ckpt_offloaded, mode == 2 ? int64_t{5 * 8 * 4} : int64_t{0});  // x: [5, 8] float32
      for (size_t i = 0; i < plain.size(); ++i)
        QVERIFY2(at::equal(plain[i], ckpt[i]),
                 qPrintable(QString("parameter %1 (input grad %2, mode %3)").arg(i).arg(input_grad).arg(mode)));
      QCOMPARE(ckpt_x.defined(), input_grad);  // offloaded, the input's gradient still reaches it
      if (input_grad) QVERIFY(at::equal(plain_x, ckpt_x));
      QVERIFY(plain_next == ckpt_next);  // exactly: the generator is back where the plain run left it
    }
  }
  // draws_random false, for a block that draws nothing (what lets a CUDA graph capture it): the
  // plain gradients without the generators' state kept. Kept it is not: the dropout block's
  // recompute, told the same, draws other masks than its forward did.
  auto deterministic = [&](const at::Tensor& x) { return at::linear(at::gelu(at::linear(x, w1, b1)), w2); };
  auto grads_of = [&](const std::function<at::Tensor(const at::Tensor&)>& f, bool checkpointed) {
    for (auto* p : {&w1, &b1, &w2}) p->mutable_grad().reset();
    at::manual_seed(123);
    const at::Tensor y = checkpointed ? checkpoint(f, x0, {w1, b1, w2}, {.draws_random = false}) : f(x0);
    (y * y).sum().backward();
    return std::vector<at::Tensor>{w1.grad().clone(), b1.grad().clone(), w2.grad().clone()};
  };
  const auto plain_det = grads_of(deterministic, false), ckpt_det = grads_of(deterministic, true);
  for (size_t i = 0; i < plain_det.size(); ++i) QVERIFY2(at::equal(plain_det[i], ckpt_det[i]), qPrintable(QString("parameter %1").arg(i)));
  const auto plain_drop = grads_of(block, false), unkept_drop = grads_of(block, true);
  QVERIFY2(!at::equal(plain_drop[0], unkept_drop[0]), "the dropout block's recompute drew the forward's masks without the state kept");

  // Without grad mode it is just the block.
  at::NoGradGuard no_grad;
  at::manual_seed(9);
  const at::Tensor a = block(x0);
  at::manual_seed(9);
  QVERIFY(at::equal(a, checkpoint(block, x0, {w1, b1, w2})));
}

void TestGradientCheckpointing::sameLossAndGradients_data() {
  QTest::addColumn<QString>("family");
  QTest::addColumn<bool>("train_vision");
  QTest::addColumn<double>("dropout");
  QTest::addColumn<bool>("offload");
  const auto families = vltune::test::hf_fixture_families();
  QVERIFY2(!families.empty(), "no fixture families");
  for (const auto& f : families) {
    const QString family = QString::fromStdString(f);
    QTest::newRow((f + " frozen vision").c_str()) << family << false << kLoraDropout << false;
    QTest::newRow((f + " trained vision").c_str()) << family << true << kLoraDropout << false;
    // Without dropout a decoder's layers are checkpointed without the generators' state kept
    // (what lets them run as CUDA graphs).
    QTest::newRow((f + " frozen vision, no dropout").c_str()) << family << false << 0.0 << false;
    // Offloaded (use_unsloth_gc): the inputs kept in host memory; the vision blocks' too.
    QTest::newRow((f + " frozen vision, offloaded").c_str()) << family << false << kLoraDropout << true;
    QTest::newRow((f + " trained vision, offloaded").c_str()) << family << true << kLoraDropout << true;
  }
}

void TestGradientCheckpointing::sameLossAndGradients() {
  QFETCH(QString, family);
  QFETCH(bool, train_vision);
  QFETCH(double, dropout);
  QFETCH(bool, offload);
  const Fixture f = vltune::test::parity_fixture(family);
  auto model = trained_model(f, train_vision, dropout);
  const auto batch = vltune::test::fixture_padded_batch(model->family(), f);
  const TrainingBlocks blocks = training_blocks(*model);
  QVERIFY2(blocks.language > 0, "no language-model layer carries the adapter");

  const Step plain = step(*model, batch, false, offload);  // offload alone does nothing
  const Step ckpt = step(*model, batch, true, offload);
  QCOMPARE(plain.offloaded, int64_t{0});
  if (!offload) {
    QCOMPARE(ckpt.offloaded, int64_t{0});
  } else {
    for (const auto* s : stacks(*model)) QVERIFY(s->checkpoint_offload());
    // Each language-model block's input, [rows, tokens, hidden], is in host memory; with the
    // vision tower training, its blocks' inputs too.
    at::Tensor embedding;
    for (const auto& p : model->module().named_parameters())
      if (p.key().ends_with("embed_tokens.weight") || p.key().ends_with("token_embedding.weight")) embedding = p.value();
    QVERIFY2(embedding.defined(), "no token embedding found");
    const int64_t per_block = batch.input_ids.numel() * embedding.size(1) * static_cast<int64_t>(embedding.element_size());
    const int64_t language = static_cast<int64_t>(blocks.language) * per_block;
    qInfo("%lld bytes offloaded (%lld by the language model's blocks)", static_cast<long long>(ckpt.offloaded),
          static_cast<long long>(language));
    if (train_vision)
      QVERIFY(ckpt.offloaded > language);
    else
      QCOMPARE(ckpt.offloaded, language);
  }
  // The switch reached every stack: the decoder's and the vision tower's (CLIP: both encoders).
  const auto all_stacks = stacks(*model);
  QVERIFY(all_stacks.size() >= 2);
  for (const auto* s : all_stacks) QVERIFY(s->gradient_checkpointing());

  // Checkpointing took effect: one node per block that trains; none without it.
  qInfo("%zu checkpointed blocks (%zu language-model blocks train, %zu blocks in all)", ckpt.checkpointed, blocks.language,
        blocks.all);
  QCOMPARE(plain.checkpointed, size_t{0});
  if (train_vision) {
    // Vision blocks too (LLaVA's last vision layer runs, but only hidden_states[-2] feeds the
    // projector, so its node is not in the loss's graph: hence <=).
    QVERIFY(ckpt.checkpointed > blocks.language);
    QVERIFY(ckpt.checkpointed <= blocks.all);
  } else {
    // A frozen tower's blocks have nothing to differentiate: checkpoint() just runs them.
    QCOMPARE(blocks.all, blocks.language);
    QCOMPARE(ckpt.checkpointed, blocks.language);
  }

  // Bit for bit: the recompute runs the same operations on the same values with the same dropout
  // masks, and the gradient reaching each block is the same sum in the same order.
  QVERIFY2(ckpt.loss == plain.loss, qPrintable(QString("loss %1 vs %2").arg(ckpt.loss, 0, 'g', 17).arg(plain.loss, 0, 'g', 17)));
  QVERIFY(ckpt.next_random == plain.next_random);  // the generator ends where the plain run leaves it
  const auto params = model->trainable_parameters();
  QCOMPARE(ckpt.grads.size(), params.size());
  size_t unused = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    const QString name = QString::fromStdString(params[i].name);
    QVERIFY2(plain.grads[i].defined() == ckpt.grads[i].defined(), qPrintable(name + ": a gradient in one run only"));
    if (!plain.grads[i].defined()) {  // not in the loss's graph (LLaVA's last vision layer)
      ++unused;
      continue;
    }
    QVERIFY2(at::equal(plain.grads[i], ckpt.grads[i]),
             qPrintable(QString("%1: max |diff| %2").arg(name).arg((plain.grads[i] - ckpt.grads[i]).abs().max().item<double>())));
    // Nonzero, so that the comparison means something.
    QVERIFY2(plain.grads[i].abs().max().item<double>() > 0, qPrintable(name + ": zero gradient"));
  }
  qInfo("loss %.9g, %zu LoRA gradients identical, %zu not in the graph", plain.loss, params.size() - unused, unused);
  if (!train_vision) QCOMPARE(unused, size_t{0});
}

void TestGradientCheckpointing::onlyWhileTraining_data() {
  vltune::test::add_family_rows(vltune::test::hf_fixture_families(), "model");
}

void TestGradientCheckpointing::onlyWhileTraining() {
  QFETCH(QString, family);
  const Fixture f = vltune::test::parity_fixture(family);
  auto model = trained_model(f, /*train_vision=*/true);
  const auto batch = vltune::test::fixture_padded_batch(model->family(), f);
  model->set_gradient_checkpointing(true);
  QVERIFY(model->gradient_checkpointing());
  // Evaluation (eval mode, grad on, as an eval loss with a graph would be): not checkpointed.
  model->set_training(false);
  const auto eval = model->loss(batch);
  QCOMPARE(checkpointed_blocks(eval.loss_sum), size_t{0});
  QVERIFY(eval.loss_sum.requires_grad());
  // No grad: no graph at all, and the same value.
  {
    torch::NoGradGuard no_grad;
    const auto l = model->loss(batch);
    QVERIFY(!l.loss_sum.requires_grad());
    QCOMPARE(l.loss_sum.item<double>(), eval.loss_sum.item<double>());
  }
  // Back to training: checkpointed again; switched off: not.
  model->set_training(true);
  QVERIFY(checkpointed_blocks(model->loss(batch).loss_sum) > 0);
  model->set_gradient_checkpointing(false);
  QVERIFY(!model->gradient_checkpointing());
  for (const auto* s : stacks(*model)) QVERIFY(!s->gradient_checkpointing());
  QCOMPARE(checkpointed_blocks(model->loss(batch).loss_sum), size_t{0});
}

QTEST_APPLESS_MAIN(TestGradientCheckpointing)
#include "test_gradient_checkpointing.moc"
