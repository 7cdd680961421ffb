#pragma once
// Preference tuning's loss on per-sequence log-probabilities (TRL's DPOTrainer.dpo_loss, as
// LLaMA-Factory's CustomDPOTrainer calls it): for each (chosen, rejected) pair, with the policy's
// and the reference model's summed log-probabilities of each answer,
//   z = (policy_chosen - policy_rejected) - (reference_chosen - reference_rejected)
//   sigmoid: -logsigmoid(beta z) (1 - label_smoothing) - logsigmoid(-beta z) label_smoothing
//   ipo:     (z - 1 / (2 beta))^2, on log-probabilities averaged over each answer's tokens
// and TRL's reward metrics: rewards = beta (policy - reference) per answer, detached.

#include <array>
#include <cstdint>

#include <torch/torch.h>

namespace vltune::train {

enum class PreferenceLossType {
  sigmoid,  // DPO (pref_loss: sigmoid, LLaMA-Factory's default)
  ipo,      // IPO (pref_loss: ipo): squared loss, per-token averaged log-probabilities
};

struct PreferenceLossParams {
  double beta = 0.1;                                     // pref_beta: how far from the reference the policy may move
  double label_smoothing = 0.0;                          // dpo_label_smoothing: assumed share of flipped labels (sigmoid)
  PreferenceLossType type = PreferenceLossType::sigmoid;  // pref_loss
};

// Each answer's log-probability: summed over its label tokens, and how many there were.
struct AnswerLogProbs {
  torch::Tensor sum;     // [B] float32 (differentiable for the policy)
  torch::Tensor tokens;  // [B] int64
};

// TRL's reward metrics, in LLaMA-Factory's CustomDPOTrainer.get_batch_metrics order: the order of
// PreferenceLoss::metrics.
inline constexpr std::array<const char*, 6> kPreferenceMetricNames = {"rewards/chosen", "rewards/rejected", "rewards/accuracies",
                                                                     "rewards/margins", "logps/chosen", "logps/rejected"};

struct PreferenceLoss {
  torch::Tensor loss;              // scalar float32: the mean over pairs (differentiable through the policy's log-probs)
  torch::Tensor chosen_rewards;    // [B] beta * (policy - reference) for the chosen answers, detached
  torch::Tensor rejected_rewards;  // [B] the same for the rejected answers
  // [6] float64 on the loss's device, detached and not read back (a training step reads the device
  // once, at its end): the means of chosen_rewards, of rejected_rewards, of chosen > rejected
  // (accuracy), of chosen - rejected (margin), and of the policy's chosen and rejected log-probs as
  // compared (IPO: per token), each taken in float32 (the log-probs' in float64) as TRL does.
  torch::Tensor metrics;
};

// PreferenceLoss::metrics read back, by name.
struct PreferenceMetrics {
  double reward_chosen = 0;    // rewards/chosen
  double reward_rejected = 0;  // rewards/rejected
  double reward_accuracy = 0;  // rewards/accuracies: share of pairs with chosen > rejected
  double reward_margin = 0;    // rewards/margins
  double logps_chosen = 0;     // logps/chosen
  double logps_rejected = 0;   // logps/rejected
};
PreferenceMetrics read_metrics(const PreferenceLoss& loss);

// Each answer's log-probability per label token: sum / tokens (at least 1). [B] float32.
torch::Tensor per_token_log_probs(const AnswerLogProbs& answers);

// The loss of B pairs. The reference's log-probs carry no gradient (detached here). Throws
// vltune::Error for mismatched shapes, beta <= 0, or label smoothing outside [0, 0.5].
PreferenceLoss preference_loss(const AnswerLogProbs& policy_chosen, const AnswerLogProbs& policy_rejected,
                               const AnswerLogProbs& reference_chosen, const AnswerLogProbs& reference_rejected,
                               const PreferenceLossParams& params);

}  // namespace vltune::train
