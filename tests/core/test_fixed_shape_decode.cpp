// Fixed-shape decoding (core/gen/fixed_shape_decode, KvCache's static mode): the step that a CUDA
// graph records and replays. On the CPU it runs the same fixed-shape step plainly, so these tests
// check what the graph replays: attention over the whole cache with the unwritten slots masked,
// the slot, position and mask advanced on the device, gives the tokens of the growing-cache
// steps and of transformers (base.generate in the fixtures), for every family, with and without
// an adapter, greedy and sampled; the static cache writes where its slot says and refuses what
// it can't hold.

// LibTorch and the engine before Qt: Qt's `slots` macro would break torch's headers.
#include "core/gen/fixed_shape_decode.h"
#include "core/gen/generation_params.h"
#include "core/gen/generator.h"
#include "core/lora/lora_factory.h"
#include "core/lora/lora_model.h"
#include "core/models/kv_cache.h"

#include <QtTest/QtTest>

#include <algorithm>
#include <memory>
#include <vector>

#include "tests/model_parity_support.h"

#include "core/env_switch.h"
#include "core/error.h"
#include "core/io/safetensors.h"
#include "core/text/tokenizer.h"
#include "tests/test_support.h"

using vltune::test::error_of;

using vltune::gen::GenerationParams;
using vltune::gen::GenerationResult;
using vltune::gen::StepShapes;
using vltune::lora::LoraModel;
using vltune::models::KvCache;
using Fixture = vltune::test::ParityFixture;

namespace {

// Every fixture family whose reference holds a greedy generation (the VLMs; not CLIP).
void add_family_rows() { vltune::test::add_family_rows_with({"base.generate"}, "generation"); }

// gen::generate on the fixture's prompt with the steps run as `shapes`, in eval mode.
GenerationResult generate(LoraModel& model, const vltune::text::Tokenizer& tokenizer, const Fixture& f,
                          const GenerationParams& params, StepShapes shapes) {
  vltune::gen::EvalModeGuard eval(model);
  auto decode = vltune::gen::decode_model(model, vltune::test::fixture_batch(model.family(), f, /*labels=*/false));
  decode.shapes = shapes;
  return vltune::gen::generate(decode, tokenizer, params);
}

// Same tokens, and each step's logits equal but for the order of float32 sums (the masked slots
// add exact zeros to the attention's sums, which may regroup them).
void compare_runs(const GenerationResult& got, const GenerationResult& want, const char* what) {
  QVERIFY2(got.token_ids == want.token_ids, qPrintable(QString("%1: the tokens differ").arg(what)));
  QCOMPARE(got.logits.size(), want.logits.size());
  double worst = 0;
  for (size_t i = 0; i < got.logits.size(); ++i) {
    const double scale = std::max(1.0, want.logits[i].abs().max().item<double>());
    worst = std::max(worst, (got.logits[i] - want.logits[i]).abs().max().item<double>() / scale);
  }
  qInfo("%s: %zu tokens, worst logit |diff| / max(1, |logit|) %.3g", what, got.token_ids.size(), worst);
  QVERIFY2(worst <= 1e-5, qPrintable(QString("%1: logits differ by %2").arg(what).arg(worst)));
}

}  // namespace

class TestFixedShapeDecode : public QObject {
  Q_OBJECT
 private slots:
  void staticCacheWritesAtTheSlot();
  void staticCacheRefusesWhatItCannotHold();
  void matchesTransformersAndGrowingSteps_data() { add_family_rows(); }
  void matchesTransformersAndGrowingSteps();
  void cacheFullIsAnError();
  void cudaGraphsSwitch();
};

void TestFixedShapeDecode::staticCacheWritesAtTheSlot() {
  torch::manual_seed(5);
  KvCache cache;
  cache.reserve(8);
  const auto k0 = torch::randn({1, 2, 3, 4}), v0 = torch::randn({1, 2, 3, 4});
  for (size_t layer = 0; layer < 2; ++layer) cache.append(layer, k0 + static_cast<double>(layer), v0);
  QCOMPARE(cache.attended(1), int64_t{4});
  auto slot = torch::full({1}, 3, torch::kLong);
  cache.begin_static(slot);
  QVERIFY(cache.is_static());
  QCOMPARE(cache.attended(1), int64_t{8});  // every slot, masked by the caller
  for (int64_t at : {3, 6}) {
    slot.fill_(at);  // the caller moves the slot; the cache reads it on the device
    const auto k = torch::randn({1, 2, 1, 4}), v = torch::randn({1, 2, 1, 4});
    const auto [keys, values] = cache.append(1, k, v);
    QCOMPARE(keys.sizes().vec(), (std::vector<int64_t>{1, 2, 8, 4}));
    QVERIFY(torch::equal(keys.narrow(2, 0, 3), k0 + 1.0));  // the prompt's, untouched
    QVERIFY(torch::equal(keys.narrow(2, at, 1), k));
    QVERIFY(torch::equal(values.narrow(2, at, 1), v));
    QVERIFY(torch::equal(values.narrow(2, 0, 3), v0));
  }
  // The slots never written are zeros (masked, but 0 * NaN would be NaN).
  const auto [keys, values] = cache.append(0, torch::ones({1, 2, 1, 4}), torch::ones({1, 2, 1, 4}));
  for (int64_t s : {4, 5, 7}) {
    QVERIFY(torch::equal(keys.narrow(2, s, 1), torch::zeros({1, 2, 1, 4})));
    QVERIFY(torch::equal(values.narrow(2, s, 1), torch::zeros({1, 2, 1, 4})));
  }
  QCOMPARE(cache.length(), int64_t{3});  // what the prompt wrote
  cache.clear();
  QVERIFY(!cache.is_static());
  QCOMPARE(cache.length(), int64_t{0});
  QCOMPARE(cache.attended(2), int64_t{2});
}

void TestFixedShapeDecode::staticCacheRefusesWhatItCannotHold() {
  const auto slot = torch::zeros({1}, torch::kLong);
  KvCache empty;
  empty.reserve(4);
  QVERIFY(vltune::test::contains(error_of([&] { empty.begin_static(slot); }), "nothing cached yet"));

  KvCache unreserved;  // sized by its first append: no room after the prompt
  unreserved.append(0, torch::zeros({1, 1, 3, 2}), torch::zeros({1, 1, 3, 2}));
  const auto msg = error_of([&] { unreserved.begin_static(slot); });
  QVERIFY2(vltune::test::contains(msg, "layer 0 holds 3 positions, the reserved capacity is 0"), msg.c_str());

  KvCache cache;
  cache.reserve(6);
  cache.append(0, torch::zeros({1, 1, 2, 2}), torch::zeros({1, 1, 2, 2}));
  cache.begin_static(slot);
  const auto two = error_of([&] { cache.append(0, torch::zeros({1, 1, 2, 2}), torch::zeros({1, 1, 2, 2})); });
  QVERIFY2(vltune::test::contains(two, "given 2 tokens (one at a time)"), two.c_str());
  const auto layer = error_of([&] { cache.append(1, torch::zeros({1, 1, 1, 2}), torch::zeros({1, 1, 1, 2})); });
  QVERIFY2(vltune::test::contains(layer, "layer 1 of 1"), layer.c_str());
}

void TestFixedShapeDecode::matchesTransformersAndGrowingSteps() {
  QFETCH(QString, family);
  const Fixture f = vltune::test::parity_fixture(family);
  auto model = vltune::lora::open_model(f.dir / "model");
  const auto tokenizer = vltune::text::load_tokenizer(f.dir / "model");

  // Greedy, as transformers' base.generate (its stop ids, its length): fixed-shape steps give its tokens.
  const auto expected = vltune::test::generated_tokens(f, "base.generate");
  auto params = vltune::gen::read_generation_params(f.dir / "model");
  params.max_new_tokens = static_cast<int64_t>(expected.size());
  params.output_logits = true;
  const auto fixed = generate(*model, *tokenizer, f, params, StepShapes::fixed);
  QVERIFY2(fixed.token_ids == expected, "fixed-shape steps: the tokens differ from transformers' base.generate");
  QVERIFY(!fixed.cuda_graph);
  compare_runs(fixed, generate(*model, *tokenizer, f, params, StepShapes::growing), "greedy, base");
  // Asking for a graph on the CPU runs the same fixed-shape steps, without one.
  const auto graph = generate(*model, *tokenizer, f, params, StepShapes::graph);
  QVERIFY(!graph.cuda_graph);
  compare_runs(graph, fixed, "graph requested on the CPU");

  // Stopped by a stop id before max_new_tokens: each step after the first is launched before its
  // token is read, so the step launched with the stop token runs for nothing; what comes out is
  // what the growing steps give, and ends at the stop token.
  if (expected.size() >= 3) {
    auto stopping = params;
    stopping.stop_ids = {expected[2]};
    stopping.max_new_tokens = static_cast<int64_t>(expected.size()) + 8;
    const auto early = generate(*model, *tokenizer, f, stopping, StepShapes::fixed);
    const auto at = std::find(expected.begin(), expected.end(), expected[2]);
    QVERIFY2(early.token_ids == std::vector<int64_t>(expected.begin(), at + 1), "stopped at a stop id: the tokens differ");
    QCOMPARE(early.finish, vltune::gen::FinishReason::eos);
    compare_runs(early, generate(*model, *tokenizer, f, stopping, StepShapes::growing), "greedy, stopped at a stop id");
  }

  // Longer, without stop ids, with an adapter whose B is not zero (its product changes every
  // layer's output) and every sampling processor on: the same draws from the same scores.
  vltune::test::activate_moved_adapter(*model, f);
  GenerationParams sampled;
  sampled.max_new_tokens = 20;
  sampled.do_sample = true;
  sampled.seed = 3;
  sampled.temperature = 0.9;
  sampled.top_k = 30;
  sampled.top_p = 0.95;
  sampled.repetition_penalty = 1.2;
  sampled.output_logits = true;
  const auto adapted = generate(*model, *tokenizer, f, sampled, StepShapes::fixed);
  QCOMPARE(static_cast<int64_t>(adapted.token_ids.size()), sampled.max_new_tokens);
  compare_runs(adapted, generate(*model, *tokenizer, f, sampled, StepShapes::growing), "sampled, adapted");
  // The adapter counts: switched off, the fixed-shape steps follow the base again.
  model->set_active_adapters({});
  compare_runs(generate(*model, *tokenizer, f, params, StepShapes::fixed), fixed, "greedy, adapter off");
}

void TestFixedShapeDecode::cacheFullIsAnError() {
  const auto families = vltune::test::fixture_families_of(
      {vltune::io::ModelFamily::qwen2_vl, vltune::io::ModelFamily::qwen2_5_vl, vltune::io::ModelFamily::idefics3,
       vltune::io::ModelFamily::llava});
  QVERIFY2(!families.empty(), "no fixture family with a decoder");
  const Fixture f = vltune::test::parity_fixture(QString::fromStdString(families.front()));
  auto model = vltune::lora::open_model(f.dir / "model");
  vltune::gen::EvalModeGuard eval(*model);
  torch::NoGradGuard no_grad;
  const auto decode = vltune::gen::decode_model(*model, vltune::test::fixture_batch(model->family(), f, /*labels=*/false));
  KvCache cache;
  cache.reserve(decode.prompt_ids.size(1) + 2);  // room for two new tokens
  const auto prefill = decode.prefill(cache);
  vltune::gen::FixedShapeDecode steps(decode.step, cache, prefill.mask, prefill.next_position, /*cuda_graph=*/true);
  QVERIFY(!steps.graphed());
  const auto token = torch::zeros({1, 1}, torch::kLong);
  QVERIFY2(vltune::test::contains(error_of([&] { steps.token_id(); }), "no token taken yet"), "token_id before a step");
  QCOMPARE(steps.next(token).dim(), int64_t{2});
  QCOMPARE(steps.token_id(), int64_t{0});
  steps.next(torch::full({1, 1}, 7, torch::kLong));
  QCOMPARE(steps.token_id(), int64_t{7});  // the token the last step took
  const auto msg = error_of([&] { steps.next(token); });
  QVERIFY2(vltune::test::contains(msg, "the KV cache is full"), msg.c_str());
}

// VLTUNE_CUDA_GRAPHS, read once as every switch (test_env_switch), here through set_switch().
void TestFixedShapeDecode::cudaGraphsSwitch() {
  const bool before = vltune::switch_on(vltune::Switch::cuda_graphs);
  vltune::set_switch(vltune::Switch::cuda_graphs, false);
  QVERIFY(!vltune::gen::cuda_graphs_allowed());
  vltune::set_switch(vltune::Switch::cuda_graphs, true);
  QVERIFY(vltune::gen::cuda_graphs_allowed());
  vltune::set_switch(vltune::Switch::cuda_graphs, before);
}

QTEST_APPLESS_MAIN(TestFixedShapeDecode)
#include "test_fixed_shape_decode.moc"
