#pragma once
// Keys and values of past tokens, per decoder layer, for generation.

#include <vector>

#include <torch/torch.h>

namespace vltune::models {

struct KvCache {
  std::vector<torch::Tensor> keys;    // per layer: [B, kv_heads, T_past, D]
  std::vector<torch::Tensor> values;  // per layer: [B, kv_heads, T_past, D]

  // Tokens already cached.
  int64_t length() const { return keys.empty() || !keys[0].defined() ? 0 : keys[0].size(2); }
  // Appends this step's k/v for `layer` and returns the full ones.
  std::pair<torch::Tensor, torch::Tensor> append(size_t layer, const torch::Tensor& k, const torch::Tensor& v) {
    if (keys.size() <= layer) {
      keys.resize(layer + 1);
      values.resize(layer + 1);
    }
    keys[layer] = keys[layer].defined() ? torch::cat({keys[layer], k}, /*dim=*/2) : k;
    values[layer] = values[layer].defined() ? torch::cat({values[layer], v}, /*dim=*/2) : v;
    return {keys[layer], values[layer]};
  }
};

}  // namespace vltune::models
