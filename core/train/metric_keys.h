#pragma once
// Which entries of a log record are metrics beside the loss: TRL's names with a '/' and a number
// (rewards/margins, logps/chosen, eval_rewards/accuracies, ...). The trainer picks them from the
// entry it logs and the log reader from each trainer_log.jsonl line, by this one rule.

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace vltune::train {

// The metrics of a log entry (a JSON object), in its order.
template <typename Json>
std::vector<std::pair<std::string, double>> metrics_of(const Json& entry) {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& [key, value] : entry.items())
    if (key.find('/') != std::string::npos && value.is_number()) out.emplace_back(key, value.template get<double>());
  return out;
}

}  // namespace vltune::train
