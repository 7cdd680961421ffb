#include "core/train/run_state.h"

#include "core/error.h"

namespace vltune::train {

namespace {

template <typename T>
void read(T& field, const io::Json& j, const char* key, const std::string& where) {
  field = io::get_required<T>(j, key, where);
}

io::Json optional_json(const auto& value) { return value ? io::Json(*value) : io::Json(nullptr); }

}  // namespace

io::Json run_state_to_json(const RunState& s) {
  io::Json j;
  j["global_step"] = s.global_step;
  j["epoch"] = s.epoch;
  j["position"] = {{"epoch", s.position.epoch}, {"batch", s.position.batch}};
  j["loader_seed"] = s.loader_seed;
  j["batches_per_epoch"] = s.batches_per_epoch;
  j["gradient_accumulation_steps"] = s.gradient_accumulation_steps;
  j["schedule_start"] = s.schedule_start;
  j["schedule_position"] = s.schedule_position;
  j["loss_since_log"] = s.loss_since_log;
  j["steps_since_log"] = s.steps_since_log;
  j["total_loss"] = s.total_loss;
  j["total_tokens"] = s.total_tokens;
  j["total_samples"] = s.total_samples;
  j["elapsed_seconds"] = s.elapsed_seconds;
  j["best_metric"] = optional_json(s.early_stopping.best);
  j["best_global_step"] = optional_json(s.early_stopping.best_step);
  j["bad_evaluations"] = s.early_stopping.bad_evaluations;
  j["loss_scale"] = s.loss_scale;
  j["scale_growth_tracker"] = s.scale_growth_tracker;
  j["log_history"] = s.log_history;
  return j;
}

RunState run_state_from_json(const io::Json& j, const std::string& where) {
  RunState s;
  read(s.global_step, j, "global_step", where);
  read(s.epoch, j, "epoch", where);
  if (!j.contains("position") || !j["position"].is_object()) io::throw_missing_key("position", where);
  read(s.position.epoch, j["position"], "epoch", where + ": position");
  read(s.position.batch, j["position"], "batch", where + ": position");
  if (!j.contains("loader_seed") || !j["loader_seed"].is_number_unsigned()) io::throw_missing_key("loader_seed", where);
  s.loader_seed = j["loader_seed"].get<uint64_t>();
  read(s.batches_per_epoch, j, "batches_per_epoch", where);
  read(s.gradient_accumulation_steps, j, "gradient_accumulation_steps", where);
  read(s.schedule_start, j, "schedule_start", where);
  read(s.schedule_position, j, "schedule_position", where);
  read(s.loss_since_log, j, "loss_since_log", where);
  read(s.steps_since_log, j, "steps_since_log", where);
  read(s.total_loss, j, "total_loss", where);
  read(s.total_tokens, j, "total_tokens", where);
  read(s.total_samples, j, "total_samples", where);
  read(s.elapsed_seconds, j, "elapsed_seconds", where);
  s.early_stopping.best = io::get_optional<double>(j, "best_metric", where);
  s.early_stopping.best_step = io::get_optional<int64_t>(j, "best_global_step", where);
  read(s.early_stopping.bad_evaluations, j, "bad_evaluations", where);
  read(s.loss_scale, j, "loss_scale", where);
  read(s.scale_growth_tracker, j, "scale_growth_tracker", where);
  if (!j.contains("log_history") || !j["log_history"].is_array()) io::throw_missing_key("log_history", where);
  s.log_history = j["log_history"];
  return s;
}

io::Json trainer_state_json(const RunState& s, const TrainerParams& p, int64_t max_steps, int64_t num_epochs,
                            const std::string& best_model_checkpoint) {
  io::Json j;
  j["best_global_step"] = optional_json(s.early_stopping.best_step);
  j["best_metric"] = optional_json(s.early_stopping.best);
  j["best_model_checkpoint"] = best_model_checkpoint.empty() ? io::Json(nullptr) : io::Json(best_model_checkpoint);
  j["epoch"] = s.epoch;
  j["eval_steps"] = p.eval_steps > 0 ? p.eval_steps : p.logging_steps;
  j["global_step"] = s.global_step;
  j["is_hyper_param_search"] = false;
  j["is_local_process_zero"] = true;
  j["is_world_process_zero"] = true;
  j["log_history"] = s.log_history;
  j["logging_steps"] = p.logging_steps;
  j["max_steps"] = max_steps;
  j["num_input_tokens_seen"] = s.total_tokens;
  j["num_train_epochs"] = num_epochs;
  j["save_steps"] = p.save_steps;
  j["train_batch_size"] = p.per_device_train_batch_size;
  j["trial_name"] = nullptr;
  j["trial_params"] = nullptr;
  return j;
}

}  // namespace vltune::train
