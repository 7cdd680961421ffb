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

// The same two, the norm left on the gradients' device: [] float32, undefined when no parameter
// has a gradient. Nothing waits for the device; read the norm once the optimizer step is queued,
// so the host is not idle while the card finishes the backward pass.
at::Tensor total_grad_norm_tensor(const std::vector<at::Tensor>& params);
at::Tensor clip_grad_norm_tensor(const std::vector<at::Tensor>& params, double max_norm);

// A norm tensor from those read back (0 when undefined).
double norm_value(const at::Tensor& norm);

}  // namespace vltune::train
