#include "core/train/trainer_log.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/error.h"
#include "core/train/metric_keys.h"

namespace vltune::train {

nlohmann::ordered_json LogRecord::to_json() const {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["current_steps"] = current_steps;
  j["total_steps"] = total_steps;
  if (loss) j["loss"] = *loss;
  if (eval_loss) j["eval_loss"] = *eval_loss;
  if (lr) j["lr"] = *lr;
  if (epoch) j["epoch"] = *epoch;
  j["percentage"] = percentage;
  j["elapsed_time"] = elapsed_time;
  j["remaining_time"] = remaining_time;
  if (throughput) j["throughput"] = *throughput;
  if (total_tokens) j["total_tokens"] = *total_tokens;
  // Not one of LLaMA-Factory's keys: last, so its readers see their own keys in their order.
  if (grad_norm) j["grad_norm"] = *grad_norm;
  for (const auto& [key, value] : metrics) j[key] = value;
  return j;
}

std::optional<LogRecord> parse_log_line(const std::string& line, const std::string& where) {
  if (line.find_first_not_of(" \t\r\n") == std::string::npos) return std::nullopt;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(where + ": not JSON (" + e.what() + ")");
  }
  if (!j.is_object() || !j.contains("current_steps") || !j["current_steps"].is_number())
    throw FormatError(where + ": not a trainer_log record (no current_steps)");
  auto number = [&](const char* key) -> std::optional<double> {
    if (!j.contains(key) || !j[key].is_number()) return std::nullopt;
    return j[key].get<double>();
  };
  auto text = [&](const char* key) { return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string(); };
  LogRecord r;
  r.current_steps = j["current_steps"].get<int64_t>();
  r.total_steps = number("total_steps") ? static_cast<int64_t>(*number("total_steps")) : 0;
  r.loss = number("loss");
  r.eval_loss = number("eval_loss");
  r.lr = number("lr");
  r.grad_norm = number("grad_norm");
  r.epoch = number("epoch");
  r.percentage = number("percentage").value_or(0);
  r.elapsed_time = text("elapsed_time");
  r.remaining_time = text("remaining_time");
  r.throughput = number("throughput");
  if (const auto t = number("total_tokens")) r.total_tokens = static_cast<int64_t>(*t);
  r.metrics = metrics_of(j);  // TRL's names: rewards/margins, eval_logps/chosen, ...
  return r;
}

std::string format_duration(double seconds) {
  auto s = static_cast<int64_t>(seconds > 0 ? seconds : 0);
  const int64_t days = s / 86400;
  s %= 86400;
  char hms[32];
  std::snprintf(hms, sizeof hms, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  if (days == 0) return hms;
  return std::to_string(days) + (days == 1 ? " day, " : " days, ") + hms;
}

double round_to(double x, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(x * scale) / scale;
}

void append_log_line(const std::filesystem::path& file, const nlohmann::ordered_json& record) {
  std::ofstream out(file, std::ios::app | std::ios::binary);
  if (!out) throw FileError(file.string() + ": cannot open for appending");
  out << record.dump() << '\n';
  out.flush();
  if (!out) throw FileError(file.string() + ": write failed");
}

void truncate_log(const std::filesystem::path& file, int64_t step) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return;
  std::string kept, line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const io::Json j = io::Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || j.value("current_steps", int64_t{0}) > step) continue;
    if (!j.contains("loss") && !j.contains("eval_loss")) continue;  // an earlier session's closing summary
    kept += line + '\n';
  }
  in.close();
  io::write_file_atomic(file, kept);
}

}  // namespace vltune::train
