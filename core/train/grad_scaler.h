#pragma once
// Dynamic loss scaling for fp16 training (torch.cuda.amp.GradScaler's defaults): the loss is
// multiplied by the scale before backward so small fp16 gradients do not flush to zero; before
// clipping and the optimizer step the gradients are unscaled, and a step whose gradients hold an
// inf or NaN is skipped while the scale halves. After growth_interval good steps in a row the
// scale doubles. bf16 and fp32 need none of this (same exponent range as float32).

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

namespace vltune::train {

struct GradScalerParams {
  double init_scale = 65536.0;     // 2^16
  double growth_factor = 2.0;      // after growth_interval finite steps
  double backoff_factor = 0.5;     // after a step with inf/NaN gradients
  int64_t growth_interval = 2000;  // finite steps in a row before growing
};

class GradScaler {
 public:
  explicit GradScaler(GradScalerParams params = {});

  double scale() const { return m_scale; }
  int64_t growth_tracker() const { return m_growth_tracker; }
  // Divides every defined gradient by the scale (multiplies by 1/scale in float32, as torch
  // does) and returns whether any of them holds an inf or a NaN.
  bool unscale(const std::vector<at::Tensor>& params) const;
  // After a step: found_inf halves the scale and restarts the count, else the count grows.
  void update(bool found_inf);
  // For checkpoints.
  void restore(double scale, int64_t growth_tracker);

 private:
  GradScalerParams m_params;
  double m_scale;
  int64_t m_growth_tracker = 0;
};

}  // namespace vltune::train
