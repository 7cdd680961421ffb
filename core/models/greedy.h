#pragma once
// Greedy decoding with a KV cache, one sequence, shared by every VLM family: the family gives
// the prompt's last hidden states (prefill) and a step that runs one new token through the
// decoder at a given position.

#include <functional>
#include <vector>

#include <torch/torch.h>

#include "core/models/kv_cache.h"

namespace vltune::models {

struct GreedyStep {
  // token: [1, 1], position: its rotary position, mask: [1, T_past + 1] -> hidden [1, 1, hidden]
  std::function<torch::Tensor(const torch::Tensor& token, int64_t position, const torch::Tensor& mask, KvCache& cache)> step;
  // hidden [1, 1, hidden] -> logits [1, 1, vocab]
  std::function<torch::Tensor(const torch::Tensor& hidden)> head;
};

// prompt_ids: [1, T]; prefill_hidden: [1, T, hidden] from the prompt (its keys/values in `cache`);
// next_position: the rotary position of the first new token. Stops after any of `eos_ids` or
// `max_new_tokens`. -> [1, T + new]
torch::Tensor greedy_decode(const torch::Tensor& prompt_ids, torch::Tensor mask, const torch::Tensor& prefill_hidden,
                            int64_t next_position, KvCache& cache, const GreedyStep& model, int64_t max_new_tokens,
                            const std::vector<int64_t>& eos_ids);

}  // namespace vltune::models
