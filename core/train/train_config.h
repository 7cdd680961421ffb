#pragma once
// The training configuration: LLaMA-Factory's YAML keys, one field per setting, read from and
// written to the same YAML a LLaMA-Factory user writes (`llamafactory-cli train x.yaml`), shown in
// the GUI and saved as `training_args.yaml` in output_dir.
//
// Defaults are LLaMA-Factory's (src/llamafactory/hparams/{model,data,finetuning}_args.py) and, for
// the trainer's keys, transformers' TrainingArguments (LLaMA-Factory's TrainingArguments inherits
// them). Keys that mean nothing here are accepted and listed as ignored (core/train/config_keys.h);
// values this engine cannot honour are errors naming the key, never silently different training.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vltune::train {

// LLaMA-Factory's `stage`: supervised fine-tuning, or DPO on a preference (ranking) dataset with
// the base model (the adapter switched off) as the reference. pt, rm, ppo and kto are load errors.
enum class Stage { sft, dpo };

// LLaMA-Factory's `pref_loss`, the ones implemented (hinge, kto_pair, orpo and simpo are load errors).
enum class PrefLoss { sigmoid, ipo };

// LLaMA-Factory's `finetuning_type` (oft is a load error).
enum class FinetuningType { lora, freeze, full };

// transformers' `lr_scheduler_type`, the ones implemented (others are load errors).
// How lora_A starts (PEFT's init_lora_weights): kaiming-uniform ("true", the default) or
// normal(0, 1 / r) ("gaussian").
enum class LoraInitWeights { kaiming, gaussian };
enum class LrScheduler { linear, cosine, constant, constant_with_warmup };

// transformers' `optim`: the names accepted, all of them torch's AdamW (decoupled weight decay).
enum class Optimizer { adamw_torch, adamw_torch_fused, adamw_hf };

// transformers' IntervalStrategy for `eval_strategy` and `save_strategy` ("best" is a load error).
enum class IntervalStrategy { no, steps, epoch };

struct TrainConfig {
  // ### model (LLaMA-Factory model_args.py)
  std::string model_name_or_path;                  // model folder (a Hub id is taken as a folder name); "" = not set
  std::vector<std::string> adapter_name_or_path;   // adapters to start from, comma list; LoRA only
  int64_t image_max_pixels = 768 * 768;            // images larger than this area are scaled down first
  int64_t image_min_pixels = 32 * 32;              // images smaller than this area are scaled up first
  std::optional<int64_t> quantization_bit;         // 4 or 8: quantised base for QLoRA (the language model's linears)
  std::string quantization_type = "nf4";           // 4-bit data type: nf4 or fp4 (with quantization_bit)
  bool double_quantization = true;                 // quantise the quantisation constants too (with quantization_bit)
  bool disable_gradient_checkpointing = false;     // LLaMA-Factory checkpoints every decoder layer unless this is set
  bool use_unsloth_gc = false;                     // checkpointed layers' inputs wait in host memory (offloaded checkpointing)

  // ### method (finetuning_args.py)
  Stage stage = Stage::sft;                              // what training does
  FinetuningType finetuning_type = FinetuningType::lora; // LoRA adapters, some layers, or every weight
  int64_t lora_rank = 8;                                 // LoRA r
  std::optional<int64_t> lora_alpha;                     // LoRA alpha; unset (or 0) = 2 * lora_rank
  double lora_dropout = 0.0;                             // dropout on the LoRA input
  std::vector<std::string> lora_target = {"all"};        // module-name suffixes, or "all" (every linear layer but lm_head and frozen parts)
  std::vector<std::string> additional_target;            // modules trained fully and saved beside the adapter (PEFT modules_to_save)
  bool use_rslora = false;                               // scale by alpha / sqrt(r) instead of alpha / r
  bool use_dora = false;                                 // weight-decomposed LoRA (DoRA)
  LoraInitWeights init_lora_weights = LoraInitWeights::kaiming;  // vltune-only: lora_A kaiming-uniform or gaussian
  std::optional<double> loraplus_lr_ratio;               // LoRA+: lora_B learns at learning_rate * this
  double loraplus_lr_embedding = 1e-6;                   // LoRA+: learning rate of LoRA embedding layers
  int64_t freeze_trainable_layers = 2;                   // freeze method: last n layers train (negative: first n)
  std::vector<std::string> freeze_trainable_modules = {"all"};  // freeze method: modules of those layers that train
  std::vector<std::string> freeze_extra_modules;         // freeze method: modules outside the layers that train too
  bool freeze_vision_tower = true;                       // the vision encoder stays frozen
  bool freeze_multi_modal_projector = true;              // the projector stays frozen
  bool freeze_language_model = false;                    // the language model stays frozen
  bool train_mm_proj_only = false;                       // older LLaMA-Factory: only the projector trains (see freeze_plan)
  double pref_beta = 0.1;                                // dpo: how far the policy may move from the reference (DPO's beta)
  double pref_ftx = 0.0;                                 // dpo: weight of the chosen answers' SFT loss added to the DPO loss
  PrefLoss pref_loss = PrefLoss::sigmoid;                // dpo: the preference loss
  double dpo_label_smoothing = 0.0;                      // dpo (sigmoid): assumed share of flipped preference labels, in [0, 0.5]

  // ### dataset (data_args.py)
  std::vector<std::string> dataset;                // dataset names in dataset_dir/dataset_info.json, comma list
  std::vector<std::string> eval_dataset;           // datasets that validate instead of a val_size split
  std::string dataset_dir = "data";                // folder holding dataset_info.json
  std::string media_dir;                           // where image paths are relative to; "" = dataset_dir
  std::string template_name;                       // key `template`: chat template ("" = the model's default)
  int64_t cutoff_len = 2048;                       // longest tokenized sample kept (image tokens included)
  std::optional<int64_t> max_samples;              // use at most this many samples of each dataset
  bool overwrite_cache = false;                    // rebuild the preprocessed-image cache
  std::optional<int64_t> preprocessing_num_workers;  // threads preparing samples (unset: the loader's default)
  double val_size = 0.0;                           // < 1: fraction held out to validate; >= 1: a sample count
  bool train_on_prompt = false;                    // also learn the prompt tokens
  bool mask_history = false;                       // learn only the last turn of each conversation
  bool packing = false;                            // sft: several samples share each row of cutoff_len tokens (data/packing.h)
  bool neat_packing = false;                       // packing whose samples attend only to themselves (sets packing)
  int64_t preprocessing_batch_size = 1000;         // packing: samples packed among themselves at a time

  // ### output (transformers TrainingArguments; plot_loss from finetuning_args.py)
  std::string output_dir;                          // where checkpoints, logs and the adapter go; "" = not set
  std::string run_name;                            // a name for the run (GUI title); "" = output_dir's name
  int64_t logging_steps = 500;                     // log every this many optimizer steps (transformers' default)
  IntervalStrategy save_strategy = IntervalStrategy::steps;  // when checkpoints are written
  int64_t save_steps = 500;                        // checkpoint every this many steps (save_strategy steps)
  std::optional<int64_t> save_total_limit;         // keep at most this many checkpoints (oldest removed)
  bool save_only_model = false;                    // checkpoints without optimizer/scheduler/RNG state (cannot resume)
  bool plot_loss = false;                          // write training_loss.png
  bool overwrite_output_dir = false;               // start over in a used output_dir (else: resume from its latest checkpoint)
  std::string resume_from_checkpoint;              // checkpoint folder; "true" = latest in output_dir; "" = LLaMA-Factory's rule above

  // ### train (TrainingArguments)
  int64_t per_device_train_batch_size = 8;         // samples per micro-batch
  int64_t gradient_accumulation_steps = 1;         // micro-batches per optimizer step
  double learning_rate = 5e-5;                     // peak learning rate
  double num_train_epochs = 3.0;                   // passes over the data (may be fractional)
  int64_t max_steps = -1;                          // optimizer steps in all; > 0 overrides num_train_epochs
  LrScheduler lr_scheduler_type = LrScheduler::linear;  // learning-rate curve after warm-up
  double warmup_ratio = 0.0;                       // warm-up as a fraction of all steps (rounded up)
  int64_t warmup_steps = 0;                        // warm-up steps; > 0 overrides warmup_ratio
  Optimizer optim = Optimizer::adamw_torch;        // the optimizer (AdamW whatever the name)
  double weight_decay = 0.0;                       // AdamW decoupled weight decay
  double adam_beta1 = 0.9;                         // AdamW beta1
  double adam_beta2 = 0.999;                       // AdamW beta2
  double adam_epsilon = 1e-8;                      // AdamW epsilon
  double max_grad_norm = 1.0;                      // clip the gradient norm to this (0 = no clipping)
  int64_t seed = 42;                               // seed of initialisation, dropout, split and shuffling
  std::optional<int64_t> data_seed;                // seed of the data order only (unset: seed)
  bool bf16 = false;                               // bfloat16 mixed precision
  bool fp16 = false;                               // float16 mixed precision with loss scaling
  bool pure_bf16 = false;                          // everything in bfloat16, no float32 master weights
  bool dataloader_drop_last = false;               // leave out each epoch's last incomplete batch
  int64_t dataloader_num_workers = 0;              // transformers' loader processes (0 = in the training thread)
  bool disable_shuffling = false;                  // visit the training samples in file order

  // ### eval (TrainingArguments; early_stopping_steps from finetuning_args.py)
  IntervalStrategy eval_strategy = IntervalStrategy::no;  // when to evaluate on the validation set
  std::optional<int64_t> eval_steps;               // evaluate every this many steps (unset: logging_steps)
  int64_t per_device_eval_batch_size = 8;          // samples per evaluation batch
  bool load_best_model_at_end = false;             // end with the checkpoint of the best eval loss
  std::string metric_for_best_model;               // "loss" / "eval_loss" (the only metric here); "" = loss
  std::optional<int64_t> early_stopping_steps;     // stop after this many evaluations without improvement (HF's patience)
  double early_stopping_threshold = 0.0;           // vltune: an improvement must beat the best by more than this

  // ### predict (`vltune-cli predict`: TrainingArguments' do_predict / do_eval, Seq2SeqTrainingArguments'
  // predict_with_generate, LLaMA-Factory's generating_args.py with its defaults)
  bool do_predict = false;                         // generate an answer for every eval_dataset sample and score it
  bool predict_with_generate = false;              // predictions are generated (vltune-cli predict needs it)
  bool do_eval = false;                            // predict: also the eval loss and perplexity over the same samples
  bool do_sample = true;                           // sample (LLaMA-Factory's default) or greedy
  double temperature = 0.95;                       // logits divisor when sampling
  double top_p = 0.7;                              // nucleus sampling mass (1 = off)
  int64_t top_k = 50;                              // sample among the k most likely tokens (0 = off)
  int64_t max_new_tokens = 1024;                   // most new tokens per answer
  double repetition_penalty = 1.0;                 // CTRL penalty on tokens already in the sequence (1 = off)

  bool operator==(const TrainConfig&) const = default;
};

// What loading noticed without failing.
struct ConfigReport {
  struct UnknownKey {
    std::string key;         // as written
    std::string suggestion;  // the closest known key ("" = nothing close)
    int line = 0;            // 1-based line in the YAML (0 = unknown)
  };
  std::vector<std::string> ignored;   // known LLaMA-Factory / transformers keys that mean nothing here, in file order
  std::vector<UnknownKey> unknown;    // keys no tool knows (typos, most likely)
  std::vector<std::string> warnings;  // one readable line each: unknown keys, renamed keys, ignored values that matter
};

// Reads a LLaMA-Factory training YAML. Throws FileError when it cannot be read, FormatError naming
// the file, line and key for bad YAML, a wrong type ("learning_rate: fast"), an out-of-range or
// unsupported value, or two settings that contradict each other (bf16 and fp16).
TrainConfig load_train_config(const std::filesystem::path& yaml_file, ConfigReport* report = nullptr);
// The same from YAML text; `source` names it in messages.
TrainConfig load_train_config_from_string(std::string_view yaml_text, ConfigReport* report = nullptr,
                                          const std::string& source = "<yaml>");

// Range and consistency checks (what loading runs after reading every key), for configs built in
// code or in the GUI. Throws FormatError naming the key; `where(key)` prefixes the message ("" =
// nothing). Adds soft problems to `report->warnings`.
void validate_train_config(const TrainConfig& config, ConfigReport* report = nullptr,
                           const std::function<std::string(std::string_view key)>& where = {});

// How to_yaml writes.
struct YamlOptions {
  bool changed_only = false;  // only keys that differ from the defaults (plus model, method, dataset and output_dir)
};

// LLaMA-Factory YAML for `config`, in its sections (### model, ### method, ...). llamafactory-cli
// reads it (vltune-only keys are written only when they differ from the default), and
// load_train_config_from_string(to_yaml(c)) == c.
std::string to_yaml(const TrainConfig& config, const YamlOptions& options = {});

// The names used in the YAML.
std::string_view to_string(Stage value);
std::string_view to_string(FinetuningType value);
std::string_view to_string(PrefLoss value);
std::string_view to_string(LrScheduler value);
std::string_view to_string(Optimizer value);
std::string_view to_string(IntervalStrategy value);

}  // namespace vltune::train
