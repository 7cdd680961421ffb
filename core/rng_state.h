#pragma once
// Torch's default random generators, captured and restored: what dropout draws from. A checkpoint
// saves them so a resumed run draws the same masks; gradient checkpointing replays them so the
// recomputed forward drops the same units.

#include <vector>

#include <ATen/core/Tensor.h>

namespace vltune {

struct RngState {
  at::Tensor cpu;                // the CPU generator's state (uint8)
  std::vector<at::Tensor> cuda;  // each CUDA device's generator state, by device index (empty without CUDA)
};

// The default generators' states now (CPU, and every CUDA device when CUDA is available).
RngState capture_rng_state();
// Puts the generators back to `state`. Throws vltune::Error when it holds CUDA states for more
// devices than are visible.
void restore_rng_state(const RngState& state);

}  // namespace vltune
