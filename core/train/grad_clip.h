#pragma once
// Gradient-norm clipping as torch.nn.utils.clip_grad_norm_: the total L2 norm over every
// gradient (the norm of the per-tensor norms), and every gradient scaled by
// min(1, max_norm / (total + 1e-6)). transformers logs the norm before clipping as grad_norm.

#include <vector>

#include <ATen/core/Tensor.h>

namespace vltune::train {

// Both return the norm on the gradients' device: [] float32, undefined when no parameter has a
// gradient. Nothing waits for the device; read the norm (norm_value) once the optimizer step is
// queued, so the host is not idle while the card finishes the backward pass.

// The total L2 norm of the defined gradients of `params`.
at::Tensor total_grad_norm_tensor(const std::vector<at::Tensor>& params);

// Clips to `max_norm` (> 0) and returns the total norm before clipping. A non-finite norm scales
// the gradients to non-finite values, as torch does without error_if_nonfinite.
at::Tensor clip_grad_norm_tensor(const std::vector<at::Tensor>& params, double max_norm);

// A norm from those, read back (0 when undefined: no gradient).
double norm_value(const at::Tensor& norm);

}  // namespace vltune::train
