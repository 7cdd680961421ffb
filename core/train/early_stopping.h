#pragma once
// Early stopping on eval_loss as transformers' EarlyStoppingCallback with the Trainer's
// best_metric: an evaluation counts as an improvement when it is below the best so far by more
// than the threshold; the best itself follows every new minimum (threshold or not). Training stops
// once `patience` evaluations in a row did not improve.

#include <cmath>
#include <cstdint>
#include <optional>

namespace vltune::train {

struct EarlyStopping {
  std::optional<double> best;           // lowest eval_loss so far
  std::optional<int64_t> best_step;     // the step it was reached at
  int64_t bad_evaluations = 0;          // evaluations in a row without improvement

  // Records an evaluation; returns whether training should stop (patience <= 0: never).
  bool update(double eval_loss, int64_t step, int64_t patience, double threshold) {
    const bool improved = !best || (eval_loss < *best && std::abs(eval_loss - *best) > threshold);
    bad_evaluations = improved ? 0 : bad_evaluations + 1;
    if (!best || eval_loss < *best) {
      best = eval_loss;
      best_step = step;
    }
    return patience > 0 && bad_evaluations >= patience;
  }
};

}  // namespace vltune::train
