// The predict driver (core/eval/predict_runner.h) and `vltune-cli predict` on the qwen2_vl fixture
// model with its adapter: one generated_predictions.jsonl line per sample in order, each answer
// the one gen::generate gives for the record, the prompt decoded with its special tokens, the
// label the template's answer with special tokens skipped, predict_results.json the metric
// module's scores of those very strings, eval_loss the trainer's evaluation of the same records;
// cancelling keeps the samples done; the CLI writes the same files and names what a bad YAML lacks.

// LibTorch and the engine before Qt: Qt's `slots` macro would break torch's headers.
#include "core/data/collate.h"
#include "core/data/dataset.h"
#include "core/data/sample_encoder.h"
#include "core/eval/metrics.h"
#include "core/eval/predict_runner.h"
#include "core/eval/predictions_writer.h"
#include "core/gen/generation_params.h"
#include "core/gen/generator.h"
#include "core/lora/lora_factory.h"
#include "core/lora/lora_model.h"
#include "core/gen/chat_defaults.h"
#include "core/train/batch_source.h"
#include "core/train/train_config.h"
#include "core/train/trainer.h"

#include <QtTest/QtTest>

#include <cmath>
#include <fstream>
#include <iterator>
#include <memory>
#include <stop_token>

#include <nlohmann/json.hpp>

#include "core/io/hf_config.h"
#include "tests/cli_support.h"
#include "tests/test_support.h"
#include "tests/tiny_png.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace vltune;

namespace {

using Run = vltune::test::CliRun;

Run run_cli(const QStringList& args, const fs::path& cwd) {
  return vltune::test::run_program(QStringLiteral(VLTUNE_CLI_PATH), args, cwd);
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> lines_of(const fs::path& path) {
  std::vector<std::string> out;
  std::ifstream in(path, std::ios::binary);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The fixture family folder (empty when this fixture set has no qwen2_vl).
fs::path fixture_dir() {
  const auto families = test::fixture_families_of({io::ModelFamily::qwen2_vl});
  return families.empty() ? fs::path() : test::hf_fixtures_root() / families.front();
}

const char* const kAnswers[] = {"It is blue.", "It is red.", "Still red, and round."};

// Three samples with images: two single-turn, one of two turns (the label is its last answer).
void write_dataset(const fs::path& root) {
  json rows = json::array();
  for (int colour = 0; colour < 2; ++colour) {
    test::write_png(root / "data/images" / (std::to_string(colour) + ".png"), 56, 56, colour * 120);
    rows.push_back({{"conversations",
                     {{{"from", "human"}, {"value", "<image>What colour is it?"}}, {{"from", "gpt"}, {"value", kAnswers[colour]}}}},
                    {"images", {"images/" + std::to_string(colour) + ".png"}}});
  }
  rows.push_back({{"conversations",
                   {{{"from", "human"}, {"value", "<image>What colour is it?"}},
                    {{"from", "gpt"}, {"value", "It is red."}},
                    {{"from", "human"}, {"value", "And now?"}},
                    {{"from", "gpt"}, {"value", kAnswers[2]}}}},
                  {"images", {"images/1.png"}}});
  test::write_text(root / "data/colours.json", rows.dump());
  test::write_text(root / "data/dataset_info.json",
                   json{{"colours", {{"file_name", "colours.json"}, {"formatting", "sharegpt"}}}}.dump());
}

// A LLaMA-Factory predict YAML; `extra` is appended, `drop` removes a line's key.
std::string predict_yaml(const fs::path& fixture, const std::string& drop = "") {
  std::string yaml = "### model\nmodel_name_or_path: " + (fixture / "model").string() +
                     "\nadapter_name_or_path: " + (fixture / "adapter").string() +
                     "\ntrust_remote_code: true\n"
                     "### method\nstage: sft\ndo_predict: true\nfinetuning_type: lora\n"
                     "### dataset\neval_dataset: colours\ntemplate: qwen2_vl\ncutoff_len: 1024\ndataset_dir: data\n"
                     "### output\noutput_dir: saves/predict\noverwrite_output_dir: true\n"
                     "### eval\nper_device_eval_batch_size: 2\npredict_with_generate: true\ndo_eval: true\n"
                     "do_sample: false\nmax_new_tokens: 8\n";
  if (!drop.empty()) {
    const size_t at = yaml.find(drop + ":");
    yaml.erase(at, yaml.find('\n', at) - at + 1);
  }
  return yaml;
}

struct Setup {
  fs::path fixture;
  std::unique_ptr<data::SampleEncoder> encoder;
  data::Dataset dataset;
  std::unique_ptr<lora::LoraModel> model;
  eval::PredictParams params;
};

// The model with the fixture adapter active, the dataset, and the params the CLI derives from
// predict_yaml (greedy, 8 new tokens, the chat's stop ids).
std::unique_ptr<Setup> setup(const fs::path& root) {
  auto s = std::make_unique<Setup>();
  s->fixture = fixture_dir();
  write_dataset(root);
  data::EncoderParams enc;
  enc.template_name = "qwen2_vl";
  enc.supervised.cutoff_len = 1024;
  s->encoder = std::make_unique<data::SampleEncoder>(s->fixture / "model", enc);
  data::OpenOptions open;
  open.datasets = {"colours"};
  s->dataset = data::open_dataset(root / "data", open);
  s->model = lora::open_model(s->fixture / "model");
  s->model->load_adapter(s->fixture / "adapter", "default");
  s->model->set_active_adapters({"default"});
  s->params.generation = gen::read_generation_params(s->fixture / "model");
  s->params.generation.do_sample = false;
  s->params.generation.temperature = 0.95;
  s->params.generation.top_p = 0.7;
  s->params.generation.top_k = 50;
  s->params.generation.repetition_penalty = 1.0;
  s->params.generation.seed = 42;
  s->params.generation.max_new_tokens = 8;
  s->params.generation.stop_ids = gen::chat_eos_ids(s->fixture / "model", *s->encoder);
  s->params.output_dir = root / "out";
  s->params.compute_eval_loss = true;
  s->params.eval_batch_size = 2;
  return s;
}

// Every key of predict_results.json but the timings.
json without_timings(json metrics) {
  for (const char* key : {"predict_runtime", "predict_samples_per_second", "predict_steps_per_second"}) metrics.erase(key);
  return metrics;
}

}  // namespace

class TestPredict : public QObject {
  Q_OBJECT
 private slots:
  void predictsEverySample();
  void cancelKeepsSamplesDone();
  void encodingErrorComesInTurn();
  void cliWritesTheSameFiles();
  void badConfigsAreNamed();
  void configReadsPredictKeys();
};

void TestPredict::predictsEverySample() {
  if (fixture_dir().empty()) QSKIP("no qwen2_vl family in this fixture set");
  test::TempDir dir;
  const auto s = setup(dir.path());
  const std::vector<int64_t> samples = {0, 1, 2};
  std::vector<int64_t> progress;
  const eval::PredictOutcome outcome = eval::run_predict(
      *s->model, *s->encoder, s->dataset.records, samples, s->params,
      [&](const eval::PredictProgress& p) {
        QCOMPARE(p.total, int64_t{3});
        progress.push_back(p.record);
      });
  QVERIFY(!outcome.cancelled);
  QCOMPARE(progress, samples);
  QCOMPARE(outcome.samples, samples);

  // One line per sample, in order, each the writer's line of the outcome's record.
  const auto lines = lines_of(s->params.output_dir / "generated_predictions.jsonl");
  QCOMPARE(lines.size(), size_t{3});
  const eval::SimilarityScorer scorer;
  std::vector<eval::SimilarityScores> scores;
  for (size_t k = 0; k < lines.size(); ++k) {
    const json line = json::parse(lines[k]);
    QCOMPARE(lines[k] + "\n", eval::generated_prediction_line(outcome.records[k]));
    const auto prompt = line.at("prompt").get<std::string>();
    const auto predict = line.at("predict").get<std::string>();
    const auto label = line.at("label").get<std::string>();

    // The answer is gen::generate's for the record's prompt.
    const data::Record& record = s->dataset.records[k];
    const data::EncodedExample encoded = s->encoder->encode_prompt(record, static_cast<int64_t>(k));
    const data::Batch batch = data::collate({&encoded, 1}, s->encoder->family(), s->encoder->pad_id());
    const gen::GenerationResult direct = gen::generate(*s->model, batch, s->encoder->tokenizer(), s->params.generation);
    QCOMPARE(predict, direct.text);

    // The prompt: the ids decoded with the template's special tokens and the image's pad tokens.
    QVERIFY2(prompt.starts_with("<|im_start|>system\n"), prompt.c_str());
    QVERIFY2(test::contains(prompt, "<|vision_start|><|image_pad|>"), prompt.c_str());
    QVERIFY2(prompt.ends_with("<|im_start|>assistant\n"), prompt.c_str());
    QCOMPARE(prompt, s->encoder->tokenizer().decode(encoded.input_ids, /*skip_special=*/false));
    if (k == 2) QVERIFY2(test::contains(prompt, "It is red.<|im_end|>\n<|im_start|>user\nAnd now?"), prompt.c_str());

    // The label: the last answer as Qwen's template formats it ("...<|im_end|>\n"), special
    // tokens skipped, as LLaMA-Factory decodes its labels.
    QCOMPARE(label, std::string(kAnswers[k]) + "\n");
    QCOMPARE(label, eval::prediction_label(*s->encoder, record));
    scores.push_back(scorer.score(predict, label));
    QCOMPARE(outcome.scores[k].bleu_4, scores.back().bleu_4);
  }

  // predict_results.json: the metric module's scores of those strings, byte for byte as written.
  const json results = json::parse(read_text(s->params.output_dir / "predict_results.json"));
  const eval::SimilarityScores mean = eval::mean_similarity(scores);
  QCOMPARE(results.at("predict_bleu-4").get<double>(), mean.bleu_4);
  QCOMPARE(results.at("predict_rouge-1").get<double>(), mean.rouge_1);
  QCOMPARE(results.at("predict_rouge-2").get<double>(), mean.rouge_2);
  QCOMPARE(results.at("predict_rouge-l").get<double>(), mean.rouge_l);
  QCOMPARE(read_text(s->params.output_dir / "predict_results.json"),
           eval::python_json_text(eval::predict_metrics(outcome.results)));
  QCOMPARE(outcome.results.samples, int64_t{3});

  // eval_loss: the trainer's evaluation of the same records; perplexity its exp.
  QVERIFY(outcome.eval.has_value());
  data::LoaderParams lp;
  lp.batch_size = 2;
  lp.shuffle = false;
  train::LoaderBatchSource source(*s->encoder, s->dataset.records, samples, lp);
  const auto expected = train::evaluate(*s->model, source);
  QVERIFY(expected.has_value());
  QCOMPARE(outcome.eval->loss, expected->loss);
  QCOMPARE(outcome.eval->perplexity, std::exp(expected->loss));
  QCOMPARE(outcome.eval->samples, int64_t{3});
  const json eval_results = json::parse(read_text(s->params.output_dir / "eval_results.json"));
  QCOMPARE(eval_results.at("eval_loss").get<double>(), expected->loss);
  QCOMPARE(eval_results.at("perplexity").get<double>(), std::exp(expected->loss));
  const json all = json::parse(read_text(s->params.output_dir / "all_results.json"));
  QVERIFY(all.contains("predict_bleu-4") && all.contains("eval_loss") && all.contains("perplexity"));
}

void TestPredict::cancelKeepsSamplesDone() {
  if (fixture_dir().empty()) QSKIP("no qwen2_vl family in this fixture set");
  test::TempDir dir;
  const auto s = setup(dir.path());
  std::stop_source stop;
  const eval::PredictOutcome outcome = eval::run_predict(
      *s->model, *s->encoder, s->dataset.records, {0, 1, 2}, s->params,
      [&](const eval::PredictProgress&) { stop.request_stop(); }, stop.get_token());
  QVERIFY(outcome.cancelled);
  QCOMPARE(outcome.records.size(), size_t{1});
  QVERIFY(!outcome.eval.has_value());
  // The files cover the sample done, and no temporary file is left.
  QCOMPARE(lines_of(s->params.output_dir / "generated_predictions.jsonl").size(), size_t{1});
  QCOMPARE(json::parse(read_text(s->params.output_dir / "predict_results.json")).at("predict_bleu-4").get<double>(),
           outcome.scores[0].bleu_4);
  QVERIFY(!fs::exists(s->params.output_dir / "eval_results.json"));
  QCOMPARE(test::entry_count(s->params.output_dir), 3);
}

void TestPredict::encodingErrorComesInTurn() {
  // The next sample is encoded while one generates: an image gone missing after the dataset was
  // read fails its own sample, after the one before it was predicted, and names the row and file.
  if (fixture_dir().empty()) QSKIP("no qwen2_vl family in this fixture set");
  test::TempDir dir;
  const auto s = setup(dir.path());
  fs::remove(dir.path() / "data/images/1.png");
  std::vector<int64_t> progress;
  std::string error;
  try {
    eval::run_predict(*s->model, *s->encoder, s->dataset.records, {0, 1, 2}, s->params,
                      [&](const eval::PredictProgress& p) { progress.push_back(p.record); });
  } catch (const std::exception& e) {
    error = e.what();
  }
  QCOMPARE(progress, std::vector<int64_t>{0});
  QVERIFY2(test::contains(error, "row 1") && test::contains(error, "images/1.png"), error.c_str());
}

void TestPredict::cliWritesTheSameFiles() {
  if (fixture_dir().empty()) QSKIP("no qwen2_vl family in this fixture set");
  test::TempDir dir;
  const auto s = setup(dir.path());
  const eval::PredictOutcome outcome = eval::run_predict(*s->model, *s->encoder, s->dataset.records, {0, 1, 2}, s->params);

  test::write_text(dir.path() / "predict.yaml", predict_yaml(s->fixture));
  const Run r = run_cli({"predict", "predict.yaml", "--device", "cpu"}, dir.path());
  QVERIFY2(r.code == 0, r.err.c_str());
  QVERIFY2(test::contains(r.err, "[3/3]"), r.err.c_str());
  QVERIFY2(test::contains(r.out, "\"predict_bleu-4\""), r.out.c_str());
  const fs::path out = dir.path() / "saves/predict";
  QCOMPARE(read_text(out / "generated_predictions.jsonl"), read_text(s->params.output_dir / "generated_predictions.jsonl"));
  QCOMPARE(without_timings(json::parse(read_text(out / "predict_results.json"))),
           without_timings(json::parse(read_text(s->params.output_dir / "predict_results.json"))));
  const double cli_loss = json::parse(read_text(out / "eval_results.json")).at("eval_loss").get<double>();
  QVERIFY2(std::abs(cli_loss - outcome.eval->loss) <= 1e-6 * std::abs(outcome.eval->loss),
           (std::to_string(cli_loss) + " vs " + std::to_string(outcome.eval->loss)).c_str());

  // --max-samples caps each dataset: the first two lines.
  const Run capped = run_cli({"predict", "predict.yaml", "--device", "cpu", "--max-samples", "2"}, dir.path());
  QVERIFY2(capped.code == 0, capped.err.c_str());
  const auto lines = lines_of(out / "generated_predictions.jsonl");
  QCOMPARE(lines.size(), size_t{2});
  QCOMPARE(lines[0] + "\n", eval::generated_prediction_line(outcome.records[0]));
  QCOMPARE(lines[1] + "\n", eval::generated_prediction_line(outcome.records[1]));
}

void TestPredict::badConfigsAreNamed() {
  if (fixture_dir().empty()) QSKIP("no qwen2_vl family in this fixture set");
  test::TempDir dir;
  write_dataset(dir.path());
  const fs::path fixture = fixture_dir();

  test::write_text(dir.path() / "no_predict.yaml", predict_yaml(fixture, "do_predict"));
  Run r = run_cli({"predict", "no_predict.yaml"}, dir.path());
  QCOMPARE(r.code, 2);
  QVERIFY2(test::contains(r.err, "no_predict.yaml: do_predict: not true"), r.err.c_str());

  test::write_text(dir.path() / "no_dataset.yaml", predict_yaml(fixture, "eval_dataset"));
  r = run_cli({"predict", "no_dataset.yaml"}, dir.path());
  QCOMPARE(r.code, 2);
  QVERIFY2(test::contains(r.err, "eval_dataset: not set"), r.err.c_str());

  std::string yaml = predict_yaml(fixture);
  yaml.replace(yaml.find("eval_dataset: colours"), 21, "eval_dataset: shapes");
  test::write_text(dir.path() / "unknown.yaml", yaml);
  r = run_cli({"predict", "unknown.yaml"}, dir.path());
  QCOMPARE(r.code, 1);
  QVERIFY2(test::contains(r.err, "no dataset \"shapes\""), r.err.c_str());
  QVERIFY(!fs::exists(dir.path() / "saves/predict"));
}

void TestPredict::configReadsPredictKeys() {
  train::ConfigReport report;
  const train::TrainConfig c = train::load_train_config_from_string(
      "do_predict: true\npredict_with_generate: true\ndo_eval: true\ndo_sample: false\ntemperature: 0.5\n"
      "top_p: 0.9\ntop_k: 20\nmax_new_tokens: 16\nrepetition_penalty: 1.1\neval_dataset: a,b\n",
      &report);
  QVERIFY(report.ignored.empty() && report.unknown.empty());
  QVERIFY(c.do_predict && c.predict_with_generate && c.do_eval && !c.do_sample);
  QCOMPARE(c.temperature, 0.5);
  QCOMPARE(c.top_p, 0.9);
  QCOMPARE(c.top_k, int64_t{20});
  QCOMPARE(c.max_new_tokens, int64_t{16});
  QCOMPARE(c.repetition_penalty, 1.1);
  QCOMPARE(c.eval_dataset, (std::vector<std::string>{"a", "b"}));
  // A predict config needs no `dataset`; the keys come back out of to_yaml.
  for (const auto& w : report.warnings) QVERIFY2(!test::contains(w, "dataset is not set"), w.c_str());
  QVERIFY(train::load_train_config_from_string(train::to_yaml(c)) == c);
  // LLaMA-Factory's defaults, and a training config's YAML without them.
  const train::TrainConfig defaults;
  QVERIFY(!defaults.do_predict && defaults.do_sample);
  QCOMPARE(defaults.temperature, 0.95);
  QCOMPARE(defaults.top_p, 0.7);
  QCOMPARE(defaults.max_new_tokens, int64_t{1024});
  QVERIFY(!test::contains(train::to_yaml(defaults), "predict"));
  QVERIFY(!test::contains(train::to_yaml(defaults), "temperature"));
  // Out of range: named with its line.
  const std::string message =
      test::format_error([] { train::load_train_config_from_string("do_predict: true\ntop_p: 2\n", nullptr, "p.yaml"); });
  QVERIFY2(test::contains(message, "p.yaml, line 2: top_p must be in [0.0, 1.0]"), message.c_str());
}

QTEST_GUILESS_MAIN(TestPredict)
#include "test_predict.moc"
