#pragma once
// The training loop: AdamW over the model's trainable parameters with a transformers schedule,
// gradient accumulation normalised by the tokens of the whole accumulated batch, clipping,
// evaluation with early stopping, logging in LLaMA-Factory's files, atomic checkpoints that a
// resume continues from bit for bit, and a stop token.
//
// One optimizer step (global step s, 1-based) is:
//   pull the window: min(gradient_accumulation_steps, batches left in the epoch) micro-batches
//   (windows never span epochs, as in transformers >= 4.46); forward + backward of each with
//   loss_sum / window_tokens (fp16: times the loss scale); unscale (fp16; inf/NaN: skip the
//   update, halve the scale); clip to max_grad_norm; AdamW at lr = group lr * schedule(k), k the
//   scheduler steps so far; drop the gradients.
// Then, in this order: progress callback; log (every logging_steps); evaluation (every
// eval_steps); pinned samples (every pinned_samples_steps); checkpoint (every save_steps, at the
// last step, and on early stopping). The checkpoint comes last so that it holds the random
// generators after everything that draws from them.
//
// Length: steps_per_epoch = ceil(batches_per_epoch / gradient_accumulation_steps); the run makes
// max_steps steps when > 0, else ceil(num_train_epochs * steps_per_epoch).
//
// Resuming (resume_from_checkpoint) restores the weights, optimizer, generators, data position,
// schedule and log accumulators: the steps that follow are those the uninterrupted run would
// have made, bit for bit (same parameters, batch size and data; the batch source must have the
// same seed). Asking for more epochs or steps than a finished run made extends it; with
// rewarm_scheduler the schedule starts over (warmup included) across the added steps, else the
// schedule is recomputed for the new length.
//
// Stopping: the stop token is checked before every micro-batch; the gradients of the unfinished
// step are dropped and a checkpoint of the last finished step is written (if it made any), then
// the run ends as a finished one does (weights, trainer_state.json, plot) with outcome `stopped`.
//
// Out of memory: reported as OutOfMemoryError (out_of_memory.h) with what to reduce; gradients
// are dropped and the Trainer can run again.
//
// output_dir receives: checkpoint-<step>/ (train_checkpoint.h), trainer_log.jsonl, the trained
// weights (model.save_trained), trainer_state.json, all_results.json, training_loss.png and
// training_eval_loss.png.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stop_token>

#include "core/train/batch_source.h"
#include "core/train/out_of_memory.h"
#include "core/train/trainable.h"
#include "core/train/trainer_log.h"
#include "core/train/trainer_params.h"

namespace vltune::train {

// After every optimizer step.
struct TrainProgress {
  int64_t step = 0;               // optimizer steps done
  int64_t total_steps = 0;        // steps the run makes
  double epoch = 0;               // fractional epoch
  double loss = 0;                // this step's loss (token-weighted over its micro-batches)
  double learning_rate = 0;       // learning rate this step used (first group)
  double grad_norm = 0;           // total gradient L2 norm before clipping
  double tokens_per_second = 0;   // non-padding input tokens per second since train() began
  double samples_per_second = 0;  // samples per second since train() began
  int64_t memory_bytes = -1;      // from TrainerCallbacks::memory_probe (-1: unknown)
  double elapsed_seconds = 0;     // training time of the run (earlier sessions of a resumed run included)
  double eta_seconds = 0;         // time left at this session's mean step time
  bool skipped = false;           // fp16: inf/NaN gradients, no update this step
};

// Observers and hooks, called on the training thread.
struct TrainerCallbacks {
  std::function<void(const TrainProgress&)> on_progress;            // every step
  std::function<void(const LogRecord&)> on_log;                     // every line of trainer_log.jsonl
  std::function<void(int64_t step)> on_pinned_samples;              // every pinned_samples_steps, model in eval mode, no autograd
  std::function<void(const std::filesystem::path&)> on_checkpoint;  // a checkpoint was written
  std::function<int64_t()> memory_probe;                            // bytes in use (unset: process_resident_bytes)
};

enum class TrainOutcome {
  finished,       // made every step
  stopped,        // the stop token was requested
  early_stopped,  // eval_loss stopped improving
};

struct TrainResult {
  TrainOutcome outcome = TrainOutcome::finished;
  int64_t global_step = 0;                 // steps done
  int64_t total_steps = 0;                 // steps the run was to make
  double train_loss = 0;                   // mean step loss over the run
  std::optional<double> eval_loss;         // the last evaluation's
  std::filesystem::path last_checkpoint;   // the newest checkpoint written (empty: none)
};

class Trainer {
 public:
  // `model`, the sources and the callbacks' captures must outlive train(). `eval_data` may be
  // null (no evaluation, no early stopping).
  Trainer(TrainableModel& model, BatchSource& train_data, BatchSource* eval_data, TrainerParams params,
          TrainerCallbacks callbacks = {});

  // Runs (or resumes) training. Throws vltune::Error naming the key for invalid parameters,
  // OutOfMemoryError, FileError / FormatError for output and checkpoint files, and whatever the
  // model or the batch source throws.
  TrainResult train(std::stop_token stop = {});

  const TrainerParams& params() const { return m_params; }

 private:
  TrainableModel& m_model;
  BatchSource& m_train;
  BatchSource* m_eval;
  TrainerParams m_params;
  TrainerCallbacks m_callbacks;
};

// Evaluation: the token-weighted mean loss over every batch of `data` (one pass from its start),
// model in eval mode without autograd, left in training mode; nullopt when `stop` was requested
// before the pass ended. Out of memory is reported as OutOfMemoryError.
struct EvalResult {
  double loss = 0;        // sum of loss_sum / sum of tokens
  int64_t tokens = 0;     // loss tokens
  int64_t samples = 0;    // rows
  int64_t batches = 0;    // batches
  double seconds = 0;     // wall time
};
std::optional<EvalResult> evaluate(TrainableModel& model, BatchSource& data, std::stop_token stop = {});

}  // namespace vltune::train
