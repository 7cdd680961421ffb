// Compare mode and multi-turn chat (core/gen/compare.h, chat_session.h), and `vltune-cli chat`.
//
// The base column must really be the base: on one loaded model carrying adapters, the base
// column's logits are bit for bit those of a freshly loaded model that never had an adapter, and
// its tokens are transformers' base.generate; the adapted column's are the reference's
// lora_after_step.generate. At every streamed token the LoRA layers hold exactly the column's
// adapters. The model's adapters, scale and training mode come back afterwards. Expected tokens
// come from the fixtures (../shared/fixtures/hf, or $VLTUNE_HF_FIXTURES).

// LibTorch and the engine before Qt: Qt's `slots` macro would break torch's headers.
#include "core/data/sample_encoder.h"
#include "core/gen/chat_session.h"
#include "core/gen/compare.h"
#include "core/gen/generator.h"
#include "core/lora/lora_factory.h"
#include "core/lora/peft_adapter.h"
#include "core/gen/chat_defaults.h"

#include <QtTest/QtTest>

#include <map>
#include <memory>

#include "tests/model_parity_support.h"

#include "core/error.h"
#include "core/io/safetensors.h"
#include "core/text/tokenizer.h"
#include "tests/cli_support.h"
#include "tests/test_support.h"
#include "tests/tiny_png.h"

namespace fs = std::filesystem;
using vltune::gen::CompareColumn;
using vltune::gen::GenerationParams;
using vltune::gen::GenerationResult;
using vltune::io::Json;
using vltune::lora::LoraModel;
using Fixture = vltune::test::ParityFixture;

namespace {

// Every fixture family whose reference holds both greedy generations (the VLMs; not CLIP).
void add_family_rows() { vltune::test::add_family_rows_with({"base.generate", "lora_after_step.generate"}, "compare"); }


// Greedy for exactly the reference's length, with its logits kept.
GenerationParams greedy(int64_t tokens) {
  GenerationParams p;
  p.max_new_tokens = tokens;
  p.output_logits = true;
  return p;
}

// The reference's AdamW step (make_fixtures.py) on adapter "default", from the reference's own
// gradients: the adapter lora_after_step.generate was made with.
void reference_adamw_step(LoraModel& model, const Fixture& f) {
  model.set_trainable_adapter("default");
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
  model.set_trainable_adapter("");
}

double max_abs_diff(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  double d = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) d = std::max(d, (a[i] - b[i]).abs().max().item<double>());
  return d;
}

bool bitwise_equal(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!torch::equal(a[i], b[i])) return false;
  return true;
}

// What every LoRA layer of `model` has switched on, as one sorted set of (adapter) names, and
// whether the layers agree.
std::vector<std::string> layers_active(LoraModel& model, bool& uniform, size_t& layers_with_any) {
  std::vector<std::string> first;
  bool seen = false;
  uniform = true;
  layers_with_any = 0;
  for (const auto& [path, layer] : vltune::lora::lora_linears(model.module())) {
    if (layer->adapters().empty()) continue;  // not a target
    auto active = layer->active();
    std::sort(active.begin(), active.end());
    if (!active.empty()) ++layers_with_any;
    if (!seen) first = active, seen = true;
    else if (active != first) uniform = false;
  }
  return first;
}

fs::path chat_image(const fs::path& dir, int seed) {
  const fs::path file = dir / ("image" + std::to_string(seed) + ".png");
  if (!fs::exists(file)) vltune::test::write_png(file, 64, 48, seed);
  return file;
}

int64_t count(const torch::Tensor& ids, int64_t id) { return ids.eq(id).sum().item<int64_t>(); }

}  // namespace

class TestCompare : public QObject {
  Q_OBJECT

 private slots:
  void baseColumnIsTheBase_data() { add_family_rows(); }
  void baseColumnIsTheBase();
  void threeColumnsHotSwapped_data() { add_family_rows(); }
  void threeColumnsHotSwapped();
  void mergedExportColumn_data() { add_family_rows(); }
  void mergedExportColumn();
  void badColumnsAreRefused();
  void chatKeepsEarlierImages_data() { add_family_rows(); }
  void chatKeepsEarlierImages();
  void chatTurnRules();
  void cliOneShotAndCompare();
  void cliInteractive();
};

void TestCompare::baseColumnIsTheBase() {
  QFETCH(QString, family);
  const Fixture f = vltune::test::parity_fixture(family);
  const auto tokenizer = vltune::text::load_tokenizer(f.dir / "model");
  const auto base_tokens = vltune::test::generated_tokens(f, "base.generate");
  const auto adapted_tokens = vltune::test::generated_tokens(f, "lora_after_step.generate");

  // A model that never had an adapter: what "base" means.
  auto pristine = vltune::lora::open_model(f.dir / "model");
  const GenerationResult reference = vltune::gen::generate(*pristine, vltune::test::fixture_batch(pristine->family(), f, /*labels=*/false), *tokenizer,
                                                           greedy(static_cast<int64_t>(base_tokens.size())));
  QVERIFY(reference.token_ids == base_tokens);

  // One model with the trained adapter, active and in training mode, as the app leaves it.
  auto model = vltune::lora::open_model(f.dir / "model");
  model->load_adapter(f.dir / "adapter");
  reference_adamw_step(*model, f);
  model->set_active_adapters({"default"});
  model->set_training(true);

  const int64_t n = static_cast<int64_t>(std::max(base_tokens.size(), adapted_tokens.size()));
  std::vector<CompareColumn> columns = {{"base", {}}, {"adapted", {"default"}}};
  // At each token, what the layers held while its logits were computed.
  std::vector<std::vector<std::vector<std::string>>> seen(2);
  std::vector<bool> agreed(2, true);
  std::vector<size_t> with_any(2, 0);
  auto on_token = [&](size_t column, const vltune::gen::TokenEvent& e) {
    if (e.token_id < 0) return;
    bool uniform = true;
    size_t any = 0;
    seen[column].push_back(layers_active(*model, uniform, any));
    agreed[column] = agreed[column] && uniform;
    with_any[column] = std::max(with_any[column], any);
  };
  const auto results = vltune::gen::generate_columns(*model, columns, {vltune::test::fixture_batch(model->family(), f, /*labels=*/false)}, *tokenizer, greedy(n), on_token);
  QCOMPARE(results.size(), size_t{2});

  // Base: the pristine model's logits bit for bit, and transformers' tokens.
  const auto& base = results[0];
  QVERIFY2(bitwise_equal(std::vector<torch::Tensor>(base.logits.begin(), base.logits.begin() + static_cast<std::ptrdiff_t>(reference.logits.size())),
                         reference.logits),
           "the base column's logits are not the adapter-free model's");
  QVERIFY(std::equal(base_tokens.begin(), base_tokens.end(), base.token_ids.begin()));
  // Adapted: the reference's adapted tokens, and logits that really differ from the base's (so
  // the check above has teeth).
  QVERIFY(std::equal(adapted_tokens.begin(), adapted_tokens.end(), results[1].token_ids.begin()));
  const double moved = max_abs_diff(base.logits, results[1].logits);
  qInfo("base vs adapted logits: max |diff| %.3g", moved);
  QVERIFY2(moved > 1e-4, "the adapter changes nothing: the fixture cannot tell base from adapted");

  // While each column's tokens were chosen, every layer held exactly its adapters.
  QVERIFY(agreed[0] && agreed[1]);
  QCOMPARE(with_any[0], size_t{0});
  QVERIFY(with_any[1] > 0);
  for (const auto& s : seen[0]) QVERIFY(s.empty());
  for (const auto& s : seen[1]) QCOMPARE(s, std::vector<std::string>{"default"});

  // The model as it was: adapter on, scale 1, training mode.
  QCOMPARE(model->active_adapters(), std::vector<std::string>{"default"});
  QCOMPARE(model->adapter_scale(), 1.0);
  QVERIFY(model->module().is_training());
}

void TestCompare::threeColumnsHotSwapped() {
  // Base, an "intermediate checkpoint" (the adapter before the step, hot-loaded), the final one at
  // half scale and at scale 0: each equals the same model generating alone with that state.
  QFETCH(QString, family);
  const Fixture f = vltune::test::parity_fixture(family);
  const auto tokenizer = vltune::text::load_tokenizer(f.dir / "model");
  auto model = vltune::lora::open_model(f.dir / "model");
  model->load_adapter(f.dir / "adapter");
  reference_adamw_step(*model, f);
  model->load_adapter(f.dir / "adapter", "checkpoint");  // hot-swapped in: the base is not reloaded
  const auto prompt = vltune::test::fixture_batch(model->family(), f, /*labels=*/false);
  const auto params = greedy(6);

  const std::vector<CompareColumn> columns = {
      {"base", {}}, {"checkpoint", {"checkpoint"}}, {"final x0.5", {"default"}, 0.5}, {"final x0", {"default"}, 0.0}};
  const auto results = vltune::gen::generate_columns(*model, columns, {prompt}, *tokenizer, params);
  for (size_t i = 0; i < columns.size(); ++i) {
    vltune::gen::activate(*model, columns[i]);
    const auto alone = vltune::gen::generate(*model, prompt, *tokenizer, params);
    QVERIFY2(results[i].token_ids == alone.token_ids, qPrintable(QString::fromStdString(columns[i].label)));
    QVERIFY2(bitwise_equal(results[i].logits, alone.logits), qPrintable(QString::fromStdString(columns[i].label)));
  }
  QVERIFY2(bitwise_equal(results[3].logits, results[0].logits), "scale 0 is not the base");
  QVERIFY(max_abs_diff(results[2].logits, results[0].logits) > 0);
}

void TestCompare::mergedExportColumn() {
  // An adapter against its merged export (a second loaded model): the same tokens, logits within
  // float32 rounding of the merge.
  QFETCH(QString, family);
  const Fixture f = vltune::test::parity_fixture(family);
  const auto tokenizer = vltune::text::load_tokenizer(f.dir / "model");
  auto model = vltune::lora::open_model(f.dir / "model");
  model->load_adapter(f.dir / "adapter");
  reference_adamw_step(*model, f);
  auto merged = vltune::lora::open_model(f.dir / "model");
  merged->load_adapter(f.dir / "adapter");
  reference_adamw_step(*merged, f);
  merged->merge_active_adapters();
  QVERIFY(merged->adapter_names().empty());

  const auto expected = vltune::test::generated_tokens(f, "lora_after_step.generate");
  CompareColumn merged_column{"merged", {}};
  merged_column.model = merged.get();
  const auto results = vltune::gen::generate_columns(*model, {{"adapter", {"default"}}, merged_column},
                                                     {vltune::test::fixture_batch(model->family(), f, /*labels=*/false)}, *tokenizer,
                                                     greedy(static_cast<int64_t>(expected.size())));
  QVERIFY(results[0].token_ids == expected);
  QVERIFY(results[1].token_ids == expected);
  const double d = max_abs_diff(results[0].logits, results[1].logits);
  qInfo("adapter vs merged logits: max |diff| %.3g", d);
  QVERIFY(d < 1e-4);
}

void TestCompare::badColumnsAreRefused() {
  const Fixture f = vltune::test::parity_fixture("qwen2_vl");
  const auto tokenizer = vltune::text::load_tokenizer(f.dir / "model");
  auto model = vltune::lora::open_model(f.dir / "model");
  model->load_adapter(f.dir / "adapter");
  const auto prompt = vltune::test::fixture_batch(model->family(), f, /*labels=*/false);
  try {
    vltune::gen::generate_columns(*model, {{"base", {}}, {"late", {"checkpoint-900"}}}, {prompt}, *tokenizer, greedy(2));
    QFAIL("an unknown adapter was accepted");
  } catch (const vltune::Error& e) {
    QVERIFY2(std::string(e.what()).find("checkpoint-900") != std::string::npos, e.what());
  }
  // Nothing ran, and the model is as it was.
  QCOMPARE(model->active_adapters(), std::vector<std::string>{"default"});
  QVERIFY_THROWS_EXCEPTION(vltune::Error, vltune::gen::generate_columns(*model, {}, {prompt}, *tokenizer, greedy(2)));
  QVERIFY_THROWS_EXCEPTION(vltune::Error, vltune::gen::generate_columns(*model, {{"a", {}}, {"b", {}}, {"c", {}}},
                                                                       {prompt, prompt}, *tokenizer, greedy(2)));
}

void TestCompare::chatKeepsEarlierImages() {
  // Turn 2 asks without an image; its prompt still carries turn 1's image (same pixels, same
  // image tokens), then the first answer, then the new question.
  QFETCH(QString, family);
  const Fixture f = vltune::test::parity_fixture(family);
  QTemporaryDir tmp;
  const vltune::data::SampleEncoder encoder(f.dir / "model");
  const auto tokenizer = vltune::text::load_tokenizer(f.dir / "model");
  auto model = vltune::lora::open_model(f.dir / "model");

  vltune::gen::ChatSession chat("Answer briefly.");
  chat.add_user("What is in the picture?", {chat_image(tmp.path().toStdString(), 3)});
  const auto first = chat.prompt(encoder);
  GenerationParams p;
  p.max_new_tokens = 4;
  const auto answer = vltune::gen::generate(*model, first, *tokenizer, p);
  chat.add_answer(answer.text);
  chat.add_user("And the colours?");
  const auto second = chat.prompt(encoder);

  QVERIFY(torch::equal(second.pixel_values, first.pixel_values));
  // The first prompt is a prefix of the second up to its generation prompt: history is kept verbatim.
  const auto a = first.input_ids.reshape({-1}), b = second.input_ids.reshape({-1});
  QVERIFY(b.size(0) > a.size(0));
  const std::string text = tokenizer->decode(std::vector<vltune::text::TokenId>(b.data_ptr<int64_t>(), b.data_ptr<int64_t>() + b.numel()), false);
  for (const char* part : {"Answer briefly.", "What is in the picture?", "And the colours?"})
    QVERIFY2(text.find(part) != std::string::npos, part);
  if (!answer.text.empty()) QVERIFY(text.find(answer.text) != std::string::npos);
  const auto shared = a.size(0) - 8;  // all but the first prompt's tail (where the answer joins)
  QVERIFY(shared > 0);
  QVERIFY(torch::equal(a.narrow(0, 0, shared), b.narrow(0, 0, shared)));
}

void TestCompare::chatTurnRules() {
  QTemporaryDir tmp;
  vltune::gen::ChatSession chat;
  QVERIFY_THROWS_EXCEPTION(vltune::Error, chat.add_answer("no question"));
  QVERIFY_THROWS_EXCEPTION(vltune::FileError, chat.add_user("look", {tmp.path().toStdString() + "/missing.png"}));
  QCOMPARE(chat.turns(), size_t{0});  // a refused turn leaves nothing behind
  QVERIFY_THROWS_EXCEPTION(vltune::Error, chat.add_user("<image> and <image>", {chat_image(tmp.path().toStdString(), 1)}));
  chat.add_user("look", {chat_image(tmp.path().toStdString(), 1), chat_image(tmp.path().toStdString(), 2)});
  QCOMPARE(chat.record().turns.back().content, std::string("<image><image>look"));  // markers put before the text
  QVERIFY_THROWS_EXCEPTION(vltune::Error, chat.add_user("again?"));
  chat.add_answer("two squares");
  chat.add_user("<image> and this one?", {chat_image(tmp.path().toStdString(), 4)});
  QCOMPARE(chat.record().turns.back().content, std::string("<image> and this one?"));  // its own marker kept
  QCOMPARE(chat.images(), size_t{3});
  chat.add_answer("a third");
  chat.drop_answer();
  QVERIFY(chat.awaiting_answer());
  chat.clear();
  QCOMPARE(chat.turns(), size_t{0});
  QCOMPARE(chat.images(), size_t{0});
}

void TestCompare::cliOneShotAndCompare() {
  // `vltune-cli chat` prints what gen::generate answers for the same conversation.
  const Fixture f = vltune::test::parity_fixture("qwen2_vl");
  QTemporaryDir tmp;
  const fs::path image = chat_image(tmp.path().toStdString(), 5);
  const vltune::data::SampleEncoder encoder(f.dir / "model");
  auto model = vltune::lora::open_model(f.dir / "model");
  vltune::gen::ChatSession chat;
  chat.add_user("Describe it.", {image});
  GenerationParams p = vltune::gen::chat_generation_defaults(f.dir / "model", encoder);
  p.max_new_tokens = 5;
  p.do_sample = false;
  const auto expected = vltune::gen::generate(*model, chat.prompt(encoder), encoder.tokenizer(), p);

  const QString cli = QStringLiteral(VLTUNE_CLI_PATH);
  const QString model_dir = QString::fromStdString((f.dir / "model").string());
  auto r = vltune::test::run_program(cli, {"chat", "--model", model_dir, "--image", QString::fromStdString(image.string()),
                                           "--max-new-tokens", "5", "--greedy", "Describe it."});
  QVERIFY2(r.code == 0, r.err.c_str());
  QCOMPARE(r.out, expected.text + "\n");

  r = vltune::test::run_program(cli, {"chat", "--model", model_dir, "--adapter", QString::fromStdString((f.dir / "adapter").string()),
                                      "--compare", "--image", QString::fromStdString(image.string()), "--max-new-tokens", "5",
                                      "--greedy", "Describe it."});
  QVERIFY2(r.code == 0, r.err.c_str());
  QVERIFY2(r.out.rfind("── base ──\n" + expected.text + "\n", 0) == 0, r.out.c_str());
  QVERIFY2(r.out.find("── adapter ──\n") != std::string::npos, r.out.c_str());

  r = vltune::test::run_program(cli, {"chat", "--model", model_dir, "--image", "/nonexistent/x.png", "hi"});
  QCOMPARE(r.code, 1);
  QVERIFY2(r.err.find("/nonexistent/x.png") != std::string::npos, r.err.c_str());
  r = vltune::test::run_program(cli, {"chat", "--model", model_dir, "--compare", "hi"});
  QCOMPARE(r.code, 2);
  QVERIFY2(r.err.find("--adapter") != std::string::npos, r.err.c_str());
}

void TestCompare::cliInteractive() {
  // Two turns, the second without an image, a bad command that costs only its line, /again.
  const Fixture f = vltune::test::parity_fixture("qwen2_vl");
  QTemporaryDir tmp;
  const fs::path image = chat_image(tmp.path().toStdString(), 6);
  const vltune::data::SampleEncoder encoder(f.dir / "model");
  auto model = vltune::lora::open_model(f.dir / "model");
  GenerationParams p = vltune::gen::chat_generation_defaults(f.dir / "model", encoder);
  p.max_new_tokens = 4;
  p.do_sample = false;
  vltune::gen::ChatSession chat;
  chat.add_user("What is this?", {image});
  const auto one = vltune::gen::generate(*model, chat.prompt(encoder), encoder.tokenizer(), p);
  chat.add_answer(one.text);
  chat.add_user("Why?");
  const auto two = vltune::gen::generate(*model, chat.prompt(encoder), encoder.tokenizer(), p);

  const std::string input = "/image " + image.string() + "\nWhat is this?\n/bogus\nWhy?\n/again\n/quit\n";
  const auto r = vltune::test::run_program(QStringLiteral(VLTUNE_CLI_PATH),
                                           {"chat", "--model", QString::fromStdString((f.dir / "model").string()),
                                            "--max-new-tokens", "4", "--greedy"},
                                           {}, input);
  QVERIFY2(r.code == 0, r.err.c_str());
  QCOMPARE(r.out, one.text + "\n" + two.text + "\n" + two.text + "\n");
  QVERIFY2(r.err.find("unknown command /bogus") != std::string::npos, r.err.c_str());
}

QTEST_GUILESS_MAIN(TestCompare)
#include "test_compare.moc"
