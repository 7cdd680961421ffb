#pragma once
// Merging LoRA into the base weights and exporting a full checkpoint in the Hub layout
// (save_pretrained's): config.json, the weights under save_pretrained's tensor names as one
// model.safetensors or as shards model-0000i-of-0000n.safetensors with model.safetensors.index.json,
// and the folder's other files (tokenizer, processor, generation config, chat template) copied.
// The result loads back with the loaders here and with transformers.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "core/lora/lora_model.h"

namespace vltune::lora {

// Where an export is, for a progress bar.
enum class ExportPhase {
  merging,  // folding the adapters into the base weights
  writing,  // the weights' shards
  copying,  // the folder's other files
};

struct ExportProgress {
  ExportPhase phase = ExportPhase::merging;
  uint64_t bytes_done = 0;   // weight bytes written so far
  uint64_t bytes_total = 0;  // weight bytes to write (0 while merging)
};

struct ExportParams {
  uint64_t max_shard_bytes = 5'000'000'000;  // largest shard (transformers' "5GB" default); a bigger tensor gets a shard of its own
  std::string dtype;                         // "float32", "bfloat16", "float16"; empty: config.json's dtype, else float32
  std::function<void(const ExportProgress&)> on_progress;  // at each phase and after each shard; empty: none
};

// Folds the active adapters into `model`'s base weights (in place, as PEFT's merge_and_unload)
// and writes the checkpoint to `out_dir` (created; files written atomically). Tied weights
// (lm_head on a tie_word_embeddings model) are written once, under the embedding's name, as
// save_pretrained does. Throws vltune::Error / FileError naming what failed.
void export_merged(LoraModel& model, const std::filesystem::path& out_dir, const ExportParams& params = {});

}  // namespace vltune::lora
