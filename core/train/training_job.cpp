#include "core/train/training_job.h"

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "core/data/dataset.h"
#include "core/data/packing.h"
#include "core/data/sample_encoder.h"
#include "core/data/split.h"
#include "core/data/validation.h"
#include "core/gen/chat_defaults.h"
#include "core/io/json_file.h"
#include "core/lora/lora_factory.h"
#include "core/lora/preference_model.h"
#include "core/text/image_placeholders.h"
#include "core/train/batch_source.h"
#include "core/train/memory_usage.h"
#include "core/train/train_config_steps.h"

namespace vltune::train {

namespace fs = std::filesystem;

namespace {

std::string printf_string(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string printf_string(const char* format, ...) {
  va_list args;
  va_start(args, format);
  va_list copy;
  va_copy(copy, args);
  const int n = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  std::string out(n > 0 ? static_cast<size_t>(n) : 0, '\0');
  if (n > 0) std::vsnprintf(out.data(), out.size() + 1, format, args);
  va_end(args);
  return out;
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

// The index of the record the user pinned (by file and row). Throws vltune::Error naming the row
// when the dataset has no such row, or when the row has problems and was left out.
int64_t pinned_record(const data::Dataset& ds, const std::vector<size_t>& usable, const PinnedChoice& p) {
  const std::string where = "pinned sample " + p.file + " row " + std::to_string(p.row);
  for (size_t i = 0; i < ds.records.size(); ++i) {
    if (ds.records[i].file != p.file || ds.records[i].row != p.row) continue;
    if (std::find(usable.begin(), usable.end(), i) == usable.end())
      throw Error(where + ": the row has problems and is left out of training; pin another sample");
    return static_cast<int64_t>(i);
  }
  throw Error(where + ": no such row in the training data (was it pinned from another dataset?)");
}

}  // namespace

TrainerParams trainer_params(const TrainConfig& c, int64_t steps_per_epoch) {
  TrainerParams p;
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
  p.lr_scheduler_type = std::string(to_string(c.lr_scheduler_type));
  p.warmup_ratio = c.warmup_ratio;
  p.warmup_steps = c.warmup_steps;
  p.seed = static_cast<uint64_t>(c.seed);
  p.precision = (c.bf16 || c.pure_bf16) ? Precision::bf16 : c.fp16 ? Precision::fp16 : Precision::fp32;
  p.output_dir = c.output_dir;
  p.overwrite_output_dir = c.overwrite_output_dir;
  // LLaMA-Factory resumes from output_dir's latest checkpoint unless told to overwrite.
  p.resume_from_checkpoint = c.resume_from_checkpoint == "true" ? "latest" : c.resume_from_checkpoint;
  if (p.resume_from_checkpoint.empty() && !c.overwrite_output_dir && fs::exists(c.output_dir)) {
    for (const auto& entry : fs::directory_iterator(c.output_dir))
      if (entry.path().filename().string().rfind("checkpoint-", 0) == 0) p.resume_from_checkpoint = "latest";
  }
  p.logging_steps = c.logging_steps;
  p.save_steps = c.save_strategy == IntervalStrategy::no      ? 0
                 : c.save_strategy == IntervalStrategy::epoch ? steps_per_epoch
                                                              : c.save_steps;
  p.save_total_limit = c.save_total_limit.value_or(0);
  p.eval_steps = c.eval_strategy == IntervalStrategy::epoch ? steps_per_epoch : c.eval_steps.value_or(0);
  p.early_stopping_steps = c.early_stopping_steps.value_or(0);
  p.early_stopping_threshold = c.early_stopping_threshold;
  p.plot_loss = c.plot_loss;
  return p;
}

namespace {

// SFT trains on conversations, DPO on preference pairs: a dataset of the other kind is refused
// (LLaMA-Factory: "The dataset is not applicable in the current training stage"), naming it.
void check_stage_data(const TrainConfig& c, const data::Dataset& dataset) {
  std::vector<std::string> ranking, plain;
  for (const data::DataFile& f : dataset.files) {
    const std::string name = f.name.empty() ? f.path.filename().string() : f.name;
    auto& list = f.ranking ? ranking : plain;
    if (std::find(list.begin(), list.end(), name) == list.end()) list.push_back(name);
  }
  if (c.stage == Stage::dpo && !plain.empty())
    throw Error("stage: dpo trains on preference pairs, but " + join(plain, ", ") +
                " holds none (a ranking dataset: \"ranking\": true in dataset_info.json with \"chosen\" and "
                "\"rejected\" columns, or rows with \"chosen\"/\"rejected\")");
  if (c.stage == Stage::sft && !ranking.empty())
    throw Error("stage: " + join(ranking, ", ") +
                " is a preference (ranking) dataset: train it with stage: dpo, or choose a supervised dataset");
}

}  // namespace

void check_trainable(const TrainConfig& c) {
  if (c.finetuning_type != FinetuningType::lora)
    throw Error("finetuning_type: only lora trains here so far (got " + std::string(to_string(c.finetuning_type)) + ")");
  if (c.quantization_bit && *c.quantization_bit == 4 && c.quantization_type != "nf4")
    throw Error("quantization_type: only nf4 is supported for 4-bit QLoRA (got " + c.quantization_type + ")");
  if (c.adapter_name_or_path.size() > 1)
    throw Error("adapter_name_or_path: one adapter to continue, not " + std::to_string(c.adapter_name_or_path.size()) +
                " (merge the others into the base first: vltune-cli export)");
  if (c.model_name_or_path.empty()) throw Error("model_name_or_path: not set");
  if (c.output_dir.empty()) throw Error("output_dir: not set");
  if (c.dataset.empty()) throw Error("dataset: not set (names in dataset_dir/dataset_info.json)");
  if (!c.eval_dataset.empty()) throw Error("eval_dataset: not supported yet; use val_size");
}

TrainResult run_training_job(const TrainConfig& c, const JobOptions& options, const JobCallbacks& callbacks,
                             std::stop_token stop) {
  const auto say = [&](const std::string& line) {
    if (callbacks.on_message) callbacks.on_message(line);
  };
  check_trainable(c);
  const lora::ModelPlacement placement =
      lora::resolve_placement(options.device, c.fp16 ? "fp16" : (c.bf16 || c.pure_bf16) ? "bf16" : "fp32");

  // The data: read, validated with the model's own template and image arithmetic, split.
  data::OpenOptions open;
  open.datasets = c.dataset;
  open.media_dir = c.media_dir;
  const data::Dataset dataset = data::open_dataset(c.dataset_dir, open);
  data::EncoderParams enc;
  enc.template_name = c.template_name;
  const bool packing = c.packing || c.neat_packing;
  // LLaMA-Factory's packing keeps one token of cutoff_len back (DataArguments.__post_init__).
  enc.supervised.cutoff_len = packing ? c.cutoff_len - 1 : c.cutoff_len;
  enc.supervised.train_on_prompt = c.train_on_prompt;
  enc.supervised.mask_history = c.mask_history;
  enc.supervised.image = {c.image_max_pixels, c.image_min_pixels};
  // Pixels stay uint8 until the device: a quarter of the bytes for the workers to write, pin and
  // send (SmolVLM: 10 MB instead of 40 per image); normalised there to the same floats.
  enc.raw_pixels = true;
  if (!options.image_cache.empty()) {
    // An optimisation: a folder that cannot be made costs a line, not the run.
    std::error_code ec;
    fs::create_directories(options.image_cache, ec);
    if (fs::is_directory(options.image_cache, ec)) {
      enc.cache_dir = options.image_cache;
      enc.cache.overwrite = c.overwrite_cache;
      enc.cache.max_bytes = options.image_cache_max_bytes;
    } else {
      say("image cache off: cannot create " + options.image_cache.string());
    }
  }
  const data::SampleEncoder encoder(c.model_name_or_path, enc);
  if (const data::ImageCache* cache = encoder.cache(); cache && cache->stats().evicted > 0)
    say(printf_string("image cache %s: %lld old entries removed to stay under %.3g GiB", cache->dir().c_str(),
                      static_cast<long long>(cache->stats().evicted), static_cast<double>(enc.cache.max_bytes) / (1 << 30)));
  if (c.stage == Stage::dpo && encoder.family() == io::ModelFamily::clip)
    throw Error("stage: dpo needs a chat model; CLIP is contrastive and has no answers to prefer");
  if (packing && encoder.family() == io::ModelFamily::clip)
    throw Error("packing: CLIP pairs one caption with one image per row; its captions are not packed");
  check_stage_data(c, dataset);
  data::ValidationParams vp;
  vp.tmpl = encoder.chat_template();
  vp.tokenizer = &encoder.tokenizer();
  if (encoder.family() != io::ModelFamily::clip) vp.layout = text::load_image_layout(c.model_name_or_path);
  vp.supervised = enc.supervised;
  const data::DatasetReport report = data::validate_dataset(dataset, vp);
  int64_t skipped = 0;
  std::vector<size_t> usable;
  try {
    usable = data::usable_records(dataset, report,
                                  options.skip_bad_rows ? data::ProblemPolicy::skip : data::ProblemPolicy::stop, &skipped);
  } catch (const FormatError& e) {
    throw DatasetProblemsError(e.what());
  }
  say(printf_string("%s, %zu samples, %lld skipped for problems (%s)", std::string(data::format_name(dataset.format)).c_str(),
                    dataset.records.size(), static_cast<long long>(skipped), dataset.detected_because.c_str()));
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
  lp.init = c.init_lora_weights == train::LoraInitWeights::gaussian ? lora::LoraInit::gaussian : lora::LoraInit::kaiming;
  // QLoRA: the language model's frozen linears quantised on the CPU before the move to the device.
  lp.quant.bits = static_cast<int>(c.quantization_bit.value_or(0));
  lp.quant.type = c.quantization_type;
  lp.quant.double_quant = c.double_quantization;
  lp.freeze = {c.freeze_vision_tower, c.freeze_multi_modal_projector, c.freeze_language_model};
  lp.seed = static_cast<uint64_t>(c.seed);
  std::unique_ptr<lora::LoraModel> model;
  if (c.adapter_name_or_path.empty()) {
    model = lora::open_lora_model(c.model_name_or_path, lp, placement);
  } else {
    // LLaMA-Factory's adapter_name_or_path: go on training a saved PEFT adapter (its own rank,
    // alpha and target modules; the lora_* keys do not apply).
    model = lora::open_model(c.model_name_or_path, placement, lp.quant);
    model->load_adapter(c.adapter_name_or_path.front(), lp.adapter_name);
    model->set_trainable_adapter(lp.adapter_name);
    say("training on from the adapter in " + c.adapter_name_or_path.front() + " (its rank, alpha and targets; lora_* keys ignored)");
  }
  // LLaMA-Factory checkpoints every layer unless told not to: the same gradients for less memory.
  model->set_gradient_checkpointing(!c.disable_gradient_checkpointing);
  // use_unsloth_gc: the checkpointed layers' inputs wait for backward in host memory.
  const bool offload = checkpoints_offloaded(c);
  model->set_checkpoint_offload(offload);
  if (offload) say("gradient checkpointing offloaded: each layer's saved input waits in host memory (use_unsloth_gc)");
  // bf16 / fp16: HF's Trainer runs the model under torch.autocast, so PEFT's float32 LoRA
  // matrices multiply in the half-precision type; the same arithmetic here.
  const bool mixed = placement.dtype != torch::kFloat32;
  if (mixed) model->set_adapter_compute_dtype(placement.dtype);
  const std::string half_name = placement.dtype == torch::kBFloat16 ? "bfloat16" : "float16";
  say("base weights on " + lora::to_string(placement) +
      (lp.quant.bits == 4   ? std::string(", language model linears in NF4") + (lp.quant.double_quant ? " (double-quantised scales)" : "")
       : lp.quant.bits == 8 ? ", language model linears in int8"
                            : "") +
      ", LoRA weights float32" + (mixed ? ", their products in " + half_name + " (autocast)" : std::string()));

  data::LoaderParams lparams;
  lparams.batch_size = c.per_device_train_batch_size;
  lparams.drop_last = c.dataloader_drop_last;
  lparams.shuffle = !c.disable_shuffling;
  lparams.seed = static_cast<uint64_t>(c.data_seed.value_or(c.seed));
  lparams.workers = static_cast<int>(c.preprocessing_num_workers.value_or(2));
  lparams.pin_memory = placement.device.is_cuda();  // the sends to the card then never wait
  std::optional<LoaderBatchSource> packed_source, sample_source;
  if (packing) {
    say(printf_string("packing: measuring the %zu training samples", split.train.size()));
    const std::vector<int64_t> lengths = data::encoded_lengths(encoder, dataset.records, split.train, lparams.workers, stop);
    if (stop.stop_requested()) throw Error("stopped while measuring the samples to pack");
    const data::PackPlan plan =
        data::plan_packs(split.train, lengths, {enc.supervised.cutoff_len, c.preprocessing_batch_size});
    if (plan.packs.empty()) throw Error("packing: no training sample fits in cutoff_len " + std::to_string(c.cutoff_len));
    int64_t tokens = 0;
    for (int64_t n : lengths)
      if (n <= enc.supervised.cutoff_len) tokens += n;
    say(printf_string("packing%s: %zu samples in %zu row%s of up to %lld tokens (%.0f%% filled)%s",
                      c.neat_packing ? " (neat: each sample attends only to itself)" : "", split.train.size() - plan.dropped.size(),
                      plan.packs.size(), plan.packs.size() == 1 ? "" : "s", static_cast<long long>(enc.supervised.cutoff_len),
                      100.0 * static_cast<double>(tokens) / static_cast<double>(plan.packs.size() * enc.supervised.cutoff_len),
                      plan.dropped.empty() ? "" : printf_string("; %zu longer than a row left out", plan.dropped.size()).c_str()));
    packed_source.emplace(encoder, dataset.records, data::PackedRowsPlan{plan.packs, c.neat_packing}, lparams, stop);
  } else {
    sample_source.emplace(encoder, dataset.records, split.train, lparams, stop);
  }
  LoaderBatchSource& train_source = packing ? *packed_source : *sample_source;
  std::unique_ptr<LoaderBatchSource> eval_source;
  if (!split.validation.empty() && c.eval_strategy != IntervalStrategy::no) {
    data::LoaderParams ep = lparams;
    ep.batch_size = c.per_device_eval_batch_size;
    ep.shuffle = false;
    ep.drop_last = false;
    eval_source = std::make_unique<LoaderBatchSource>(encoder, dataset.records, split.validation, ep, stop);
  }
  const int64_t steps_per_epoch =
      (train_source.batches_per_epoch() + c.gradient_accumulation_steps - 1) / c.gradient_accumulation_steps;
  TrainerParams params = trainer_params(c, steps_per_epoch);
  fs::create_directories(c.output_dir);
  io::write_file_atomic(fs::path(c.output_dir) / "training_args.yaml", to_yaml(c));
  say(printf_string("%zu training / %zu validation samples, %lld steps per epoch -> %s", split.train.size(),
                    split.validation.size(), static_cast<long long>(steps_per_epoch), c.output_dir.c_str()));

  TrainerCallbacks tc;
  tc.on_progress = callbacks.on_progress;
  tc.on_log = callbacks.on_log;
  tc.on_checkpoint = callbacks.on_checkpoint;
  tc.memory_probe = [device = placement.device] { return device_memory_bytes(device); };

  // Pinned samples: the user's rows, else the first validation rows (training rows when there is
  // no validation split).
  std::unique_ptr<lora::PinnedSamples> pinned;
  std::ofstream pinned_log;
  if ((options.pinned_samples > 0 || !options.pinned.empty()) && encoder.family() != io::ModelFamily::clip) {
    std::vector<int64_t> indices;
    std::vector<std::string> questions;
    if (!options.pinned.empty()) {
      if (options.pinned.size() > kMaxPinned)
        throw Error(printf_string("pinned samples: %zu chosen, at most %zu", options.pinned.size(), kMaxPinned));
      for (const PinnedChoice& p : options.pinned) {
        const int64_t index = pinned_record(dataset, usable, p);
        if (std::find(split.validation.begin(), split.validation.end(), index) == split.validation.end())
          say(printf_string("pinned sample %s row %lld is a training row: its answers show what was learnt by heart, "
                            "a validation row shows what generalises",
                            p.file.c_str(), static_cast<long long>(p.row)));
        indices.push_back(index);
        questions.push_back(p.question);
      }
    } else {
      const auto& pool = split.validation.empty() ? split.train : split.validation;
      for (size_t k = 0; k < pool.size() && static_cast<int64_t>(k) < options.pinned_samples; ++k)
        indices.push_back(static_cast<int64_t>(pool[k]));
    }
    pinned = std::make_unique<lora::PinnedSamples>(encoder, dataset.records, indices,
                                                   gen::chat_eos_ids(c.model_name_or_path, encoder), lora::PinnedParams{}, questions);
    params.pinned_samples_steps = options.pinned_every > 0 ? options.pinned_every
                                  : params.eval_steps > 0  ? params.eval_steps
                                                           : params.logging_steps;
    const bool fresh = params.resume_from_checkpoint.empty();
    const fs::path log_path = fs::path(c.output_dir) / "pinned_samples.jsonl";
    pinned_log.open(log_path, fresh ? std::ios::trunc : std::ios::app);
    if (!pinned_log) throw FileError(log_path.string() + ": cannot be written");
    auto round = [&](int64_t step) {
      const lora::PinnedRound answered = pinned->answer(*model, step);
      pinned_log << lora::to_json_line(answered) << '\n' << std::flush;
      if (callbacks.on_pinned) callbacks.on_pinned(answered);
    };
    if (fresh) round(0);
    tc.on_pinned_samples = round;
  }

  // DPO: the same weights score the answers as the reference with the adapter off.
  std::unique_ptr<lora::PreferenceModel> preference;
  if (c.stage == Stage::dpo) {
    lora::PreferenceParams pp;
    pp.loss.beta = c.pref_beta;
    pp.loss.label_smoothing = c.dpo_label_smoothing;
    pp.loss.type = c.pref_loss == PrefLoss::ipo ? PreferenceLossType::ipo : PreferenceLossType::sigmoid;
    pp.ftx = c.pref_ftx;
    preference = std::make_unique<lora::PreferenceModel>(*model, pp);
    say(printf_string("DPO (%s, beta %g%s): the reference is the base model with the adapter switched off",
                      std::string(to_string(c.pref_loss)).c_str(), c.pref_beta,
                      c.pref_ftx > 0 ? printf_string(", SFT term x %g", c.pref_ftx).c_str() : ""));
  }
  TrainableModel& trained = preference ? static_cast<TrainableModel&>(*preference) : *model;
  Trainer trainer(trained, train_source, eval_source.get(), params, tc);
  const auto started = std::chrono::steady_clock::now();
  TrainResult result = trainer.train(stop);
  // Input-bound runs: the device waited for the loader's workers (decoding, resizing).
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double waited = train_source.waited_seconds();
  if (train_source.waited_batches() > 0 && waited > 1.0 && waited > 0.1 * seconds)
    say(printf_string("training waited %.1f s of %.1f s (%.0f%%) for batches: the %d loader worker%s could not keep up; "
                      "raise preprocessing_num_workers%s",
                      waited, seconds, 100.0 * waited / seconds, lparams.workers, lparams.workers == 1 ? "" : "s",
                      encoder.cache() ? "" : ", or keep the image cache on"));
  if (const data::ImageCache* cache = encoder.cache()) {
    const data::ImageCacheStats s = cache->stats();
    if (s.hits + s.stored + s.full > 0)
      say(printf_string("image cache %s: %lld image%s read from it, %lld added%s%s", cache->dir().c_str(),
                        static_cast<long long>(s.hits), s.hits == 1 ? "" : "s", static_cast<long long>(s.stored),
                        s.corrupt > 0 ? printf_string(", %lld damaged entries redone", static_cast<long long>(s.corrupt)).c_str() : "",
                        s.full > 0 ? printf_string(", %lld not added: it was full (%.3g GiB)", static_cast<long long>(s.full),
                                                   static_cast<double>(enc.cache.max_bytes) / (1 << 30)).c_str()
                                   : ""));
  }
  return result;
}

}  // namespace vltune::train
