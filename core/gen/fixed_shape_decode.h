#pragma once
// The decode step with fixed shapes, and on CUDA captured once in a CUDA graph and replayed.
//
// A token's step is a few hundred small kernels. Launched one by one from the host, they take
// about 12 ms per token on any card, far above what reading the weights takes: the step is bound
// by launches, not by the GPU. With the cache in static mode (KvCache::begin_static) and every
// input in a fixed device buffer (the token, its cache slot, its rotary position, the attention
// mask over the whole capacity), the step has the same shapes and addresses each token, so it is
// recorded once and replayed with one launch, as transformers' static cache + torch.compile
// ("reduce-overhead") does, without the compile wait. The step advances its slot, position and
// mask itself, on the device.
//
//   FixedShapeDecode fixed(step, cache, prefill.mask, prefill.next_position, /*cuda_graph=*/true);
//   auto logits = fixed.next(token);  // [1, V], valid until the next call

#include <cstdint>
#include <memory>

#include <torch/torch.h>

#include "core/models/greedy.h"
#include "core/models/kv_cache.h"

namespace vltune::gen {

class FixedShapeDecode {
 public:
  // `cache` holds the prompt's keys/values, reserve()d for the prompt and every new token; it is
  // switched to static mode and must outlive this. prompt_mask: [1, T] 0/1; first_position: the
  // rotary position of the first new token. With `cuda_graph` on a CUDA device, the second step
  // is captured and every later one replayed (the first runs plainly, which warms up the
  // libraries and the allocator); should the capture fail, the steps run plainly, with a warning.
  FixedShapeDecode(models::DecodeStep step, models::KvCache& cache, const torch::Tensor& prompt_mask, int64_t first_position,
                   bool cuda_graph);
  ~FixedShapeDecode();
  FixedShapeDecode(const FixedShapeDecode&) = delete;
  FixedShapeDecode& operator=(const FixedShapeDecode&) = delete;

  // token: [1, 1] int64 on the device, the last one chosen -> logits [1, V] for the next, in a
  // buffer the next call overwrites. Throws vltune::Error once the cache is full. On CUDA the step
  // is only launched: the logits are ready for work queued after it, and `token` is copied to the
  // host on the way (token_id), so the host can read it while the device runs the step.
  torch::Tensor next(const torch::Tensor& token);

  // The id of the token the last next() took, waiting for its copy to the host only, not for the
  // step launched after it.
  int64_t token_id();

  // Whether the steps replay a CUDA graph (after the second step).
  bool graphed() const;

 private:
  struct Graph;
  struct HostToken;
  torch::Tensor run();  // one step on the fixed buffers -> logits [1, V]

  models::DecodeStep m_step;
  models::KvCache& m_cache;
  torch::Tensor m_token;     // int64 [1, 1]: the input token
  torch::Tensor m_slot;      // int64 [1]: the cache slot it is written to
  torch::Tensor m_position;  // int64 [1, 1]: its rotary position
  torch::Tensor m_mask;      // [1, capacity]: 1 where a written slot may be attended
  int64_t m_room = 0;        // slots after the prompt: the most steps the cache holds
  int64_t m_steps = 0;       // steps run
  std::unique_ptr<Graph> m_graph;
  std::unique_ptr<HostToken> m_host_token;  // CUDA: the token's copy in pinned memory
  int64_t m_token_id = -1;                  // the CPU: the last token's id
};

// Whether "automatic" decoding should use CUDA graphs: not when VLTUNE_CUDA_GRAPHS=0 (a way out,
// should a driver or a model misbehave under graphs) or set_switch(Switch::cuda_graphs, false).
bool cuda_graphs_allowed();

}  // namespace vltune::gen
