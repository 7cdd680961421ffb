// The training config: LLaMA-Factory's own example and scenario 1 load verbatim; ignored, unknown,
// mistyped and out-of-range keys are reported by name and line; to_yaml round-trips exactly; the
// step formulas follow transformers' Trainer.

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.h"
#include "core/train/train_config.h"
#include "core/train/train_config_steps.h"
#include "tests/test_support.h"

#include <QtTest/QtTest>

using namespace vltune::train;

namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::filesystem::path llamafactory_data(const char* name) {
  return vltune::test::test_data_dir() / "llamafactory" / name;
}

// A trivial `key: value` scan (comments dropped, quotes removed unless `unquote` is false): enough
// for flat YAML we own.
std::map<std::string, std::string> scan(const std::string& text, bool unquote = true) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (const size_t hash = line.find('#'); hash != std::string::npos && (hash == 0 || line[hash - 1] == ' '))
      line.resize(hash);
    const size_t colon = line.find(": ");
    if (colon == std::string::npos || line.starts_with(" ")) continue;
    std::string value = line.substr(colon + 2);
    value.erase(value.find_last_not_of(' ') + 1);
    if (unquote && value.size() >= 2 && (value.front() == '"' || value.front() == '\'')) value = value.substr(1, value.size() - 2);
    out[line.substr(0, colon)] = value;
  }
  return out;
}

// Every key of `yaml_file` that is not ignored comes out of to_yaml with the same value (numbers
// compared as numbers: "1.0e-4" is written "1.0e-04").
void expect_values_as_written(const std::filesystem::path& yaml_file, const TrainConfig& config,
                              const ConfigReport& report) {
  const auto written = scan(read_text(yaml_file));
  const auto emitted = scan(to_yaml(config));
  for (const auto& [key, value] : written) {
    if (std::find(report.ignored.begin(), report.ignored.end(), key) != report.ignored.end()) continue;
    const auto it = emitted.find(key);
    QVERIFY2(it != emitted.end(), key.c_str());
    bool a_ok = false, b_ok = false;
    const double a = QString::fromStdString(value).toDouble(&a_ok);
    const double b = QString::fromStdString(it->second).toDouble(&b_ok);
    const std::string what = key + ": written " + value + ", read back " + it->second;
    if (a_ok && b_ok)
      QVERIFY2(a == b, what.c_str());
    else
      QVERIFY2(value == it->second, what.c_str());
  }
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

bool any_contains(const std::vector<std::string>& lines, const std::string& part) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(part) != std::string::npos; });
}

// A config that differs from the defaults in every LoRA-compatible field, with strings that need
// quoting in YAML.
TrainConfig lora_config_off_defaults() {
  TrainConfig c;
  c.model_name_or_path = "/models/Qwen2.5-VL-3B-Instruct";
  c.adapter_name_or_path = {"saves/a", "saves/b"};
  c.image_max_pixels = 262144;
  c.image_min_pixels = 4096;
  c.quantization_bit = 4;
  c.quantization_type = "fp4";
  c.double_quantization = false;
  c.disable_gradient_checkpointing = true;
  c.stage = Stage::dpo;
  c.lora_rank = 64;
  c.lora_alpha = 128;
  c.lora_dropout = 0.1;
  c.lora_target = {"q_proj", "v_proj"};
  c.additional_target = {"embed_tokens"};
  c.use_rslora = true;
  c.use_dora = true;
  c.loraplus_lr_ratio = 16.0;
  c.loraplus_lr_embedding = 2e-6;
  c.freeze_trainable_layers = -3;
  c.freeze_trainable_modules = {"mlp", "self_attn"};
  c.freeze_extra_modules = {"norm"};
  c.freeze_vision_tower = false;
  c.freeze_multi_modal_projector = false;
  c.freeze_language_model = true;
  c.train_mm_proj_only = true;
  c.pref_beta = 0.25;
  c.pref_ftx = 0.5;
  c.pref_loss = PrefLoss::ipo;  // (dpo_label_smoothing is for sigmoid only: left at 0)
  c.dataset = {"pokemon_multimodal", "no"};  // "no" would read back as a boolean unquoted
  c.dataset_dir = "数据/pokemon sharegpt";
  c.media_dir = "1e-4";  // would read back as a number unquoted
  c.template_name = "qwen2_vl";
  c.cutoff_len = 4096;
  c.max_samples = 1000;
  c.overwrite_cache = true;
  c.preprocessing_num_workers = 16;
  c.val_size = 0.1;
  c.train_on_prompt = true;
  c.output_dir = "saves/run: \"one\" #1";
  c.run_name = "null";
  c.logging_steps = 10;
  c.save_strategy = IntervalStrategy::epoch;
  c.save_steps = 250;
  c.save_total_limit = 3;
  c.save_only_model = true;
  c.plot_loss = true;
  c.overwrite_output_dir = true;
  c.resume_from_checkpoint = "true";
  c.per_device_train_batch_size = 2;
  c.gradient_accumulation_steps = 8;
  c.learning_rate = 2e-4;
  c.num_train_epochs = 2.5;
  c.max_steps = 1000;
  c.lr_scheduler_type = LrScheduler::cosine;
  c.warmup_ratio = 0.1;
  c.warmup_steps = 7;
  c.optim = Optimizer::adamw_torch_fused;
  c.weight_decay = 0.01;
  c.adam_beta1 = 0.8;
  c.adam_beta2 = 0.95;
  c.adam_epsilon = 1e-6;
  c.max_grad_norm = 0.3;
  c.seed = 1234;
  c.data_seed = 7;
  c.bf16 = true;
  c.pure_bf16 = true;
  c.dataloader_drop_last = true;
  c.dataloader_num_workers = 4;
  c.disable_shuffling = true;
  c.eval_strategy = IntervalStrategy::epoch;
  c.eval_steps = 50;
  c.per_device_eval_batch_size = 4;
  c.load_best_model_at_end = true;
  c.metric_for_best_model = "eval_loss";
  c.early_stopping_steps = 3;
  c.early_stopping_threshold = 0.001;
  return c;
}

}  // namespace

class TestTrainConfig : public QObject {
  Q_OBJECT

 private slots:
  void defaultsAreUpstreams();
  void llamafactoryExampleLoadsVerbatim();
  void scenario1LoadsVerbatim();
  void ignoredKeysAreListed();
  void ignoredValuesThatMatterWarn();
  void unknownKeySuggestsClosest();
  void typeErrorsNameKeyAndLine_data();
  void typeErrorsNameKeyAndLine();
  void rangeErrorsNameKeyAndLine_data();
  void rangeErrorsNameKeyAndLine();
  void numberSpellings();
  void listForms();
  void renamedKeys();
  void duplicateKeyIsError();
  void fileErrors();
  void roundTripDefaults();
  void roundTripOffDefaults();
  void writtenYamlReadsInPyYaml();
  void loraHelpers();
  void trainingLengthFollowsTransformers();
  void warmupAndEvalSteps();
  void otherResolutions();
};

void TestTrainConfig::defaultsAreUpstreams() {
  const TrainConfig c;
  // LLaMA-Factory finetuning_args.py / data_args.py / model_args.py
  QVERIFY(c.stage == Stage::sft);
  QVERIFY(c.finetuning_type == FinetuningType::lora);
  QCOMPARE(c.lora_rank, int64_t{8});
  QVERIFY(!c.lora_alpha);
  QCOMPARE(c.lora_dropout, 0.0);
  QCOMPARE(c.lora_target, std::vector<std::string>{"all"});
  QVERIFY(c.freeze_vision_tower && c.freeze_multi_modal_projector && !c.freeze_language_model);
  QCOMPARE(c.dataset_dir, std::string("data"));
  QCOMPARE(c.cutoff_len, int64_t{2048});
  QCOMPARE(c.val_size, 0.0);
  QCOMPARE(c.image_max_pixels, int64_t{768 * 768});
  QCOMPARE(c.image_min_pixels, int64_t{32 * 32});
  // transformers TrainingArguments
  QCOMPARE(c.learning_rate, 5e-5);
  QCOMPARE(c.num_train_epochs, 3.0);
  QCOMPARE(c.max_steps, int64_t{-1});
  QCOMPARE(c.per_device_train_batch_size, int64_t{8});
  QCOMPARE(c.gradient_accumulation_steps, int64_t{1});
  QCOMPARE(c.logging_steps, int64_t{500});
  QCOMPARE(c.save_steps, int64_t{500});
  QVERIFY(c.lr_scheduler_type == LrScheduler::linear);
  QVERIFY(c.optim == Optimizer::adamw_torch);
  QCOMPARE(c.adam_beta2, 0.999);
  QCOMPARE(c.adam_epsilon, 1e-8);
  QCOMPARE(c.max_grad_norm, 1.0);
  QCOMPARE(c.seed, int64_t{42});
  QVERIFY(c.eval_strategy == IntervalStrategy::no);

  // An empty file (or one of comments) is every default, with what a run still lacks noted.
  ConfigReport report;
  QVERIFY(load_train_config_from_string("# nothing yet\n", &report) == TrainConfig{});
  QVERIFY(any_contains(report.warnings, "model_name_or_path is not set"));
}

void TestTrainConfig::llamafactoryExampleLoadsVerbatim() {
  const auto path = llamafactory_data("qwen2_5vl_lora_sft.yaml");
  ConfigReport report;
  const TrainConfig c = load_train_config(path, &report);
  QVERIFY2(report.unknown.empty(), report.warnings.empty() ? "" : report.warnings.front().c_str());
  QVERIFY2(report.warnings.empty(), report.warnings.empty() ? "" : report.warnings.front().c_str());
  for (const char* key : {"video_max_pixels", "trust_remote_code", "do_train", "report_to", "ddp_timeout"})
    QVERIFY2(contains(report.ignored, key), key);
  QCOMPARE(report.ignored.size(), size_t{5});

  QCOMPARE(c.model_name_or_path, std::string("Qwen/Qwen2.5-VL-7B-Instruct"));
  QCOMPARE(c.image_max_pixels, int64_t{262144});
  QVERIFY(c.stage == Stage::sft);
  QCOMPARE(c.lora_rank, int64_t{8});
  QCOMPARE(effective_lora_alpha(c), int64_t{16});
  QCOMPARE(c.lora_target, std::vector<std::string>{"all"});
  QCOMPARE(c.dataset, (std::vector<std::string>{"mllm_demo", "identity", "alpaca_en_demo"}));
  QCOMPARE(c.template_name, std::string("qwen2_vl"));
  QCOMPARE(c.max_samples, std::optional<int64_t>(1000));
  QCOMPARE(c.learning_rate, 1e-4);
  QVERIFY(c.lr_scheduler_type == LrScheduler::cosine);
  QVERIFY(c.bf16 && !c.fp16);
  QCOMPARE(c.resume_from_checkpoint, std::string());
  QVERIFY(c.eval_strategy == IntervalStrategy::no);  // the eval block is commented out
  expect_values_as_written(path, c, report);
}

void TestTrainConfig::scenario1LoadsVerbatim() {
  const auto path = llamafactory_data("scenario1_pokemon.yaml");
  ConfigReport report;
  const TrainConfig c = load_train_config(path, &report);
  QVERIFY2(report.warnings.empty(), report.warnings.empty() ? "" : report.warnings.front().c_str());
  QCOMPARE(c.model_name_or_path, std::string("Qwen/Qwen2.5-VL-3B-Instruct"));
  QVERIFY(c.finetuning_type == FinetuningType::lora);
  QVERIFY(!c.quantization_bit);
  QCOMPARE(c.lora_rank, int64_t{64});
  QCOMPARE(effective_lora_alpha(c), int64_t{128});
  QCOMPARE(c.lora_dropout, 0.1);
  QCOMPARE(c.dataset, std::vector<std::string>{"pokemon_multimodal"});
  QCOMPARE(c.cutoff_len, int64_t{4096});
  QCOMPARE(c.learning_rate, 2e-4);  // written 2e-4, which PyYAML alone would read as a string
  QCOMPARE(c.per_device_train_batch_size * c.gradient_accumulation_steps, int64_t{16});
  QCOMPARE(c.val_size, 0.1);
  QVERIFY(c.eval_strategy == IntervalStrategy::steps);
  QCOMPARE(effective_eval_steps(c), int64_t{500});
  expect_values_as_written(path, c, report);
}

void TestTrainConfig::ignoredKeysAreListed() {
  ConfigReport report;
  load_train_config_from_string("stage: sft\ndo_train: true\nddp_timeout: 180000000\nreport_to: wandb\n"
                                "trust_remote_code: true\nflash_attn: fa2\nvideo_fps: 2.0\n"
                                "enable_liger_kernel: true\nhf_hub_token: secret\nvllm_maxlen: 4096\n"
                                "pref_bco_weight: 0.1\ngradient_checkpointing: true\n",
                                &report);
  const std::vector<std::string> expected = {"do_train",    "ddp_timeout",  "report_to",
                                             "trust_remote_code", "flash_attn", "video_fps",
                                             "enable_liger_kernel", "hf_hub_token", "vllm_maxlen",
                                             "pref_bco_weight", "gradient_checkpointing"};
  QCOMPARE(report.ignored, expected);  // in file order; stage (and pref_beta) are settings, not ignored
  QVERIFY(report.unknown.empty());
  QVERIFY(!any_contains(report.warnings, "secret"));
}

void TestTrainConfig::ignoredValuesThatMatterWarn() {
  ConfigReport report;
  load_train_config_from_string("do_train: false\nuse_unsloth: true\nstreaming: false\n", &report, "x.yaml");
  QVERIFY(contains(report.ignored, "do_train") && contains(report.ignored, "use_unsloth"));
  QVERIFY(contains(report.ignored, "streaming"));
  QVERIFY(any_contains(report.warnings, "x.yaml, line 1: do_train"));
  QVERIFY(any_contains(report.warnings, "x.yaml, line 2: use_unsloth"));
  QVERIFY(!any_contains(report.warnings, "streaming"));  // false is what happens here anyway

  // use_unsloth_gc is a setting (offloaded checkpointing), not ignored; without checkpointing it
  // does nothing, as in LLaMA-Factory, and says so.
  ConfigReport offload;
  const TrainConfig c = load_train_config_from_string("use_unsloth_gc: true\n", &offload, "x.yaml");
  QVERIFY(c.use_unsloth_gc && offload.ignored.empty() && !any_contains(offload.warnings, "use_unsloth_gc"));
  ConfigReport stray;
  load_train_config_from_string("disable_gradient_checkpointing: true\nuse_unsloth_gc: true\n", &stray, "x.yaml");
  QVERIFY(stray.ignored.empty());
  QVERIFY(any_contains(stray.warnings, "x.yaml, line 2: use_unsloth_gc does nothing with gradient checkpointing off"));
}

void TestTrainConfig::unknownKeySuggestsClosest() {
  ConfigReport report;
  const TrainConfig c = load_train_config_from_string(
      "model_name_or_path: m\nlearnig_rate: 1.0e-3\nlora_rnak: 4\nLearning_Rate: 1\ncompletely_made_up_key: 1\n",
      &report, "cfg.yaml");
  QCOMPARE(c.learning_rate, 5e-5);  // an unknown key changes nothing
  QCOMPARE(report.unknown.size(), size_t{4});
  QCOMPARE(report.unknown[0].key, std::string("learnig_rate"));
  QCOMPARE(report.unknown[0].suggestion, std::string("learning_rate"));
  QCOMPARE(report.unknown[0].line, 2);
  QCOMPARE(report.unknown[1].suggestion, std::string("lora_rank"));
  QCOMPARE(report.unknown[2].suggestion, std::string("learning_rate"));  // keys are case-sensitive
  QCOMPARE(report.unknown[3].suggestion, std::string());
  QVERIFY(any_contains(report.warnings, "cfg.yaml, line 2: unknown key learnig_rate (ignored); did you mean learning_rate?"));
}

void TestTrainConfig::typeErrorsNameKeyAndLine_data() {
  QTest::addColumn<QString>("yaml");
  QTest::addColumn<QString>("expected");  // parts of the message
  QTest::newRow("word for a number") << "cutoff_len: 1024\nlearning_rate: fast\n" << "line 2: learning_rate should be a number, not \"fast\"";
  QTest::newRow("fraction for a count") << "lora_rank: 8.5\n" << "line 1: lora_rank should be a whole number";
  QTest::newRow("ratio for steps") << "logging_steps: 0.1\n" << "logging_steps should be a whole number, not \"0.1\" (a fraction of the run";
  QTest::newRow("not a boolean") << "\n\nbf16: maybe\n" << "line 3: bf16 should be true or false";
  QTest::newRow("mapping for a list") << "lora_target: {q: 1}\n" << "line 1: lora_target should be a comma-separated list";
  QTest::newRow("list for a number") << "learning_rate: [1, 2]\n" << "learning_rate should be a number, not a list";
  QTest::newRow("stage") << "stage: ppo\n" << "line 1: stage: \"ppo\" is not supported here (supported: sft, dpo)";
  QTest::newRow("scheduler") << "lr_scheduler_type: polynomial\n"
                             << "lr_scheduler_type: \"polynomial\" is not supported here (supported: linear, cosine, constant, constant_with_warmup)";
  QTest::newRow("optimizer") << "optim: sgd\n" << "optim: \"sgd\" is not supported here";
  QTest::newRow("oft") << "finetuning_type: oft\n" << "finetuning_type: \"oft\" is not supported here";
  QTest::newRow("save best") << "save_strategy: best\n" << "save_strategy: \"best\"";
  QTest::newRow("streaming") << "streaming: true\n" << "line 1: streaming: \"true\" is not supported here";
  QTest::newRow("galore") << "use_galore: true\n" << "use_galore: \"true\" is not supported here (the optimizer is AdamW)";
  QTest::newRow("rule type") << "streaming: sometimes\n" << "streaming should be true or false";
  QTest::newRow("packing flag") << "packing: sometimes\n" << "packing should be true or false";
  QTest::newRow("bad yaml") << "a: [1, 2\nb: 3\n" << "line 2: not valid YAML";
  QTest::newRow("not a mapping") << "- a\n- b\n" << "should be `key: value` lines";
}

void TestTrainConfig::typeErrorsNameKeyAndLine() {
  QFETCH(QString, yaml);
  QFETCH(QString, expected);
  try {
    load_train_config_from_string(yaml.toStdString(), nullptr, "my.yaml");
    QFAIL("no exception");
  } catch (const vltune::FormatError& e) {
    const std::string msg = e.what();
    QVERIFY2(msg.starts_with("my.yaml"), e.what());
    QVERIFY2(msg.find(expected.toStdString()) != std::string::npos, e.what());
  }
}

void TestTrainConfig::rangeErrorsNameKeyAndLine_data() {
  QTest::addColumn<QString>("yaml");
  QTest::addColumn<QString>("expected");
  QTest::newRow("negative lr") << "lora_rank: 8\nlearning_rate: -1e-4\n" << "line 2: learning_rate must be positive";
  QTest::newRow("rank 0") << "lora_rank: 0\n" << "line 1: lora_rank must be at least 1, not 0";
  QTest::newRow("val_size count") << "val_size: 1.5\n" << "line 1: val_size of 1 or more is a sample count";
  QTest::newRow("val_size negative") << "val_size: -0.1\n" << "val_size must be";
  QTest::newRow("bf16 and fp16") << "bf16: true\nfp16: true\n" << "line 2: fp16 and bf16 are both true";
  QTest::newRow("dropout") << "lora_dropout: 1.0\n" << "lora_dropout must be in [0.0, 1.0)";
  QTest::newRow("warmup ratio") << "warmup_ratio: 1.5\n" << "warmup_ratio must be in [0.0, 1.0]";
  QTest::newRow("quantization") << "quantization_bit: 3\n" << "quantization_bit must be 4 or 8";
  QTest::newRow("max_steps 0") << "max_steps: 0\n" << "max_steps = 0 trains nothing";
  QTest::newRow("eval without data") << "eval_strategy: steps\n" << "eval_strategy needs a validation set";
  QTest::newRow("pixels") << "image_max_pixels: 100\nimage_min_pixels: 200\n" << "line 1: image_max_pixels (100) cannot be smaller";
  QTest::newRow("packing pairs") << "stage: dpo\nneat_packing: true\n" << "line 2: neat_packing packs supervised samples (stage: sft)";
  QTest::newRow("packing chunk") << "packing: true\npreprocessing_batch_size: 0\n" << "line 2: preprocessing_batch_size must be at least 1";
  QTest::newRow("history and prompt") << "train_on_prompt: true\nmask_history: true\n" << "line 2: mask_history cannot be combined with train_on_prompt";
  QTest::newRow("all and names") << "lora_target: all, q_proj\n" << "lora_target cannot mix \"all\"";
  QTest::newRow("dora on full") << "finetuning_type: full\nuse_dora: true\n" << "line 2: use_dora is only for finetuning_type: lora";
  QTest::newRow("frozen everything") << "freeze_language_model: true\n" << "freeze_language_model leaves nothing to train";
  QTest::newRow("best model strategies") << "val_size: 0.1\neval_strategy: epoch\nload_best_model_at_end: true\n"
                                         << "load_best_model_at_end needs save_strategy to match eval_strategy";
  QTest::newRow("metric") << "metric_for_best_model: accuracy\n" << "metric_for_best_model \"accuracy\" is not computed here";
}

void TestTrainConfig::rangeErrorsNameKeyAndLine() {
  QFETCH(QString, yaml);
  QFETCH(QString, expected);
  try {
    load_train_config_from_string(yaml.toStdString(), nullptr, "my.yaml");
    QFAIL("no exception");
  } catch (const vltune::FormatError& e) {
    const std::string msg = e.what();
    QVERIFY2(msg.starts_with("my.yaml"), e.what());
    QVERIFY2(msg.find(expected.toStdString()) != std::string::npos, e.what());
  }
}

void TestTrainConfig::numberSpellings() {
  for (const char* lr : {"1.0e-4", "1e-4", "\"1e-4\"", "'1e-4'", "+1e-4", "0.0001", "1E-4"}) {
    const auto c = load_train_config_from_string(std::string("learning_rate: ") + lr + "\n");
    QVERIFY2(c.learning_rate == 1e-4, lr);
  }
  const auto c = load_train_config_from_string("lora_rank: \"16\"\nlogging_steps: 10.0\nsave_steps: 1e3\n"
                                               "num_train_epochs: 2.5\nbf16: True\nfp16: no\nval_size: 100\n");
  QCOMPARE(c.lora_rank, int64_t{16});
  QCOMPARE(c.logging_steps, int64_t{10});
  QCOMPARE(c.save_steps, int64_t{1000});
  QCOMPARE(c.num_train_epochs, 2.5);
  QVERIFY(c.bf16 && !c.fp16);
  QCOMPARE(c.val_size, 100.0);
  // null is the default, as Python's None
  const auto d = load_train_config_from_string("lora_alpha: null\nlearning_rate: ~\nresume_from_checkpoint:\n");
  QVERIFY(d == TrainConfig{});
}

void TestTrainConfig::listForms() {
  const std::vector<std::string> qv = {"q_proj", "v_proj"};
  QCOMPARE(load_train_config_from_string("lora_target: q_proj,v_proj\n").lora_target, qv);
  QCOMPARE(load_train_config_from_string("lora_target: q_proj, v_proj\n").lora_target, qv);
  QCOMPARE(load_train_config_from_string("lora_target: [q_proj, v_proj]\n").lora_target, qv);
  QCOMPARE(load_train_config_from_string("lora_target:\n  - q_proj\n  - v_proj\n").lora_target, qv);
  QCOMPARE(load_train_config_from_string("dataset: ' a , b ,'\n").dataset, (std::vector<std::string>{"a", "b"}));
  QCOMPARE(load_train_config_from_string("adapter_name_or_path: saves/x\n").adapter_name_or_path,
           std::vector<std::string>{"saves/x"});
}

void TestTrainConfig::renamedKeys() {
  ConfigReport report;
  const auto c = load_train_config_from_string("val_size: 0.1\nevaluation_strategy: steps\nimage_resolution: 262144\n", &report);
  QVERIFY(c.eval_strategy == IntervalStrategy::steps);
  QCOMPARE(c.image_max_pixels, int64_t{262144});
  QVERIFY(any_contains(report.warnings, "line 2: evaluation_strategy is the old name of eval_strategy"));
  QVERIFY(report.unknown.empty());
  QVERIFY_THROWS_EXCEPTION(vltune::FormatError,
                           load_train_config_from_string("eval_strategy: no\nevaluation_strategy: steps\n"));
}

void TestTrainConfig::duplicateKeyIsError() {
  try {
    load_train_config_from_string("lora_rank: 8\ncutoff_len: 10\nlora_rank: 16\n", nullptr, "d.yaml");
    QFAIL("no exception");
  } catch (const vltune::FormatError& e) {
    QVERIFY2(std::string(e.what()).find("d.yaml, line 3: lora_rank is set twice (also on line 1)") != std::string::npos,
             e.what());
  }
}

void TestTrainConfig::fileErrors() {
  QVERIFY_THROWS_EXCEPTION(vltune::FileError, load_train_config("/nonexistent/train.yaml"));
  vltune::test::TempDir dir;
  const auto path = dir.path() / "bad.yaml";
  std::ofstream(path) << "lora_rank: 8\nlearning_rate: fast\n";
  try {
    load_train_config(path);
    QFAIL("no exception");
  } catch (const vltune::FormatError& e) {
    QVERIFY2(std::string(e.what()).find(path.string() + ", line 2: learning_rate") != std::string::npos, e.what());
  }
}

void TestTrainConfig::roundTripDefaults() {
  const TrainConfig defaults;
  for (const bool changed_only : {false, true}) {
    const std::string yaml = to_yaml(defaults, YamlOptions{.changed_only = changed_only});
    ConfigReport report;
    QVERIFY2(load_train_config_from_string(yaml, &report) == defaults, yaml.c_str());
    QVERIFY2(report.unknown.empty(), yaml.c_str());
  }
  // Every key LLaMA-Factory knows is written; the vltune-only one only when set.
  const std::string full = to_yaml(defaults);
  QVERIFY(full.starts_with("### model\nmodel_name_or_path: null\n"));
  QVERIFY(full.find("\ndo_train: true\n") != std::string::npos);
  QVERIFY(full.find("\nlearning_rate: 5.0e-05\n") != std::string::npos);
  QVERIFY(full.find("early_stopping_threshold") == std::string::npos);
  QVERIFY(full.find("train_mm_proj_only") == std::string::npos);
  QVERIFY(full.find("disable_shuffling") == std::string::npos);
  const std::string compact = to_yaml(defaults, YamlOptions{.changed_only = true});
  QVERIFY2(compact.find("learning_rate") == std::string::npos, compact.c_str());
  QVERIFY2(compact.find("\nfinetuning_type: lora\n") != std::string::npos, compact.c_str());
}

void TestTrainConfig::roundTripOffDefaults() {
  TrainConfig full_ft;  // what the LoRA config cannot vary: the method and LoRA-only switches
  full_ft.finetuning_type = FinetuningType::full;
  full_ft.eval_dataset = {"val_a", "val_b"};
  full_ft.mask_history = true;
  full_ft.fp16 = true;
  full_ft.lr_scheduler_type = LrScheduler::constant_with_warmup;
  full_ft.optim = Optimizer::adamw_hf;
  full_ft.eval_strategy = IntervalStrategy::steps;
  full_ft.lora_alpha = 0;  // LLaMA-Factory's `or`: 0 means 2 * rank, and still reads back as 0
  full_ft.resume_from_checkpoint = "saves/run/checkpoint-100";
  full_ft.save_strategy = IntervalStrategy::no;
  full_ft.packing = true;  // sft only: the DPO config cannot pack
  full_ft.neat_packing = true;
  full_ft.preprocessing_batch_size = 500;
  full_ft.use_unsloth_gc = true;  // with checkpointing on, which the LoRA config turns off

  for (const TrainConfig& config : {lora_config_off_defaults(), full_ft}) {
    for (const bool changed_only : {false, true}) {
      const std::string yaml = to_yaml(config, YamlOptions{.changed_only = changed_only});
      ConfigReport report;
      const TrainConfig back = load_train_config_from_string(yaml, &report);
      QVERIFY2(back == config, yaml.c_str());
      QVERIFY2(report.unknown.empty() && report.ignored == std::vector<std::string>{"do_train"}, yaml.c_str());
      // And once more: the text is a fixed point.
      QCOMPARE(to_yaml(back, YamlOptions{.changed_only = changed_only}), yaml);
    }
  }
  const TrainConfig lora = lora_config_off_defaults();
  QVERIFY(lora_config_off_defaults() != TrainConfig{});
  // Every field differs from the default (equality would hide a field the writer forgot), but
  // those the LoRA config cannot combine, which full_ft varies.
  const auto emitted = scan(to_yaml(lora), /*unquote=*/false);  // run_name "null" is not null
  const auto defaults = scan(to_yaml(TrainConfig{}), /*unquote=*/false);
  const std::vector<std::string> in_full_ft = {"do_train", "finetuning_type", "eval_dataset", "mask_history", "fp16"};
  QVERIFY(!emitted.count("packing"));  // the packing keys are written only when changed, as full_ft has them
  QVERIFY(!emitted.count("use_unsloth_gc") && scan(to_yaml(full_ft)).at("use_unsloth_gc") == "true");
  QVERIFY(scan(to_yaml(full_ft)).count("neat_packing") && scan(to_yaml(full_ft)).count("preprocessing_batch_size"));
  for (const auto& [key, value] : defaults)
    if (!contains(in_full_ft, key)) QVERIFY2(emitted.at(key) != value, key.c_str());
  QVERIFY(emitted.count("early_stopping_threshold") && emitted.count("train_mm_proj_only"));
}

void TestTrainConfig::writtenYamlReadsInPyYaml() {
  // PyYAML (YAML 1.1) reads "1e-4" as a string and `no` as false: what is written avoids both.
  const std::string yaml = to_yaml(lora_config_off_defaults());
  const auto has = [&](const char* line) { return yaml.find(std::string("\n") + line + "\n") != std::string::npos; };
  QVERIFY2(has("learning_rate: 2.0e-04"), yaml.c_str());
  QVERIFY2(has("adam_epsilon: 1.0e-06"), yaml.c_str());
  QVERIFY2(has("num_train_epochs: 2.5"), yaml.c_str());
  QVERIFY2(has("media_dir: \"1e-4\""), yaml.c_str());
  QVERIFY2(has("run_name: \"null\""), yaml.c_str());
  QVERIFY2(has("resume_from_checkpoint: true"), yaml.c_str());
  QVERIFY2(has("lora_target: q_proj,v_proj"), yaml.c_str());
  QVERIFY2(has("output_dir: \"saves/run: \\\"one\\\" #1\""), yaml.c_str());
  QVERIFY2(has("eval_strategy: epoch"), yaml.c_str());
  QVERIFY2(to_yaml(TrainConfig{}).find("\neval_strategy: \"no\"\n") != std::string::npos, "no is quoted");
}

void TestTrainConfig::loraHelpers() {
  TrainConfig c;
  QCOMPARE(effective_lora_alpha(c), int64_t{16});
  c.lora_alpha = 0;
  QCOMPARE(effective_lora_alpha(c), int64_t{16});
  c.lora_rank = 64;
  c.lora_alpha = 128;
  QCOMPARE(effective_lora_alpha(c), int64_t{128});
  QCOMPARE(lora_scaling(c), 2.0);
  c.use_rslora = true;
  QCOMPARE(lora_scaling(c), 16.0);  // 128 / sqrt(64)
}

void TestTrainConfig::trainingLengthFollowsTransformers() {
  TrainConfig c;
  c.per_device_train_batch_size = 2;
  c.gradient_accumulation_steps = 8;
  // 1000 samples: 500 micro-batches, ceil(500 / 8) = 63 steps an epoch (the last one accumulates 4).
  auto length = training_length(c, 1000);
  QCOMPARE(length.batches_per_epoch, int64_t{500});
  QCOMPARE(length.steps_per_epoch, int64_t{63});
  QCOMPARE(length.total_steps, int64_t{189});
  QCOMPARE(length.epochs, int64_t{3});
  c.num_train_epochs = 2.5;  // ceil(2.5 * 63)
  length = training_length(c, 1000);
  QCOMPARE(length.total_steps, int64_t{158});
  QCOMPARE(length.epochs, int64_t{3});
  c.max_steps = 100;  // overrides epochs
  length = training_length(c, 1000);
  QCOMPARE(length.total_steps, int64_t{100});
  QCOMPARE(length.epochs, int64_t{2});
  c.max_steps = -1;
  c.num_train_epochs = 1;
  QCOMPARE(training_length(c, 1001).batches_per_epoch, int64_t{501});
  c.dataloader_drop_last = true;
  QCOMPARE(training_length(c, 1001).batches_per_epoch, int64_t{500});
  c.dataloader_drop_last = false;
  QCOMPARE(training_length(c, 3).steps_per_epoch, int64_t{1});  // fewer batches than accumulation steps
  QVERIFY_THROWS_EXCEPTION(vltune::Error, training_length(c, 0));
}

void TestTrainConfig::warmupAndEvalSteps() {
  TrainConfig c;
  c.warmup_ratio = 0.1;
  QCOMPARE(warmup_steps(c, 189), int64_t{19});  // ceil(18.9)
  QCOMPARE(warmup_steps(c, 190), int64_t{19});
  c.warmup_steps = 5;
  QCOMPARE(warmup_steps(c, 189), int64_t{5});
  c.warmup_steps = 0;
  c.warmup_ratio = 0;
  QCOMPARE(warmup_steps(c, 189), int64_t{0});
  c.logging_steps = 10;
  QCOMPARE(effective_eval_steps(c), int64_t{10});
  c.eval_steps = 50;
  QCOMPARE(effective_eval_steps(c), int64_t{50});
}

void TestTrainConfig::otherResolutions() {
  TrainConfig c;
  QCOMPARE(effective_media_dir(c), std::filesystem::path("data"));
  c.media_dir = "images";
  QCOMPARE(effective_media_dir(c), std::filesystem::path("images"));
  QCOMPARE(effective_data_seed(c), int64_t{42});
  c.data_seed = 7;
  QCOMPARE(effective_data_seed(c), int64_t{7});
  QVERIFY(!checkpoints_offloaded(c));
  c.use_unsloth_gc = true;
  QVERIFY(checkpoints_offloaded(c));
  c.disable_gradient_checkpointing = true;  // LLaMA-Factory ignores use_unsloth_gc then
  QVERIFY(!checkpoints_offloaded(c));
  const FreezePlan plan = freeze_plan(c);
  QVERIFY(plan.vision_tower && plan.projector && !plan.language_model);
  c.train_mm_proj_only = true;
  const FreezePlan only_projector = freeze_plan(c);
  QVERIFY(only_projector.vision_tower && !only_projector.projector && only_projector.language_model);
  QCOMPARE(to_string(LrScheduler::constant_with_warmup), std::string_view("constant_with_warmup"));
}

QTEST_APPLESS_MAIN(TestTrainConfig)
#include "test_train_config.moc"
