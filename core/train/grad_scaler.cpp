#include "core/train/grad_scaler.h"

#include <c10/core/GradMode.h>
#include <ATen/ATen.h>

namespace vltune::train {

GradScaler::GradScaler(GradScalerParams params) : m_params(params), m_scale(params.init_scale) {}

bool GradScaler::unscale(const std::vector<at::Tensor>& params) const {
  c10::NoGradGuard no_grad;
  std::vector<at::Tensor> grads;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return false;
  if (grads.front().is_cuda()) {
    // torch's GradScaler's own kernel: every gradient unscaled and checked in a few launches (the
    // loop below costs about five per gradient, and a LoRA step has hundreds).
    at::Tensor found_inf = at::zeros({1}, grads.front().options().dtype(at::kFloat));
    const at::Tensor inv_scale = at::full({1}, 1.0 / m_scale, found_inf.options());
    at::_amp_foreach_non_finite_check_and_unscale_(grads, found_inf, inv_scale);
    return found_inf.item<float>() != 0.0f;
  }
  at::_foreach_mul_(grads, static_cast<float>(1.0 / m_scale));
  // Whether any gradient holds an inf or a NaN, gathered on the device: one wait for it in all,
  // not one per gradient.
  at::Tensor found_inf = at::zeros({}, grads.front().options().dtype(at::kBool));
  for (const auto& g : grads) found_inf.logical_or_(at::isfinite(g).all().logical_not().to(found_inf.device()));
  return found_inf.item<bool>();
}

void GradScaler::update(bool found_inf) {
  if (found_inf) {
    m_scale *= m_params.backoff_factor;
    m_growth_tracker = 0;
    return;
  }
  if (++m_growth_tracker == m_params.growth_interval) {
    m_scale *= m_params.growth_factor;
    m_growth_tracker = 0;
  }
}

void GradScaler::restore(double scale, int64_t growth_tracker) {
  m_scale = scale;
  m_growth_tracker = growth_tracker;
}

}  // namespace vltune::train
