#pragma once
// What a run carries from step to step besides the weights, the optimizer and the generators:
// everything a resume needs to continue exactly (vltune_state.json in a checkpoint), and the
// transformers-shaped trainer_state.json made from it.

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/data/batch_loader.h"
#include "core/io/json_file.h"
#include "core/train/early_stopping.h"
#include "core/train/trainer_params.h"

namespace vltune::train {

struct RunState {
  int64_t global_step = 0;                 // optimizer steps done (skipped fp16 steps included, as transformers counts)
  double epoch = 0;                        // fractional epoch reached
  data::LoaderPosition position;           // the batch that comes next
  uint64_t loader_seed = 0;                // the batch source's seed
  int64_t batches_per_epoch = 0;           // to refuse a resume over other data or batch size
  int64_t gradient_accumulation_steps = 1; // likewise
  int64_t schedule_start = 0;              // global step where the schedule began (re-warming moves it)
  int64_t schedule_position = 0;           // scheduler steps since then (fp16 skipped steps do not count)
  double loss_since_log = 0;               // sum of step losses since the last log
  int64_t steps_since_log = 0;             // steps since the last log
  double total_loss = 0;                   // sum of all step losses (train_loss = total_loss / global_step)
  int64_t total_tokens = 0;                // non-padding input tokens trained on
  int64_t total_samples = 0;               // samples trained on
  double elapsed_seconds = 0;              // training time of the run so far
  EarlyStopping early_stopping;            // best eval_loss and patience count
  double loss_scale = 0;                   // fp16: the GradScaler's scale (0: none)
  int64_t scale_growth_tracker = 0;        // fp16: good steps since the scale last changed
  io::Json log_history = io::Json::array();// transformers' log_history
};

io::Json run_state_to_json(const RunState& state);
// Throws FormatError naming `where` and the key.
RunState run_state_from_json(const io::Json& json, const std::string& where);

// transformers' TrainerState as trainer_state.json holds it (keys sorted, as it writes them).
// `max_steps` and `num_epochs`: the run's steps and whole epochs (transformers' max_steps and
// num_train_epochs).
io::Json trainer_state_json(const RunState& state, const TrainerParams& params, int64_t max_steps, int64_t num_epochs,
                            const std::string& best_model_checkpoint);

}  // namespace vltune::train
