#pragma once
// Decoding one sequence with a KV cache, shared by every VLM family. A family splits generation
// in two: prefill() runs the prompt (images included) and leaves a Prefill; decode_step() gives
// the step that runs one new token after it. greedy_decode() is the plain greedy loop over them
// (the families' generate_greedy); gen::generate (core/gen/generator.h) is the full one.

#include <functional>
#include <vector>

#include <torch/torch.h>

#include "core/lora/lora_linear.h"
#include "core/models/kv_cache.h"
#include "core/models/text_decoder.h"

namespace vltune::models {

// What a prompt's prefill leaves for decoding (its keys/values are in the cache).
struct Prefill {
  torch::Tensor hidden;       // [1, T, hidden]: the prompt's last hidden states
  torch::Tensor mask;         // [1, T]: the prompt's attention mask (ones without padding)
  int64_t next_position = 0;  // rotary position of the first new token (Qwen: past the images' largest)
};

// One new token through a family's decoder, and the head that scores the next one.
struct DecodeStep {
  // token: [1, 1], position: [1, 1] int64, its rotary position, mask: [1, T_past + 1] (a static
  // cache: [1, capacity]), all on the model's device -> hidden [1, 1, hidden]. No host reads, so a
  // static cache's step can be captured in a CUDA graph.
  std::function<torch::Tensor(const torch::Tensor& token, const torch::Tensor& position, const torch::Tensor& mask, KvCache& cache)>
      step;
  // hidden [1, 1, hidden] -> logits [1, 1, vocab]
  std::function<torch::Tensor(const torch::Tensor& hidden)> head;
};

// The prefill of a family whose positions are one axis (LLaVA, Idefics3): `embeds` [1, T, hidden]
// (images merged in) at `positions` [1, T] through `decoder`, into `cache`. attention_mask: [1, T]
// or undefined (no padding). Runs without autograd.
Prefill sequential_prefill(TextDecoder& decoder, const torch::Tensor& embeds, const torch::Tensor& positions,
                           const torch::Tensor& attention_mask, KvCache& cache);
// Its step: a token's embedding at its position through `decoder`, scored by `lm_head`. The step
// holds both modules.
DecodeStep sequential_decode_step(TextDecoder decoder, lora::LoraLinear lm_head);

// Greedy generation from a family's prefill and step, with a cache sized for the answer.
// -> [1, T + new]
torch::Tensor generate_greedy(const torch::Tensor& prompt_ids, const std::function<Prefill(KvCache&)>& prefill,
                              const DecodeStep& step, int64_t max_new_tokens, const std::vector<int64_t>& eos_ids);

// prompt_ids: [1, T]; `prefill` of that prompt (its keys/values in `cache`). Stops after any of
// `eos_ids` or `max_new_tokens`. -> [1, T + new]
torch::Tensor greedy_decode(const torch::Tensor& prompt_ids, const Prefill& prefill, KvCache& cache, const DecodeStep& model,
                            int64_t max_new_tokens, const std::vector<int64_t>& eos_ids);

}  // namespace vltune::models
