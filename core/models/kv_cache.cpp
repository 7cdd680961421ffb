#include "core/models/kv_cache.h"

#include <algorithm>
#include <string>

#include "core/error.h"
#include "core/kernels/fused_ops.h"

namespace vltune::models {

namespace {

// A buffer of `capacity` tokens holding the first `used` of `old` (undefined: none yet).
torch::Tensor grown(const torch::Tensor& old, int64_t used, const torch::Tensor& like, int64_t capacity) {
  auto buffer = torch::empty({like.size(0), like.size(1), capacity, like.size(3)}, like.options());
  if (used > 0) buffer.narrow(2, 0, used).copy_(old.narrow(2, 0, used));
  return buffer;
}

}  // namespace

std::pair<torch::Tensor, torch::Tensor> KvCache::append(size_t layer, const torch::Tensor& k, const torch::Tensor& v) {
  if (m_slot.defined()) {
    // Static: one token written at the device-side slot; nothing here depends on a host value.
    if (layer >= m_keys.size() || k.size(2) != 1)
      throw Error("static KV cache: layer " + std::to_string(layer) + " of " + std::to_string(m_keys.size()) +
                  " given " + std::to_string(k.size(2)) + " tokens (one at a time)");
    if (kernels::fused_applies(k, m_keys[layer]) && kernels::fused_applies(v, m_values[layer]) &&
        kernels::cache_write_fits(m_keys[layer], m_values[layer], m_slot, k, v)) {
      kernels::fused_cache_write(m_keys[layer], m_values[layer], m_slot, k, v);  // one kernel, not two
    } else {
      m_keys[layer].index_copy_(2, m_slot, k);
      m_values[layer].index_copy_(2, m_slot, v);
    }
    return {m_keys[layer], m_values[layer]};
  }
  if (m_keys.size() <= layer) {
    m_keys.resize(layer + 1);
    m_values.resize(layer + 1);
    m_lengths.resize(layer + 1, 0);
  }
  const int64_t used = m_lengths[layer], added = k.size(2), needed = used + added;
  auto& keys = m_keys[layer];
  auto& values = m_values[layer];
  const int64_t held = keys.defined() ? keys.size(2) : 0;
  if (needed > held) {
    // Growth by doubling keeps a capacity-less cache at amortised O(1) copies per token.
    const int64_t capacity = std::max({needed, m_capacity, 2 * held});
    keys = grown(keys, used, k, capacity);
    values = grown(values, used, v, capacity);
  }
  keys.narrow(2, used, added).copy_(k);
  values.narrow(2, used, added).copy_(v);
  m_lengths[layer] = needed;
  return {keys.narrow(2, 0, needed), values.narrow(2, 0, needed)};
}

torch::Tensor KvCache::keys(size_t layer) const { return m_keys.at(layer).narrow(2, 0, m_lengths.at(layer)); }

torch::Tensor KvCache::values(size_t layer) const { return m_values.at(layer).narrow(2, 0, m_lengths.at(layer)); }

void KvCache::begin_static(torch::Tensor slot) {
  if (m_keys.empty()) throw Error("static KV cache: nothing cached yet (run the prompt first)");
  for (size_t i = 0; i < m_keys.size(); ++i) {
    if (m_keys[i].size(2) != m_capacity)
      throw Error("static KV cache: layer " + std::to_string(i) + " holds " + std::to_string(m_keys[i].size(2)) +
                  " positions, the reserved capacity is " + std::to_string(m_capacity));
    const int64_t used = m_lengths[i];
    m_keys[i].narrow(2, used, m_capacity - used).zero_();
    m_values[i].narrow(2, used, m_capacity - used).zero_();
  }
  m_slot = std::move(slot);
}

void KvCache::clear() {
  std::fill(m_lengths.begin(), m_lengths.end(), 0);
  m_slot = torch::Tensor();
}

}  // namespace vltune::models
