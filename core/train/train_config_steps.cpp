#include "core/train/train_config_steps.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace vltune::train {
namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

int64_t effective_lora_alpha(const TrainConfig& config) {
  return config.lora_alpha && *config.lora_alpha > 0 ? *config.lora_alpha : 2 * config.lora_rank;
}

double lora_scaling(const TrainConfig& config) {
  const auto alpha = static_cast<double>(effective_lora_alpha(config));
  const auto rank = static_cast<double>(config.lora_rank);
  return config.use_rslora ? alpha / std::sqrt(rank) : alpha / rank;
}

TrainingLength training_length(const TrainConfig& config, int64_t train_samples) {
  const int64_t batch = config.per_device_train_batch_size;
  if (batch < 1 || config.gradient_accumulation_steps < 1)
    throw Error("per_device_train_batch_size and gradient_accumulation_steps must be at least 1");
  TrainingLength out;
  out.batches_per_epoch = config.dataloader_drop_last ? train_samples / batch : ceil_div(train_samples, batch);
  if (train_samples <= 0 || out.batches_per_epoch <= 0)
    throw Error("training set: " + std::to_string(train_samples) + " samples make no batch of " +
                std::to_string(batch) + " (per_device_train_batch_size" +
                (config.dataloader_drop_last ? ", dataloader_drop_last)" : ")"));
  out.steps_per_epoch = std::max<int64_t>(ceil_div(out.batches_per_epoch, config.gradient_accumulation_steps), 1);
  out.total_steps = config.max_steps > 0
                        ? config.max_steps
                        : static_cast<int64_t>(std::ceil(config.num_train_epochs * static_cast<double>(out.steps_per_epoch)));
  out.epochs = ceil_div(out.total_steps, out.steps_per_epoch);
  return out;
}

int64_t warmup_steps(const TrainConfig& config, int64_t total_steps) {
  if (config.warmup_steps > 0) return config.warmup_steps;
  return static_cast<int64_t>(std::ceil(static_cast<double>(total_steps) * config.warmup_ratio));
}

int64_t effective_eval_steps(const TrainConfig& config) { return config.eval_steps.value_or(config.logging_steps); }

int64_t effective_data_seed(const TrainConfig& config) { return config.data_seed.value_or(config.seed); }

std::filesystem::path effective_media_dir(const TrainConfig& config) {
  return config.media_dir.empty() ? config.dataset_dir : config.media_dir;
}

bool checkpoints_offloaded(const TrainConfig& config) {
  return config.use_unsloth_gc && !config.disable_gradient_checkpointing;
}

FreezePlan freeze_plan(const TrainConfig& config) {
  if (config.train_mm_proj_only) return FreezePlan{.vision_tower = true, .projector = false, .language_model = true};
  return FreezePlan{.vision_tower = config.freeze_vision_tower,
                    .projector = config.freeze_multi_modal_projector,
                    .language_model = config.freeze_language_model};
}

}  // namespace vltune::train
