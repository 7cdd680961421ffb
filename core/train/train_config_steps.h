#pragma once
// What the trainer derives from a TrainConfig: LoRA's alpha and scale, the run's length in
// optimizer steps, the warm-up, the evaluation interval and what stays frozen.
// Each follows the formula of the tool the setting comes from (named per function), so a run is
// as long, and warms up as long, as the same YAML in LLaMA-Factory.

#include <cstdint>
#include <filesystem>

#include "core/train/train_config.h"

namespace vltune::train {

// lora_alpha, or 2 * lora_rank when unset or 0 (LLaMA-Factory: `lora_alpha or lora_rank * 2`).
int64_t effective_lora_alpha(const TrainConfig& config);
// The factor on B·A: alpha / r, or alpha / sqrt(r) with use_rslora (PEFT LoraLayer.update_layer).
double lora_scaling(const TrainConfig& config);

// How long a run is, in transformers' Trainer terms (set_initial_training_values).
struct TrainingLength {
  int64_t batches_per_epoch = 0;  // micro-batches: ceil(samples / batch), floor with dataloader_drop_last
  int64_t steps_per_epoch = 0;    // optimizer steps: max(ceil(batches / gradient_accumulation_steps), 1)
  int64_t total_steps = 0;        // max_steps if > 0, else ceil(num_train_epochs * steps_per_epoch)
  int64_t epochs = 0;             // epochs begun: ceil(total_steps / steps_per_epoch)
};
// For `train_samples` training samples (after the validation split and max_samples). Throws
// vltune::Error when there is not one batch to train on.
TrainingLength training_length(const TrainConfig& config, int64_t train_samples);

// Warm-up steps: warmup_steps if > 0, else ceil(warmup_ratio * total_steps)
// (transformers TrainingArguments.get_warmup_steps).
int64_t warmup_steps(const TrainConfig& config, int64_t total_steps);

// Steps between evaluations: eval_steps, else logging_steps (transformers' __post_init__).
int64_t effective_eval_steps(const TrainConfig& config);

// The seed of the data order: data_seed, else seed.
int64_t effective_data_seed(const TrainConfig& config);

// Where image paths in the dataset are relative to: media_dir, else dataset_dir (LLaMA-Factory).
std::filesystem::path effective_media_dir(const TrainConfig& config);

// Whether the checkpointed layers' inputs wait in host memory: use_unsloth_gc with checkpointing
// on (LLaMA-Factory ignores the key without it).
bool checkpoints_offloaded(const TrainConfig& config);

// What stays frozen. train_mm_proj_only (older LLaMA-Factory) means: only the projector trains.
struct FreezePlan {
  bool vision_tower = true;    // vision encoder frozen
  bool projector = true;       // multi-modal projector frozen
  bool language_model = false; // language model frozen
};
FreezePlan freeze_plan(const TrainConfig& config);

}  // namespace vltune::train
