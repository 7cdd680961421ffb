#pragma once
// Keys and values of past tokens, per decoder layer, for generation.
//
// With a capacity (reserve() before the prefill: prompt + max_new_tokens), each layer's buffer is
// allocated once and every step writes its token in place, as transformers' StaticCache does:
// concatenating would copy the whole past every step, which is what bounds long answers. Without
// one it grows as needed (doubling), so a caller that doesn't know the length still works.
//
// Static shapes (begin_static(), after the prefill): every later append writes its token at a
// position held in a device tensor and hands back the whole capacity, so a decode step has the
// same shapes and the same addresses every token: what a CUDA graph needs to be replayed. The
// caller's attention mask hides the slots not written yet.

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

  // Tokens already cached (those of layer 0); once static, those written before begin_static().
  int64_t length() const { return m_lengths.empty() ? 0 : m_lengths[0]; }

  // Key positions attention spans once `added` new tokens are appended: the cached ones and
  // them, or the whole capacity once static.
  int64_t attended(int64_t added) const { return m_slot.defined() ? m_capacity : length() + added; }

  // From now on append() takes one token at a time, writes it at `slot` (int64 [1] on the cache's
  // device, advanced by the caller) and returns the whole buffers [B, kv_heads, capacity, D].
  // Needs reserve() and the prefill's appends first (every layer's buffer exactly the capacity);
  // zeroes the slots not written yet, which are masked but must not hold NaN (0 * NaN is NaN).
  void begin_static(torch::Tensor slot);
  bool is_static() const { return m_slot.defined(); }

  // Writes this step's k/v for `layer` after the past ones and returns the past and present.
  // k, v: [B, kv_heads, T_new, D] -> ([B, kv_heads, T_past + T_new, D], same): views of the buffers.
  std::pair<torch::Tensor, torch::Tensor> append(size_t layer, const torch::Tensor& k, const torch::Tensor& v);

  // Layer `layer`'s cached keys / values: [B, kv_heads, T_past, D].
  torch::Tensor keys(size_t layer) const;
  torch::Tensor values(size_t layer) const;

  // Forgets every token and leaves static mode (the buffers stay allocated for the next prompt).
  void clear();

 private:
  int64_t m_capacity = 0;
  std::vector<torch::Tensor> m_keys;    // per layer: [B, kv_heads, capacity, D]
  std::vector<torch::Tensor> m_values;  // per layer: [B, kv_heads, capacity, D]
  std::vector<int64_t> m_lengths;       // per layer: tokens written (before begin_static())
  torch::Tensor m_slot;                 // int64 [1]: where a static append writes (undefined: not static)
};

}  // namespace vltune::models
