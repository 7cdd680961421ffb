#include "core/models/greedy.h"

#include <algorithm>
#include <string>

#include "core/error.h"

namespace vltune::models {

Prefill sequential_prefill(TextDecoder& decoder, const torch::Tensor& embeds, const torch::Tensor& positions,
                           const torch::Tensor& attention_mask, KvCache& cache) {
  torch::NoGradGuard no_grad;
  if (embeds.size(0) != 1) throw Error("generation takes one sequence, got a batch of " + std::to_string(embeds.size(0)));
  Prefill out;
  out.mask = attention_mask.defined() ? attention_mask : torch::ones({1, embeds.size(1)}, positions.options());
  out.hidden = decoder(embeds, positions, out.mask, &cache);  // [1, T, hidden]
  out.next_position = embeds.size(1);
  return out;
}

DecodeStep sequential_decode_step(TextDecoder decoder, lora::LoraLinear lm_head) {
  DecodeStep step;
  step.step = [decoder](const torch::Tensor& token, const torch::Tensor& position, const torch::Tensor& m, KvCache& c) mutable {
    // -> [1, 1, hidden]
    return decoder->forward(decoder->embed_tokens(token), position, m, &c);
  };
  step.head = [lm_head](const torch::Tensor& hidden) mutable { return lm_head->forward(hidden); };
  return step;
}

torch::Tensor generate_greedy(const torch::Tensor& prompt_ids, const std::function<Prefill(KvCache&)>& prefill,
                              const DecodeStep& step, int64_t max_new_tokens, const std::vector<int64_t>& eos_ids) {
  torch::NoGradGuard no_grad;
  KvCache cache;
  cache.reserve(prompt_ids.size(1) + max_new_tokens);
  const Prefill start = prefill(cache);
  return greedy_decode(prompt_ids, start, cache, step, max_new_tokens, eos_ids);
}

torch::Tensor greedy_decode(const torch::Tensor& prompt_ids, const Prefill& prefill, KvCache& cache, const DecodeStep& model,
                            int64_t max_new_tokens, const std::vector<int64_t>& eos_ids) {
  torch::NoGradGuard no_grad;
  auto h = prefill.hidden;
  auto mask = prefill.mask;
  int64_t next_position = prefill.next_position;
  std::vector<torch::Tensor> pieces{prompt_ids};
  for (int64_t step = 0; step < max_new_tokens; ++step) {
    auto token = model.head(h.narrow(1, h.size(1) - 1, 1)).argmax(-1);  // [1, 1]
    pieces.push_back(token);
    const int64_t id = token.item<int64_t>();
    if (std::find(eos_ids.begin(), eos_ids.end(), id) != eos_ids.end() || step + 1 == max_new_tokens) break;
    mask = torch::cat({mask, torch::ones({1, 1}, mask.options())}, 1);
    h = model.step(token, torch::full({1, 1}, next_position++, token.options()), mask, cache);
  }
  return torch::cat(pieces, 1);
}

}  // namespace vltune::models
