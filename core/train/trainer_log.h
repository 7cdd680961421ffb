#pragma once
// trainer_log.jsonl as LLaMA-Factory's LogCallback writes it: one JSON object per line, one line
// per logged training step and per evaluation, keys absent when they have no value.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/io/json_file.h"

namespace vltune::train {

struct LogRecord {
  int64_t current_steps = 0;              // optimizer steps done
  int64_t total_steps = 0;                // steps the run makes
  std::optional<double> loss;             // mean training loss since the last log (rounded to 4 digits, as transformers)
  std::optional<double> eval_loss;        // an evaluation's token-weighted loss
  std::optional<double> lr;               // learning rate the step used (first group)
  std::optional<double> grad_norm;        // total gradient norm of the step, before clipping (not in LLaMA-Factory's line)
  std::optional<double> epoch;            // fractional epoch
  double percentage = 0;                  // current / total * 100, rounded to 2 digits
  std::string elapsed_time;               // "H:MM:SS"
  std::string remaining_time;             // "H:MM:SS", at the mean step time so far
  std::optional<double> throughput;       // input tokens per second, rounded to 2 digits
  std::optional<int64_t> total_tokens;    // input tokens seen
  std::vector<std::pair<std::string, double>> metrics;  // the model's own measures (DPO: rewards/margins, eval_rewards/margins, ...)

  // LLaMA-Factory's keys, in its order, absent ones left out; then grad_norm and the metrics (not
  // its keys) for the Monitor's charts.
  nlohmann::ordered_json to_json() const;
};

// One line of trainer_log.jsonl back into a record (what a monitor redraws a run from): the keys
// to_json() writes, LLaMA-Factory's included (metrics: numeric keys with a "/", as TRL names them),
// unknown keys ignored. A blank line gives nullopt.
// Throws FormatError naming `where` (e.g. "trainer_log.jsonl line 12") for a line that is not a
// JSON object or lacks current_steps.
std::optional<LogRecord> parse_log_line(const std::string& line, const std::string& where);

// Python's str(timedelta(seconds=int(seconds))): "0:00:07", "12:03:04", "1 day, 2:03:04".
std::string format_duration(double seconds);

// Python's round(x, digits) closely enough for logs (half away from zero).
double round_to(double x, int digits);

// Appends `record` as one line to `file` (created if missing). Throws FileError naming it.
void append_log_line(const std::filesystem::path& file, const nlohmann::ordered_json& record);

// Keeps the training and evaluation lines of `file` whose current_steps is at most `step`: a
// resumed run replaces what came after its checkpoint, and writes its own closing summary line.
// Missing file: nothing to do.
void truncate_log(const std::filesystem::path& file, int64_t step);

}  // namespace vltune::train
