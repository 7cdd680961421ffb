#include "core/train/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace vltune::train {

std::optional<SchedulerType> scheduler_type_from_name(std::string_view name) {
  if (name == "linear") return SchedulerType::linear;
  if (name == "cosine") return SchedulerType::cosine;
  if (name == "constant") return SchedulerType::constant;
  if (name == "constant_with_warmup") return SchedulerType::constant_with_warmup;
  return std::nullopt;
}

const char* scheduler_type_name(SchedulerType type) {
  switch (type) {
    case SchedulerType::linear: return "linear";
    case SchedulerType::cosine: return "cosine";
    case SchedulerType::constant: return "constant";
    case SchedulerType::constant_with_warmup: return "constant_with_warmup";
  }
  return "?";
}

// Each branch is transformers' lambda (optimization.py), with Python's float arithmetic in double.
double lr_factor(const Schedule& s, int64_t step) {
  const auto current = static_cast<double>(step);
  const auto warmup = static_cast<double>(s.warmup_steps);
  switch (s.type) {
    case SchedulerType::constant:
      return 1.0;
    case SchedulerType::constant_with_warmup:
      if (step < s.warmup_steps) return current / std::max(1.0, warmup);
      return 1.0;
    case SchedulerType::linear:
      if (step < s.warmup_steps) return current / static_cast<double>(std::max<int64_t>(1, s.warmup_steps));
      return std::max(0.0, static_cast<double>(s.training_steps - step) /
                               static_cast<double>(std::max<int64_t>(1, s.training_steps - s.warmup_steps)));
    case SchedulerType::cosine: {
      if (step < s.warmup_steps) return current / static_cast<double>(std::max<int64_t>(1, s.warmup_steps));
      const double progress = static_cast<double>(step - s.warmup_steps) /
                              static_cast<double>(std::max<int64_t>(1, s.training_steps - s.warmup_steps));
      return std::max(0.0, 0.5 * (1.0 + std::cos(std::numbers::pi * s.num_cycles * 2.0 * progress)));
    }
  }
  return 1.0;
}

int64_t warmup_steps_for(int64_t training_steps, int64_t warmup_steps, double warmup_ratio) {
  if (warmup_steps > 0) return warmup_steps;
  return static_cast<int64_t>(std::ceil(static_cast<double>(training_steps) * warmup_ratio));
}

}  // namespace vltune::train
