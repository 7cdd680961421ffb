#include "core/train/grad_clip.h"

#include <c10/core/GradMode.h>
#include <ATen/ATen.h>

namespace vltune::train {

namespace {

// [] float32: the norm of the per-tensor norms, like clip_grad_norm_'s stack-then-norm.
at::Tensor norm_tensor(const std::vector<at::Tensor>& params) {
  std::vector<at::Tensor> norms;
  for (const auto& p : params)
    if (p.grad().defined()) norms.push_back(at::linalg_vector_norm(p.grad(), 2).to(at::kFloat).cpu());
  if (norms.empty()) return {};
  return at::linalg_vector_norm(at::stack(norms), 2);
}

}  // namespace

double total_grad_norm(const std::vector<at::Tensor>& params) {
  c10::NoGradGuard no_grad;
  const at::Tensor total = norm_tensor(params);
  return total.defined() ? total.item<double>() : 0.0;
}

double clip_grad_norm(const std::vector<at::Tensor>& params, double max_norm) {
  c10::NoGradGuard no_grad;
  const at::Tensor total = norm_tensor(params);
  if (!total.defined()) return 0.0;
  const at::Tensor coef = at::clamp(max_norm / (total + 1e-6), c10::nullopt, 1.0);  // [] float32
  for (const auto& p : params)
    if (p.grad().defined()) p.grad().mul_(coef.to(p.grad().device()));
  return total.item<double>();
}

}  // namespace vltune::train
