#pragma once
// A whole training run from a TrainConfig, as `llamafactory-cli train x.yaml` does it: read and
// validate the dataset with the model's own template and image arithmetic, split it, open the
// model with a new LoRA adapter (or go on training a saved one), build the batch sources, write
// training_args.yaml, and run the Trainer with optional pinned samples. stage: dpo trains the
// adapter on a preference dataset with the base model as the reference (lora/preference_model.h);
// a dataset of the other kind than the stage wants is refused, naming it. `vltune-cli train` and the
// desktop app's Train page both run this, so the two cannot drift apart.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/lora/pinned_samples.h"
#include "core/train/train_config.h"
#include "core/train/trainer.h"

namespace vltune::train {

// The most samples a run answers every N steps: each round costs a generation per sample.
inline constexpr size_t kMaxPinned = 4;

// A sample the user pinned: a dataset row by file and row (stable across readers, unlike an index),
// asked the user's question or, when `question` is empty, its own last user turn.
struct PinnedChoice {
  std::string file;      // Record::file: the data file relative to the dataset root
  int64_t row = 0;       // Record::row: 0-based row within that file
  std::string question;  // "" = the row's own question
};

// How to run a job beyond what the YAML says.
struct JobOptions {
  std::string device = "auto";  // "auto" (the first CUDA device when there is one), "cpu", "cuda", "cuda:N"
  bool skip_bad_rows = false;   // leave rows with problems out (counted) instead of refusing to start
  int64_t pinned_samples = 0;   // validation rows answered before training and every pinned_every steps (0 = none)
  std::vector<PinnedChoice> pinned;  // the user's pinned rows (up to kMaxPinned); when set, pinned_samples is ignored
  int64_t pinned_every = 0;     // steps between pinned rounds (0: eval_steps, else logging_steps)
  std::filesystem::path image_cache;  // prepared images kept here across epochs and runs ("" = none; data/image_cache.h)
  int64_t image_cache_max_bytes = int64_t{20} << 30;  // the image cache folder's size cap (0 = none)
};

// Observers, called on the job's thread. Any may be empty.
struct JobCallbacks {
  std::function<void(const std::string&)> on_message;                // one line about what the job does or noticed
  std::function<void(const TrainProgress&)> on_progress;             // every optimizer step (it may block: that pauses the run)
  std::function<void(const LogRecord&)> on_log;                      // every line of trainer_log.jsonl
  std::function<void(const std::filesystem::path&)> on_checkpoint;   // a checkpoint was written
  std::function<void(const lora::PinnedRound&)> on_pinned;           // a pinned round (also appended to pinned_samples.jsonl)
};

// The dataset has rows with problems and JobOptions::skip_bad_rows is off. The message lists them.
class DatasetProblemsError : public FormatError {
 public:
  using FormatError::FormatError;
};

// What this engine cannot train yet, refused before any work, naming the key: finetuning_type
// other than lora, a 4-bit quantization_type other than nf4, several adapters to continue, unset
// model_name_or_path / output_dir / dataset, eval_dataset.
void check_trainable(const TrainConfig& config);

// Runs (or resumes, by LLaMA-Factory's rule: output_dir's latest checkpoint unless
// overwrite_output_dir) the training `config` describes. Throws vltune::Error naming the key for
// what check_trainable refuses or an unusable device, DatasetProblemsError, FileError /
// FormatError for the dataset, model and output files, and OutOfMemoryError. Paths in `config`
// are relative to the current folder.
TrainResult run_training_job(const TrainConfig& config, const JobOptions& options = {}, const JobCallbacks& callbacks = {},
                             std::stop_token stop = {});

// The Trainer's parameters for `config` (steps_per_epoch: for the epoch save and eval strategies).
TrainerParams trainer_params(const TrainConfig& config, int64_t steps_per_epoch);

}  // namespace vltune::train
