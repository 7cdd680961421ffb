// The chunked linear + cross-entropy (core/lora/chunked_loss.h) against the unchunked loss
// (lm_head over every position, then causal_lm_loss_sum): on random tensors and on every causal
// fixture model (../shared/fixtures/hf), the loss and the gradients of the hidden states, of
// lm_head's weight and of LoRA (on lm_head and inside the decoder) agree to 1e-5 relative in
// float32, for chunk sizes that divide the label rows and ones that don't, and with every label
// ignored. The head never sees more rows at once than the chunk size.

// LibTorch and the engine before Qt: Qt's `slots` macro would break torch's headers.
#include "core/data/batch_inputs.h"
#include "core/lora/chunked_loss.h"
#include "core/lora/lora_factory.h"
#include "core/lora/lora_linear.h"
#include "core/lora/lora_model.h"

#include <optional>

#include <ATen/CPUGeneratorImpl.h>

#include <QtTest/QtTest>

#include "tests/model_parity_support.h"
#include "tests/test_support.h"

using vltune::lora::ChunkedLossParams;
using vltune::lora::LoraLinear;
using vltune::lora::LoraModel;

namespace {

// Chunking regroups float32 sums (the softmax's over the vocabulary, the gradient's over rows),
// and the backward through every layer carries that rounding to the LoRA gradients: up to 2e-6 of
// the largest on an AVX-512 EPYC, whose GEMM kernels group differently from AVX2 ones. A wrong
// chunk (a row lost, twice counted, mis-scaled) moves them by far more than this.
constexpr double kRelTol = 1e-5;

// max |got - ref| <= kRelTol * max |ref| (and both the same shape).
void compare(const torch::Tensor& got, const torch::Tensor& ref, const QString& what) {
  QVERIFY2(got.defined() && ref.defined(), qPrintable(what + ": gradient missing"));
  QCOMPARE(got.sizes().vec(), ref.sizes().vec());
  const double scale = ref.abs().max().item<double>();
  const double diff = (got.to(torch::kDouble) - ref.to(torch::kDouble)).abs().max().item<double>();
  QVERIFY2(diff <= kRelTol * std::max(scale, 1e-30),
           qPrintable(QString("%1: max |diff| %2, max |ref| %3").arg(what).arg(diff).arg(scale)));
}

// A LoraLinear head [hidden -> vocab] with a LoRA adapter whose lora_B is random (PEFT's zero
// init would make every lora_A gradient zero), its weight trainable too.
LoraLinear random_head(int64_t hidden, int64_t vocab) {
  torch::manual_seed(3);
  LoraLinear head(torch::nn::LinearOptions(hidden, vocab).bias(false));
  head->add_adapter("a", {.r = 4, .alpha = 8.0});
  head->set_active({"a"});
  torch::NoGradGuard no_grad;
  head->lora_B_weight("a").normal_(0.0, 0.1);
  head->weight.set_requires_grad(true);
  return head;
}

// Every gradient a step needs from the chunked or the unchunked loss of the same inputs.
struct Grads {
  double loss = 0;
  int64_t count = 0;
  torch::Tensor hidden, weight, lora_A, lora_B;
};

// chunks: the chunked loss's settings, or none for the unchunked loss.
Grads run(const torch::Tensor& hidden0, LoraLinear& head, const torch::Tensor& labels, std::optional<ChunkedLossParams> chunks) {
  auto hidden = hidden0.detach().clone().requires_grad_(true);
  for (auto& p : head->parameters()) p.mutable_grad() = torch::Tensor();
  std::pair<torch::Tensor, int64_t> out;
  if (chunks) out = vltune::lora::chunked_causal_lm_loss_sum(hidden, *head, labels, *chunks);
  else out = vltune::lora::causal_lm_loss_sum(head(hidden), labels);
  // The trainer's mean: the incoming gradient is 1 / tokens, not 1.
  (out.first / static_cast<double>(std::max<int64_t>(out.second, 1))).backward();
  return {out.first.item<double>(), out.second, hidden.grad(), head->weight.grad(), head->lora_A_weight("a").grad(),
          head->lora_B_weight("a").grad()};
}

// chunk_rows > 0: chunks of that many rows; 0: the unchunked loss.
Grads run(const torch::Tensor& hidden0, LoraLinear& head, const torch::Tensor& labels, int64_t chunk_rows) {
  return run(hidden0, head, labels, chunk_rows > 0 ? std::optional(ChunkedLossParams{chunk_rows}) : std::nullopt);
}

// The same label count, loss and gradients (each within kRelTol) as the unchunked run's.
void compare(const Grads& got, const Grads& ref) {
  QCOMPARE(got.count, ref.count);
  QVERIFY2(std::abs(got.loss - ref.loss) <= kRelTol * std::abs(ref.loss),
           qPrintable(QString("loss %1, unchunked %2").arg(got.loss, 0, 'g', 12).arg(ref.loss, 0, 'g', 12)));
  compare(got.hidden, ref.hidden, "d loss / d hidden");
  compare(got.weight, ref.weight, "d loss / d lm_head.weight");
  compare(got.lora_A, ref.lora_A, "d loss / d lora_A");
  compare(got.lora_B, ref.lora_B, "d loss / d lora_B");
}

// A random head [16 -> 50] with hidden states [4, 10, 16] and labels of random_labels (seeded).
struct RandomCase {
  LoraLinear head{nullptr};
  torch::Tensor hidden, labels;
};
RandomCase random_case(uint64_t seed);

// labels [4, 10]: the last 4 of each row, one of them ignored: 15 label rows after the shift.
torch::Tensor random_labels(int64_t vocab) {
  auto labels = torch::randint(0, vocab, {4, 10}, torch::kLong);
  labels.narrow(1, 0, 6).fill_(-100);
  labels[1][8] = -100;
  return labels;
}

RandomCase random_case(uint64_t seed) {
  RandomCase c;
  c.head = random_head(16, 50);
  torch::manual_seed(seed);
  c.hidden = torch::randn({4, 10, 16});
  c.labels = random_labels(50);
  return c;
}

// The unchunked loss: every position's logits, then causal_lm_loss_sum.
std::pair<torch::Tensor, int64_t> full_logits_loss(LoraModel& model, const vltune::data::Batch& batch) {
  torch::Tensor logits;
  std::visit(
      [&](auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, vltune::models::QwenVL>) logits = m->forward(vltune::data::qwen_inputs(batch));
        else if constexpr (std::is_same_v<M, vltune::models::Llava>) logits = m->forward(vltune::data::llava_inputs(batch));
        else if constexpr (std::is_same_v<M, vltune::models::Idefics3>) logits = m->forward(vltune::data::idefics3_inputs(batch));
      },
      model.model());
  return vltune::lora::causal_lm_loss_sum(logits, batch.labels);
}

}  // namespace

class TestChunkedLoss : public QObject {
  Q_OBJECT

 private slots:
  void randomTensors_data();
  void randomTensors();
  void allIgnored();
  void headSeesAtMostChunkRows();
  void byteCapSizesTheChunks();
  void withoutGradMode();
  void badArguments();
  void fixtureModels_data();
  void fixtureModels();
};

void TestChunkedLoss::randomTensors_data() {
  QTest::addColumn<qint64>("chunk");
  // 15 label rows: 3 and 5 divide them, 1 and 15 are the extremes, 4 and 7 leave a remainder.
  for (qint64 c : {1, 3, 4, 5, 7, 15, 1024}) QTest::newRow(qPrintable(QString("chunk %1").arg(c))) << c;
}

void TestChunkedLoss::randomTensors() {
  QFETCH(qint64, chunk);
  auto c = random_case(5);
  const Grads ref = run(c.hidden, c.head, c.labels, 0);
  const Grads got = run(c.hidden, c.head, c.labels, chunk);
  QCOMPARE(ref.count, int64_t{15});
  // The positions without a label get no gradient, the others some.
  QVERIFY(got.hidden.narrow(1, 0, 5).abs().max().item<double>() == 0.0);
  QVERIFY(got.hidden.narrow(1, 5, 4).abs().max().item<double>() > 0.0);
  compare(got, ref);
}

void TestChunkedLoss::allIgnored() {
  auto head = random_head(8, 20);
  torch::manual_seed(1);
  const auto h = torch::randn({2, 6, 8});
  const auto labels = torch::full({2, 6}, -100, torch::kLong);
  const Grads ref = run(h, head, labels, 0);
  const Grads got = run(h, head, labels, 4);
  QCOMPARE(got.count, int64_t{0});
  QCOMPARE(got.loss, 0.0);
  QCOMPARE(got.loss, ref.loss);
  // Backward still runs (the trainer calls it) and leaves zero gradients.
  QVERIFY(got.hidden.defined() && got.hidden.abs().max().item<double>() == 0.0);
  QVERIFY(got.weight.defined() && got.weight.abs().max().item<double>() == 0.0);
  QVERIFY(got.lora_B.defined() && got.lora_B.abs().max().item<double>() == 0.0);
}

void TestChunkedLoss::headSeesAtMostChunkRows() {
  auto head = random_head(8, 30);
  torch::manual_seed(2);
  const auto rows = torch::randn({23, 8}).requires_grad_(true);
  const auto targets = torch::randint(0, 30, {23}, torch::kLong);
  std::vector<int64_t> calls;
  auto seen = [&](const torch::Tensor& x) {
    calls.push_back(x.size(0));
    return head(x);
  };
  const auto loss = vltune::lora::chunked_linear_cross_entropy_sum(rows, seen, {head->weight}, targets, ChunkedLossParams{6});
  QCOMPARE(calls, (std::vector<int64_t>{6, 6, 6, 5}));
  // Backward runs the chunks again, one at a time.
  loss.backward();
  QCOMPARE(calls, (std::vector<int64_t>{6, 6, 6, 5, 6, 6, 6, 5}));
  QVERIFY(rows.grad().defined() && head->weight.grad().defined());
  namespace F = torch::nn::functional;
  const auto ref = F::cross_entropy(head(rows.detach()), targets, F::CrossEntropyFuncOptions().reduction(torch::kSum));
  QVERIFY(std::abs(loss.item<double>() - ref.item<double>()) <= kRelTol * ref.item<double>());
}

void TestChunkedLoss::byteCapSizesTheChunks() {
  using vltune::lora::chunk_rows_for;
  const int64_t mib128 = int64_t{128} << 20;
  // Qwen's vocabulary: 128 MiB of float32 logits are 220 rows; SmolVLM's 680; LLaVA's 32,064
  // words would allow 1,046, so chunk_rows (1,024) decides.
  QCOMPARE(chunk_rows_for(ChunkedLossParams{1024, mib128}, 151936), int64_t{220});
  QCOMPARE(chunk_rows_for(ChunkedLossParams{1024, mib128}, 49280), int64_t{680});
  QCOMPARE(chunk_rows_for(ChunkedLossParams{1024, mib128}, 32064), int64_t{1024});
  QCOMPARE(chunk_rows_for(ChunkedLossParams{}, 151936), int64_t{220});  // the defaults
  QCOMPARE(chunk_rows_for(ChunkedLossParams{1024, 1}, 50), int64_t{1});  // never below one row
  QVERIFY_THROWS_EXCEPTION(vltune::Error, chunk_rows_for(ChunkedLossParams{4, 0}, 50));
  QVERIFY_THROWS_EXCEPTION(vltune::Error, chunk_rows_for(ChunkedLossParams{0, mib128}, 50));

  // A cap of 4 rows' logits over a 50-word head: chunks of 4 of the 15 label rows, the unchunked
  // loss's values and gradients.
  auto c = random_case(6);
  const int64_t vocab = 50;
  const Grads ref = run(c.hidden, c.head, c.labels, 0);
  const Grads got = run(c.hidden, c.head, c.labels, ChunkedLossParams{1024, 4 * vocab * 4 + 3});
  compare(got, ref);
}

void TestChunkedLoss::withoutGradMode() {
  auto head = random_head(16, 50);
  torch::manual_seed(4);
  const auto h = torch::randn({4, 10, 16});
  const auto labels = random_labels(50);
  double ref = 0;
  {
    torch::NoGradGuard no_grad;
    ref = vltune::lora::causal_lm_loss_sum(head(h), labels).first.item<double>();
    const auto got = vltune::lora::chunked_causal_lm_loss_sum(h, *head, labels, ChunkedLossParams{4}).first;
    QVERIFY(!got.requires_grad());
    QVERIFY(std::abs(got.item<double>() - ref) <= kRelTol * ref);
  }
}

void TestChunkedLoss::badArguments() {
  auto head = random_head(8, 20);
  const auto h = torch::randn({2, 6, 8});
  QVERIFY_THROWS_EXCEPTION(vltune::Error, vltune::lora::chunked_causal_lm_loss_sum(h, *head, torch::zeros({2, 5}, torch::kLong)));
  QVERIFY_THROWS_EXCEPTION(vltune::Error,
                           vltune::lora::chunked_causal_lm_loss_sum(h, *head, torch::zeros({2, 6}, torch::kLong), ChunkedLossParams{0}));
}

void TestChunkedLoss::fixtureModels_data() {
  using vltune::io::ModelFamily;
  vltune::test::add_family_rows(vltune::test::fixture_families_of({ModelFamily::qwen2_vl, ModelFamily::qwen2_5_vl, ModelFamily::llava,
                                                                   ModelFamily::idefics3}),
                                "causal LM");
}

void TestChunkedLoss::fixtureModels() {
  QFETCH(QString, family);
  const auto f = vltune::test::parity_fixture(family);
  vltune::lora::LoraParams p;
  p.rank = 4;
  p.target = "q_proj,v_proj,down_proj,lm_head";  // lm_head too: its LoRA gradients come from the chunks
  p.seed = 7;
  auto model = vltune::lora::open_lora_model(f.dir / "model", p);
  {
    torch::NoGradGuard no_grad;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(11);
    for (auto& param : model->trainable_parameters())
      if (param.group == vltune::train::ParamGroup::lora_B) param.tensor.copy_(at::randn(param.tensor.sizes(), gen) * 0.05);
  }
  model->set_training(true);
  const auto batch = vltune::test::fixture_padded_batch(model->family(), f);
  QVERIFY(batch.labels.defined());
  auto params = model->trainable_parameters();
  bool has_head = false;
  for (const auto& param : params) has_head = has_head || param.name.find("lm_head") != std::string::npos;
  QVERIFY2(has_head, "lm_head carries no LoRA");

  auto grads_of = [&](auto&& loss_fn) {
    for (auto& param : params) param.tensor.mutable_grad() = torch::Tensor();
    const auto [sum, count] = loss_fn();
    (sum / static_cast<double>(count)).backward();
    std::vector<torch::Tensor> g;
    for (auto& param : params) g.push_back(param.tensor.grad().clone());
    return std::make_tuple(sum.template item<double>(), count, g);
  };
  const auto [ref_loss, ref_count, ref_grads] = grads_of([&] { return full_logits_loss(*model, batch); });
  QVERIFY(ref_count > 0);
  // Chunks of 3 and 5 rows (one of them dividing the label rows or not), and one chunk for all.
  for (int64_t chunk : {int64_t{3}, int64_t{5}, int64_t{4096}}) {
    model->set_loss_params(ChunkedLossParams{chunk});
    const auto [loss, count, grads] = grads_of([&] {
      const auto out = model->loss(batch);
      return std::make_pair(out.loss_sum, out.tokens);
    });
    qInfo("%s, chunk %lld: %lld label rows, loss sum %.9g (unchunked %.9g)", qPrintable(family), static_cast<long long>(chunk),
          static_cast<long long>(count), loss, ref_loss);
    QCOMPARE(count, ref_count);
    QVERIFY2(std::abs(loss - ref_loss) <= kRelTol * std::abs(ref_loss), qPrintable(QString("chunk %1 loss").arg(chunk)));
    for (size_t i = 0; i < params.size(); ++i) {
      const auto& name = params[i].name;
      compare(grads[i], ref_grads[i], QString("%1 chunk %2 %3").arg(family).arg(chunk).arg(QString::fromStdString(name)));
    }
  }
}

QTEST_GUILESS_MAIN(TestChunkedLoss)
#include "test_chunked_loss.moc"
