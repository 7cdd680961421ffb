// `vltune-cli train config.yaml` end to end on a fixture model: a LLaMA-Factory folder and YAML
// in, LLaMA-Factory's files out, the loss falling; bad rows stop the run unless skipped.

#include <cmath>
#include <fstream>
#include <iterator>
#include <regex>

#include <QtTest/QtTest>
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

// Images of two colours, each captioned with its colour, asked in four ways.
void write_dataset(const fs::path& root, bool with_bad_row) {
  json rows = json::array();
  const char* questions[] = {"What colour is it?", "Name the colour.", "Which colour?", "The colour, please."};
  for (int colour = 0; colour < 2; ++colour) {
    test::write_png(root / "data/images" / (std::to_string(colour) + ".png"), 56, 56, colour * 120);
    for (const char* q : questions)
      rows.push_back({{"conversations",
                       {{{"from", "human"}, {"value", std::string("<image>") + q}},
                        {{"from", "gpt"}, {"value", colour ? "It is red." : "It is blue."}}}},
                      {"images", {"images/" + std::to_string(colour) + ".png"}}});
  }
  if (with_bad_row)
    rows.push_back({{"conversations", {{{"from", "human"}, {"value", "<image>Hm?"}}, {{"from", "gpt"}, {"value", "x"}}}},
                    {"images", {"images/missing.png"}}});
  test::write_text(root / "data/colours.json", rows.dump());
  test::write_text(root / "data/dataset_info.json", json{{"colours", {{"file_name", "colours.json"}, {"formatting", "sharegpt"}}}}.dump());
}

void write_config(const fs::path& root, const fs::path& model) {
  test::write_text(root / "train.yaml", "### model\nmodel_name_or_path: " + model.string() +
                                            "\ntrust_remote_code: true\n"
                                            "### method\nstage: sft\ndo_train: true\nfinetuning_type: lora\nlora_rank: 8\nlora_target: all\n"
                                            "### dataset\ndataset: colours\ntemplate: qwen2_vl\ncutoff_len: 1024\ndataset_dir: data\n"
                                            "### output\noutput_dir: saves/colours\nlogging_steps: 1\nsave_steps: 4\nplot_loss: true\n"
                                            "overwrite_output_dir: true\nreport_to: none\n"
                                            "### train\nper_device_train_batch_size: 2\ngradient_accumulation_steps: 2\n"
                                            "learning_rate: 1.0e-3\nnum_train_epochs: 4.0\nlr_scheduler_type: cosine\nwarmup_ratio: 0.1\n");
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// `yaml` with the first `from` replaced by `to`.
void replace_in(std::string& yaml, const std::string& from, const std::string& to) {
  yaml.replace(yaml.find(from), from.size(), to);
}

std::string line_of(const std::vector<int64_t>& v) {
  std::string out;
  for (int64_t x : v) out += std::to_string(x) + " ";
  return out;
}

}  // namespace

class TestTrainCli : public QObject {
  Q_OBJECT
 private slots:
  void trainsAndWritesLlamaFactoryFiles();
  void badRowsStopUnlessSkipped();
  void pinnedRowsAskTheUsersQuestion();
  void qloraTrainsOnAQuantisedBase();
  void dpoLearnsThePreferredAnswers();
  void neatPackingTrainsAsOneBatch();
  void preparedImagesAreKeptAcrossRuns();
};

void TestTrainCli::trainsAndWritesLlamaFactoryFiles() {
  const auto families = test::fixture_families_of({io::ModelFamily::qwen2_vl});
  if (families.empty()) QSKIP("no qwen2_vl family in this fixture set");
  test::TempDir dir;
  write_dataset(dir.path(), false);
  write_config(dir.path(), test::hf_fixtures_root() / families.front() / "model");
  const Run r = run_cli({"train", "train.yaml", "--pinned-samples", "2", "--pinned-every", "4"}, dir.path());
  QVERIFY2(r.code == 0, r.err.c_str());
  QVERIFY2(test::contains(r.err, "ignored (no meaning here): trust_remote_code, do_train, report_to"), r.err.c_str());
  QVERIFY2(test::contains(r.err, "vltune: step 4, sample "), r.err.c_str());

  const fs::path out = dir.path() / "saves/colours";
  for (const char* f : {"adapter_config.json", "adapter_model.safetensors", "trainer_log.jsonl", "trainer_state.json",
                        "all_results.json", "training_args.yaml", "training_loss.png", "checkpoint-4"})
    QVERIFY2(fs::exists(out / f), f);
  std::vector<double> losses;
  std::ifstream log(out / "trainer_log.jsonl");
  for (std::string line; std::getline(log, line);) {
    const json j = json::parse(line);
    for (const char* key : {"current_steps", "total_steps", "epoch", "percentage", "elapsed_time", "remaining_time"})
      QVERIFY2(j.contains(key), key);
    if (j.contains("loss")) losses.push_back(j["loss"].get<double>());
  }
  QVERIFY(losses.size() >= 4);
  QVERIFY2(losses.back() < losses.front(), (std::to_string(losses.front()) + " -> " + std::to_string(losses.back())).c_str());
  // Pinned samples: answered before training and every 4 steps, the same two rows each time.
  std::vector<int64_t> rounds;
  std::ifstream pinned(out / "pinned_samples.jsonl");
  for (std::string line; std::getline(pinned, line);) {
    const json j = json::parse(line);
    rounds.push_back(j.at("step").get<int64_t>());
    QCOMPARE(j.at("samples").size(), size_t(2));
    for (const auto& sample : j.at("samples")) {
      const auto reference = sample.at("reference").get<std::string>();
      QVERIFY2(reference == "It is red." || reference == "It is blue.", reference.c_str());
      QVERIFY(sample.at("answer").is_string());
    }
  }
  QVERIFY2(rounds.size() >= 3 && rounds[0] == 0 && rounds[1] == 4 && rounds[2] == 8, line_of(rounds).c_str());

  // The adapter is a PEFT adapter of the base model.
  const json config = json::parse(std::ifstream(out / "adapter_config.json"));
  QCOMPARE(config.at("peft_type").get<std::string>(), std::string("LORA"));
  QCOMPARE(config.at("r").get<int>(), 8);

  // adapter_name_or_path: a second run goes on from the trained adapter (its rank, not lora_rank)
  // and starts where the first ended, well below where the first started.
  std::string yaml = read_text(dir.path() / "train.yaml");
  const auto replace = [&](const std::string& from, const std::string& to) { replace_in(yaml, from, to); };
  replace("output_dir: saves/colours", "output_dir: saves/more\nadapter_name_or_path: saves/colours");
  replace("lora_rank: 8", "lora_rank: 4");
  replace("num_train_epochs: 4.0", "max_steps: 2");
  test::write_text(dir.path() / "more.yaml", yaml);
  const Run more = run_cli({"train", "more.yaml"}, dir.path());
  QVERIFY2(more.code == 0, more.err.c_str());
  QVERIFY2(test::contains(more.err, "training on from the adapter in saves/colours"), more.err.c_str());
  std::ifstream more_log(dir.path() / "saves/more/trainer_log.jsonl");
  std::string first_line;
  QVERIFY(std::getline(more_log, first_line));
  const double continued = json::parse(first_line).at("loss").get<double>();
  QVERIFY2(continued < losses.front() - 0.5 * (losses.front() - losses.back()),
           (std::to_string(continued) + " against " + std::to_string(losses.front()) + " -> " + std::to_string(losses.back())).c_str());
  QCOMPARE(json::parse(std::ifstream(dir.path() / "saves/more/adapter_config.json")).at("r").get<int>(), 8);
}

void TestTrainCli::badRowsStopUnlessSkipped() {
  const auto families = test::fixture_families_of({io::ModelFamily::qwen2_vl});
  if (families.empty()) QSKIP("no qwen2_vl family in this fixture set");
  test::TempDir dir;
  write_dataset(dir.path(), true);
  write_config(dir.path(), test::hf_fixtures_root() / families.front() / "model");
  Run r = run_cli({"train", "train.yaml"}, dir.path());
  QCOMPARE(r.code, 1);
  QVERIFY2(test::contains(r.err, "colours.json row 8: missing_image"), r.err.c_str());
  QVERIFY(!fs::exists(dir.path() / "saves/colours/adapter_model.safetensors"));
  r = run_cli({"train", "train.yaml", "--skip-bad-rows"}, dir.path());
  QVERIFY2(r.code == 0, r.err.c_str());
  QVERIFY2(test::contains(r.err, "1 skipped for problems"), r.err.c_str());

  // A YAML typo is named with its line and the key meant.
  test::write_text(dir.path() / "bad.yaml", "model_name_or_path: x\nlearning_rate: fast\n");
  r = run_cli({"train", "bad.yaml"}, dir.path());
  QCOMPARE(r.code, 2);
  QVERIFY2(test::contains(r.err, "learning_rate"), r.err.c_str());
}

// --pin FILE:ROW picks the rows the run answers, --pin-question asks them the user's question
// (the image marker kept); a pinned row that is not there, or has problems, is named.
void TestTrainCli::pinnedRowsAskTheUsersQuestion() {
  const auto families = test::fixture_families_of({io::ModelFamily::qwen2_vl});
  if (families.empty()) QSKIP("no qwen2_vl family in this fixture set");
  test::TempDir dir;
  write_dataset(dir.path(), true);
  write_config(dir.path(), test::hf_fixtures_root() / families.front() / "model");
  Run r = run_cli({"train", "train.yaml", "--skip-bad-rows", "--pin", "colours.json:5", "--pin-question", "Red or blue?", "--pin",
                   "colours.json:0", "--pinned-every", "2"},
                  dir.path());
  QVERIFY2(r.code == 0, r.err.c_str());
  QVERIFY2(test::contains(r.err, "pinned sample colours.json row 5 is a training row"), r.err.c_str());
  std::ifstream pinned(dir.path() / "saves/colours/pinned_samples.jsonl");
  int rounds = 0;
  for (std::string line; std::getline(pinned, line); ++rounds) {
    const json samples = json::parse(line).at("samples");
    QCOMPARE(samples.size(), size_t(2));
    QCOMPARE(samples[0].at("source").get<std::string>(), std::string("colours.json row 5"));
    QCOMPARE(samples[0].at("question").get<std::string>(), std::string("<image>Red or blue?"));
    QCOMPARE(samples[0].at("reference").get<std::string>(), std::string("It is red."));
    QCOMPARE(fs::path(samples[0].at("image").get<std::string>()).filename().string(), std::string("1.png"));
    QCOMPARE(samples[1].at("source").get<std::string>(), std::string("colours.json row 0"));
    QCOMPARE(samples[1].at("question").get<std::string>(), std::string("<image>What colour is it?"));
    QCOMPARE(samples[1].at("reference").get<std::string>(), std::string("It is blue."));
  }
  QVERIFY2(rounds >= 3, std::to_string(rounds).c_str());

  r = run_cli({"train", "train.yaml", "--skip-bad-rows", "--pin", "colours.json:8"}, dir.path());
  QVERIFY(r.code != 0);
  QVERIFY2(test::contains(r.err, "pinned sample colours.json row 8: the row has problems"), r.err.c_str());
  r = run_cli({"train", "train.yaml", "--skip-bad-rows", "--pin", "colours.json:99"}, dir.path());
  QVERIFY(r.code != 0);
  QVERIFY2(test::contains(r.err, "pinned sample colours.json row 99: no such row"), r.err.c_str());
  r = run_cli({"train", "train.yaml", "--pin", "colours.json"}, dir.path());
  QCOMPARE(r.code, 2);
  QVERIFY2(test::contains(r.err, "--pin needs FILE:ROW"), r.err.c_str());
}

// quantization_bit: 4 trains LoRA on an NF4 base (the job says so) and writes a PEFT adapter; a
// 4-bit type other than nf4 is refused by name.
void TestTrainCli::qloraTrainsOnAQuantisedBase() {
  const auto families = test::fixture_families_of({io::ModelFamily::qwen2_vl});
  if (families.empty()) QSKIP("no qwen2_vl family in this fixture set");
  test::TempDir dir;
  write_dataset(dir.path(), false);
  write_config(dir.path(), test::hf_fixtures_root() / families.front() / "model");
  std::string yaml = read_text(dir.path() / "train.yaml");
  yaml.replace(yaml.find("lora_rank: 8"), 12, "lora_rank: 8\nquantization_bit: 4");
  yaml.replace(yaml.find("num_train_epochs: 4.0"), 21, "max_steps: 3");
  test::write_text(dir.path() / "qlora.yaml", yaml);
  Run r = run_cli({"train", "qlora.yaml"}, dir.path());
  QVERIFY2(r.code == 0, r.err.c_str());
  QVERIFY2(test::contains(r.err, "language model linears in NF4 (double-quantised scales)"), r.err.c_str());
  QVERIFY(fs::exists(dir.path() / "saves/colours/adapter_model.safetensors"));
  std::ifstream log(dir.path() / "saves/colours/trainer_log.jsonl");
  int lines = 0;
  for (std::string line; std::getline(log, line);) {
    const json j = json::parse(line);
    if (!j.contains("loss")) continue;
    const double loss = j.at("loss").get<double>();
    QVERIFY2(std::isfinite(loss) && loss > 0, line.c_str());
    ++lines;
  }
  QCOMPARE(lines, 3);

  yaml.replace(yaml.find("quantization_bit: 4"), 19, "quantization_bit: 4\nquantization_type: fp4");
  test::write_text(dir.path() / "fp4.yaml", yaml);
  r = run_cli({"train", "fp4.yaml"}, dir.path());
  QVERIFY(r.code != 0);
  QVERIFY2(test::contains(r.err, "quantization_type: only nf4"), r.err.c_str());
}

// stage: dpo on LLaMA-Factory's sharegpt preference layout: each colour image with the right
// colour chosen and the other rejected. The adapter starts at B = 0, so the first step's policy is
// the reference: loss ln 2, margins 0; then the margins grow and the loss falls below ln 2.
void TestTrainCli::dpoLearnsThePreferredAnswers() {
  const auto families = test::fixture_families_of({io::ModelFamily::qwen2_vl});
  if (families.empty()) QSKIP("no qwen2_vl family in this fixture set");
  test::TempDir dir;
  write_dataset(dir.path(), false);
  json pairs = json::array();
  const char* questions[] = {"What colour is it?", "Name the colour.", "Which colour?", "The colour, please."};
  for (int colour = 0; colour < 2; ++colour)
    for (const char* q : questions)
      pairs.push_back({{"conversations", {{{"from", "human"}, {"value", std::string("<image>") + q}}}},
                       {"chosen", {{"from", "gpt"}, {"value", colour ? "It is red." : "It is blue."}}},
                       {"rejected", {{"from", "gpt"}, {"value", colour ? "It is blue." : "It is red."}}},
                       {"images", {"images/" + std::to_string(colour) + ".png"}}});
  test::write_text(dir.path() / "data/pairs.json", pairs.dump());
  test::write_text(dir.path() / "data/dataset_info.json",
                   json{{"colours", {{"file_name", "colours.json"}, {"formatting", "sharegpt"}}},
                        {"colour_pairs",
                         {{"file_name", "pairs.json"},
                          {"formatting", "sharegpt"},
                          {"ranking", true},
                          {"columns", {{"messages", "conversations"}, {"chosen", "chosen"}, {"rejected", "rejected"}, {"images", "images"}}}}}}
                       .dump());
  write_config(dir.path(), test::hf_fixtures_root() / families.front() / "model");
  std::string yaml = read_text(dir.path() / "train.yaml");
  const auto replace = [&](const std::string& from, const std::string& to) { replace_in(yaml, from, to); };
  replace("stage: sft", "stage: dpo\npref_beta: 0.1\npref_loss: sigmoid");
  replace("dataset: colours", "dataset: colour_pairs\nval_size: 0.25");
  replace("num_train_epochs: 4.0", "num_train_epochs: 6.0\neval_strategy: steps\neval_steps: 3");
  replace("learning_rate: 1.0e-3", "learning_rate: 2.0e-3");
  test::write_text(dir.path() / "dpo.yaml", yaml);

  // The SFT config on the pairs is refused, naming the dataset.
  test::write_text(dir.path() / "sft_on_pairs.yaml", std::string(yaml).replace(yaml.find("stage: dpo"), 10, "stage: sft"));
  Run r = run_cli({"train", "sft_on_pairs.yaml"}, dir.path());
  QVERIFY(r.code != 0);
  QVERIFY2(test::contains(r.err, "colour_pairs is a preference (ranking) dataset"), r.err.c_str());

  r = run_cli({"train", "dpo.yaml"}, dir.path());
  QVERIFY2(r.code == 0, r.err.c_str());
  QVERIFY2(test::contains(r.err, "DPO (sigmoid, beta 0.1): the reference is the base model"), r.err.c_str());
  QVERIFY2(test::contains(r.err, "rewards/margins"), r.err.c_str());

  const fs::path out = dir.path() / "saves/colours";
  for (const char* f : {"adapter_config.json", "adapter_model.safetensors", "trainer_state.json", "training_loss.png",
                        "training_rewards_accuracies.png"})
    QVERIFY2(fs::exists(out / f), f);
  std::vector<double> losses, margins, eval_margins;
  std::ifstream log(out / "trainer_log.jsonl");
  for (std::string line; std::getline(log, line);) {
    const json j = json::parse(line);
    if (j.contains("loss")) {
      losses.push_back(j.at("loss").get<double>());
      QVERIFY2(j.contains("rewards/margins") && j.contains("rewards/accuracies") && j.contains("logps/chosen"), line.c_str());
      margins.push_back(j.at("rewards/margins").get<double>());
      if (losses.size() == 1) {
        QCOMPARE(losses.front(), std::round(std::log(2.0) * 1e4) / 1e4);  // the policy is the reference
        QCOMPARE(j.at("rewards/chosen").get<double>(), 0.0);
        QCOMPARE(margins.front(), 0.0);
      }
    }
    if (j.contains("eval_loss")) {
      QVERIFY2(j.contains("eval_rewards/margins"), line.c_str());
      eval_margins.push_back(j.at("eval_rewards/margins").get<double>());
    }
  }
  QVERIFY(losses.size() >= 8 && !eval_margins.empty());
  QVERIFY2(margins.back() > 0 && losses.back() < losses.front(),
           (std::to_string(losses.back()) + " loss, margin " + std::to_string(margins.back())).c_str());
  const json state = json::parse(std::ifstream(out / "trainer_state.json"));
  bool logged = false;
  for (const auto& entry : state.at("log_history")) logged = logged || entry.contains("rewards/accuracies");
  QVERIFY(logged);
}

void TestTrainCli::neatPackingTrainsAsOneBatch() {
  // The 8 samples in one batch of 8 rows, and neat-packed into one row: the same first step (the
  // loss and gradient norm of the same tokens), since a neat-packed sample computes what it
  // computes alone.
  const auto families = test::fixture_families_of({io::ModelFamily::qwen2_vl});
  if (families.empty()) QSKIP("no qwen2_vl family in this fixture set");
  test::TempDir dir;
  write_dataset(dir.path(), false);
  write_config(dir.path(), test::hf_fixtures_root() / families.front() / "model");
  std::string yaml = read_text(dir.path() / "train.yaml");
  const auto replace = [&](const std::string& from, const std::string& to) { replace_in(yaml, from, to); };
  replace("per_device_train_batch_size: 2\ngradient_accumulation_steps: 2", "per_device_train_batch_size: 8\ngradient_accumulation_steps: 1");
  replace("num_train_epochs: 4.0", "max_steps: 1");
  test::write_text(dir.path() / "one_batch.yaml", yaml);
  replace("output_dir: saves/colours", "output_dir: saves/packed");
  replace("cutoff_len: 1024", "cutoff_len: 1024\nneat_packing: true");
  test::write_text(dir.path() / "packed.yaml", yaml);

  const Run plain = run_cli({"train", "one_batch.yaml"}, dir.path());
  QVERIFY2(plain.code == 0, plain.err.c_str());
  const Run packed = run_cli({"train", "packed.yaml"}, dir.path());
  QVERIFY2(packed.code == 0, packed.err.c_str());
  QVERIFY2(test::contains(packed.err, "packing (neat: each sample attends only to itself): 8 samples in 1 row of up to 1023 tokens"),
           packed.err.c_str());
  const auto first_log = [&](const char* run) {
    std::ifstream log(dir.path() / "saves" / run / "trainer_log.jsonl");
    std::string line;
    std::getline(log, line);
    return json::parse(line);
  };
  const json a = first_log("colours"), b = first_log("packed");
  for (const char* key : {"loss", "grad_norm"}) {
    QVERIFY2(a.contains(key) && b.contains(key), key);
    const double x = a[key].get<double>(), y = b[key].get<double>();
    QVERIFY2(std::abs(x - y) <= 1e-5 * std::abs(x), (std::string(key) + ": " + std::to_string(x) + " one batch, " + std::to_string(y) + " packed").c_str());
  }
  // Packing is for supervised samples only: a DPO config asking for it is refused by name.
  replace("stage: sft", "stage: dpo");
  test::write_text(dir.path() / "dpo_packed.yaml", yaml);
  const Run dpo = run_cli({"train", "dpo_packed.yaml"}, dir.path());
  QVERIFY(dpo.code != 0);
  QVERIFY2(test::contains(dpo.err, "neat_packing packs supervised samples"), dpo.err.c_str());
}

// Photos larger than the model's pixel budget are kept prepared (--image-cache): the first run
// adds each once and reads it back for every later row and epoch; a second run adds none;
// overwrite_cache rebuilds them; --no-image-cache leaves the folder alone.
void TestTrainCli::preparedImagesAreKeptAcrossRuns() {
  const auto families = test::fixture_families_of({io::ModelFamily::qwen2_vl});
  if (families.empty()) QSKIP("no qwen2_vl family in this fixture set");
  test::TempDir dir;
  write_dataset(dir.path(), false);
  for (int colour = 0; colour < 2; ++colour)  // 448 x 448: four times the fixture processor's max_pixels
    test::write_png(dir.path() / "data/images" / (std::to_string(colour) + ".png"), 448, 448, colour * 120);
  write_config(dir.path(), test::hf_fixtures_root() / families.front() / "model");
  std::string yaml = read_text(dir.path() / "train.yaml");
  replace_in(yaml, "num_train_epochs: 4.0", "max_steps: 3");
  test::write_text(dir.path() / "cached.yaml", yaml);
  const fs::path cache = dir.path() / "prepared";
  const std::string where = "image cache " + cache.string() + ": ";
  // "<hits> images read from it, <added> added": hits at least `hits` (the loader's workers may
  // have prepared a batch or two ahead of the last step), `added` up to `most_added` (two workers
  // meeting an image at once both prepare and store it; one entry remains).
  const auto reported = [&](const std::string& err, int hits, int added, int most_added) {
    const std::string literal = std::regex_replace(where, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)");
    const std::regex line(literal + "([0-9]+) images? read from it, ([0-9]+) added");
    std::smatch m;
    return std::regex_search(err, m, line) && std::stoi(m[1]) >= hits && std::stoi(m[2]) >= added &&
           std::stoi(m[2]) <= most_added;
  };

  Run r = run_cli({"train", "cached.yaml", "--image-cache", QString::fromStdString(cache.string())}, dir.path());
  QVERIFY2(r.code == 0, r.err.c_str());
  // 3 steps of 2 x 2 rows: 12 encodings of the 2 images, each added once (or by two workers at once).
  QVERIFY2(reported(r.err, 8, 2, 4), r.err.c_str());
  QCOMPARE(test::entry_count(cache), 2);

  r = run_cli({"train", "cached.yaml", "--image-cache", QString::fromStdString(cache.string())}, dir.path());
  QVERIFY2(r.code == 0, r.err.c_str());
  QVERIFY2(reported(r.err, 12, 0, 0), r.err.c_str());

  // What the folder holds (vltune-cli image-cache), and --image-cache-max: a cap below one entry
  // empties the folder when the run opens it, and the run can't add its images back (it says so).
  const QString cacheArg = QString::fromStdString(cache.string());
  r = run_cli({"image-cache", "--dir", cacheArg}, dir.path());
  QVERIFY2(r.code == 0, r.err.c_str());
  QVERIFY2(test::contains(r.out, cache.string() + ": holds 2 prepared images, "), r.out.c_str());
  r = run_cli({"train", "cached.yaml", "--image-cache", cacheArg, "--image-cache-max", "1e-9"}, dir.path());
  QVERIFY2(r.code == 0, r.err.c_str());
  QVERIFY2(test::contains(r.err, where + "2 old entries removed to stay under "), r.err.c_str());
  QVERIFY2(reported(r.err, 0, 0, 0), r.err.c_str());
  QVERIFY2(test::contains(r.err, where + "full of this run's images"), r.err.c_str());
  QVERIFY2(std::regex_search(r.err, std::regex(" added, [0-9]+ not added: it was full")), r.err.c_str());
  QCOMPARE(test::entry_count(cache), 0);
  r = run_cli({"train", "cached.yaml", "--image-cache", cacheArg}, dir.path());  // the default cap: added again
  QVERIFY2(r.code == 0, r.err.c_str());
  QVERIFY2(reported(r.err, 8, 2, 4), r.err.c_str());
  QVERIFY2(!test::contains(r.err, "not added"), r.err.c_str());
  r = run_cli({"train", "cached.yaml", "--image-cache-max", "lots"}, dir.path());
  QCOMPARE(r.code, 2);
  QVERIFY2(test::contains(r.err, "--image-cache-max needs a size in GiB (0: no cap), not \"lots\""), r.err.c_str());

  // --clear removes the entries and nothing else in the folder.
  test::write_text(cache / "notes.txt", "mine");
  r = run_cli({"image-cache", "--dir", cacheArg, "--clear"}, dir.path());
  QVERIFY2(r.code == 0, r.err.c_str());
  QVERIFY2(test::contains(r.out, cache.string() + ": removed 2 prepared images, "), r.out.c_str());
  QCOMPARE(test::entry_count(cache), 1);
  QCOMPARE(read_text(cache / "notes.txt"), std::string("mine"));
  r = run_cli({"image-cache", "--dir", QString::fromStdString((cache / "notes.txt").string())}, dir.path());
  QCOMPARE(r.code, 1);
  QVERIFY2(test::contains(r.err, (cache / "notes.txt").string() + ": the image cache is not a folder"), r.err.c_str());
  fs::remove(cache / "notes.txt");

  replace_in(yaml, "max_steps: 3", "max_steps: 1\noverwrite_cache: true");
  test::write_text(dir.path() / "rebuild.yaml", yaml);
  r = run_cli({"train", "rebuild.yaml", "--image-cache", QString::fromStdString(cache.string())}, dir.path());
  QVERIFY2(r.code == 0, r.err.c_str());
  QVERIFY2(reported(r.err, 0, 2, 4), r.err.c_str());
  QCOMPARE(test::entry_count(cache), 2);

  fs::remove_all(cache);
  r = run_cli({"train", "rebuild.yaml", "--no-image-cache"}, dir.path());
  QVERIFY2(r.code == 0, r.err.c_str());
  QVERIFY2(!test::contains(r.err, "image cache"), r.err.c_str());
  QVERIFY(!fs::exists(cache));
}

QTEST_GUILESS_MAIN(TestTrainCli)
#include "test_train_cli.moc"
