#include "core/models/greedy.h"

#include <algorithm>

namespace vltune::models {

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
    h = model.step(token, next_position++, mask, cache);
  }
  return torch::cat(pieces, 1);
}

}  // namespace vltune::models
