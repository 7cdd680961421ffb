// What a training step reads back from the device (core/device_transfer.h): nothing until its work
// is queued. On a GPU each item() is a wait for the card; here, without one, the count of
// item() calls (LibTorch's _local_scalar_dense, recorded for every tensor) in a LoRA model's
// loss and backward must be zero for every fixture family (../shared/fixtures/hf), and the
// host-side work that replaced the reads must give the same results:
//  - the same for a DPO step (the reference pass, the policy's, the preference loss and its reward
//    metrics, summed on the device until taken);
//  - the logits and the loss with the batch's host mirrors equal those without them (the models
//    then read the device's tensors back, as callers with no mirrors get), bit for bit;
//  - Idefics3's padding images are found the same way on the host as on the device;
//  - a mirror of another shape is refused with an error that names it;
//  - to_device / pinned_if_cuda / host_view on a CPU-only machine.

// LibTorch and the engine before Qt: Qt's `slots` macro would break torch's headers.
#include <ATen/ATen.h>
#include <ATen/record_function.h>

#include <atomic>
#include <cstring>

#include "core/data/batch_inputs.h"
#include "core/device_transfer.h"
#include "core/error.h"
#include "core/lora/lora_factory.h"
#include "core/lora/preference_model.h"

#include <QtTest/QtTest>

#include "tests/model_parity_support.h"

namespace {

using vltune::io::ModelFamily;

std::unique_ptr<vltune::lora::LoraModel> lora_model(const vltune::test::ParityFixture& f) {
  vltune::lora::LoraParams p;
  p.rank = 4;
  p.seed = 7;
  auto model = vltune::lora::open_lora_model(f.dir / "model", p);
  model->set_training(true);
  return model;
}

// Counts item() calls (on any thread: backward may run elsewhere) while alive.
class ItemCounter {
 public:
  ItemCounter() {
    s_count = 0;
    m_handle = at::addGlobalCallback(at::RecordFunctionCallback(&ItemCounter::on_start).scopes({at::RecordScope::FUNCTION}));
  }
  ~ItemCounter() { at::removeCallback(m_handle); }
  int count() const { return s_count.load(); }

 private:
  static std::unique_ptr<at::ObserverContext> on_start(const at::RecordFunction& fn) {
    if (std::strcmp(fn.name(), "aten::_local_scalar_dense") == 0) ++s_count;
    return nullptr;
  }
  static inline std::atomic<int> s_count{0};
  at::CallbackHandle m_handle;
};

// The logits of `batch` through the family's forward, with or without the host mirrors.
at::Tensor logits_of(vltune::lora::LoraModel& model, const vltune::data::Batch& batch, bool mirrors) {
  torch::NoGradGuard no_grad;
  at::Tensor out;
  std::visit(
      [&](auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, vltune::models::QwenVL>) {
          auto in = vltune::data::qwen_inputs(batch);
          if (!mirrors) in.host_input_ids = in.host_attention_mask = at::Tensor();
          out = m->forward(in);
        } else if constexpr (std::is_same_v<M, vltune::models::Llava>) {
          auto in = vltune::data::llava_inputs(batch);
          if (!mirrors) in.host_input_ids = at::Tensor();
          out = m->forward(in);
        } else if constexpr (std::is_same_v<M, vltune::models::Idefics3>) {
          auto in = vltune::data::idefics3_inputs(batch);
          if (!mirrors) in.host_input_ids = in.host_pixel_values = in.host_pixel_attention_mask = at::Tensor();
          out = m->forward(in);
        }
      },
      model.model());
  return out;
}

}  // namespace

class TestDeviceReads : public QObject {
  Q_OBJECT

 private slots:
  void transfersWithoutCuda();
  void hostViewChecksItsMirror();
  void trainingStepReadsNothing_data();
  void trainingStepReadsNothing();
  void preferenceStepReadsNothing_data();
  void preferenceStepReadsNothing();
  void sameWithoutMirrors_data();
  void sameWithoutMirrors();
  void mirrorOfAnotherShapeIsRefused();
};

void TestDeviceReads::transfersWithoutCuda() {
  const at::Tensor t = at::arange(6).view({2, 3});
  QVERIFY(!vltune::to_device(at::Tensor(), at::kCPU).defined());
  QVERIFY(vltune::to_device(t, at::kCPU).is_same(t));  // already there: no copy
  if (!at::hasCUDA()) QVERIFY(vltune::pinned_if_cuda(t).is_same(t));
  QVERIFY(!vltune::pinned_if_cuda(at::Tensor()).defined());
}

void TestDeviceReads::hostViewChecksItsMirror() {
  const at::Tensor t = at::arange(6).view({2, 3});
  const at::Tensor mirror = t.clone();
  QVERIFY(vltune::host_view(t, mirror, "host_input_ids").is_same(mirror));
  QVERIFY(at::equal(vltune::host_view(t, at::Tensor(), "host_input_ids"), t));  // no mirror: t read on the host
  const QString message = QString::fromStdString(vltune::test::error_of([&] { vltune::host_view(t, at::arange(5), "host_input_ids"); }));
  QVERIFY2(message.contains("host_input_ids") && message.contains("[5]") && message.contains("[2, 3]"), qPrintable(message));
}

void TestDeviceReads::trainingStepReadsNothing_data() {
  vltune::test::add_family_rows(
      vltune::test::fixture_families_of({ModelFamily::qwen2_vl, ModelFamily::qwen2_5_vl, ModelFamily::idefics3, ModelFamily::llava}),
      "VLM");
}

void TestDeviceReads::trainingStepReadsNothing() {
  QFETCH(QString, family);
  const auto f = vltune::test::parity_fixture(family);
  auto model = lora_model(f);
  const auto batch = vltune::test::fixture_padded_batch(model->family(), f);
  ItemCounter items;
  const auto l = model->loss(batch);
  (l.loss_sum / static_cast<double>(l.tokens)).backward();
  QCOMPARE(items.count(), 0);
  QCOMPARE(l.tokens, vltune::data::count_label_tokens(batch.labels));
  for (const auto& p : model->trainable_parameters()) QVERIFY2(p.tensor.grad().defined(), p.name.c_str());
}

void TestDeviceReads::preferenceStepReadsNothing_data() { trainingStepReadsNothing_data(); }

void TestDeviceReads::preferenceStepReadsNothing() {
  QFETCH(QString, family);
  const auto f = vltune::test::parity_fixture(family);
  if (!f.tensors.contains("batch.input.input_ids")) QSKIP("no two-sample batch in this fixture");
  auto model = lora_model(f);
  auto batch = vltune::test::fixture_padded_batch(model->family(), f);
  batch.pairs = 1;  // row 0 chosen, row 1 rejected
  vltune::lora::PreferenceModel dpo(*model, {});
  int items = 0;
  {
    ItemCounter counter;
    const auto l = dpo.loss(batch);
    (l.loss_sum / static_cast<double>(l.tokens)).backward();
    items = counter.count();
  }
  QCOMPARE(items, 0);
  // The metrics are read when taken (a policy equal to the reference: no reward yet).
  const auto metrics = dpo.take_metrics(false);
  QCOMPARE(metrics.size(), size_t(6));
  QCOMPARE(metrics[0].second, 0.0);
}

void TestDeviceReads::sameWithoutMirrors_data() { trainingStepReadsNothing_data(); }

void TestDeviceReads::sameWithoutMirrors() {
  QFETCH(QString, family);
  const auto f = vltune::test::parity_fixture(family);
  auto model = lora_model(f);
  for (const char* prefix : {"input.", "batch.input."}) {
    if (!f.tensors.contains(std::string(prefix) + "input_ids")) continue;
    const auto batch = vltune::test::fixture_case_batch(model->family(), f, prefix);
    const at::Tensor with = logits_of(*model, batch, true), without = logits_of(*model, batch, false);
    QVERIFY2(at::equal(with, without), prefix);
  }
}

void TestDeviceReads::mirrorOfAnotherShapeIsRefused() {
  const auto families = vltune::test::fixture_families_of({ModelFamily::qwen2_vl});
  if (families.empty()) QSKIP("no Qwen2-VL fixture");
  const auto f = vltune::test::parity_fixture(QString::fromStdString(families.front()));
  auto model = vltune::models::load_qwen_vl(f.dir / "model");
  auto in = vltune::data::qwen_inputs(vltune::test::fixture_batch(ModelFamily::qwen2_vl, f));
  in.host_input_ids = in.host_input_ids.narrow(1, 0, in.host_input_ids.size(1) - 1);
  const QString message = QString::fromStdString(vltune::test::error_of([&] { model->forward(in); }));
  QVERIFY2(message.contains("host_input_ids"), qPrintable(message));
}

QTEST_GUILESS_MAIN(TestDeviceReads)
#include "test_device_reads.moc"
