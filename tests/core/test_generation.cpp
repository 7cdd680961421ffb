// The generation engine (core/gen): greedy generation through gen::generate equals transformers'
// base.generate and, after the reference's AdamW step on its adapter, lora_after_step.generate,
// for every fixture family that has them, on one loaded model with the adapter switched on and
// off; the logits processors on hand-made scores against transformers' definitions; seeded
// sampling; stop strings, stop ids, max_new_tokens and cancelling mid-stream; the streamed pieces
// joining to the final text. Every expected token read from the fixtures
// (../shared/fixtures/hf, or $VLTUNE_HF_FIXTURES).

// LibTorch and the engine before Qt: Qt's `slots` macro would break torch's headers.
#include "core/gen/generation_params.h"
#include "core/gen/generator.h"
#include "core/gen/logits_processors.h"
#include "core/gen/stop_strings.h"
#include "core/lora/lora_factory.h"
#include "core/models/kv_cache.h"

#include <QtTest/QtTest>

#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <numeric>
#include <stop_token>

#include "tests/model_parity_support.h"

#include "core/error.h"
#include "core/io/aux_configs.h"
#include "core/io/json_file.h"
#include "core/io/safetensors.h"
#include "core/text/tokenizer.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;
using vltune::gen::FinishReason;
using vltune::gen::GenerationParams;
using vltune::gen::GenerationResult;
using vltune::io::Json;
using vltune::lora::LoraModel;
using Fixture = vltune::test::ParityFixture;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// Every fixture family whose reference holds a greedy generation (the VLMs; not CLIP).
void add_family_rows() { vltune::test::add_family_rows_with({"base.generate"}, "generation"); }

// A fixture family's model without adapters and its tokenizer, loaded once (generation leaves the
// model as it was).
struct Loaded {
  std::unique_ptr<LoraModel> model;
  std::shared_ptr<const vltune::text::Tokenizer> tokenizer;
};
Loaded& loaded(const Fixture& f) {
  static std::map<fs::path, Loaded> cache;
  auto it = cache.find(f.dir);
  if (it == cache.end())
    it = cache.emplace(f.dir, Loaded{vltune::lora::open_model(f.dir / "model"), vltune::text::load_tokenizer(f.dir / "model")}).first;
  return it->second;
}

// A generation with what the callback saw.
struct Run {
  GenerationResult result;
  std::string streamed;        // every piece joined
  int64_t token_events = 0;    // callbacks with a token
  int64_t closing_events = 0;  // callbacks without one (held-back text)
  bool indices_in_order = true;
};

// gen::generate on the fixture's prompt; with cancel_after > 0 the callback triggers the stop
// token once it has seen that many tokens.
Run run(LoraModel& model, const vltune::text::Tokenizer& tokenizer, const Fixture& f, const GenerationParams& params,
        int64_t cancel_after = 0) {
  std::stop_source stop;
  Run r;
  auto on_token = [&](const vltune::gen::TokenEvent& e) {
    r.streamed += e.text;
    if (e.token_id < 0) {
      ++r.closing_events;
      r.indices_in_order &= e.index == r.token_events;
      return;
    }
    r.indices_in_order &= e.index == r.token_events && r.closing_events == 0;
    ++r.token_events;
    if (cancel_after > 0 && r.token_events == cancel_after) stop.request_stop();
  };
  r.result = vltune::gen::generate(model, vltune::test::fixture_batch(model.family(), f, /*labels=*/false), tokenizer, params, on_token, stop.get_token());
  return r;
}

std::vector<int64_t> head(const std::vector<int64_t>& v, size_t n) { return {v.begin(), v.begin() + static_cast<std::ptrdiff_t>(std::min(n, v.size()))}; }

std::string decode(const vltune::text::Tokenizer& tokenizer, const std::vector<int64_t>& ids) {
  const std::vector<vltune::text::TokenId> narrow(ids.begin(), ids.end());
  return tokenizer.decode(narrow, /*skip_special=*/true);
}

// Checks every run shares: the pieces join to the text, indices count up, the token count.
void check_stream(const Run& r, const char* what) {
  QVERIFY2(r.streamed == r.result.text, qPrintable(QString("%1: streamed \"%2\", result \"%3\"").arg(what)
                                                       .arg(QString::fromStdString(r.streamed)).arg(QString::fromStdString(r.result.text))));
  QCOMPARE(r.token_events, static_cast<int64_t>(r.result.token_ids.size()));
  QVERIFY(r.closing_events <= 1);
  QVERIFY(r.indices_in_order);
}

// Greedy params from the fixture's generation_config.json (do_sample absent: greedy).
GenerationParams fixture_greedy(const Fixture& f, int64_t max_new_tokens) {
  auto p = vltune::gen::read_generation_params(f.dir / "model");
  p.max_new_tokens = max_new_tokens;
  return p;
}

// The greedy continuation the stop tests cut: long, no stop ids.
constexpr int64_t kLong = 24;
GenerationParams plain_greedy(int64_t max_new_tokens = kLong) {
  GenerationParams p;
  p.max_new_tokens = max_new_tokens;
  return p;
}

// The greedy continuation of a family's prompt, kLong tokens without stop ids, computed once.
const Run& greedy_run(const Fixture& f) {
  static std::map<fs::path, Run> cache;
  auto it = cache.find(f.dir);
  if (it == cache.end()) {
    auto& [model, tokenizer] = loaded(f);
    it = cache.emplace(f.dir, run(*model, *tokenizer, f, plain_greedy())).first;
  }
  return it->second;
}

// The reference's AdamW step (make_fixtures.py) on the adapter, from the reference's own
// gradients (lora_grads.safetensors): the adapter lora_after_step.generate was made with.
void reference_adamw_step(LoraModel& model, const Fixture& f) {
  const Json s = f.reference.value("lora_adamw", Json::object());
  const auto betas = s.value("betas", std::vector<double>{0.9, 0.999});
  std::vector<torch::Tensor> tensors;
  for (const auto& p : model.trainable_parameters()) tensors.push_back(p.tensor);
  torch::optim::AdamW optimizer(tensors, torch::optim::AdamWOptions(s.value("lr", 1e-2))
                                             .betas({betas.at(0), betas.at(1)})
                                             .eps(s.value("eps", 1e-8))
                                             .weight_decay(s.value("weight_decay", 0.01)));
  const auto grads = vltune::io::SafetensorsFile::open(f.dir / "lora_grads.safetensors");
  for (const auto& p : model.trainable_parameters()) p.tensor.mutable_grad() = grads.tensor(p.name).clone();
  optimizer.step();
}

// Scores [1, V] from a list.
torch::Tensor scores(std::vector<float> values) { return torch::tensor(values, torch::kFloat32).unsqueeze(0); }

// Which entries a processor kept (not -inf), as 0/1.
std::vector<int> kept(const torch::Tensor& processed) {
  const auto k = processed.reshape({-1}).ne(-kInf).to(torch::kInt32).contiguous();
  return {k.data_ptr<int32_t>(), k.data_ptr<int32_t>() + k.numel()};
}

// Top-p by its definition: visiting tokens from the most likely down (ties by id), keep each
// while the mass kept before it is below p; at least one.
std::vector<int> top_p_by_definition(const std::vector<double>& probs, double p) {
  std::vector<size_t> order(probs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return probs[a] > probs[b]; });
  std::vector<int> keep(probs.size(), 0);
  double mass = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    if (i > 0 && mass >= p) break;
    keep[order[i]] = 1;
    mass += probs[order[i]];
  }
  return keep;
}

std::vector<float> logs(const std::vector<double>& probs) {
  std::vector<float> out;
  for (double p : probs) out.push_back(static_cast<float>(std::log(p)));
  return out;
}

}  // namespace

class TestGeneration : public QObject {
  Q_OBJECT

 private slots:
  void greedyMatchesFixtures_data() { add_family_rows(); }
  void greedyMatchesFixtures();
  void repetitionPenalty();
  void temperatureAndTopK();
  void topP();
  void minP();
  void processorOrder();
  void samplerDrawsFromTheDistribution();
  void seededSampling_data() { add_family_rows(); }
  void seededSampling();
  void stopStrings_data() { add_family_rows(); }
  void stopStrings();
  void stopStringFilterHoldsBack();
  void stopIdsAndLength_data() { add_family_rows(); }
  void stopIdsAndLength();
  void cancelMidStream_data() { add_family_rows(); }
  void cancelMidStream();
  void paramsFromGenerationConfig();
  void invalidParamsNameTheField();
  void kvCacheWritesInPlace();
};

void TestGeneration::greedyMatchesFixtures() {
  // One loaded model: the base, the adapter after the reference's step, the base again.
  QFETCH(QString, family);
  const Fixture f = vltune::test::parity_fixture(family);
  auto model = vltune::lora::open_model(f.dir / "model");
  const auto tokenizer = vltune::text::load_tokenizer(f.dir / "model");

  const auto base = vltune::test::generated_tokens(f, "base.generate");
  const auto check = [&](const std::vector<int64_t>& expected, const char* what) {
    const Run r = run(*model, *tokenizer, f, fixture_greedy(f, static_cast<int64_t>(expected.size())));
    qInfo("%s: %zu tokens, %s, prefill %.3f s, %.1f tok/s", what, r.result.token_ids.size(), to_string(r.result.finish),
          r.result.prefill_seconds, r.result.tokens_per_second);
    QVERIFY2(r.result.token_ids == expected, qPrintable(QString("%1: tokens differ from the reference").arg(what)));
    check_stream(r, what);
    // The text is the tokens' (special tokens skipped), the stopping EOS left out.
    auto shown = r.result.token_ids;
    if (r.result.finish == FinishReason::eos) shown.pop_back();
    QCOMPARE(r.result.text, decode(*tokenizer, shown));
  };
  check(base, "base.generate");
  if (QTest::currentTestFailed()) return;

  if (!f.tensors.contains("lora_after_step.generate")) QSKIP("this fixture set has no adapted generation");
  model->load_adapter(f.dir / "adapter");
  model->set_trainable_adapter("default");
  reference_adamw_step(*model, f);
  model->set_trainable_adapter("");
  const auto adapted = vltune::test::generated_tokens(f, "lora_after_step.generate");
  check(adapted, "lora_after_step.generate");
  if (QTest::currentTestFailed()) return;
  model->set_active_adapters({});
  check(base, "base.generate, adapter off");
  if (QTest::currentTestFailed()) return;
  model->set_active_adapters({"default"});
  check(adapted, "lora_after_step.generate, adapter on again");
}

void TestGeneration::repetitionPenalty() {
  // RepetitionPenaltyLogitsProcessor: seen tokens' scores / penalty when > 0, * penalty when < 0.
  const std::vector<float> x = {2.0f, -1.0f, 0.5f, -3.0f, 1.5f, 0.0f};
  const auto ids = torch::tensor(std::vector<int64_t>{0, 1, 1, 3, 5});  // 1 twice: penalised once
  const double penalty = 2.0;
  std::vector<float> expected = x;
  for (int64_t id : {0, 1, 3, 5}) expected[id] = x[id] < 0 ? x[id] * penalty : x[id] / penalty;
  const auto got = vltune::gen::apply_repetition_penalty(scores(x), vltune::gen::seen_tokens(ids, 6), penalty);
  QVERIFY(torch::allclose(got, scores(expected)));

  // Through the sampler: the prompt counts, and so does every token it picks (greedy too).
  GenerationParams p;
  p.repetition_penalty = 10.0;
  vltune::gen::TokenSampler sampler(p, torch::tensor(std::vector<int64_t>{0}).unsqueeze(0));
  const auto logits = scores({3.0f, 2.0f, 1.0f});
  QCOMPARE(sampler.next(logits).item<int64_t>(), int64_t{1});  // 3 / 10 < 2
  QCOMPARE(sampler.next(logits).item<int64_t>(), int64_t{2});  // 0.3, 0.2 < 1
  QCOMPARE(sampler.next(logits).item<int64_t>(), int64_t{0});  // 0.3 > 0.2 > 0.1
}

void TestGeneration::temperatureAndTopK() {
  const auto x = scores({1.0f, 3.0f, 2.0f, 3.0f, 0.0f});
  QVERIFY(torch::allclose(vltune::gen::apply_temperature(x, 0.5), x * 2));
  // TopKLogitsWarper removes scores below the k-th highest: ties with it stay.
  QCOMPARE(kept(vltune::gen::apply_top_k(x, 1)), (std::vector<int>{0, 1, 0, 1, 0}));
  QCOMPARE(kept(vltune::gen::apply_top_k(x, 2)), (std::vector<int>{0, 1, 0, 1, 0}));
  QCOMPARE(kept(vltune::gen::apply_top_k(x, 3)), (std::vector<int>{0, 1, 1, 1, 0}));
  QCOMPARE(kept(vltune::gen::apply_top_k(x, 99)), (std::vector<int>{1, 1, 1, 1, 1}));
  // k below min_tokens_to_keep is raised to it.
  QCOMPARE(kept(vltune::gen::apply_top_k(scores({1.0f, 3.0f, 2.0f}), 1, /*min_keep=*/2)), (std::vector<int>{0, 1, 1}));
  // Kept scores are unchanged.
  const auto y = vltune::gen::apply_top_k(x, 3);
  QCOMPARE(y[0][2].item<float>(), 2.0f);
}

void TestGeneration::topP() {
  // Probabilities away from every boundary, shuffled so that sorting matters.
  const std::vector<double> probs = {0.1, 0.5, 0.05, 0.2, 0.15};
  const auto x = scores(logs(probs));
  for (double p : {0.0, 0.3, 0.45, 0.6, 0.75, 0.8, 0.9, 0.97, 1.0}) {
    const auto want = top_p_by_definition(probs, p);
    QVERIFY2(kept(vltune::gen::apply_top_p(x, p)) == want, qPrintable(QString("top_p %1").arg(p)));
  }
  QCOMPARE(kept(vltune::gen::apply_top_p(x, 0.6)), (std::vector<int>{0, 1, 0, 1, 0}));  // 0.5 + 0.2 reaches 0.6
  QCOMPARE(kept(vltune::gen::apply_top_p(x, 0.0)), (std::vector<int>{0, 1, 0, 0, 0}));  // at least one
  // min_tokens_to_keep keeps the most likely ones whatever p says.
  QCOMPARE(kept(vltune::gen::apply_top_p(x, 0.3, /*min_keep=*/3)), (std::vector<int>{0, 1, 0, 1, 1}));
  // Kept scores are unchanged (no renormalisation here: softmax does it later).
  QCOMPARE(vltune::gen::apply_top_p(x, 0.6)[0][3].item<float>(), x[0][3].item<float>());
}

void TestGeneration::minP() {
  // MinPLogitsWarper: drop tokens whose probability is below min_p times the top one.
  const std::vector<double> probs = {0.1, 0.5, 0.05, 0.2, 0.15};
  const auto x = scores(logs(probs));
  for (double m : {0.0, 0.15, 0.25, 0.35, 0.5, 1.0}) {
    std::vector<int> want;
    for (double q : probs) want.push_back(q >= m * 0.5 - 1e-9 ? 1 : 0);
    QVERIFY2(kept(vltune::gen::apply_min_p(x, m)) == want, qPrintable(QString("min_p %1").arg(m)));
  }
  QCOMPARE(kept(vltune::gen::apply_min_p(x, 0.35)), (std::vector<int>{0, 1, 0, 1, 0}));  // >= 0.175
  QCOMPARE(kept(vltune::gen::apply_min_p(x, 0.35, /*min_keep=*/3)), (std::vector<int>{0, 1, 0, 1, 1}));
}

void TestGeneration::processorOrder() {
  // transformers' order: penalty, temperature, top-k, top-p, min-p; the warpers only when sampling.
  const std::vector<double> probs = {0.1, 0.5, 0.05, 0.2, 0.15};
  const auto x = scores(logs(probs));
  GenerationParams p;
  p.do_sample = true;
  p.top_k = 0;
  p.temperature = 3.0;
  p.min_p = 0.65;
  vltune::gen::TokenSampler sampler(p, torch::zeros({1, 0}, torch::kLong));
  // min_p after temperature: the flattened distribution keeps more than min_p on the raw one.
  const auto warm = vltune::gen::apply_temperature(x, 3.0);
  QVERIFY(torch::equal(sampler.process(x), vltune::gen::apply_min_p(warm, 0.65)));
  QCOMPARE(kept(sampler.process(x)), (std::vector<int>{0, 1, 0, 1, 1}));  // p^(1/3) / top: .58 1 .46 .74 .67
  QCOMPARE(kept(vltune::gen::apply_min_p(x, 0.65)), (std::vector<int>{0, 1, 0, 0, 0}));

  // top-k before top-p: top-p's mass is over what top-k left.
  p.temperature = 1.0;
  p.min_p = 0.0;
  p.top_k = 2;
  p.top_p = 0.6;
  vltune::gen::TokenSampler k_then_p(p, torch::zeros({1, 0}, torch::kLong));
  // After top-k {0.5, 0.2} renormalise to {0.714, 0.286}: 0.714 alone reaches 0.6.
  QCOMPARE(kept(k_then_p.process(x)), (std::vector<int>{0, 1, 0, 0, 0}));

  // Greedy: the warpers are not applied; scores pass through.
  p.do_sample = false;
  vltune::gen::TokenSampler greedy(p, torch::zeros({1, 0}, torch::kLong));
  QVERIFY(torch::equal(greedy.process(x), x));
  QCOMPARE(greedy.next(x).item<int64_t>(), int64_t{1});
}

void TestGeneration::samplerDrawsFromTheDistribution() {
  const std::vector<double> probs = {0.5, 0.3, 0.2, 0.0};
  auto x = scores({std::log(0.5f), std::log(0.3f), std::log(0.2f), -kInf});
  GenerationParams p;
  p.do_sample = true;
  p.top_k = 0;
  p.seed = 3;
  vltune::gen::TokenSampler sampler(p, torch::zeros({1, 0}, torch::kLong));
  const int draws = 4000;
  std::vector<int> counts(4, 0);
  for (int i = 0; i < draws; ++i) ++counts.at(static_cast<size_t>(sampler.next(x).item<int64_t>()));
  QCOMPARE(counts[3], 0);  // probability 0: never
  for (size_t k = 0; k < 3; ++k) {
    // 5 standard deviations of a binomial frequency.
    const double tolerance = 5 * std::sqrt(probs[k] * (1 - probs[k]) / draws);
    const double freq = static_cast<double>(counts[k]) / draws;
    QVERIFY2(std::abs(freq - probs[k]) < tolerance, qPrintable(QString("token %1: %2 vs %3").arg(k).arg(freq).arg(probs[k])));
  }
}

void TestGeneration::seededSampling() {
  QFETCH(QString, family);
  const Fixture f = vltune::test::parity_fixture(family);
  auto& [model, tokenizer] = loaded(f);
  const int64_t steps = 16;
  const auto greedy = head(greedy_run(f).result.token_ids, steps);  // greedy's first 16 are a 16-token run's

  GenerationParams p = plain_greedy(steps);
  p.do_sample = true;
  p.top_k = 0;
  p.seed = 7;
  const Run first = run(*model, *tokenizer, f, p);
  check_stream(first, "seed 7");
  QCOMPARE(static_cast<int64_t>(first.result.token_ids.size()), steps);
  QVERIFY2(run(*model, *tokenizer, f, p).result.token_ids == first.result.token_ids, "the same seed gave other tokens");
  bool differs = false;
  for (uint64_t seed : {8, 9, 10}) {
    p.seed = seed;
    if ((differs = run(*model, *tokenizer, f, p).result.token_ids != first.result.token_ids)) break;
  }
  QVERIFY2(differs, "three other seeds all gave the tokens of seed 7");

  // Every processor on: still reproducible.
  GenerationParams all = p;
  all.seed = 11;
  all.temperature = 0.8;
  all.top_k = 40;
  all.top_p = 0.9;
  all.min_p = 0.02;
  all.repetition_penalty = 1.3;
  QVERIFY(run(*model, *tokenizer, f, all).result.token_ids == run(*model, *tokenizer, f, all).result.token_ids);

  // The greedy limits of sampling: top_k = 1, and a temperature near 0.
  p.top_k = 1;
  QVERIFY2(run(*model, *tokenizer, f, p).result.token_ids == greedy, "top_k = 1 differs from greedy");
  p.top_k = 0;
  p.temperature = 1e-6;
  QVERIFY2(run(*model, *tokenizer, f, p).result.token_ids == greedy, "temperature 1e-6 differs from greedy");
}

void TestGeneration::stopStrings() {
  QFETCH(QString, family);
  const Fixture f = vltune::test::parity_fixture(family);
  auto& [model, tokenizer] = loaded(f);
  const Run& full = greedy_run(f);
  check_stream(full, "greedy");
  const auto& tokens = full.result.token_ids;
  const std::string& text = full.result.text;
  QCOMPARE(text, decode(*tokenizer, tokens));

  // A stop string from the second half of the greedy text: two characters, no U+FFFD, not blank.
  std::string stop;
  auto is_lead = [&](size_t i) { return i == text.size() || (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80; };
  for (size_t at = text.size() / 2; at < text.size() && stop.empty(); ++at) {
    if (!is_lead(at)) continue;
    size_t end = at, chars = 0;
    while (end < text.size() && chars < 2)
      for (++end, ++chars; end < text.size() && !is_lead(end);) ++end;
    const std::string candidate = text.substr(at, end - at);
    if (chars == 2 && candidate.find("\xEF\xBF\xBD") == std::string::npos &&
        candidate.find_first_not_of(" \n\t") != std::string::npos)
      stop = candidate;
  }
  QVERIFY2(!stop.empty(), qPrintable("no stop string to pick in \"" + QString::fromStdString(text) + "\""));
  // Generation must stop at the token whose text first holds it.
  size_t n = 1;
  while (decode(*tokenizer, head(tokens, n)).find(stop) == std::string::npos) ++n;
  qInfo("stop string \"%s\": after %zu of %zu tokens", stop.c_str(), n, tokens.size());

  GenerationParams p = plain_greedy();
  p.stop_strings = {"\x01never", stop};
  const Run cut = run(*model, *tokenizer, f, p);
  check_stream(cut, "stop string");
  QCOMPARE(cut.result.finish, FinishReason::stop_string);
  QCOMPARE(cut.result.stop_string, stop);
  QVERIFY(cut.result.token_ids == head(tokens, n));
  QCOMPARE(cut.result.text, text.substr(0, text.find(stop)));

  // A stop string that starts like the text but never completes: held back, then handed over.
  const std::string almost = stop + "\x02";
  QVERIFY(text.find(almost) == std::string::npos);
  p.stop_strings = {almost};
  const Run whole = run(*model, *tokenizer, f, p);
  check_stream(whole, "unfinished stop string");
  QCOMPARE(whole.result.finish, FinishReason::length);
  QVERIFY(whole.result.token_ids == tokens);
  QCOMPARE(whole.result.text, text);
}

void TestGeneration::stopStringFilterHoldsBack() {
  vltune::gen::StopStringFilter filter({"<end>", "##"});
  QCOMPARE(filter.push("Hello <e").text, std::string("Hello "));  // "<e" may begin "<end>"
  QCOMPARE(filter.push("x").text, std::string("<ex"));            // it did not
  QCOMPARE(filter.push(" a#").text, std::string(" a"));
  const auto out = filter.push("#b");
  QVERIFY(out.stopped);
  QCOMPARE(out.text, std::string());
  QCOMPARE(filter.matched(), std::string("##"));

  // The earliest stop string wins; the rest of the piece is dropped.
  vltune::gen::StopStringFilter two({"cd", "b"});
  const auto o = two.push("abcd");
  QVERIFY(o.stopped);
  QCOMPARE(o.text, std::string("a"));
  QCOMPARE(two.matched(), std::string("b"));

  // Held-back text comes back at the end; multi-byte characters are never split.
  vltune::gen::StopStringFilter cjk({"你好吗"});
  QCOMPARE(cjk.push("说你好").text, std::string("说"));
  QCOMPARE(cjk.finish(), std::string("你好"));
}

void TestGeneration::stopIdsAndLength() {
  QFETCH(QString, family);
  const Fixture f = vltune::test::parity_fixture(family);
  auto& [model, tokenizer] = loaded(f);
  const auto& tokens = greedy_run(f).result.token_ids;

  // A stop id: the last token that is its own first occurrence (random models loop, so maybe early).
  size_t k = tokens.size() - 1;
  while (k > 0 && std::find(tokens.begin(), tokens.begin() + static_cast<std::ptrdiff_t>(k), tokens[k]) !=
                      tokens.begin() + static_cast<std::ptrdiff_t>(k))
    --k;
  qInfo("stop id %lld: token %zu of %zu", static_cast<long long>(tokens[k]), k + 1, tokens.size());
  GenerationParams p = plain_greedy();
  p.stop_ids = {999999, tokens[k]};
  const Run r = run(*model, *tokenizer, f, p);
  check_stream(r, "stop id");
  QCOMPARE(r.result.finish, FinishReason::eos);
  QVERIFY(r.result.token_ids == head(tokens, k + 1));  // the stop id included
  QCOMPARE(r.result.text, decode(*tokenizer, head(tokens, k)));  // its text not

  const Run three = run(*model, *tokenizer, f, plain_greedy(3));
  check_stream(three, "max_new_tokens 3");
  QCOMPARE(three.result.finish, FinishReason::length);
  QVERIFY(three.result.token_ids == head(tokens, 3));

  const Run none = run(*model, *tokenizer, f, plain_greedy(0));
  QVERIFY(none.result.token_ids.empty());
  QCOMPARE(none.result.finish, FinishReason::length);
  QCOMPARE(none.token_events + none.closing_events, int64_t{0});
}

void TestGeneration::cancelMidStream() {
  QFETCH(QString, family);
  const Fixture f = vltune::test::parity_fixture(family);
  auto& [model, tokenizer] = loaded(f);
  const auto& tokens = greedy_run(f).result.token_ids;
  for (int64_t k : {1, 4}) {
    const Run r = run(*model, *tokenizer, f, plain_greedy(), /*cancel_after=*/k);
    check_stream(r, "cancelled");
    QCOMPARE(r.result.finish, FinishReason::cancelled);
    QCOMPARE(static_cast<int64_t>(r.result.token_ids.size()), k);
    QVERIFY(r.result.token_ids == head(tokens, static_cast<size_t>(k)));
  }
  // Cancelled before it starts: nothing runs.
  std::stop_source stop;
  stop.request_stop();
  int calls = 0;
  const auto result = vltune::gen::generate(*model, vltune::test::fixture_batch(model->family(), f, /*labels=*/false), *tokenizer, plain_greedy(),
                                            [&](const vltune::gen::TokenEvent&) { ++calls; }, stop.get_token());
  QCOMPARE(result.finish, FinishReason::cancelled);
  QVERIFY(result.token_ids.empty());
  QCOMPARE(calls, 0);
}

void TestGeneration::paramsFromGenerationConfig() {
  // transformers' defaults when the file says nothing: greedy, top_k 50, no stop ids.
  const auto defaults = vltune::gen::from_generation_config(vltune::io::parse_generation_config(Json::object(), "g.json"));
  const GenerationParams plain;
  QCOMPARE(defaults.do_sample, plain.do_sample);
  QCOMPARE(defaults.temperature, 1.0);
  QCOMPARE(defaults.top_k, int64_t{50});
  QCOMPARE(defaults.top_p, 1.0);
  QCOMPARE(defaults.min_p, 0.0);
  QCOMPARE(defaults.repetition_penalty, 1.0);
  QCOMPARE(defaults.max_new_tokens, plain.max_new_tokens);
  QVERIFY(defaults.stop_ids.empty() && defaults.stop_strings.empty());

  // Qwen2-VL-Instruct's file, plus min_p, stop_strings and max_new_tokens.
  const Json file = Json::parse(R"({"bos_token_id": 151643, "pad_token_id": 151643, "do_sample": true,
      "eos_token_id": [151645, 151643], "repetition_penalty": 1.05, "temperature": 0.1, "top_k": 1, "top_p": 0.001,
      "min_p": 0.05, "stop_strings": "###", "max_new_tokens": 300})");
  const auto p = vltune::gen::from_generation_config(vltune::io::parse_generation_config(file, "g.json"));
  QVERIFY(p.do_sample);
  QCOMPARE(p.temperature, 0.1);
  QCOMPARE(p.top_k, int64_t{1});
  QCOMPARE(p.top_p, 0.001);
  QCOMPARE(p.min_p, 0.05);
  QCOMPARE(p.repetition_penalty, 1.05);
  QCOMPARE(p.stop_ids, (std::vector<int64_t>{151645, 151643}));
  QCOMPARE(p.stop_strings, (std::vector<std::string>{"###"}));
  QCOMPARE(p.max_new_tokens, int64_t{300});
  vltune::gen::validate(p);

  // Every fixture family's file reads; its eos ids become the stop ids.
  for (const auto& family : vltune::test::hf_fixture_families()) {
    const fs::path dir = vltune::test::hf_fixtures_root() / family / "model";
    if (!fs::exists(dir / "generation_config.json")) continue;
    QCOMPARE(vltune::gen::read_generation_params(dir).stop_ids,
             vltune::io::read_generation_config(dir / "generation_config.json").eos_token_ids);
  }
  vltune::test::TempDir empty;
  QVERIFY(vltune::gen::read_generation_params(empty.path()).stop_ids.empty());
}

void TestGeneration::invalidParamsNameTheField() {
  auto message = [](const GenerationParams& p) -> std::string {
    try {
      vltune::gen::validate(p);
    } catch (const vltune::Error& e) {
      return e.what();
    }
    return "<valid>";
  };
  GenerationParams p;
  p.do_sample = true;
  p.temperature = 0.0;
  QVERIFY(vltune::test::contains(message(p), "temperature"));
  p.do_sample = false;  // greedy ignores the temperature, as transformers does
  QCOMPARE(message(p), std::string("<valid>"));
  p = {};
  p.top_p = 1.5;
  QVERIFY(vltune::test::contains(message(p), "top_p"));
  p = {};
  p.min_p = -0.1;
  QVERIFY(vltune::test::contains(message(p), "min_p"));
  p = {};
  p.top_k = -1;
  QVERIFY(vltune::test::contains(message(p), "top_k"));
  p = {};
  p.repetition_penalty = 0.0;
  QVERIFY(vltune::test::contains(message(p), "repetition_penalty"));
  p = {};
  p.max_new_tokens = -1;
  QVERIFY(vltune::test::contains(message(p), "max_new_tokens"));
  p = {};
  p.stop_strings = {"ok", ""};
  QVERIFY(vltune::test::contains(message(p), "stop_strings[1]"));
}

void TestGeneration::kvCacheWritesInPlace() {
  // Reserved or growing, the cache returns exactly the concatenation of what was appended, and
  // a reserved one keeps writing into the same buffer (no copy of the past per step).
  torch::manual_seed(3);
  std::vector<torch::Tensor> ks, vs;
  for (int64_t t : {5, 1, 1, 3, 1}) {
    ks.push_back(torch::randn({1, 2, t, 4}));
    vs.push_back(torch::randn({1, 2, t, 4}));
  }
  vltune::models::KvCache reserved, growing;
  reserved.reserve(11);
  const void* buffer = nullptr;
  for (size_t i = 0; i < ks.size(); ++i) {
    for (size_t layer = 0; layer < 2; ++layer) {
      const double shift = static_cast<double>(layer);
      const auto [k1, v1] = reserved.append(layer, ks[i] + shift, vs[i] - shift);
      const auto [k2, v2] = growing.append(layer, ks[i] + shift, vs[i] - shift);
      const auto upto = static_cast<std::ptrdiff_t>(i + 1);
      const auto want_k = torch::cat(std::vector<torch::Tensor>(ks.begin(), ks.begin() + upto), 2) + shift;
      const auto want_v = torch::cat(std::vector<torch::Tensor>(vs.begin(), vs.begin() + upto), 2) - shift;
      QVERIFY(torch::equal(k1, want_k) && torch::equal(v1, want_v));
      QVERIFY(torch::equal(k2, want_k) && torch::equal(v2, want_v));
      QVERIFY(torch::equal(reserved.keys(layer), want_k));
      if (layer == 0) {
        if (!buffer) buffer = k1.data_ptr();
        QCOMPARE(k1.data_ptr(), buffer);
      }
    }
    QCOMPARE(reserved.length(), growing.length());
  }
  QCOMPARE(reserved.length(), int64_t{11});
  QCOMPARE(reserved.capacity(), int64_t{11});
  reserved.clear();
  QCOMPARE(reserved.length(), int64_t{0});
}

QTEST_APPLESS_MAIN(TestGeneration)
#include "test_generation.moc"
