#include "core/train/grad_scaler.h"

#include <c10/core/GradMode.h>
#include <ATen/ATen.h>

namespace vltune::train {

GradScaler::GradScaler(GradScalerParams params) : m_params(params), m_scale(params.init_scale) {}

bool GradScaler::unscale(const std::vector<at::Tensor>& params) const {
  c10::NoGradGuard no_grad;
  const auto inv_scale = static_cast<float>(1.0 / m_scale);
  bool found_inf = false;
  for (const auto& p : params) {
    if (!p.grad().defined()) continue;
    p.grad().mul_(inv_scale);
    if (!found_inf && !at::isfinite(p.grad()).all().item<bool>()) found_inf = true;
  }
  return found_inf;
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
