#pragma once
// Keys and values of past tokens, per decoder layer, for generation.
//
// With a capacity (reserve() before the prefill: prompt + max_new_tokens), each layer's buffer is
// allocated once and every step writes its token in place, as transformers' StaticCache does:
// concatenating would copy the whole past every step, which is what bounds long answers. Without
// one it grows as needed (doubling), so a caller that doesn't know the length still works.

#include <cstdint>
#include <utility>
#include <vector>

#include <torch/torch.h>

namespace vltune::models {

class KvCache {
 public:
  // Tokens each layer's buffer holds before it must grow (0: sized by the first append).
  void reserve(int64_t tokens) { m_capacity = tokens; }
  int64_t capacity() const { return m_capacity; }

  // Tokens already cached (those of layer 0).
  int64_t length() const { return m_lengths.empty() ? 0 : m_lengths[0]; }

  // Writes this step's k/v for `layer` after the past ones and returns the past and present.
  // k, v: [B, kv_heads, T_new, D] -> ([B, kv_heads, T_past + T_new, D], same): views of the buffers.
  std::pair<torch::Tensor, torch::Tensor> append(size_t layer, const torch::Tensor& k, const torch::Tensor& v);

  // Layer `layer`'s cached keys / values: [B, kv_heads, T_past, D].
  torch::Tensor keys(size_t layer) const;
  torch::Tensor values(size_t layer) const;

  // Forgets every token (the buffers stay allocated for the next prompt).
  void clear();

 private:
  int64_t m_capacity = 0;
  std::vector<torch::Tensor> m_keys;    // per layer: [B, kv_heads, capacity, D]
  std::vector<torch::Tensor> m_values;  // per layer: [B, kv_heads, capacity, D]
  std::vector<int64_t> m_lengths;       // per layer: tokens written
};

}  // namespace vltune::models
