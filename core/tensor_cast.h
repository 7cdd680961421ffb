#pragma once
// A cast that dispatches nothing when the tensor already has the dtype: the LoRA layers call it
// for every adapter product of every step, and on a GPU the host's work bounds a small step.

#include <torch/torch.h>

namespace vltune {

// `t` in `dtype`: `t` itself when it already is, else a converted copy (autograd sees the cast).
inline torch::Tensor cast(const torch::Tensor& t, torch::ScalarType dtype) {
  return t.scalar_type() == dtype ? t : t.to(dtype);
}

}  // namespace vltune
