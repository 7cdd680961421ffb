#pragma once
// How to generate: one params struct (filled from generation_config.json, shown in the GUI,
// overridden by the user), with transformers' defaults and meaning for every sampling field.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/io/aux_configs.h"

namespace vltune::gen {

struct GenerationParams {
  int64_t max_new_tokens = 1024;          // most new tokens, a stopping one included (LLaMA-Factory's default)
  bool do_sample = false;                 // sample (true) or greedy (false: temperature, top_k, top_p, min_p unused)
  double temperature = 1.0;               // logits divisor when sampling, > 0 (1 = off)
  int64_t top_k = 50;                     // sample among the k highest scores, ties at the k-th kept (0 = off)
  double top_p = 1.0;                     // nucleus: the fewest most likely tokens holding this much mass (1 = off)
  double min_p = 0.0;                     // drop tokens below min_p * the top probability, after temperature (0 = off)
  double repetition_penalty = 1.0;        // CTRL penalty on every token already in the sequence, prompt included; greedy too (1 = off)
  uint64_t seed = 0;                      // sampling seed: same seed, prompt, model and params give the same tokens
  std::vector<int64_t> stop_ids;          // stop after any of these (eos_token_id(s); the template's EOS)
  std::vector<std::string> stop_strings;  // stop once the text (special tokens skipped) contains one; the text ends before it
  bool output_logits = false;             // keep each step's raw logits in the result (transformers' output_logits)
};

// transformers' reading of generation_config.json: its do_sample, temperature, top_k, top_p,
// min_p, repetition_penalty, eos_token_id(s) as stop ids, stop_strings, and max_new_tokens when it
// gives one (max_length is not used: a prompt with images is longer than its default of 20).
GenerationParams from_generation_config(const io::GenerationConfig& config);

// from_generation_config() of `model_dir`/generation_config.json, or the defaults (no stop ids)
// when the folder has none. Throws FormatError naming the file and key for a malformed one.
GenerationParams read_generation_params(const std::filesystem::path& model_dir);

// Throws vltune::Error naming the field when a value cannot work (transformers' checks: a
// temperature that is not positive while sampling, top_p or min_p outside [0, 1], a negative
// top_k or max_new_tokens, a repetition penalty that is not positive, an empty stop string).
void validate(const GenerationParams& params);

}  // namespace vltune::gen
