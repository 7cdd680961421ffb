#pragma once
// What a training run will cost before it starts: the model's size from its headers (no weights
// loaded), the tokens per sample from the user's own images under the chosen image_max_pixels
// (most out-of-memory reports come from image token counts nobody saw), and a rough VRAM figure.
// No Qt: the Train page runs estimate_training() on a worker thread and shows the result.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/train/train_config.h"

namespace vltune {

// A model folder as its config.json and safetensors headers describe it.
struct ModelSummary {
  std::string error;              // why it could not be read ("" = read)
  std::string family;             // "qwen2_vl", "qwen2_5_vl", "idefics3", "llava", "clip"
  std::string model_type;         // as config.json writes it
  int64_t parameters = 0;         // every tensor's element count, summed over all shards
  std::string dtype;              // the weights' dominant safetensors dtype ("BF16", "F32", ...)
  int64_t dtype_bytes = 0;        // bytes per element of `dtype`
  int64_t layers = 0;             // decoder layers (0 for CLIP)
  int64_t hidden = 0;             // decoder width
  int64_t intermediate = 0;       // decoder MLP width
  int64_t attention_width = 0;    // query heads x head_dim
  int64_t kv_width = 0;           // key/value heads x head_dim
  int64_t vocab = 0;              // logits per token
};

// Reads config.json and every safetensors header of `folder` (an index's shards, else the
// .safetensors files there). Never throws: a problem is put in `error`.
ModelSummary summarize_model(const std::filesystem::path& folder);

// Tokens per sample over a sample of the dataset, images counted from their headers.
struct TokenStats {
  std::string error;               // why nothing could be measured ("" = measured)
  int64_t samples_total = 0;       // rows in the dataset
  int64_t samples_measured = 0;    // rows looked at (evenly spread, at most `max_samples`)
  int64_t images = 0;              // images measured
  int64_t unreadable_images = 0;   // images whose header could not be read (not counted)
  int64_t min_tokens = 0;          // per sample, images and text
  int64_t median_tokens = 0;
  int64_t max_tokens = 0;
  int64_t max_image_tokens = 0;    // the largest single image's tokens
  int64_t over_cutoff = 0;         // measured rows longer than cutoff_len (they get truncated)
};

// Text tokens are not tokenized here: about one token per 4 bytes of UTF-8, plus the template's
// few tokens per turn. Close enough to see whether images or text dominate.
inline constexpr int64_t kBytesPerTextToken = 4;
inline constexpr int64_t kTokensPerTurn = 5;

// The tokens one image of `width` x `height` becomes for the model in `model_folder` after
// LLaMA-Factory's pre-resize to [image_min_pixels, image_max_pixels] (the image tokens proper,
// as the engine's image_token_count counts them). Throws vltune::Error naming the file.
int64_t image_tokens_for(const std::filesystem::path& model_folder, int64_t width, int64_t height,
                         int64_t image_max_pixels, int64_t image_min_pixels);

// Opens the config's dataset and measures up to `max_samples` rows. Never throws.
TokenStats measure_sample_tokens(const train::TrainConfig& config, int64_t max_samples = 200);

// VRAM in bytes, by part. See estimate_memory() for the formula.
struct MemoryEstimate {
  int64_t trainable_parameters = 0;  // LoRA adapters, freeze layers, or every weight
  double weights = 0;                // the model in its training dtype
  double optimizer = 0;              // trainable weights' fp32 copy, gradient and AdamW moments
  double activations = 0;            // what backward keeps on the device, plus the logits
  double host = 0;                   // offloaded checkpoints (use_unsloth_gc): host memory, not VRAM
  double total() const { return weights + optimizer + activations; }  // VRAM
};

// Rough VRAM of one training step with micro-batches of `tokens_per_sample` tokens.
MemoryEstimate estimate_memory(const ModelSummary& model, const train::TrainConfig& config,
                               int64_t tokens_per_sample);

// Everything the Train page shows.
struct TrainEstimate {
  ModelSummary model;
  TokenStats tokens;
  MemoryEstimate memory;  // from the largest measured sample (capped at cutoff_len; packing: cutoff_len); zero without a model
};

// summarize_model + measure_sample_tokens + estimate_memory. Never throws.
TrainEstimate estimate_training(const train::TrainConfig& config, int64_t max_samples = 200);

}  // namespace vltune
