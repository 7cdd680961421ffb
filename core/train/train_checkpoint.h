#pragma once
// Checkpoint folders, output_dir/checkpoint-<step>/ as transformers names them, holding
//   what the model trains           TrainableModel::save_trained (the PEFT adapter for LoRA)
//   optimizer.safetensors           AdamW moments and step counts
//   rng_state.safetensors           torch's generator states ("cpu", "cuda.<i>")
//   vltune_state.json               RunState: data position, schedule, log accumulators, ...
//   trainer_state.json              transformers' TrainerState
// A checkpoint is written into tmp-checkpoint-<step>/ and renamed once complete, so a folder named
// checkpoint-<step> is always whole, whenever the process dies.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

#include "core/io/json_file.h"
#include "core/rng_state.h"
#include "core/train/optimizer.h"
#include "core/train/run_state.h"
#include "core/train/trainable.h"

namespace vltune::train {

inline constexpr const char* kOptimizerFile = "optimizer.safetensors";
inline constexpr const char* kRngStateFile = "rng_state.safetensors";
inline constexpr const char* kRunStateFile = "vltune_state.json";
inline constexpr const char* kTrainerStateFile = "trainer_state.json";

std::filesystem::path checkpoint_dir(const std::filesystem::path& output_dir, int64_t step);

// The checkpoint-<step> folders in `output_dir`, oldest (lowest step) first.
std::vector<std::pair<int64_t, std::filesystem::path>> list_checkpoints(const std::filesystem::path& output_dir);
std::optional<std::filesystem::path> latest_checkpoint(const std::filesystem::path& output_dir);

// Writes checkpoint-<state.global_step> (replacing one of that step). Throws FileError.
std::filesystem::path write_checkpoint(const std::filesystem::path& output_dir, const TrainableModel& model,
                                       const AdamW& optimizer, const RngState& rng, const RunState& state,
                                       const io::Json& trainer_state);

// Deletes the oldest checkpoints until `limit` (> 0) are left.
void rotate_checkpoints(const std::filesystem::path& output_dir, int64_t limit);
// Removes tmp-checkpoint-* folders a killed process left behind.
void remove_temporary_checkpoints(const std::filesystem::path& output_dir);

// The parts of a checkpoint the model and optimizer do not read themselves. Throw FileError /
// FormatError naming the file.
RunState read_run_state(const std::filesystem::path& checkpoint);
RngState read_rng_state(const std::filesystem::path& checkpoint);

}  // namespace vltune::train
