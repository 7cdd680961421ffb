#pragma once
// Choosing each next token as transformers' generate() does (generation/logits_process.py, the
// order of GenerationMixin._get_logits_processor):
//   repetition penalty (greedy and sampling) -> temperature -> top-k -> top-p -> min-p (sampling)
// then argmax (greedy) or a draw from the softmax (sampling). Each processor takes scores [1, V]
// float32 and returns new ones; filtered tokens get -inf. Processors whose setting is off are
// skipped, as transformers leaves them out.
//
// Sampling draws one uniform number per token from a std::mt19937_64 seeded with params.seed, on
// the host, and inverts the cumulative distribution on the logits' device: the same seed gives
// the same tokens whatever the device or LibTorch version (given the same probabilities), and a
// token costs one host sync, the read of its id. (transformers' torch.multinomial stream is not
// reproduced: no C++ implementation could promise that across versions anyway.)

#include <cstdint>
#include <random>

#include <torch/torch.h>

#include "core/gen/generation_params.h"

namespace vltune::gen {

// The tokens a sequence holds: [vocab] bool, true at every id in `ids` (any shape, int64).
torch::Tensor seen_tokens(const torch::Tensor& ids, int64_t vocab);

// RepetitionPenaltyLogitsProcessor: the score of every seen token is divided by `penalty` when
// positive and multiplied by it when negative, once however often the token occurs.
// scores: [1, V], seen: [V] bool -> [1, V]
torch::Tensor apply_repetition_penalty(const torch::Tensor& scores, const torch::Tensor& seen, double penalty);

// TemperatureLogitsWarper: scores / temperature (> 0). [1, V] -> [1, V]
torch::Tensor apply_temperature(const torch::Tensor& scores, double temperature);

// TopKLogitsWarper: removes scores below the k-th highest (so ties with it stay), k raised to
// `min_keep` and capped at V. [1, V] -> [1, V]
torch::Tensor apply_top_k(const torch::Tensor& scores, int64_t top_k, int64_t min_keep = 1);

// TopPLogitsWarper: sorted ascending, removes the tokens whose cumulative probability is
// <= 1 - top_p, i.e. keeps the fewest most likely tokens whose mass reaches top_p, and always the
// `min_keep` most likely. Ties sort stably (by id). [1, V] -> [1, V]
torch::Tensor apply_top_p(const torch::Tensor& scores, double top_p, int64_t min_keep = 1);

// MinPLogitsWarper: removes tokens whose probability is below min_p times the top probability,
// keeping the `min_keep` most likely. [1, V] -> [1, V]
torch::Tensor apply_min_p(const torch::Tensor& scores, double min_p, int64_t min_keep = 1);

// The processors of one generation, with the sequence so far (for the repetition penalty) and
// the seeded generator.
class TokenSampler {
 public:
  // prompt_ids: [1, T] int64 on the model's device; the repetition penalty counts them, as
  // transformers does for decoder-only models (image placeholder tokens included). Throws
  // vltune::Error as validate() does.
  TokenSampler(const GenerationParams& params, torch::Tensor prompt_ids);

  // The processors `params` asks for, on logits [1, V] (any float dtype) -> scores [1, V] float32.
  torch::Tensor process(const torch::Tensor& logits);

  // The next token from logits [1, V]: argmax of process() (greedy), or a seeded draw from its
  // softmax; remembered for the repetition penalty. -> [1, 1] int64 on the logits' device, with
  // no host sync (the caller reads it).
  torch::Tensor next(const torch::Tensor& logits);

 private:
  GenerationParams m_params;
  torch::Tensor m_prompt_ids;  // [1, T]
  torch::Tensor m_seen;        // [V] bool, made on the first call once V is known (repetition penalty only)
  std::mt19937_64 m_rng;
};

}  // namespace vltune::gen
