#pragma once
// Learning-rate schedules as transformers' get_scheduler builds them: a multiplier of each group's
// base learning rate, a pure function of the scheduler's step count. Like torch's LambdaLR with
// scheduler.step() after optimizer.step(), optimizer step k (0-based) uses lr_factor(schedule, k):
// the first step of a warmup runs at learning rate 0.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vltune::train {

enum class SchedulerType { linear, cosine, constant, constant_with_warmup };

// "cosine" -> cosine; nullopt for a name transformers does not define here.
std::optional<SchedulerType> scheduler_type_from_name(std::string_view name);
const char* scheduler_type_name(SchedulerType type);

struct Schedule {
  SchedulerType type = SchedulerType::linear;  // the curve
  int64_t warmup_steps = 0;                     // linear rise from 0 over these steps (constant: ignored, as in transformers)
  int64_t training_steps = 1;                   // steps the schedule spans (linear and cosine reach 0 here)
  double num_cycles = 0.5;                      // cosine: half a cosine wave from 1 to 0
};

// The multiplier at scheduler step `step` (0-based).
double lr_factor(const Schedule& schedule, int64_t step);

// transformers' TrainingArguments.get_warmup_steps: warmup_steps when > 0, else
// ceil(training_steps * warmup_ratio).
int64_t warmup_steps_for(int64_t training_steps, int64_t warmup_steps, double warmup_ratio);

}  // namespace vltune::train
