#pragma once
// Gradient-norm clipping as torch.nn.utils.clip_grad_norm_: the total L2 norm over every
// gradient (the norm of the per-tensor norms), and every gradient scaled by
// min(1, max_norm / (total + 1e-6)). transformers logs the norm before clipping as grad_norm.

#include <vector>

#include <ATen/core/Tensor.h>

namespace vltune::train {

// The total L2 norm of the defined gradients of `params` (0 when none has one).
double total_grad_norm(const std::vector<at::Tensor>& params);

// Clips to `max_norm` (> 0) and returns the total norm before clipping. A non-finite norm scales
// the gradients to non-finite values, as torch does without error_if_nonfinite.
double clip_grad_norm(const std::vector<at::Tensor>& params, double max_norm);

}  // namespace vltune::train
