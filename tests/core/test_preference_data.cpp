// Preference (ranking) data for DPO (issue 12): LLaMA-Factory's sharegpt and alpaca pairwise
// layouts and RLAIF-V's, read and validated like every other format; each pair encoded as
// LLaMA-Factory's PairwiseDatasetProcessor does (checked against the supervised encoding of the
// same conversation, which the chat template tests check against LLaMA-Factory); pairs collated as
// chosen rows then rejected rows; and a training stage refusing the other kind of dataset.

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/data/collate.h"
#include "core/data/dataset.h"
#include "core/data/sample_encoder.h"
#include "core/data/validation.h"
#include "core/error.h"
#include "core/io/hf_config.h"
#include "core/text/image_placeholders.h"
#include "core/text/supervised_encoding.h"
#include "core/train/train_config.h"
#include "core/train/training_job.h"
#include "tests/test_support.h"
#include "tests/tiny_png.h"

#include <QtTest/QtTest>

namespace fs = std::filesystem;
namespace data = vltune::data;
namespace test = vltune::test;
using data::ProblemKind;

namespace {

bool has_problem(const std::vector<data::Problem>& problems, int64_t row, ProblemKind kind, const std::string& words = "") {
  return std::any_of(problems.begin(), problems.end(), [&](const data::Problem& p) {
    return p.row == row && p.kind == kind && p.message.find(words) != std::string::npos;
  });
}

std::string describe(const std::vector<data::Problem>& problems) {
  std::string s;
  for (const auto& p : problems)
    s += std::string(data::problem_kind_name(p.kind)) + " " + p.file + ":" + std::to_string(p.row) + " " + p.message + "\n";
  return s;
}

// LLaMA-Factory's sharegpt pairwise layout, as its dpo_en_demo and RLHF-V entries write it.
void write_sharegpt_pairs(const fs::path& root) {
  test::write_png(root / "images/a.png", 40, 30);
  test::write_text(root / "dataset_info.json", R"({"rlhf_v": {"file_name": "pairs.json", "formatting": "sharegpt",
      "ranking": true, "columns": {"messages": "conversations", "chosen": "chosen", "rejected": "rejected", "images": "images"}}})");
  test::write_text(root / "pairs.json", R"([
  {"conversations": [{"from": "human", "value": "<image>What is in the picture?"}],
   "chosen": {"from": "gpt", "value": "A red square."}, "rejected": {"from": "gpt", "value": "A blue circle."},
   "images": ["images/a.png"]},
  {"conversations": [{"from": "human", "value": "Hello"}], "chosen": {"from": "gpt", "value": "Hi."}},
  {"conversations": [{"from": "human", "value": "Hello"}], "chosen": {"from": "gpt", "value": "Hi."},
   "rejected": {"from": "human", "value": "Go away."}},
  {"conversations": [{"from": "human", "value": "A"}, {"from": "gpt", "value": "B"}],
   "chosen": {"from": "gpt", "value": "C"}, "rejected": {"from": "gpt", "value": "D"}},
  {"conversations": [{"from": "human", "value": "Say something"}], "chosen": "Something.", "rejected": "  "}
])");
}

// The first Qwen2-VL-family fixture model (the pair encoding tests' template), "" when the set has none.
fs::path qwen_model() {
  const auto found = test::fixture_families_of({vltune::io::ModelFamily::qwen2_vl, vltune::io::ModelFamily::qwen2_5_vl});
  return found.empty() ? fs::path() : test::hf_fixtures_root() / found.front() / "model";
}

data::Record text_pair(std::vector<data::Turn> turns, std::string rejected) {
  data::Record r;
  r.file = "pairs.json";
  r.turns = std::move(turns);
  r.rejected = std::move(rejected);
  return r;
}

using Ids = std::vector<vltune::text::TokenId>;

Ids slice(const Ids& v, size_t from, size_t to) {
  return Ids(v.begin() + static_cast<std::ptrdiff_t>(from), v.begin() + static_cast<std::ptrdiff_t>(to));
}

torch::Tensor as_tensor(const Ids& ids) { return torch::tensor(std::vector<int64_t>(ids.begin(), ids.end()), torch::kLong); }

}  // namespace

class TestPreferenceData : public QObject {
  Q_OBJECT

 private slots:
  void sharegptPairs();
  void alpacaPairsAndRlaifV();
  void duplicatesConsiderTheRejectedAnswer();
  void pairSharesItsPromptAndLabelsOnlyTheAnswers();
  void pairIsCutAsLlamaFactoryCutsIt();
  void pairsCollateChosenThenRejected();
  void stageRefusesTheOtherKindOfDataset();
  void preferenceKeysInTheYaml();
};

void TestPreferenceData::sharegptPairs() {
  test::TempDir dir;
  write_sharegpt_pairs(dir.path());
  const data::Dataset ds = data::open_dataset(dir.path());
  QCOMPARE(ds.records.size(), size_t(5));
  QCOMPARE(ds.files.size(), size_t(1));
  QVERIFY(ds.files[0].ranking);
  QVERIFY2(ds.detected_because.find("rlhf_v") != std::string::npos, ds.detected_because.c_str());

  // The chosen answer ends the turns; the rejected one is beside them.
  const data::Record& good = ds.records[0];
  QCOMPARE(good.turns.size(), size_t(2));
  QCOMPARE(good.turns[1].role, std::string("assistant"));
  QCOMPARE(good.turns[1].content, std::string("A red square."));
  QVERIFY(good.rejected.has_value());
  QCOMPARE(*good.rejected, std::string("A blue circle."));
  QCOMPARE(good.images.size(), size_t(1));
  QVERIFY(!good.images[0].path.empty());

  // Reading names what is missing or wrong.
  QVERIFY2(has_problem(ds.problems, 1, ProblemKind::bad_json, "\"rejected\" is missing"), describe(ds.problems).c_str());
  QVERIFY2(has_problem(ds.problems, 2, ProblemKind::bad_json, "\"rejected\" should be the assistant's answer"),
           describe(ds.problems).c_str());
  QVERIFY(ds.records[1].rejected.has_value());  // a pair still, with nothing to reject: validation stops it

  // Validation as for every format: the pair's answers, and the prompt ending with the user.
  const data::DatasetReport report = data::validate_dataset(ds);
  QVERIFY2(!has_problem(report.problems, 0, ProblemKind::empty_answer) && !has_problem(report.problems, 0, ProblemKind::not_alternating),
           describe(report.problems).c_str());
  QVERIFY2(has_problem(report.problems, 1, ProblemKind::empty_answer, "rejected answer is empty"), describe(report.problems).c_str());
  QVERIFY2(has_problem(report.problems, 3, ProblemKind::not_alternating, "turn 2 is assistant"), describe(report.problems).c_str());
  QVERIFY2(has_problem(report.problems, 4, ProblemKind::empty_answer, "rejected answer is empty"), describe(report.problems).c_str());
  QCOMPARE(ds.records[4].turns.back().content, std::string("Something."));  // a plain string answer is read
  QVERIFY(report.row_has_problem[0] == 0);
}

void TestPreferenceData::alpacaPairsAndRlaifV() {
  test::TempDir dir;
  test::write_png(dir.path() / "img/cat.png", 24, 24);
  // RLAIF-V's rows, as a bare file: one image named "image", no <image> marker in the question.
  test::write_text(dir.path() / "rlaif.jsonl",
                   R"({"question": "Describe the image.", "chosen": "A cat.", "rejected": "A dog.", "image": "img/cat.png", "ds_name": "x"})"
                   "\n"
                   R"({"question": "What colour?", "chosen": "Grey.", "rejected": 3, "image": "img/cat.png"})"
                   "\n");
  data::Dataset ds = data::open_dataset(dir.path() / "rlaif.jsonl");
  QCOMPARE(ds.format, data::DatasetFormat::alpaca);
  QVERIFY2(ds.detected_because.find("preference pairs") != std::string::npos, ds.detected_because.c_str());
  QVERIFY(ds.files[0].ranking);
  QCOMPARE(ds.records.size(), size_t(2));
  QCOMPARE(ds.records[0].turns.size(), size_t(2));
  QCOMPARE(ds.records[0].turns[0].content, std::string("<image>Describe the image."));
  QCOMPARE(ds.records[0].turns[1].content, std::string("A cat."));
  QCOMPARE(*ds.records[0].rejected, std::string("A dog."));
  QCOMPARE(ds.records[0].images.size(), size_t(1));
  QVERIFY(fs::equivalent(ds.records[0].images[0].path, dir.path() / "img/cat.png"));
  QVERIFY2(has_problem(ds.problems, 1, ProblemKind::bad_json, "\"rejected\""), describe(ds.problems).c_str());
  const data::DatasetReport report = data::validate_dataset(ds);
  QVERIFY2(report.row_has_problem[0] == 0, describe(report.problems).c_str());
  QVERIFY(report.row_has_problem[1] != 0);

  // TRL's prompt/chosen/rejected.
  test::write_text(dir.path() / "trl/pairs.json", R"([{"prompt": "2+2?", "chosen": "4", "rejected": "5"}])");
  ds = data::open_dataset(dir.path() / "trl/pairs.json");
  QCOMPARE(ds.records.at(0).turns.at(0).content, std::string("2+2?"));
  QCOMPARE(*ds.records.at(0).rejected, std::string("5"));

  // dataset_info.json: alpaca ranking, the columns named as LLaMA-Factory's rlaif_v entry names them.
  test::write_text(dir.path() / "dataset_info.json", R"({"rlaif_v": {"file_name": "rlaif.jsonl", "ranking": true,
      "columns": {"prompt": "question", "chosen": "chosen", "rejected": "rejected", "images": "image"}},
      "bad": {"file_name": "rlaif.jsonl", "ranking": true, "columns": {"prompt": "question", "chosen": "chosen", "rejected": ""}}})");
  data::OpenOptions only;
  only.datasets = {"rlaif_v"};
  ds = data::open_dataset(dir.path(), only);
  QCOMPARE(ds.records.size(), size_t(2));
  QVERIFY(ds.files[0].ranking);
  QCOMPARE(ds.records[0].turns[0].content, std::string("<image>Describe the image."));
  QCOMPARE(*ds.records[0].rejected, std::string("A dog."));
  // A ranking entry whose columns leave the rejected column empty is an error naming the entry.
  only.datasets = {"bad"};
  try {
    data::open_dataset(dir.path(), only);
    QFAIL("a ranking dataset without its rejected column was read");
  } catch (const vltune::FormatError& e) {
    QVERIFY2(std::string(e.what()).find("\"bad\"") != std::string::npos &&
                 std::string(e.what()).find("\"rejected\"") != std::string::npos,
             e.what());
  }
}

void TestPreferenceData::duplicatesConsiderTheRejectedAnswer() {
  test::TempDir dir;
  test::write_text(dir.path() / "p.json", R"([
    {"conversations": [{"from": "human", "value": "Q"}], "chosen": "A", "rejected": "B"},
    {"conversations": [{"from": "human", "value": "Q"}], "chosen": "A", "rejected": "C"},
    {"conversations": [{"from": "human", "value": "Q"}], "chosen": "A", "rejected": "B"}])");
  const data::Dataset ds = data::open_dataset(dir.path() / "p.json");
  QCOMPARE(ds.format, data::DatasetFormat::sharegpt);
  const auto report = data::validate_dataset(ds);
  QVERIFY2(!has_problem(report.problems, 1, ProblemKind::duplicate), describe(report.problems).c_str());
  QVERIFY2(has_problem(report.problems, 2, ProblemKind::duplicate, "row 0"), describe(report.problems).c_str());
}

void TestPreferenceData::pairSharesItsPromptAndLabelsOnlyTheAnswers() {
  const fs::path model = qwen_model();
  if (model.empty()) QSKIP("no Qwen2-VL fixture in this fixture set");
  test::TempDir dir;
  write_sharegpt_pairs(dir.path());
  const data::Dataset ds = data::open_dataset(dir.path());
  const data::SampleEncoder encoder(model);
  const data::Record& pair = ds.records[0];
  const data::EncodedExample ex = encoder.encode(pair, 0);
  QVERIFY(!ex.rejected_input_ids.empty());
  QCOMPARE(ex.rejected_labels.size(), ex.rejected_input_ids.size());
  QVERIFY(ex.pixel_values.defined());

  // With nothing cut, the chosen sequence is the supervised encoding of the chosen conversation,
  // labels and all (one turn: only the answer is learned).
  data::Record chosen_only = pair;
  chosen_only.rejected.reset();
  const data::EncodedExample sft = encoder.encode(chosen_only, 0);
  QVERIFY(sft.rejected_input_ids.empty());
  QCOMPARE(ex.input_ids, sft.input_ids);
  QCOMPARE(ex.labels, sft.labels);
  QVERIFY(torch::equal(ex.pixel_values, sft.pixel_values));

  // The rejected sequence: the same prompt, then its answer, learned alone.
  const auto prompt = static_cast<size_t>(std::find_if(ex.labels.begin(), ex.labels.end(),
                                                       [](auto l) { return l != vltune::text::kIgnoreIndex; }) -
                                          ex.labels.begin());
  QVERIFY(prompt > 0 && prompt < ex.rejected_input_ids.size());
  QCOMPARE(slice(ex.rejected_input_ids, 0, prompt), slice(ex.input_ids, 0, prompt));
  for (size_t i = 0; i < prompt; ++i) QCOMPARE(ex.rejected_labels[i], vltune::text::kIgnoreIndex);
  QCOMPARE(slice(ex.rejected_labels, prompt, ex.rejected_labels.size()),
           slice(ex.rejected_input_ids, prompt, ex.rejected_input_ids.size()));
  QVERIFY(ex.rejected_input_ids != ex.input_ids);

  // Two turns: the earlier answer is prompt (unlabelled), even though SFT would learn it.
  const data::Record two_turns = text_pair({{"user", "A"}, {"assistant", "B"}, {"user", "C"}, {"assistant", "D"}}, "E");
  const data::EncodedExample ex2 = encoder.encode(two_turns, 0);
  data::Record sft2 = two_turns;
  sft2.rejected.reset();
  const data::EncodedExample plain = encoder.encode(sft2, 0);
  QCOMPARE(ex2.input_ids, plain.input_ids);
  const auto learned = [](const Ids& labels) {
    return std::count_if(labels.begin(), labels.end(), [](auto l) { return l != vltune::text::kIgnoreIndex; });
  };
  QVERIFY(learned(ex2.labels) < learned(plain.labels));
  // mask_history is LLaMA-Factory's way to learn only the last answer in SFT: the same labels.
  data::EncoderParams masked;
  masked.supervised.mask_history = true;
  const data::SampleEncoder last_only(model, masked);
  QCOMPARE(ex2.labels, last_only.encode(sft2, 0).labels);
}

void TestPreferenceData::pairIsCutAsLlamaFactoryCutsIt() {
  const fs::path model = qwen_model();
  if (model.empty()) QSKIP("no Qwen2-VL fixture in this fixture set");
  std::string long_answer, short_answer = "No.";
  for (int i = 0; i < 60; ++i) long_answer += "word" + std::to_string(i) + " ";
  std::string question;
  for (int i = 0; i < 40; ++i) question += "ask" + std::to_string(i) + " ";
  const data::Record pair = text_pair({{"user", question}, {"assistant", long_answer}}, short_answer);

  // Untruncated lengths first.
  const data::SampleEncoder whole(model);
  const data::EncodedExample full = whole.encode(pair, 0);
  const auto prompt_len = static_cast<int64_t>(std::find_if(full.labels.begin(), full.labels.end(),
                                                            [](auto l) { return l != vltune::text::kIgnoreIndex; }) -
                                               full.labels.begin());
  const auto chosen_len = static_cast<int64_t>(full.input_ids.size()) - prompt_len;
  const auto rejected_len = static_cast<int64_t>(full.rejected_input_ids.size()) - prompt_len;
  QVERIFY(chosen_len > rejected_len);

  for (const int64_t cutoff : {int64_t{40}, prompt_len + 10, chosen_len + 5}) {
    data::EncoderParams p;
    p.supervised.cutoff_len = cutoff;
    const data::SampleEncoder encoder(model, p);
    const data::EncodedExample ex = encoder.encode(pair, 0);
    const auto [s, t] = vltune::text::infer_seqlen(prompt_len, std::max(chosen_len, rejected_len), cutoff);
    QCOMPARE(static_cast<int64_t>(ex.input_ids.size()), s + std::min(t, chosen_len));
    QCOMPARE(static_cast<int64_t>(ex.rejected_input_ids.size()), s + std::min(t, rejected_len));
    QVERIFY(static_cast<int64_t>(ex.input_ids.size()) <= cutoff);
    QCOMPARE(slice(ex.input_ids, 0, static_cast<size_t>(s)), slice(full.input_ids, 0, static_cast<size_t>(s)));
    QCOMPARE(slice(ex.input_ids, static_cast<size_t>(s), ex.input_ids.size()),
             slice(full.input_ids, static_cast<size_t>(prompt_len), static_cast<size_t>(prompt_len + std::min(t, chosen_len))));
    QVERIFY(!ex.notes.empty());
  }
}

void TestPreferenceData::pairsCollateChosenThenRejected() {
  const fs::path model = qwen_model();
  if (model.empty()) QSKIP("no Qwen2-VL fixture in this fixture set");
  test::TempDir dir;
  write_sharegpt_pairs(dir.path());
  const data::Dataset ds = data::open_dataset(dir.path());
  const data::SampleEncoder encoder(model);
  const std::vector<data::EncodedExample> examples = {encoder.encode(ds.records[0], 0),
                                                      encoder.encode(text_pair({{"user", "Q"}, {"assistant", "Yes"}}, "No"), 7)};
  const data::Batch b = data::collate(examples, encoder.family(), encoder.pad_id());
  QCOMPARE(b.pairs, int64_t{2});
  QCOMPARE(b.input_ids.size(0), int64_t{4});
  QCOMPARE(b.indices, (std::vector<int64_t>{0, 7, 0, 7}));
  const auto row = [&](int64_t r, const Ids& ids) {
    return torch::equal(b.input_ids[r].narrow(0, 0, static_cast<int64_t>(ids.size())), as_tensor(ids)) &&
           b.attention_mask[r].sum().item<int64_t>() == static_cast<int64_t>(ids.size());
  };
  QVERIFY(row(0, examples[0].input_ids));
  QVERIFY(row(1, examples[1].input_ids));
  QVERIFY(row(2, examples[0].rejected_input_ids));
  QVERIFY(row(3, examples[1].rejected_input_ids));
  // The one image stands in row 0 and row 2: its patches twice, in row order.
  QCOMPARE(b.image_grid_thw.size(0), int64_t{2});
  QCOMPARE(b.pixel_values.size(0), 2 * examples[0].pixel_values.size(0));
  QVERIFY(torch::equal(b.pixel_values.narrow(0, examples[0].pixel_values.size(0), examples[0].pixel_values.size(0)),
                       examples[0].pixel_values));
  QCOMPARE(b.label_tokens, data::count_label_tokens(b.labels));

  // Pairs and plain samples do not mix.
  data::Record plain = ds.records[0];
  plain.rejected.reset();
  const std::vector<data::EncodedExample> mixed = {examples[0], encoder.encode(plain, 1)};
  QVERIFY_THROWS_EXCEPTION(vltune::Error, data::collate(mixed, encoder.family(), encoder.pad_id()));
}

void TestPreferenceData::stageRefusesTheOtherKindOfDataset() {
  const fs::path model = qwen_model();
  if (model.empty()) QSKIP("no Qwen2-VL fixture in this fixture set");
  test::TempDir dir;
  write_sharegpt_pairs(dir.path());
  test::write_text(dir.path() / "sft.json", R"([{"conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]}])");
  test::write_text(dir.path() / "dataset_info.json", R"({"rlhf_v": {"file_name": "pairs.json", "formatting": "sharegpt",
      "ranking": true, "columns": {"messages": "conversations", "chosen": "chosen", "rejected": "rejected", "images": "images"}},
      "chat": {"file_name": "sft.json", "formatting": "sharegpt"}})");
  vltune::train::TrainConfig c;
  c.model_name_or_path = model.string();
  c.dataset_dir = dir.path().string();
  c.output_dir = (dir.path() / "out").string();
  const auto error = [&] {
    try {
      vltune::train::run_training_job(c);
    } catch (const vltune::Error& e) {
      return std::string(e.what());
    }
    return std::string("<no error>");
  };
  c.dataset = {"rlhf_v"};
  c.stage = vltune::train::Stage::sft;
  std::string e = error();
  QVERIFY2(e.find("stage") == 0 && e.find("rlhf_v") != std::string::npos && e.find("dpo") != std::string::npos, e.c_str());
  c.stage = vltune::train::Stage::dpo;
  c.dataset = {"rlhf_v", "chat"};
  e = error();
  QVERIFY2(e.find("stage") == 0 && e.find("chat") != std::string::npos && e.find("ranking") != std::string::npos, e.c_str());
  QVERIFY(!fs::exists(dir.path() / "out"));  // refused before anything was written
}

void TestPreferenceData::preferenceKeysInTheYaml() {
  using vltune::train::load_train_config_from_string;
  const std::string yaml =
      "model_name_or_path: m\nstage: dpo\nfinetuning_type: lora\npref_beta: 0.2\npref_ftx: 0.5\npref_loss: ipo\n"
      "dataset: d\noutput_dir: o\npref_bco_weight: 0.0\n";
  vltune::train::ConfigReport report;
  const vltune::train::TrainConfig c = load_train_config_from_string(yaml, &report);
  QCOMPARE(c.stage, vltune::train::Stage::dpo);
  QCOMPARE(c.pref_beta, 0.2);
  QCOMPARE(c.pref_ftx, 0.5);
  QCOMPARE(c.pref_loss, vltune::train::PrefLoss::ipo);
  QVERIFY(std::find(report.ignored.begin(), report.ignored.end(), "pref_bco_weight") != report.ignored.end());
  QVERIFY(std::find(report.ignored.begin(), report.ignored.end(), "pref_beta") == report.ignored.end());
  QVERIFY(load_train_config_from_string(vltune::train::to_yaml(c)) == c);
  // What this engine does not do is an error naming the key.
  for (const char* bad : {"pref_loss: hinge\n", "pref_beta: 0\n", "pref_ftx: -1\n", "dpo_label_smoothing: 0.7\n",
                          "pref_loss: ipo\ndpo_label_smoothing: 0.1\n"}) {
    try {
      load_train_config_from_string(std::string("stage: dpo\n") + bad);
      QFAIL(bad);
    } catch (const vltune::FormatError& e) {
      const std::string key = std::string(bad).substr(0, std::string(bad).rfind(':'));
      const std::string last_key = key.substr(key.rfind('\n') == std::string::npos ? 0 : key.rfind('\n') + 1);
      QVERIFY2(std::string(e.what()).find(last_key) != std::string::npos, e.what());
    }
  }
}

QTEST_APPLESS_MAIN(TestPreferenceData)
#include "test_preference_data.moc"
