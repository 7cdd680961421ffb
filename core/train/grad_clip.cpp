#include "core/train/grad_clip.h"

#include <c10/core/GradMode.h>
#include <ATen/ATen.h>

namespace vltune::train {

namespace {

std::vector<at::Tensor> defined_grads(const std::vector<at::Tensor>& params) {
  std::vector<at::Tensor> grads;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  return grads;
}

// [] float32 on the first gradient's device: the norm of the per-tensor norms, like
// clip_grad_norm_'s foreach path. Nothing here waits for the device: on a GPU the hundreds of
// per-tensor norms are one multi-tensor launch, not one copy to the host each.
at::Tensor norm_tensor(const std::vector<at::Tensor>& grads) {
  if (grads.empty()) return {};
  const at::Device device = grads.front().device();
  std::vector<at::Tensor> norms = at::_foreach_norm(grads, 2);
  for (auto& n : norms) n = n.to(device, at::kFloat);
  return at::linalg_vector_norm(at::stack(norms), 2);
}

}  // namespace

at::Tensor total_grad_norm_tensor(const std::vector<at::Tensor>& params) {
  c10::NoGradGuard no_grad;
  return norm_tensor(defined_grads(params));
}

at::Tensor clip_grad_norm_tensor(const std::vector<at::Tensor>& params, double max_norm) {
  c10::NoGradGuard no_grad;
  const std::vector<at::Tensor> grads = defined_grads(params);
  const at::Tensor total = norm_tensor(grads);
  if (!total.defined()) return total;
  const at::Tensor coef = at::clamp(max_norm / (total + 1e-6), c10::nullopt, 1.0);  // [] float32, on the device
  for (const auto& g : grads) g.mul_(g.device() == coef.device() ? coef : coef.to(g.device()));
  return total;
}

double norm_value(const at::Tensor& norm) { return norm.defined() ? norm.item<double>() : 0.0; }

}  // namespace vltune::train
