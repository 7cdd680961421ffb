#include "core/gen/generation_params.h"

#include "core/error.h"

namespace vltune::gen {

GenerationParams from_generation_config(const io::GenerationConfig& config) {
  GenerationParams p;
  if (config.max_new_tokens) p.max_new_tokens = *config.max_new_tokens;
  p.do_sample = config.do_sample;
  p.temperature = config.temperature;
  p.top_k = config.top_k;
  p.top_p = config.top_p;
  p.min_p = config.min_p.value_or(0.0);
  p.repetition_penalty = config.repetition_penalty;
  p.stop_ids = config.eos_token_ids;
  p.stop_strings = config.stop_strings;
  return p;
}

GenerationParams read_generation_params(const std::filesystem::path& model_dir) {
  const auto path = model_dir / "generation_config.json";
  if (!std::filesystem::exists(path)) return {};
  return from_generation_config(io::read_generation_config(path));
}

void validate(const GenerationParams& p) {
  auto bad = [](const std::string& field, const std::string& what) {
    throw Error("generation parameter " + field + " " + what);
  };
  if (p.max_new_tokens < 0) bad("max_new_tokens", "should not be negative, got " + std::to_string(p.max_new_tokens));
  // transformers' TemperatureLogitsWarper refuses these too; greedy is do_sample = false.
  if (p.do_sample && !(p.temperature > 0))
    bad("temperature", "should be positive when sampling, got " + std::to_string(p.temperature) +
                           " (for greedy decoding turn do_sample off)");
  if (p.top_k < 0) bad("top_k", "should not be negative, got " + std::to_string(p.top_k));
  if (!(p.top_p >= 0 && p.top_p <= 1)) bad("top_p", "should be in [0, 1], got " + std::to_string(p.top_p));
  if (!(p.min_p >= 0 && p.min_p <= 1)) bad("min_p", "should be in [0, 1], got " + std::to_string(p.min_p));
  if (!(p.repetition_penalty > 0))
    bad("repetition_penalty", "should be positive, got " + std::to_string(p.repetition_penalty));
  for (size_t i = 0; i < p.stop_strings.size(); ++i)
    if (p.stop_strings[i].empty()) bad("stop_strings[" + std::to_string(i) + "]", "is empty");
}

}  // namespace vltune::gen
