#include "core/train/trainer.h"

#include <c10/core/GradMode.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <system_error>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Context.h>

#include "core/env_switch.h"
#include "core/error.h"
#include "core/io/json_file.h"
#include "core/log.h"
#include "core/rng_state.h"
#include "core/train/grad_accumulation.h"
#include "core/train/grad_clip.h"
#include "core/train/grad_scaler.h"
#include "core/train/loss_plot.h"
#include "core/train/lr_schedule.h"
#include "core/train/memory_usage.h"
#include "core/train/metric_keys.h"
#include "core/train/optimizer.h"
#include "core/train/out_of_memory.h"
#include "core/train/param_groups.h"
#include "core/train/run_state.h"
#include "core/train/train_checkpoint.h"

namespace fs = std::filesystem;

namespace vltune::train {

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kTrainerLog = "trainer_log.jsonl";

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

[[noreturn]] void bad_param(const std::string& key, const std::string& what) {
  throw Error("trainer: " + key + " " + what);
}

void validate(const TrainerParams& p) {
  if (!(p.learning_rate >= 0)) bad_param("learning_rate", "must be >= 0");
  if (!(p.weight_decay >= 0)) bad_param("weight_decay", "must be >= 0");
  if (!(p.adam_beta1 >= 0 && p.adam_beta1 < 1)) bad_param("adam_beta1", "must be in [0, 1)");
  if (!(p.adam_beta2 >= 0 && p.adam_beta2 < 1)) bad_param("adam_beta2", "must be in [0, 1)");
  if (!(p.adam_epsilon > 0)) bad_param("adam_epsilon", "must be > 0");
  if (!(p.loraplus_lr_ratio >= 0)) bad_param("loraplus_lr_ratio", "must be >= 0");
  if (p.max_steps <= 0 && !(p.num_train_epochs > 0)) bad_param("num_train_epochs", "must be > 0 when max_steps is not set");
  if (p.gradient_accumulation_steps < 1) bad_param("gradient_accumulation_steps", "must be >= 1");
  if (!scheduler_type_from_name(p.lr_scheduler_type))
    bad_param("lr_scheduler_type", "\"" + p.lr_scheduler_type + "\" is not one of linear, cosine, constant, constant_with_warmup");
  if (!(p.warmup_ratio >= 0 && p.warmup_ratio <= 1)) bad_param("warmup_ratio", "must be in [0, 1]");
  if (p.warmup_steps < 0) bad_param("warmup_steps", "must be >= 0");
  if (p.logging_steps < 0) bad_param("logging_steps", "must be >= 0");
  if (p.eval_steps < 0) bad_param("eval_steps", "must be >= 0");
  if (p.save_steps < 0) bad_param("save_steps", "must be >= 0");
  if (p.save_total_limit < 0) bad_param("save_total_limit", "must be >= 0");
  if (p.early_stopping_steps < 0) bad_param("early_stopping_steps", "must be >= 0");
  if (p.pinned_samples_steps < 0) bad_param("pinned_samples_steps", "must be >= 0");
  if (p.output_dir.empty()) bad_param("output_dir", "is not set");
}

bool every(int64_t step, int64_t interval) { return interval > 0 && step % interval == 0; }

// The run's length.
struct Plan {
  int64_t batches_per_epoch = 0;  // micro-batches per epoch
  int64_t steps_per_epoch = 0;    // optimizer steps per epoch
  int64_t total_steps = 0;        // steps the run makes
  int64_t epochs = 0;             // epochs the data source goes through (the last may be partial)
};

Plan make_plan(const TrainerParams& p, int64_t batches_per_epoch) {
  if (batches_per_epoch <= 0) throw Error("trainer: the training data gives no batch");
  Plan plan;
  plan.batches_per_epoch = batches_per_epoch;
  plan.steps_per_epoch = (batches_per_epoch + p.gradient_accumulation_steps - 1) / p.gradient_accumulation_steps;
  if (p.max_steps > 0) {
    plan.total_steps = p.max_steps;
    plan.epochs = (plan.total_steps + plan.steps_per_epoch - 1) / plan.steps_per_epoch;
  } else {
    plan.total_steps = static_cast<int64_t>(std::ceil(p.num_train_epochs * static_cast<double>(plan.steps_per_epoch)));
    plan.epochs = static_cast<int64_t>(std::ceil(p.num_train_epochs));
  }
  return plan;
}

// One call of train(): the state of the run and of this session of it.
class Session {
 public:
  Session(TrainableModel& model, BatchSource& train, BatchSource* eval, const TrainerParams& params,
          const TrainerCallbacks& callbacks, std::stop_token stop)
      : m_model(model), m_train(train), m_eval(eval), m_p(params), m_cb(callbacks), m_stop(std::move(stop)),
        m_plan(make_plan(params, train.batches_per_epoch())) {}

  TrainResult run() {
    prepare_output_dir();
    // A run's log says when it ran with a speed switch changed (a comparison, or a way out).
    if (const auto changed = switches_changed(); !changed.empty()) log_info("trainer: running with " + changed);
    const auto checkpoint = resolve_resume();
    if (checkpoint) m_model.load_trained(*checkpoint);  // before the parameters are taken: it may replace them
    build_optimizer();
    if (checkpoint) resume(*checkpoint);
    else start_fresh();

    m_started = Clock::now();
    m_elapsed_before = m_state.elapsed_seconds;
    if (m_state.global_step >= m_plan.total_steps) return finish(TrainOutcome::finished);

    m_train.restart(m_state.position, m_plan.epochs);
    m_model.set_training(true);
    while (m_state.global_step < m_plan.total_steps) {
      const data::LoaderPosition position = m_train.position();
      const RngState rng = capture_rng_state();  // what a checkpoint of the last step holds if this one is cut short
      if (m_stop.stop_requested() || !step(position)) return stop(position, rng);
      if (m_early_stop) return finish(TrainOutcome::early_stopped);
    }
    return finish(TrainOutcome::finished);
  }

 private:
  // --- setup ---------------------------------------------------------------------------------

  void prepare_output_dir() {
    std::error_code ec;
    fs::create_directories(m_p.output_dir, ec);
    if (ec) throw FileError(m_p.output_dir.string() + ": cannot create output_dir (" + ec.message() + ")");
    remove_temporary_checkpoints(m_p.output_dir);
  }

  std::optional<fs::path> resolve_resume() {
    if (m_p.resume_from_checkpoint.empty()) return std::nullopt;
    if (m_p.resume_from_checkpoint == "latest") {
      auto latest = latest_checkpoint(m_p.output_dir);
      if (!latest)
        throw FileError(m_p.output_dir.string() + ": resume_from_checkpoint is \"latest\" but there is no checkpoint-N folder");
      return latest;
    }
    fs::path dir = m_p.resume_from_checkpoint;
    if (!fs::is_directory(dir)) throw FileError(dir.string() + ": resume_from_checkpoint is not a folder");
    return dir;
  }

  void build_optimizer() {
    m_params = m_model.trainable_parameters();
    if (m_params.empty()) throw Error("trainer: the model has no trainable parameter");
    for (const auto& p : m_params) {
      if (!p.tensor.defined() || !p.tensor.requires_grad())
        throw Error("trainer: trainable parameter " + p.name + " does not require grad");
      if (p.tensor.scalar_type() != at::kFloat)
        throw Error("trainer: trainable parameter " + p.name + " is " + std::string(c10::toString(p.tensor.scalar_type())) +
                    ": trained weights stay float32 whatever the precision");
      m_tensors.push_back(p.tensor);
    }
    GroupParams groups;
    groups.learning_rate = m_p.learning_rate;
    groups.weight_decay = m_p.weight_decay;
    groups.loraplus_lr_ratio = m_p.loraplus_lr_ratio;
    groups.loraplus_lr_embedding = m_p.loraplus_lr_embedding;
    m_optimizer.emplace(make_param_groups(m_params, groups), AdamWParams{m_p.adam_beta1, m_p.adam_beta2, m_p.adam_epsilon});
    if (m_p.precision == Precision::fp16) m_scaler.emplace();
  }

  void start_fresh() {
    const auto old = list_checkpoints(m_p.output_dir);
    if (!old.empty()) {
      if (!m_p.overwrite_output_dir)
        throw Error(m_p.output_dir.string() + " holds checkpoints of an earlier run (" + old.back().second.filename().string() +
                    "): resume it (resume_from_checkpoint: latest), choose another output_dir, or set overwrite_output_dir");
      for (const auto& [step, dir] : old) fs::remove_all(dir);
    }
    std::error_code ec;
    fs::remove(m_p.output_dir / kTrainerLog, ec);
    at::manual_seed(m_p.seed);
    m_state = RunState{};
    m_state.loader_seed = m_train.seed();
    m_state.batches_per_epoch = m_plan.batches_per_epoch;
    m_state.gradient_accumulation_steps = m_p.gradient_accumulation_steps;
  }

  void resume(const fs::path& checkpoint) {
    const std::string where = checkpoint.string();
    m_state = read_run_state(checkpoint);
    if (m_state.loader_seed != m_train.seed())
      throw Error(where + " was trained on batches drawn with seed " + std::to_string(m_state.loader_seed) +
                  ", the training data now uses seed " + std::to_string(m_train.seed()) + ": resume needs the same seed");
    if (m_state.batches_per_epoch != m_plan.batches_per_epoch)
      throw Error(where + " was trained with " + std::to_string(m_state.batches_per_epoch) + " batches per epoch, the data now gives " +
                  std::to_string(m_plan.batches_per_epoch) + ": resume needs the same dataset and per_device_train_batch_size");
    if (m_state.gradient_accumulation_steps != m_p.gradient_accumulation_steps)
      throw Error(where + " was trained with gradient_accumulation_steps " + std::to_string(m_state.gradient_accumulation_steps) +
                  ", now " + std::to_string(m_p.gradient_accumulation_steps) + ": resume needs the same value");
    m_optimizer->load(checkpoint / kOptimizerFile);
    restore_rng_state(read_rng_state(checkpoint));
    if (m_scaler && m_state.loss_scale > 0) m_scaler->restore(m_state.loss_scale, m_state.scale_growth_tracker);
    if (m_p.rewarm_scheduler) {
      m_state.schedule_start = m_state.global_step;
      m_state.schedule_position = 0;
    }
    truncate_log(m_p.output_dir / kTrainerLog, m_state.global_step);
    // The log accumulators start where the checkpoint's run was; the finished-run summary, if
    // any, is not part of the history a longer run continues.
    auto& history = m_state.log_history;
    history.erase(std::remove_if(history.begin(), history.end(), [](const io::Json& e) { return e.contains("train_loss"); }),
                  history.end());
    m_saved_step = m_state.global_step;
    m_last_checkpoint = checkpoint;
    log_info("trainer: resuming from " + where + " at step " + std::to_string(m_state.global_step) + " of " +
             std::to_string(m_plan.total_steps));
  }

  Schedule schedule() const {
    Schedule s;
    s.type = *scheduler_type_from_name(m_p.lr_scheduler_type);
    s.training_steps = m_plan.total_steps - m_state.schedule_start;
    s.warmup_steps = warmup_steps_for(s.training_steps, m_p.warmup_steps, m_p.warmup_ratio);
    return s;
  }

  // --- one step --------------------------------------------------------------------------------

  // Pulls the window starting at `position` and makes the step; false when stopped before it ended.
  bool step(const data::LoaderPosition& position) {
    const int64_t count = std::min(m_p.gradient_accumulation_steps, m_plan.batches_per_epoch - position.batch);
    std::vector<data::Batch> window;
    window.reserve(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) {
      if (m_stop.stop_requested()) return false;
      auto batch = m_train.next();
      if (!batch) {
        if (m_stop.stop_requested()) return false;
        throw Error("trainer: the training data ended at epoch " + std::to_string(position.epoch) + " batch " +
                    std::to_string(position.batch + i) + ", before step " + std::to_string(m_state.global_step + 1) +
                    " of " + std::to_string(m_plan.total_steps));
      }
      window.push_back(std::move(*batch));
    }

    const double lr_factor_now = lr_factor(schedule(), m_state.schedule_position);
    WindowResult result;
    at::Tensor grad_norm_tensor;  // read back with the loss, after the optimizer step is queued
    bool skipped = false;
    try {
      auto done = accumulate_window(m_model, window, m_scaler ? m_scaler->scale() : 1.0, m_stop);
      if (!done) {
        m_optimizer->zero_grad();
        return false;
      }
      result = *done;
      if (m_scaler) skipped = m_scaler->unscale(m_tensors);
      grad_norm_tensor = m_p.max_grad_norm > 0 && !skipped ? clip_grad_norm_tensor(m_tensors, m_p.max_grad_norm)
                                                           : total_grad_norm_tensor(m_tensors);
      if (!skipped) {
        m_optimizer->step(lr_factor_now);
        ++m_state.schedule_position;
      }
      if (m_scaler) m_scaler->update(skipped);
      m_optimizer->zero_grad();
    } catch (const std::exception& e) {
      m_optimizer->zero_grad();
      if (!is_out_of_memory(e)) throw;
      int64_t rows = 0, length = 0;
      for (const auto& b : window)
        if (b.input_ids.defined()) {
          rows = std::max(rows, b.input_ids.size(0));
          length = std::max(length, b.input_ids.size(1));
        }
      window.clear();
      throw OutOfMemoryError(out_of_memory_message(
          "step " + std::to_string(m_state.global_step + 1) + " of " + std::to_string(m_plan.total_steps) + " (micro-batches of up to " +
              std::to_string(rows) + " samples x " + std::to_string(length) + " tokens)",
          e));
    }
    if (skipped) log_warning("trainer: step " + std::to_string(m_state.global_step + 1) + ": inf/NaN gradients, update skipped");
    if (result.loss_tokens == 0)
      log_warning("trainer: step " + std::to_string(m_state.global_step + 1) + " has no label tokens (all truncated?)");

    // The step is done.
    ++m_state.global_step;
    ++m_session_steps;
    m_state.epoch = static_cast<double>(position.epoch) +
                    static_cast<double>(position.batch + count) / static_cast<double>(m_plan.batches_per_epoch);
    m_state.position = m_train.position();
    // The step's reads of the device, after all of its work is queued.
    const double loss = result.loss();
    const double grad_norm = norm_value(grad_norm_tensor);
    m_state.loss_since_log += loss;
    ++m_state.steps_since_log;
    m_state.total_loss += loss;
    m_state.total_tokens += result.input_tokens;
    m_state.total_samples += result.samples;
    m_session_tokens += result.input_tokens;
    m_session_samples += result.samples;
    m_state.elapsed_seconds = elapsed();
    const double lr = m_optimizer->groups().front().lr * lr_factor_now;
    report_progress(loss, lr, grad_norm, skipped);

    const int64_t s = m_state.global_step;
    if (every(s, m_p.logging_steps)) log_train_step(lr, grad_norm);
    if (m_eval && every(s, m_p.eval_steps > 0 ? m_p.eval_steps : m_p.logging_steps)) {
      if (!run_evaluation()) return true;  // stopped during it: the step stands, the loop sees the token
    }
    if (m_cb.on_pinned_samples && every(s, m_p.pinned_samples_steps)) pinned_samples();
    if (every(s, m_p.save_steps) || s == m_plan.total_steps || m_early_stop) save_checkpoint(capture_rng_state(), m_state.position);
    return true;
  }

  // --- reporting -------------------------------------------------------------------------------

  double elapsed() const { return m_elapsed_before + seconds_since(m_started); }

  // Seconds left at this session's mean step time.
  double remaining() const {
    if (m_session_steps == 0) return 0;
    return static_cast<double>(m_plan.total_steps - m_state.global_step) * seconds_since(m_started) /
           static_cast<double>(m_session_steps);
  }

  void report_progress(double loss, double lr, double grad_norm, bool skipped) {
    if (!m_cb.on_progress) return;
    const double session = std::max(seconds_since(m_started), 1e-9);
    TrainProgress p;
    p.step = m_state.global_step;
    p.total_steps = m_plan.total_steps;
    p.epoch = m_state.epoch;
    p.loss = loss;
    p.learning_rate = lr;
    p.grad_norm = grad_norm;
    p.tokens_per_second = static_cast<double>(m_session_tokens) / session;
    p.samples_per_second = static_cast<double>(m_session_samples) / session;
    p.memory_bytes = m_cb.memory_probe ? m_cb.memory_probe() : process_resident_bytes();
    p.elapsed_seconds = m_state.elapsed_seconds;
    p.eta_seconds = remaining();
    p.skipped = skipped;
    m_cb.on_progress(p);
  }

  // Appends `entry` to the history and writes its trainer_log.jsonl line (LLaMA-Factory's on_log).
  void log(io::Json entry) {
    entry["epoch"] = m_state.epoch;
    entry["step"] = m_state.global_step;
    entry["num_input_tokens_seen"] = m_state.total_tokens;
    m_state.log_history.push_back(entry);

    LogRecord r;
    r.current_steps = m_state.global_step;
    r.total_steps = m_plan.total_steps;
    if (entry.contains("loss")) r.loss = entry["loss"].get<double>();
    if (entry.contains("eval_loss")) r.eval_loss = entry["eval_loss"].get<double>();
    if (entry.contains("learning_rate")) r.lr = entry["learning_rate"].get<double>();
    if (entry.contains("grad_norm")) r.grad_norm = entry["grad_norm"].get<double>();
    r.metrics = metrics_of(entry);
    r.epoch = m_state.epoch;
    r.percentage = m_plan.total_steps > 0 ? round_to(static_cast<double>(r.current_steps) / static_cast<double>(r.total_steps) * 100, 2) : 100;
    const double total = elapsed();
    r.elapsed_time = format_duration(total);
    r.remaining_time = format_duration(remaining());
    if (m_state.total_tokens > 0) {
      r.throughput = round_to(static_cast<double>(m_state.total_tokens) / std::max(total, 1e-9), 2);
      r.total_tokens = m_state.total_tokens;
    }
    append_log_line(m_p.output_dir / kTrainerLog, r.to_json());
    if (m_cb.on_log) m_cb.on_log(r);
  }

  void log_train_step(double lr, double grad_norm) {
    io::Json entry;
    entry["loss"] = round_to(m_state.loss_since_log / static_cast<double>(m_state.steps_since_log), 4);
    entry["grad_norm"] = grad_norm;
    entry["learning_rate"] = lr;
    for (const auto& [key, value] : m_model.take_metrics(false)) entry[key] = value;
    m_state.loss_since_log = 0;
    m_state.steps_since_log = 0;
    log(std::move(entry));
  }

  // false when stopped during it.
  bool run_evaluation() {
    auto result = evaluate(m_model, *m_eval, m_stop);
    if (!result) return false;
    m_last_eval = result->loss;
    const double t = std::max(result->seconds, 1e-9);
    io::Json entry;
    entry["eval_loss"] = result->loss;
    entry["eval_runtime"] = round_to(result->seconds, 4);
    entry["eval_samples_per_second"] = round_to(static_cast<double>(result->samples) / t, 3);
    entry["eval_steps_per_second"] = round_to(static_cast<double>(result->batches) / t, 3);
    for (const auto& [key, value] : m_model.take_metrics(true)) entry["eval_" + key] = value;
    log(std::move(entry));
    m_evaluated_step = m_state.global_step;
    if (m_state.early_stopping.update(result->loss, m_state.global_step, m_p.early_stopping_steps, m_p.early_stopping_threshold)) {
      m_early_stop = true;
      log_info("trainer: eval_loss did not improve in " + std::to_string(m_p.early_stopping_steps) +
               " evaluations: stopping early at step " + std::to_string(m_state.global_step));
    }
    return true;
  }

  void pinned_samples() {
    m_model.set_training(false);
    try {
      c10::NoGradGuard no_grad;
      m_cb.on_pinned_samples(m_state.global_step);
    } catch (...) {
      m_model.set_training(true);
      throw;
    }
    m_model.set_training(true);
  }

  // --- checkpoints and the end -----------------------------------------------------------------

  io::Json trainer_state() const {
    std::string best;
    if (const auto& step = m_state.early_stopping.best_step; step && fs::is_directory(checkpoint_dir(m_p.output_dir, *step)))
      best = checkpoint_dir(m_p.output_dir, *step).string();
    return trainer_state_json(m_state, m_p, m_plan.total_steps, m_plan.epochs, best);
  }

  void save_checkpoint(const RngState& rng, const data::LoaderPosition& position) {
    m_state.position = position;
    m_state.elapsed_seconds = elapsed();
    if (m_scaler) {
      m_state.loss_scale = m_scaler->scale();
      m_state.scale_growth_tracker = m_scaler->growth_tracker();
    }
    m_last_checkpoint = write_checkpoint(m_p.output_dir, m_model, *m_optimizer, rng, m_state, trainer_state());
    m_saved_step = m_state.global_step;
    rotate_checkpoints(m_p.output_dir, m_p.save_total_limit);
    if (m_cb.on_checkpoint) m_cb.on_checkpoint(m_last_checkpoint);
  }

  TrainResult stop(const data::LoaderPosition& position, const RngState& rng) {
    m_optimizer->zero_grad();
    if (m_state.global_step > 0 && m_saved_step != m_state.global_step) save_checkpoint(rng, position);
    log_info("trainer: stopped at step " + std::to_string(m_state.global_step) + " of " + std::to_string(m_plan.total_steps));
    return finish(TrainOutcome::stopped);
  }

  TrainResult finish(TrainOutcome outcome) {
    m_model.set_training(true);
    // A run that made every step ends with its own evaluation, as LLaMA-Factory's do_eval does.
    if (outcome == TrainOutcome::finished && m_eval && m_evaluated_step != m_state.global_step && m_session_steps > 0)
      run_evaluation();
    if (m_state.global_step > 0 && m_saved_step != m_state.global_step && outcome != TrainOutcome::stopped)
      save_checkpoint(capture_rng_state(), m_state.position);

    const double runtime = std::max(seconds_since(m_started), 1e-9);
    const double train_loss = m_state.global_step > 0 ? m_state.total_loss / static_cast<double>(m_state.global_step) : 0.0;
    io::Json summary;
    summary["train_loss"] = train_loss;
    summary["train_runtime"] = round_to(runtime, 4);
    summary["train_samples_per_second"] = round_to(static_cast<double>(m_session_samples) / runtime, 3);
    summary["train_steps_per_second"] = round_to(static_cast<double>(m_session_steps) / runtime, 3);
    log(summary);

    m_model.save_trained(m_p.output_dir);
    io::write_json_file_atomic(m_p.output_dir / kTrainerStateFile, trainer_state());
    io::Json all = summary;
    all["epoch"] = m_state.epoch;
    all["num_input_tokens_seen"] = m_state.total_tokens;
    if (m_last_eval) all["eval_loss"] = *m_last_eval;
    io::write_json_file_atomic(m_p.output_dir / "all_results.json", all);
    if (m_p.plot_loss) {  // LLaMA-Factory's keys: its DPO workflow's rewards/accuracies where logged
      std::vector<std::string> keys = {"loss"};
      if (m_eval) keys.push_back("eval_loss");
      const auto& history = m_state.log_history;
      if (std::any_of(history.begin(), history.end(), [](const io::Json& e) { return e.contains("rewards/accuracies"); }))
        keys.push_back("rewards/accuracies");
      plot_loss(m_p.output_dir, keys);
    }

    TrainResult r;
    r.outcome = outcome;
    r.global_step = m_state.global_step;
    r.total_steps = m_plan.total_steps;
    r.train_loss = train_loss;
    r.eval_loss = m_last_eval;
    r.last_checkpoint = m_last_checkpoint;
    return r;
  }

  TrainableModel& m_model;
  BatchSource& m_train;
  BatchSource* m_eval;
  const TrainerParams& m_p;
  const TrainerCallbacks& m_cb;
  std::stop_token m_stop;
  Plan m_plan;

  std::vector<TrainableParam> m_params;
  std::vector<at::Tensor> m_tensors;  // the parameters' tensors, for clipping and scaling
  std::optional<AdamW> m_optimizer;
  std::optional<GradScaler> m_scaler;
  RunState m_state;

  Clock::time_point m_started;
  double m_elapsed_before = 0;    // training time of earlier sessions of the run
  int64_t m_session_steps = 0;    // steps made by this session
  int64_t m_session_tokens = 0;
  int64_t m_session_samples = 0;
  int64_t m_saved_step = -1;      // step of the newest checkpoint of this run
  int64_t m_evaluated_step = -1;  // step of the last evaluation
  std::optional<double> m_last_eval;
  bool m_early_stop = false;
  fs::path m_last_checkpoint;
};

}  // namespace

Trainer::Trainer(TrainableModel& model, BatchSource& train_data, BatchSource* eval_data, TrainerParams params,
                 TrainerCallbacks callbacks)
    : m_model(model), m_train(train_data), m_eval(eval_data), m_params(std::move(params)), m_callbacks(std::move(callbacks)) {}

TrainResult Trainer::train(std::stop_token stop) {
  validate(m_params);
  Session session(m_model, m_train, m_eval, m_params, m_callbacks, std::move(stop));
  return session.run();
}

std::optional<EvalResult> evaluate(TrainableModel& model, BatchSource& data, std::stop_token stop) {
  const auto started = Clock::now();
  EvalResult r;
  at::Tensor loss_sum;  // [] float64 on the model's device, read once at the end: no wait per batch
  model.set_training(false);
  try {
    c10::NoGradGuard no_grad;
    data.restart({}, 1);
    while (auto batch = data.next()) {
      if (stop.stop_requested()) break;
      const BatchLoss loss = model.loss(*batch);
      add_to_sum(loss_sum, loss.loss_sum.detach().to(at::kDouble));
      r.tokens += loss.tokens;
      r.samples += batch_samples(*batch);
      ++r.batches;
    }
  } catch (const std::exception& e) {
    model.set_training(true);
    if (is_out_of_memory(e)) throw OutOfMemoryError(out_of_memory_message("evaluation", e));
    throw;
  }
  model.set_training(true);
  if (stop.stop_requested()) return std::nullopt;
  r.loss = r.tokens > 0 && loss_sum.defined() ? loss_sum.item<double>() / static_cast<double>(r.tokens) : 0.0;
  r.seconds = seconds_since(started);
  return r;
}

}  // namespace vltune::train
