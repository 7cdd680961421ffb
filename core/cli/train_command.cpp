#include "core/cli/train_command.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <stop_token>
#include <thread>

#include "core/data/dataset.h"
#include "core/data/sample_encoder.h"
#include "core/data/split.h"
#include "core/data/validation.h"
#include "core/error.h"
#include "core/io/json_file.h"
#include "core/lora/lora_factory.h"
#include "core/lora/merge_export.h"
#include "core/lora/pinned_samples.h"
#include "core/text/image_placeholders.h"
#include "core/train/batch_source.h"
#include "core/train/memory_usage.h"
#include "core/train/train_config.h"
#include "core/train/trainer.h"

namespace vltune::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* kTrainUsage =
    "usage: vltune-cli train <config.yaml> [--skip-bad-rows] [--device auto|cpu|cuda|cuda:N]\n"
    "                        [--pinned-samples N] [--pinned-every STEPS]\n"
    "  Trains a LoRA adapter as LLaMA-Factory's `llamafactory-cli train` does with the same YAML\n"
    "  (stage sft, finetuning_type lora). Paths in the YAML are relative to the current folder.\n"
    "  Every dataset row is validated first; rows with problems stop the run and are listed,\n"
    "  unless --skip-bad-rows (then they are left out and counted).\n"
    "  Ctrl-C stops after the current step and writes a checkpoint; run again to resume.\n"
    "  --device: where to train (auto: the first CUDA device when there is one, else the CPU).\n"
    "  bf16 / fp16 in the YAML load the base weights in that dtype; LoRA weights and the optimizer\n"
    "  stay float32. fp16 needs CUDA.\n"
    "  --pinned-samples N: answer the first N validation samples before training and every\n"
    "  --pinned-every steps (default: eval_steps, else logging_steps), printed and appended to\n"
    "  output_dir/pinned_samples.jsonl, to watch the answers change.\n";

constexpr const char* kExportUsage =
    "usage: vltune-cli export --model DIR --adapter DIR --out DIR [--dtype float32|bfloat16|float16]\n"
    "                         [--max-shard-size BYTES]\n"
    "  Merges a PEFT LoRA adapter into its base model and writes a Hugging Face checkpoint\n"
    "  (config, sharded safetensors with index, tokenizer and processor files).\n";

std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) { g_interrupted.store(true); }

std::string hms(double seconds) {
  const auto s = static_cast<long long>(seconds < 0 ? 0 : seconds);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60);
  return buf;
}

std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

// The records of each dataset beyond max_samples are left out (LLaMA-Factory: per dataset).
std::vector<int64_t> cap_per_dataset(const data::Dataset& ds, const std::vector<size_t>& usable,
                                     std::optional<int64_t> max_samples) {
  std::vector<int64_t> out;
  std::map<std::string, int64_t> taken;
  for (size_t i : usable) {
    if (max_samples && taken[ds.records[i].dataset]++ >= *max_samples) continue;
    out.push_back(static_cast<int64_t>(i));
  }
  return out;
}

train::TrainerParams trainer_params(const train::TrainConfig& c, int64_t steps_per_epoch) {
  train::TrainerParams p;
  p.learning_rate = c.learning_rate;
  p.weight_decay = c.weight_decay;
  p.adam_beta1 = c.adam_beta1;
  p.adam_beta2 = c.adam_beta2;
  p.adam_epsilon = c.adam_epsilon;
  p.max_grad_norm = c.max_grad_norm;
  p.loraplus_lr_ratio = c.loraplus_lr_ratio.value_or(0.0);
  p.loraplus_lr_embedding = c.loraplus_lr_embedding;
  p.num_train_epochs = c.num_train_epochs;
  p.max_steps = c.max_steps;
  p.per_device_train_batch_size = c.per_device_train_batch_size;
  p.gradient_accumulation_steps = c.gradient_accumulation_steps;
  p.lr_scheduler_type = std::string(train::to_string(c.lr_scheduler_type));
  p.warmup_ratio = c.warmup_ratio;
  p.warmup_steps = c.warmup_steps;
  p.seed = static_cast<uint64_t>(c.seed);
  p.precision = (c.bf16 || c.pure_bf16) ? train::Precision::bf16 : c.fp16 ? train::Precision::fp16 : train::Precision::fp32;
  p.output_dir = c.output_dir;
  p.overwrite_output_dir = c.overwrite_output_dir;
  // LLaMA-Factory resumes from output_dir's latest checkpoint unless told to overwrite.
  p.resume_from_checkpoint = c.resume_from_checkpoint == "true" ? "latest" : c.resume_from_checkpoint;
  if (p.resume_from_checkpoint.empty() && !c.overwrite_output_dir && fs::exists(c.output_dir)) {
    for (const auto& entry : fs::directory_iterator(c.output_dir))
      if (entry.path().filename().string().rfind("checkpoint-", 0) == 0) p.resume_from_checkpoint = "latest";
  }
  p.logging_steps = c.logging_steps;
  p.save_steps = c.save_strategy == train::IntervalStrategy::no ? 0
                 : c.save_strategy == train::IntervalStrategy::epoch ? steps_per_epoch
                                                                    : c.save_steps;
  p.save_total_limit = c.save_total_limit.value_or(0);
  p.eval_steps = c.eval_strategy == train::IntervalStrategy::epoch ? steps_per_epoch : c.eval_steps.value_or(0);
  p.early_stopping_steps = c.early_stopping_steps.value_or(0);
  p.early_stopping_threshold = c.early_stopping_threshold;
  p.plot_loss = c.plot_loss;
  return p;
}

// What this engine cannot do yet, refused before any work.
void refuse_unsupported(const train::TrainConfig& c) {
  if (c.stage != train::Stage::sft)
    throw Error("stage: only sft trains here so far (got " + std::string(train::to_string(c.stage)) + ")");
  if (c.finetuning_type != train::FinetuningType::lora)
    throw Error("finetuning_type: only lora trains here so far (got " + std::string(train::to_string(c.finetuning_type)) + ")");
  if (c.quantization_bit) throw Error("quantization_bit: QLoRA is not supported yet; remove the key to train in full precision");
  if (c.adapter_name_or_path.size() > 1)
    throw Error("adapter_name_or_path: one adapter to continue, not " + std::to_string(c.adapter_name_or_path.size()) +
                " (merge the others into the base first: vltune-cli export)");
  if (c.model_name_or_path.empty()) throw Error("model_name_or_path: not set");
  if (c.output_dir.empty()) throw Error("output_dir: not set");
  if (c.dataset.empty()) throw Error("dataset: not set (names in dataset_dir/dataset_info.json)");
  if (!c.eval_dataset.empty()) throw Error("eval_dataset: not supported yet; use val_size");
}

}  // namespace

int run_train(const std::vector<std::string>& args) {
  fs::path config_path;
  bool skip_bad_rows = false;
  std::string device = "auto";
  int64_t pinned_count = 0, pinned_every = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kTrainUsage, stdout);
      return 0;
    } else if (a == "--skip-bad-rows") skip_bad_rows = true;
    else if (a == "--device" && i + 1 < args.size()) device = args[++i];
    else if ((a == "--pinned-samples" || a == "--pinned-every") && i + 1 < args.size()) {
      const std::string& v = args[++i];
      int64_t n = -1;
      try {
        size_t used = 0;
        n = std::stoll(v, &used);
        if (used != v.size()) n = -1;
      } catch (const std::exception&) {
      }
      if (n < 0) {
        std::fprintf(stderr, "vltune-cli train: %s needs a count, not \"%s\"\n", a.c_str(), v.c_str());
        return 2;
      }
      (a == "--pinned-samples" ? pinned_count : pinned_every) = n;
    }
    else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "vltune-cli train: unknown option %s\n%s", a.c_str(), kTrainUsage);
      return 2;
    } else if (config_path.empty()) config_path = a;
    else {
      std::fprintf(stderr, "vltune-cli train: one config only\n%s", kTrainUsage);
      return 2;
    }
  }
  if (config_path.empty()) {
    std::fputs(kTrainUsage, stderr);
    return 2;
  }

  train::TrainConfig c;
  lora::ModelPlacement placement;
  try {
    train::ConfigReport report;
    c = train::load_train_config(config_path, &report);
    if (!report.ignored.empty())
      std::fprintf(stderr, "vltune: ignored (no meaning here): %s\n", join(report.ignored, ", ").c_str());
    for (const auto& w : report.warnings) std::fprintf(stderr, "vltune: warning: %s\n", w.c_str());
    if (c.do_predict) std::fputs("vltune: warning: do_predict is ignored here (no predictions after training); run `vltune-cli predict`\n", stderr);
    refuse_unsupported(c);
    placement = lora::resolve_placement(device, c.fp16 ? "fp16" : (c.bf16 || c.pure_bf16) ? "bf16" : "fp32");
  } catch (const Error& e) {
    std::fprintf(stderr, "vltune-cli train: %s\n", e.what());
    return 2;
  }

  // The data: read, validated with the model's own template and image arithmetic, split.
  data::OpenOptions open;
  open.datasets = c.dataset;
  open.media_dir = c.media_dir;
  const data::Dataset dataset = data::open_dataset(c.dataset_dir, open);
  data::EncoderParams enc;
  enc.template_name = c.template_name;
  enc.supervised.cutoff_len = c.cutoff_len;
  enc.supervised.train_on_prompt = c.train_on_prompt;
  enc.supervised.mask_history = c.mask_history;
  enc.supervised.image = {c.image_max_pixels, c.image_min_pixels};
  const data::SampleEncoder encoder(c.model_name_or_path, enc);
  data::ValidationParams vp;
  vp.tmpl = encoder.chat_template();
  vp.tokenizer = &encoder.tokenizer();
  if (encoder.family() != io::ModelFamily::clip) vp.layout = text::load_image_layout(c.model_name_or_path);
  vp.supervised = enc.supervised;
  const data::DatasetReport report = data::validate_dataset(dataset, vp);
  int64_t skipped = 0;
  std::vector<size_t> usable;
  try {
    usable = data::usable_records(dataset, report, skip_bad_rows ? data::ProblemPolicy::skip : data::ProblemPolicy::stop,
                                  &skipped);
  } catch (const FormatError& e) {
    std::fprintf(stderr, "vltune-cli train: %s\n(`vltune-cli inspect %s` lists them all; --skip-bad-rows trains without them)\n",
                 e.what(), c.dataset_dir.c_str());
    return 1;
  }
  std::fprintf(stderr, "vltune: %s, %zu samples, %lld skipped for problems (%s)\n",
               std::string(data::format_name(dataset.format)).c_str(), dataset.records.size(),
               static_cast<long long>(skipped), dataset.detected_because.c_str());
  const std::vector<int64_t> samples = cap_per_dataset(dataset, usable, c.max_samples);
  const data::Split split = data::split_samples(samples, {c.val_size, static_cast<uint64_t>(c.seed)});

  // The model with a new adapter.
  lora::LoraParams lp;
  lp.rank = c.lora_rank;
  lp.alpha = static_cast<double>(c.lora_alpha.value_or(0) > 0 ? *c.lora_alpha : 2 * c.lora_rank);
  lp.dropout = c.lora_dropout;
  lp.target = join(c.lora_target, ",");
  lp.use_rslora = c.use_rslora;
  lp.use_dora = c.use_dora;
  lp.freeze = {c.freeze_vision_tower, c.freeze_multi_modal_projector, c.freeze_language_model};
  lp.seed = static_cast<uint64_t>(c.seed);
  std::unique_ptr<lora::LoraModel> model;
  if (c.adapter_name_or_path.empty()) {
    model = lora::open_lora_model(c.model_name_or_path, lp, placement);
  } else {
    // LLaMA-Factory's adapter_name_or_path: go on training a saved PEFT adapter (its own rank,
    // alpha and target modules; the lora_* keys do not apply).
    model = lora::open_model(c.model_name_or_path, placement);
    model->load_adapter(c.adapter_name_or_path.front(), lp.adapter_name);
    model->set_trainable_adapter(lp.adapter_name);
    std::fprintf(stderr, "vltune: training on from the adapter in %s (its rank, alpha and targets; lora_* keys ignored)\n",
                 c.adapter_name_or_path.front().c_str());
  }
  // LLaMA-Factory checkpoints every layer unless told not to: the same gradients for less memory.
  model->set_gradient_checkpointing(!c.disable_gradient_checkpointing);
  std::fprintf(stderr, "vltune: base weights on %s, LoRA weights float32\n", lora::to_string(placement).c_str());

  std::stop_source stop;
  data::LoaderParams lparams;
  lparams.batch_size = c.per_device_train_batch_size;
  lparams.drop_last = c.dataloader_drop_last;
  lparams.shuffle = !c.disable_shuffling;
  lparams.seed = static_cast<uint64_t>(c.data_seed.value_or(c.seed));
  lparams.workers = static_cast<int>(c.preprocessing_num_workers.value_or(2));
  train::LoaderBatchSource train_source(encoder, dataset.records, split.train, lparams, stop.get_token());
  std::unique_ptr<train::LoaderBatchSource> eval_source;
  if (!split.validation.empty() && c.eval_strategy != train::IntervalStrategy::no) {
    data::LoaderParams ep = lparams;
    ep.batch_size = c.per_device_eval_batch_size;
    ep.shuffle = false;
    ep.drop_last = false;
    eval_source = std::make_unique<train::LoaderBatchSource>(encoder, dataset.records, split.validation, ep, stop.get_token());
  }
  const int64_t steps_per_epoch =
      (train_source.batches_per_epoch() + c.gradient_accumulation_steps - 1) / c.gradient_accumulation_steps;
  train::TrainerParams params = trainer_params(c, steps_per_epoch);
  fs::create_directories(c.output_dir);
  io::write_file_atomic(fs::path(c.output_dir) / "training_args.yaml", train::to_yaml(c));
  std::fprintf(stderr, "vltune: %zu training / %zu validation samples, %lld steps per epoch -> %s\n",
               split.train.size(), split.validation.size(), static_cast<long long>(steps_per_epoch), c.output_dir.c_str());

  // Ctrl-C: stop after the current step (a checkpoint is written), second Ctrl-C kills.
  std::signal(SIGINT, on_interrupt);
  std::jthread watcher([&](std::stop_token done) {
    while (!done.stop_requested()) {
      if (g_interrupted.load()) {
        std::fputs("\nvltune: stopping after this step (Ctrl-C again to kill)\n", stderr);
        stop.request_stop();
        std::signal(SIGINT, SIG_DFL);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  train::TrainerCallbacks callbacks;
  callbacks.on_progress = [](const train::TrainProgress& p) {
    constexpr int kWidth = 24;
    const double done = p.total_steps > 0 ? static_cast<double>(p.step) / static_cast<double>(p.total_steps) : 0;
    std::string bar(static_cast<size_t>(done * kWidth), '#');
    bar.resize(kWidth, '.');
    const std::string memory =
        p.memory_bytes >= 0 ? "  " + std::to_string(static_cast<double>(p.memory_bytes) / (1 << 30)).substr(0, 4) + " GiB" : "";
    std::fprintf(stderr, "\r[%s] %lld/%lld  loss %.4f  lr %.2e  %.0f tok/s%s  %s elapsed, ETA %s ", bar.c_str(),
                 static_cast<long long>(p.step), static_cast<long long>(p.total_steps), p.loss, p.learning_rate,
                 p.tokens_per_second, memory.c_str(), hms(p.elapsed_seconds).c_str(), hms(p.eta_seconds).c_str());
    std::fflush(stderr);
  };
  callbacks.on_log = [](const train::LogRecord&) {};
  callbacks.memory_probe = [device = placement.device] { return train::device_memory_bytes(device); };
  // Pinned samples: the first validation rows (training rows when there is no validation split).
  std::unique_ptr<lora::PinnedSamples> pinned;
  std::ofstream pinned_log;
  if (pinned_count > 0 && encoder.family() != io::ModelFamily::clip) {
    const auto& pool = split.validation.empty() ? split.train : split.validation;
    std::vector<int64_t> indices;
    for (size_t k = 0; k < pool.size() && static_cast<int64_t>(k) < pinned_count; ++k) indices.push_back(static_cast<int64_t>(pool[k]));
    pinned = std::make_unique<lora::PinnedSamples>(encoder, dataset.records, indices,
                                                   lora::chat_eos_ids(c.model_name_or_path, encoder));
    params.pinned_samples_steps = pinned_every > 0 ? pinned_every : params.eval_steps > 0 ? params.eval_steps : params.logging_steps;
    const bool fresh = params.resume_from_checkpoint.empty();
    pinned_log.open(fs::path(c.output_dir) / "pinned_samples.jsonl", fresh ? std::ios::trunc : std::ios::app);
    auto report = [&](int64_t step) {
      const lora::PinnedRound round = pinned->answer(*model, step);
      pinned_log << lora::to_json_line(round) << '\n' << std::flush;
      std::fprintf(stderr, "\n");
      for (const auto& a : round.answers) {
        std::string shown;  // one line per sample
        for (char ch : a.answer) shown += ch == '\n' ? std::string("\\n") : std::string(1, ch);
        std::fprintf(stderr, "vltune: step %lld, sample %lld: %s\n", static_cast<long long>(step), static_cast<long long>(a.record),
                     shown.c_str());
      }
    };
    if (fresh) report(0);
    callbacks.on_pinned_samples = report;
  }

  train::Trainer trainer(*model, train_source, eval_source.get(), params, callbacks);
  const train::TrainResult result = trainer.train(stop.get_token());
  watcher.request_stop();
  std::fprintf(stderr, "\nvltune: %s at step %lld of %lld, train loss %.4f%s; adapter in %s\n",
               result.outcome == train::TrainOutcome::finished        ? "finished"
               : result.outcome == train::TrainOutcome::early_stopped ? "stopped early"
                                                                      : "stopped",
               static_cast<long long>(result.global_step), static_cast<long long>(result.total_steps), result.train_loss,
               result.eval_loss ? (", eval loss " + std::to_string(*result.eval_loss)).c_str() : "", c.output_dir.c_str());
  return result.outcome == train::TrainOutcome::stopped ? 130 : 0;
}

int run_export(const std::vector<std::string>& args) {
  fs::path model_dir, adapter_dir, out_dir;
  lora::ExportParams params;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw Error(a + " needs a value");
      return args[++i];
    };
    if (a == "-h" || a == "--help") {
      std::fputs(kExportUsage, stdout);
      return 0;
    } else if (a == "--model") model_dir = value();
    else if (a == "--adapter") adapter_dir = value();
    else if (a == "--out") out_dir = value();
    else if (a == "--dtype") params.dtype = value();
    else if (a == "--max-shard-size") params.max_shard_bytes = std::stoull(value());
    else {
      std::fprintf(stderr, "vltune-cli export: unknown argument %s\n%s", a.c_str(), kExportUsage);
      return 2;
    }
  }
  if (model_dir.empty() || adapter_dir.empty() || out_dir.empty()) {
    std::fputs(kExportUsage, stderr);
    return 2;
  }
  const std::unique_ptr<lora::LoraModel> model = lora::open_model(model_dir);
  model->load_adapter(adapter_dir);
  lora::export_merged(*model, out_dir, params);
  std::fprintf(stderr, "vltune: merged %s into %s -> %s\n", adapter_dir.c_str(), model_dir.c_str(), out_dir.c_str());
  return 0;
}

}  // namespace vltune::cli
