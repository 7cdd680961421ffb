// Preference tuning's building blocks (issue 12): the DPO / IPO loss of TRL's DPOTrainer on
// per-answer log-probabilities, and those log-probabilities from the model, checked against the
// logits transformers and PEFT computed for the fixtures (LLaMA-Factory's get_batch_logps on
// batch.logits / lora.logits) and, through the loss, against PEFT's LoRA gradients.

#include <cmath>
#include <filesystem>
#include <set>

#include <torch/torch.h>

#include <QtTest/QtTest>

#include "core/error.h"
#include "core/io/safetensors.h"
#include "core/lora/lora_factory.h"
#include "core/lora/preference_model.h"
#include "core/lora/sequence_log_probs.h"
#include "core/train/preference_loss.h"
#include "tests/model_parity_support.h"

namespace fs = std::filesystem;
namespace train = vltune::train;
using train::AnswerLogProbs;

namespace {

AnswerLogProbs answers(std::vector<float> sums, std::vector<int64_t> tokens) {
  return {torch::tensor(sums), torch::tensor(tokens, torch::kLong)};
}

// LLaMA-Factory's get_batch_logps on reference logits [B, T, V] and labels [B, T].
AnswerLogProbs reference_log_probs(const torch::Tensor& logits, const torch::Tensor& labels) {
  auto l = labels.narrow(1, 1, labels.size(1) - 1).clone();
  const auto lg = logits.narrow(1, 0, logits.size(1) - 1).to(torch::kFloat32);
  const auto mask = l.ne(-100);
  l.masked_fill_(~mask, 0);
  const auto per_token = lg.log_softmax(-1).gather(2, l.unsqueeze(2)).squeeze(2);
  return {(per_token * mask).sum(-1), mask.sum(-1)};
}

void compare_log_probs(const AnswerLogProbs& got, const AnswerLogProbs& want, const char* what) {
  QCOMPARE(got.tokens.sizes().vec(), want.tokens.sizes().vec());
  QVERIFY2(torch::equal(got.tokens.cpu(), want.tokens.to(torch::kLong)), what);
  for (int64_t b = 0; b < got.sum.size(0); ++b) {
    const double g = got.sum[b].item<double>(), w = want.sum[b].item<double>();
    qInfo("%s row %lld: %lld tokens, log-prob %.6f, reference %.6f", what, static_cast<long long>(b),
          static_cast<long long>(got.tokens[b].item<int64_t>()), g, w);
    // The fixtures' logits rule (1e-4 of the scale) summed over the row's tokens, in relative terms.
    QVERIFY2(std::abs(g - w) <= 1e-4 * std::max(1.0, std::abs(w)), qPrintable(QString("%1 row %2: %3 vs %4").arg(what).arg(b).arg(g).arg(w)));
  }
}

std::vector<std::string> causal_families() {
  std::vector<std::string> out;
  for (const auto& f : vltune::test::hf_fixture_families())
    if (f != "clip" && fs::exists(vltune::test::hf_fixtures_root() / f / "adapter" / "adapter_config.json")) out.push_back(f);
  return out;
}

// A one-row batch as a preference pair: the row twice (every tensor repeated along its first
// dimension, which is rows, images or image rows in every family's layout), the second copy's
// labels replaced by `rejected_labels`.
vltune::data::Batch as_pair(const vltune::data::Batch& one, const torch::Tensor& rejected_labels) {
  auto twice = [](const torch::Tensor& t) { return t.defined() ? torch::cat({t, t}, 0) : t; };
  vltune::data::Batch pair = one;
  pair.input_ids = twice(one.input_ids);
  pair.attention_mask = twice(one.attention_mask);
  pair.labels = torch::cat({one.labels, rejected_labels}, 0);
  pair.pixel_values = twice(one.pixel_values);
  pair.image_grid_thw = twice(one.image_grid_thw);
  pair.pixel_attention_mask = twice(one.pixel_attention_mask);
  pair.indices = {0, 0};
  pair.pairs = 1;
  return pair;
}

// The trainable parameters' gradients against PEFT's lora_grads.safetensors times `coefficient`.
void compare_to_peft_gradients(vltune::lora::LoraModel& model, const vltune::test::ParityFixture& f, double coefficient) {
  const auto grads = vltune::io::SafetensorsFile::open(f.dir / "lora_grads.safetensors");
  double worst = 0;
  for (const auto& param : model.trainable_parameters()) {
    QVERIFY2(grads.contains(param.name), param.name.c_str());
    const auto want = grads.tensor(param.name) * coefficient;
    const double rel = (param.tensor.grad() - want).norm().item<double>() / want.norm().item<double>();
    worst = std::max(worst, rel);
    QVERIFY2(rel <= 1e-4, qPrintable(QString("%1: relative difference %2").arg(QString::fromStdString(param.name)).arg(rel)));
  }
  qInfo("worst relative gradient difference %.3g", worst);
}

double metric(const std::vector<std::pair<std::string, double>>& metrics, const std::string& key) {
  for (const auto& [name, value] : metrics)
    if (name == key) return value;
  throw std::runtime_error("no metric " + key);
}

}  // namespace

class TestPreferenceLoss : public QObject {
  Q_OBJECT

 private slots:
  void sigmoidLossAndRewards();
  void labelSmoothingAndIpo();
  void refusesBadInput();
  void logProbsMatchTransformers_data() { vltune::test::add_family_rows(causal_families(), "causal LM"); }
  void logProbsMatchTransformers();
  void dpoGradientsFollowPeft_data() { vltune::test::add_family_rows(causal_families(), "causal LM"); }
  void dpoGradientsFollowPeft();
  void preferenceModelAtTheStart_data() { vltune::test::add_family_rows(causal_families(), "causal LM"); }
  void preferenceModelAtTheStart();
  void preferenceModelFollowsPeft_data() { vltune::test::add_family_rows(causal_families(), "causal LM"); }
  void preferenceModelFollowsPeft();
};

void TestPreferenceLoss::sigmoidLossAndRewards() {
  // Two pairs. Pair 0: z = (-10 + 12) - (-11 + 11) = 2; pair 1: z = (-20 + 19) - (-20 + 20) = -1.
  auto pc = answers({-10, -20}, {5, 6});
  pc.sum.requires_grad_(true);
  const auto pr = answers({-12, -19}, {5, 6});
  const auto rc = answers({-11, -20}, {5, 6}), rr = answers({-11, -20}, {5, 6});
  train::PreferenceLossParams p;  // beta 0.1, sigmoid
  const auto out = train::preference_loss(pc, pr, rc, rr, p);
  // -logsigmoid(x) = log(1 + e^-x)
  const double l0 = std::log1p(std::exp(-0.2)), l1 = std::log1p(std::exp(0.1));
  QVERIFY(std::abs(out.loss.item<double>() - (l0 + l1) / 2) < 1e-6);
  // TRL's metrics: rewards = beta * (policy - reference).
  QVERIFY(std::abs(out.chosen_rewards[0].item<double>() - 0.1) < 1e-6);
  QVERIFY(std::abs(out.rejected_rewards[0].item<double>() - (-0.1)) < 1e-6);
  QVERIFY(std::abs(out.chosen_rewards[1].item<double>() - 0.0) < 1e-6);
  QVERIFY(std::abs(out.rejected_rewards[1].item<double>() - 0.1) < 1e-6);
  const auto metrics = train::read_metrics(out);
  QVERIFY(std::abs(metrics.reward_chosen - 0.05) < 1e-6);
  QVERIFY(std::abs(metrics.reward_rejected - 0.0) < 1e-6);
  QVERIFY(std::abs(metrics.reward_margin - 0.05) < 1e-6);
  QCOMPARE(metrics.reward_accuracy, 0.5);
  QVERIFY(!out.chosen_rewards.requires_grad());
  // d loss / d policy_chosen = -beta * sigmoid(-beta z) / B.
  out.loss.backward();
  auto sig = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
  QVERIFY(std::abs(pc.sum.grad()[0].item<double>() - (-0.1 * sig(-0.2) / 2)) < 1e-7);
  QVERIFY(std::abs(pc.sum.grad()[1].item<double>() - (-0.1 * sig(0.1) / 2)) < 1e-7);
}

void TestPreferenceLoss::labelSmoothingAndIpo() {
  const auto pc = answers({-10}, {4}), pr = answers({-12}, {8}), rc = answers({-11}, {4}), rr = answers({-11}, {8});
  train::PreferenceLossParams p;
  p.label_smoothing = 0.1;
  // z = 2: 0.9 * log(1 + e^-0.2) + 0.1 * log(1 + e^0.2)
  const double want = 0.9 * std::log1p(std::exp(-0.2)) + 0.1 * std::log1p(std::exp(0.2));
  QVERIFY(std::abs(train::preference_loss(pc, pr, rc, rr, p).loss.item<double>() - want) < 1e-6);
  // IPO on per-token averages: z = (-10/4 + 12/8) - (-11/4 + 11/8) = -1 + 1.375 = 0.375;
  // (z - 1 / (2 * 0.1))^2 = (0.375 - 5)^2.
  p = {};
  p.type = train::PreferenceLossType::ipo;
  const auto ipo = train::preference_loss(pc, pr, rc, rr, p);
  QVERIFY(std::abs(ipo.loss.item<double>() - std::pow(0.375 - 5.0, 2)) < 1e-5);
  // Its rewards use the same averages: 0.1 * (-2.5 + 2.75), 0.1 * (-1.5 + 1.375).
  QVERIFY(std::abs(ipo.chosen_rewards[0].item<double>() - 0.025) < 1e-6);
  QVERIFY(std::abs(ipo.rejected_rewards[0].item<double>() - (-0.0125)) < 1e-6);
}

void TestPreferenceLoss::refusesBadInput() {
  const auto a = answers({-1, -2}, {1, 1}), one = answers({-1}, {1});
  train::PreferenceLossParams p;
  QVERIFY_THROWS_EXCEPTION(vltune::Error, train::preference_loss(a, one, a, a, p));
  QVERIFY_THROWS_EXCEPTION(vltune::Error, train::preference_loss(a, a, one, one, p));
  p.beta = 0;
  try {
    train::preference_loss(a, a, a, a, p);
    QFAIL("beta 0 accepted");
  } catch (const vltune::Error& e) {
    QVERIFY2(std::string(e.what()).find("pref_beta") != std::string::npos, e.what());
  }
  p = {};
  p.label_smoothing = 0.7;
  QVERIFY_THROWS_EXCEPTION(vltune::Error, train::preference_loss(a, a, a, a, p));
}

void TestPreferenceLoss::logProbsMatchTransformers() {
  QFETCH(QString, family);
  const auto f = vltune::test::parity_fixture(family);
  auto model = vltune::lora::open_model(f.dir / "model");
  torch::NoGradGuard no_grad;
  // The base model on the two-sample padded batch: transformers' batch.logits.
  if (f.tensors.contains("batch.logits")) {
    const auto batch = vltune::test::fixture_padded_batch(model->family(), f);
    compare_log_probs(vltune::lora::sequence_log_probs(*model, batch),
                      reference_log_probs(f.tensors.tensor("batch.logits"), batch.labels), "base, padded batch");
  }
  const auto main_case = vltune::test::fixture_batch(model->family(), f);
  compare_log_probs(vltune::lora::sequence_log_probs(*model, main_case),
                    reference_log_probs(f.tensors.tensor("base.logits"), main_case.labels), "base, main case");
  // With the fixture's PEFT adapter: PEFT's lora.logits.
  model->load_adapter(f.dir / "adapter");
  compare_log_probs(vltune::lora::sequence_log_probs(*model, main_case),
                    reference_log_probs(f.tensors.tensor("lora.logits"), main_case.labels), "adapter, main case");
}

void TestPreferenceLoss::dpoGradientsFollowPeft() {
  // One pair whose rejected answer has no labelled token (log-prob 0, no gradient): the DPO loss
  // is -logsigmoid(beta z) with z = logp_policy - logp_reference of the chosen answer, so its
  // gradient is beta * sigmoid(-beta z) * n * d(mean CE)/d(theta), n the answer's tokens; PEFT's
  // gradient of the mean CE is lora_grads.safetensors. The reference is the same model with the
  // adapter switched off.
  QFETCH(QString, family);
  const auto f = vltune::test::parity_fixture(family);
  auto model = vltune::lora::open_model(f.dir / "model");
  model->load_adapter(f.dir / "adapter");
  model->set_trainable_adapter("default");
  const auto chosen = vltune::test::fixture_batch(model->family(), f);
  auto rejected = chosen;
  rejected.labels = torch::full_like(chosen.labels, -100);

  const auto policy_chosen = vltune::lora::sequence_log_probs(*model, chosen);
  const auto policy_rejected = vltune::lora::sequence_log_probs(*model, rejected);
  QCOMPARE(policy_rejected.tokens[0].item<int64_t>(), int64_t{0});
  QCOMPARE(policy_rejected.sum[0].item<double>(), 0.0);
  AnswerLogProbs reference_chosen, reference_rejected;
  {
    torch::NoGradGuard no_grad;
    model->set_active_adapters({});
    reference_chosen = vltune::lora::sequence_log_probs(*model, chosen);
    reference_rejected = vltune::lora::sequence_log_probs(*model, rejected);
    model->set_active_adapters({"default"});
  }
  const int64_t n = policy_chosen.tokens[0].item<int64_t>();
  // The two log-probabilities are transformers' and PEFT's losses times the token count.
  QVERIFY(std::abs(policy_chosen.sum[0].item<double>() + n * f.reference.at("lora_loss").get<double>()) <= 1e-4 * n);
  QVERIFY(std::abs(reference_chosen.sum[0].item<double>() + n * f.reference.at("base_loss").get<double>()) <= 1e-4 * n);

  train::PreferenceLossParams p;
  p.beta = 0.5;
  const auto out = train::preference_loss(policy_chosen, policy_rejected, reference_chosen, reference_rejected, p);
  out.loss.backward();
  const double z = policy_chosen.sum[0].item<double>() - reference_chosen.sum[0].item<double>();
  const double coefficient = p.beta / (1.0 + std::exp(p.beta * z)) * static_cast<double>(n);  // beta * sigmoid(-beta z) * n
  qInfo("n = %lld, z = %.5f, loss %.6f, gradient = %.5f x PEFT's", static_cast<long long>(n), z, out.loss.item<double>(), coefficient);
  compare_to_peft_gradients(*model, f, coefficient);
}

void TestPreferenceLoss::preferenceModelAtTheStart() {
  // A new adapter starts with B = 0, so the policy is the reference: the loss is ln 2 whatever the
  // pair, the rewards are 0, and the log-probabilities are the base model's, which transformers
  // computed for the padded two-sample batch (row 0 taken as the chosen answer, row 1 the rejected).
  QFETCH(QString, family);
  const auto f = vltune::test::parity_fixture(family);
  if (!f.tensors.contains("batch.logits")) QSKIP("no padded batch in this fixture");
  vltune::lora::LoraParams lp;
  lp.rank = 4;
  auto model = vltune::lora::open_lora_model(f.dir / "model", lp);
  auto batch = vltune::test::fixture_padded_batch(model->family(), f);
  batch.pairs = 1;
  const auto want = reference_log_probs(f.tensors.tensor("batch.logits"), batch.labels);

  vltune::lora::PreferenceParams pp;
  pp.ftx = 0.5;
  vltune::lora::PreferenceModel dpo(*model, pp);
  const auto active = model->active_adapters();
  const auto loss = dpo.loss(batch);
  QCOMPARE(loss.tokens, int64_t{1});
  QCOMPARE(model->active_adapters(), active);  // the reference pass switched them back on
  // ln 2 + ftx x the chosen answer's mean negative log-likelihood.
  const double chosen_nll = -want.sum[0].item<double>() / want.tokens[0].item<double>();
  const double expected = std::log(2.0) + pp.ftx * chosen_nll;
  qInfo("loss %.6f, expected %.6f", loss.loss_sum.item<double>(), expected);
  QVERIFY(std::abs(loss.loss_sum.item<double>() - expected) <= 1e-4 * std::max(1.0, expected));
  const auto metrics = dpo.take_metrics(false);
  QCOMPARE(metrics.size(), size_t(6));
  QCOMPARE(metrics[0].first, std::string("rewards/chosen"));
  QCOMPARE(metric(metrics, "rewards/chosen"), 0.0);
  QCOMPARE(metric(metrics, "rewards/margins"), 0.0);
  QCOMPARE(metric(metrics, "rewards/accuracies"), 0.0);  // ties are not wins (TRL: chosen > rejected)
  QVERIFY(std::abs(metric(metrics, "logps/chosen") - want.sum[0].item<double>()) <= 1e-4 * std::abs(want.sum[0].item<double>()));
  QVERIFY(std::abs(metric(metrics, "logps/rejected") - want.sum[1].item<double>()) <= 1e-4 * std::abs(want.sum[1].item<double>()));
  QVERIFY(dpo.take_metrics(false).empty());  // taken once
  QVERIFY(dpo.take_metrics(true).empty());   // nothing ran in eval mode

  // Evaluation mode keeps its own metrics.
  dpo.set_training(false);
  {
    torch::NoGradGuard no_grad;
    dpo.loss(batch);
  }
  dpo.set_training(true);
  QVERIFY(dpo.take_metrics(false).empty());
  QCOMPARE(dpo.take_metrics(true).size(), size_t(6));

  // A batch that is not a preference batch is refused, and the adapters stay on.
  batch.pairs = 0;
  QVERIFY_THROWS_EXCEPTION(vltune::Error, dpo.loss(batch));
  QCOMPARE(model->active_adapters(), active);
}

void TestPreferenceLoss::preferenceModelFollowsPeft() {
  // dpoGradientsFollowPeft through PreferenceModel: the fixture's main case as the chosen answer,
  // the same row with no labelled token as the rejected one, in one pair batch. Loss and LoRA
  // gradients come from transformers' and PEFT's losses and PEFT's gradients alone.
  QFETCH(QString, family);
  const auto f = vltune::test::parity_fixture(family);
  auto model = vltune::lora::open_model(f.dir / "model");
  model->load_adapter(f.dir / "adapter");
  model->set_trainable_adapter("default");
  const auto one = vltune::test::fixture_batch(model->family(), f);
  const auto pair = as_pair(one, torch::full_like(one.labels, -100));
  vltune::lora::PreferenceParams pp;
  pp.loss.beta = 0.5;
  vltune::lora::PreferenceModel dpo(*model, pp);
  const auto loss = dpo.loss(pair);
  loss.loss_sum.backward();

  const int64_t n = vltune::data::count_label_tokens(one.labels);
  const double z = n * (f.reference.at("base_loss").get<double>() - f.reference.at("lora_loss").get<double>());
  const double expected = std::log1p(std::exp(-pp.loss.beta * z));  // -logsigmoid(beta z)
  qInfo("n = %lld, z = %.5f, loss %.6f, expected %.6f", static_cast<long long>(n), z, loss.loss_sum.item<double>(), expected);
  QVERIFY(std::abs(loss.loss_sum.item<double>() - expected) <= 1e-4 * std::max(1.0, n * pp.loss.beta));
  const auto metrics = dpo.take_metrics(false);
  QVERIFY(std::abs(metric(metrics, "rewards/chosen") - pp.loss.beta * z) <= 1e-4 * std::max(1.0, n * pp.loss.beta));
  QCOMPARE(metric(metrics, "rewards/rejected"), 0.0);

  const double coefficient = pp.loss.beta / (1.0 + std::exp(pp.loss.beta * z)) * static_cast<double>(n);
  compare_to_peft_gradients(*model, f, coefficient);
}

QTEST_APPLESS_MAIN(TestPreferenceLoss)
#include "test_preference_loss.moc"
