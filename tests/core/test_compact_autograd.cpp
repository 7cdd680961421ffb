// The compact autograd nodes (core/models/compact_autograd.h): RMSNorm, the rotary embedding and a
// LoRA linear each record one node in training instead of one per operation, and give what the
// plain operations give:
//  - each node alone, against the same call with the nodes switched off: the output and every
//    input's gradient bit for bit, in float32 and bfloat16, with the dtype mixes the models make
//    (a float32 norm weight on bfloat16 activations, float32 rotary tables, LoRA's float32
//    matrices with and without a bfloat16 compute dtype), with and without a bias, and an odd
//    rotary width;
//  - every VLM fixture family's LoRA loss (../shared/fixtures/hf) bit for bit, and its LoRA
//    gradients within float32 rounding (where x feeds several layers, autograd sums their
//    gradients in another grouping), from a graph with less than half the nodes.

// LibTorch and the engine before Qt: Qt's `slots` macro would break torch's headers.
#include <torch/torch.h>

#include <set>

#include "core/lora/lora_factory.h"
#include "core/models/blocks.h"
#include "core/models/compact_autograd.h"

#include <QtTest/QtTest>

#include "tests/model_parity_support.h"

namespace {

using vltune::io::ModelFamily;

// Runs `f` with the compact nodes on or off, restoring the setting after.
template <typename F>
auto with_compact(bool on, F&& f) {
  const bool before = vltune::models::compact_autograd_enabled();
  vltune::models::set_compact_autograd(on);
  struct Restore {
    bool before;
    ~Restore() { vltune::models::set_compact_autograd(before); }
  } restore{before};
  return f();
}

// A leaf copy of `t` that wants a gradient (or not).
torch::Tensor leaf(const torch::Tensor& t, bool grad) { return t.detach().clone().set_requires_grad(grad); }

// The output and the gradients of `inputs` (undefined where none) for one backward of `upstream`.
struct Run {
  torch::Tensor out;
  std::vector<torch::Tensor> grads;
};

template <typename F>
Run run(bool compact, std::vector<torch::Tensor> inputs, const torch::Tensor& upstream, F&& forward) {
  return with_compact(compact, [&] {
    Run r;
    r.out = forward(inputs);
    r.out.backward(upstream);
    for (const auto& t : inputs) r.grads.push_back(t.grad());
    return r;
  });
}

void compare_runs(const Run& compact, const Run& plain, const char* what) {
  QVERIFY2(compact.out.scalar_type() == plain.out.scalar_type(), what);
  QVERIFY2(torch::equal(compact.out, plain.out), what);
  for (size_t i = 0; i < plain.grads.size(); ++i) {
    const QByteArray name = QByteArray(what) + " input " + QByteArray::number(int(i));
    QVERIFY2(compact.grads[i].defined() == plain.grads[i].defined(), name.constData());
    if (!plain.grads[i].defined()) continue;
    QVERIFY2(compact.grads[i].scalar_type() == plain.grads[i].scalar_type(), name.constData());
    QVERIFY2(torch::equal(compact.grads[i], plain.grads[i]), name.constData());
  }
}

// The nodes reachable from `t`'s grad_fn.
size_t graph_nodes(const torch::Tensor& t) {
  std::set<torch::autograd::Node*> seen;
  std::vector<torch::autograd::Node*> todo{t.grad_fn().get()};
  while (!todo.empty()) {
    auto* n = todo.back();
    todo.pop_back();
    if (n == nullptr || !seen.insert(n).second) continue;
    for (const auto& e : n->next_edges()) todo.push_back(e.function.get());
  }
  return seen.size();
}

}  // namespace

class TestCompactAutograd : public QObject {
  Q_OBJECT

 private slots:
  void rmsNormAsOperations_data();
  void rmsNormAsOperations();
  void rotaryAsOperations_data();
  void rotaryAsOperations();
  void loraLinearAsOperations_data();
  void loraLinearAsOperations();
  void nothingRecordedWithoutGradients();
  void familyLossAndGradients_data();
  void familyLossAndGradients();
};

void TestCompactAutograd::rmsNormAsOperations_data() {
  QTest::addColumn<int>("dtype");
  QTest::addColumn<int>("weight_dtype");
  QTest::addColumn<bool>("weight_grad");
  QTest::newRow("float32") << int(torch::kFloat32) << int(torch::kFloat32) << false;
  QTest::newRow("float32, trained weight") << int(torch::kFloat32) << int(torch::kFloat32) << true;
  QTest::newRow("bfloat16") << int(torch::kBFloat16) << int(torch::kBFloat16) << false;
  QTest::newRow("bfloat16, trained weight") << int(torch::kBFloat16) << int(torch::kBFloat16) << true;
  QTest::newRow("bfloat16, float32 weight") << int(torch::kBFloat16) << int(torch::kFloat32) << true;
}

void TestCompactAutograd::rmsNormAsOperations() {
  QFETCH(int, dtype);
  QFETCH(int, weight_dtype);
  QFETCH(bool, weight_grad);
  torch::manual_seed(3);
  vltune::models::RMSNorm norm(vltune::models::RMSNormOptions(24).eps(1e-5));
  const auto x = (torch::randn({2, 5, 24}) * 3).to(static_cast<torch::ScalarType>(dtype));
  const auto w = (torch::rand({24}) + 0.5).to(static_cast<torch::ScalarType>(weight_dtype));
  const auto forward = [&](std::vector<torch::Tensor>& in) {
    norm->weight = in[1];
    return norm->forward(in[0]);
  };
  const auto out_dtype = torch::promote_types(x.scalar_type(), w.scalar_type());
  const auto upstream = torch::randn({2, 5, 24}).to(out_dtype);
  const Run plain = run(false, {leaf(x, true), leaf(w, weight_grad)}, upstream, forward);
  const Run compact = run(true, {leaf(x, true), leaf(w, weight_grad)}, upstream, forward);
  compare_runs(compact, plain, "rms_norm");
  // It is one node (a trained weight adds its AccumulateGrad).
  const auto in = leaf(x, true);
  norm->weight = leaf(w, weight_grad);
  const auto out = with_compact(true, [&] { return norm->forward(in); });
  QCOMPARE(graph_nodes(out), size_t(weight_grad ? 3 : 2));  // the node, x's AccumulateGrad (and w's)
}

void TestCompactAutograd::rotaryAsOperations_data() {
  QTest::addColumn<int>("dtype");
  QTest::addColumn<int>("table_dtype");
  QTest::addColumn<int>("width");
  QTest::newRow("float32") << int(torch::kFloat32) << int(torch::kFloat32) << 8;
  QTest::newRow("bfloat16") << int(torch::kBFloat16) << int(torch::kBFloat16) << 8;
  QTest::newRow("bfloat16, float32 tables") << int(torch::kBFloat16) << int(torch::kFloat32) << 8;
  QTest::newRow("odd width") << int(torch::kFloat32) << int(torch::kFloat32) << 7;
}

void TestCompactAutograd::rotaryAsOperations() {
  QFETCH(int, dtype);
  QFETCH(int, table_dtype);
  QFETCH(int, width);
  torch::manual_seed(5);
  const auto x = torch::randn({2, 3, 5, width}).to(static_cast<torch::ScalarType>(dtype));
  const auto angle = torch::rand({2, 1, 5, width}) * 6;
  const auto cos = angle.cos().to(static_cast<torch::ScalarType>(table_dtype));
  const auto sin = angle.sin().to(static_cast<torch::ScalarType>(table_dtype));
  const auto forward = [&](std::vector<torch::Tensor>& in) { return vltune::models::apply_rotary(in[0], cos, sin); };
  const auto upstream = torch::randn(x.sizes()).to(torch::promote_types(x.scalar_type(), cos.scalar_type()));
  compare_runs(run(true, {leaf(x, true)}, upstream, forward), run(false, {leaf(x, true)}, upstream, forward), "rotary");
  const auto in = leaf(x, true);
  QCOMPARE(graph_nodes(with_compact(true, [&] { return vltune::models::apply_rotary(in, cos, sin); })), size_t(2));
  // Tables that broadcast past x's shape take the operations (the output is not x's shape).
  QVERIFY(!vltune::models::rotary_node_fits(x.narrow(0, 0, 1), cos, sin));
}

void TestCompactAutograd::loraLinearAsOperations_data() {
  QTest::addColumn<int>("base_dtype");
  QTest::addColumn<int>("compute_dtype");  // -1: none (the adapter's float32)
  QTest::addColumn<bool>("bias");
  QTest::newRow("float32") << int(torch::kFloat32) << -1 << false;
  QTest::newRow("float32, bias") << int(torch::kFloat32) << -1 << true;
  QTest::newRow("bfloat16 base, bfloat16 compute") << int(torch::kBFloat16) << int(torch::kBFloat16) << true;
  QTest::newRow("bfloat16 base, float32 adapter") << int(torch::kBFloat16) << -1 << false;
  QTest::newRow("float32 base, bfloat16 compute") << int(torch::kFloat32) << int(torch::kBFloat16) << true;
}

void TestCompactAutograd::loraLinearAsOperations() {
  QFETCH(int, base_dtype);
  QFETCH(int, compute_dtype);
  QFETCH(bool, bias);
  const auto base = static_cast<torch::ScalarType>(base_dtype);
  torch::manual_seed(11);
  vltune::lora::LoraLinear layer(torch::nn::LinearOptions(32, 24).bias(bias));
  layer->to(base);
  for (auto& p : layer->parameters()) p.set_requires_grad(false);
  vltune::lora::LoraAdapterParams params;
  params.r = 4;
  params.alpha = 8;
  layer->add_adapter("default", params);
  layer->set_active({"default"});
  layer->set_scale(0.5);
  if (compute_dtype >= 0) layer->set_compute_dtype(static_cast<torch::ScalarType>(compute_dtype));
  const auto A = torch::randn({4, 32}) * 0.2, B = torch::randn({24, 4}) * 0.2;  // B non-zero: A gets a gradient
  const auto x = torch::randn({2, 5, 32}).to(base);
  const auto upstream = torch::randn({2, 5, 24}).to(base);
  // The matrices as the adapter's own tensors, leaves here, so their gradients land on `in`.
  const auto forward = [&](std::vector<torch::Tensor>& in) {
    layer->lora_A_weight("default") = in[1];
    layer->lora_B_weight("default") = in[2];
    return layer->forward(in[0]);
  };
  const Run plain = run(false, {leaf(x, true), leaf(A, true), leaf(B, true)}, upstream, forward);
  const Run compact = run(true, {leaf(x, true), leaf(A, true), leaf(B, true)}, upstream, forward);
  compare_runs(compact, plain, "lora linear");
  QVERIFY(plain.grads[1].abs().sum().item<double>() > 0);
  // One node for the layer: itself, x's and the two matrices' AccumulateGrad.
  std::vector<torch::Tensor> in{leaf(x, true), leaf(A, true), leaf(B, true)};
  QCOMPARE(graph_nodes(with_compact(true, [&] { return forward(in); })), size_t(4));
}

void TestCompactAutograd::nothingRecordedWithoutGradients() {
  const bool before = vltune::models::compact_autograd_enabled();
  const auto frozen = torch::randn({3, 8});
  const auto trained = frozen.clone().set_requires_grad(true);
  vltune::models::set_compact_autograd(true);
  const bool frozen_applies = vltune::models::compact_node_applies({&frozen});
  const bool trained_applies = vltune::models::compact_node_applies({&frozen, &trained});
  bool without_grad_mode = false;
  {
    torch::NoGradGuard no_grad;
    without_grad_mode = vltune::models::compact_node_applies({&trained});
  }
  vltune::models::set_compact_autograd(false);
  const bool switched_off = vltune::models::compact_node_applies({&trained});
  vltune::models::set_compact_autograd(before);
  QVERIFY(!frozen_applies);
  QVERIFY(trained_applies);
  QVERIFY(!without_grad_mode);
  QVERIFY(!switched_off);
}

void TestCompactAutograd::familyLossAndGradients_data() {
  vltune::test::add_family_rows(
      vltune::test::fixture_families_of({ModelFamily::qwen2_vl, ModelFamily::qwen2_5_vl, ModelFamily::idefics3, ModelFamily::llava}),
      "VLM");
}

void TestCompactAutograd::familyLossAndGradients() {
  QFETCH(QString, family);
  const auto f = vltune::test::parity_fixture(family);
  vltune::lora::LoraParams p;
  p.rank = 4;
  p.seed = 7;
  auto model = vltune::lora::open_lora_model(f.dir / "model", p);
  model->set_training(true);
  {
    // lora_B starts at zero, which would leave lora_A without a gradient.
    torch::NoGradGuard no_grad;
    torch::manual_seed(1);
    for (const auto& t : model->trainable_parameters())
      if (t.name.find("lora_B") != std::string::npos) t.tensor.normal_(0.0, 0.05);
  }
  const auto batch = vltune::test::fixture_padded_batch(model->family(), f);
  std::vector<std::vector<torch::Tensor>> grads(2);
  double losses[2] = {0, 0};
  size_t nodes[2] = {0, 0};
  for (const bool compact : {false, true}) {
    for (const auto& t : model->trainable_parameters()) t.tensor.mutable_grad() = torch::Tensor();
    with_compact(compact, [&] {
      const auto l = model->loss(batch);
      const auto loss = l.loss_sum / static_cast<double>(l.tokens);
      nodes[compact] = graph_nodes(loss);
      losses[compact] = loss.item<double>();
      loss.backward();
      return 0;
    });
    for (const auto& t : model->trainable_parameters()) grads[compact].push_back(t.tensor.grad().clone());
  }
  QCOMPARE(losses[1], losses[0]);  // the forward is the same operations
  QVERIFY2(nodes[1] * 2 < nodes[0], qPrintable(QString("%1 nodes compact, %2 plain").arg(nodes[1]).arg(nodes[0])));
  double worst = 0;
  for (size_t i = 0; i < grads[0].size(); ++i) {
    const double scale = grads[0][i].abs().max().item<double>();
    QVERIFY(scale > 0);
    worst = std::max(worst, (grads[1][i] - grads[0][i]).abs().max().item<double>() / scale);
  }
  qInfo("%s: %zu autograd nodes compact, %zu plain; gradients within %.3g of the largest entry", qPrintable(family), nodes[1],
        nodes[0], worst);
  QVERIFY2(worst < 1e-5, qPrintable(QString("largest gradient difference %1 of the largest entry").arg(worst)));
}

QTEST_GUILESS_MAIN(TestCompactAutograd)
#include "test_compact_autograd.moc"
