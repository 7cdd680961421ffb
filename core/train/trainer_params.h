#pragma once
// What a training run does. Field names are LLaMA-Factory's / transformers' TrainingArguments
// keys, defaults are transformers', so a YAML config maps onto this one to one.

#include <cstdint>
#include <filesystem>
#include <string>

namespace vltune::train {

// The dtype the model computes in. The trained weights and the optimizer state stay float32
// whatever this is; the caller loads the base weights in it.
enum class Precision {
  fp32,  // everything float32
  bf16,  // base weights bfloat16: float32's exponent range, no loss scaling needed
  fp16,  // base weights float16: the loss is scaled dynamically (GradScaler), inf/NaN steps skipped
};

struct TrainerParams {
  // Optimizer (AdamW)
  double learning_rate = 5e-5;           // peak learning rate
  double weight_decay = 0.0;             // decoupled weight decay of 2-D parameters (1-D ones: biases, norms, get none)
  double adam_beta1 = 0.9;               // first-moment decay
  double adam_beta2 = 0.999;             // second-moment decay
  double adam_epsilon = 1e-8;            // added outside the square root
  double max_grad_norm = 1.0;            // clip the total gradient L2 norm to this (<= 0: no clipping)
  double loraplus_lr_ratio = 0.0;        // LoRA+: lora_B and 1-D parameters learn at learning_rate * this (0: off)
  double loraplus_lr_embedding = 1e-6;   // LoRA+: learning rate of the LoRA embedding group

  // Length and schedule
  double num_train_epochs = 3.0;              // epochs (may be fractional); used when max_steps <= 0
  int64_t max_steps = -1;                     // optimizer steps (> 0: overrides num_train_epochs)
  int64_t per_device_train_batch_size = 8;    // samples per micro-batch (the batch source makes them; recorded)
  int64_t gradient_accumulation_steps = 1;    // micro-batches per optimizer step
  std::string lr_scheduler_type = "linear";   // linear, cosine, constant, constant_with_warmup
  double warmup_ratio = 0.0;                  // warmup as a fraction of the steps (when warmup_steps is 0)
  int64_t warmup_steps = 0;                   // warmup steps (> 0: overrides warmup_ratio)

  // Run
  uint64_t seed = 42;                        // torch's generators for a fresh run (the batch source has its own seed)
  Precision precision = Precision::fp32;     // see Precision
  std::filesystem::path output_dir;          // checkpoints, logs, plots and the trained weights
  bool overwrite_output_dir = false;         // a fresh run may delete an earlier run's checkpoints and log there
  std::string resume_from_checkpoint;        // "": fresh run; "latest": newest checkpoint-N in output_dir; else a checkpoint folder
  bool rewarm_scheduler = false;             // on resume, restart the schedule (warmup included) over the steps left: for extending a finished run

  // Logging, evaluation, checkpoints
  int64_t logging_steps = 500;               // log the mean loss every N steps (trainer_log.jsonl, on_log)
  int64_t eval_steps = 0;                    // evaluate every N steps (0: every logging_steps); needs a validation source
  int64_t save_steps = 500;                  // checkpoint every N steps (0: only at the end and when stopped)
  int64_t save_total_limit = 0;              // keep at most N checkpoints, deleting the oldest (0: keep all)
  int64_t early_stopping_steps = 0;          // stop after N evaluations in a row without improvement (0: never)
  double early_stopping_threshold = 0.0;     // eval_loss improves when it drops by more than this
  int64_t pinned_samples_steps = 0;          // call on_pinned_samples every N steps (0: never)
  bool plot_loss = true;                     // training_loss.png (and training_eval_loss.png) at the end
};

}  // namespace vltune::train
