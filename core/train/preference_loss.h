#pragma once
// Preference tuning's loss on per-sequence log-probabilities (TRL's DPOTrainer.dpo_loss, as
// LLaMA-Factory's CustomDPOTrainer calls it): for each (chosen, rejected) pair, with the policy's
// and the reference model's summed log-probabilities of each answer,
//   z = (policy_chosen - policy_rejected) - (reference_chosen - reference_rejected)
//   sigmoid: -logsigmoid(beta z) (1 - label_smoothing) - logsigmoid(-beta z) label_smoothing
//   ipo:     (z - 1 / (2 beta))^2, on log-probabilities averaged over each answer's tokens
// and TRL's reward metrics: rewards = beta (policy - reference) per answer, detached.

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

struct PreferenceLoss {
  torch::Tensor loss;              // scalar float32: the mean over pairs (differentiable through the policy's log-probs)
  torch::Tensor chosen_rewards;    // [B] beta * (policy - reference) for the chosen answers, detached
  torch::Tensor rejected_rewards;  // [B] the same for the rejected answers
  double reward_chosen = 0;        // rewards/chosen: mean of chosen_rewards
  double reward_rejected = 0;      // rewards/rejected
  double reward_margin = 0;        // rewards/margins: mean of chosen - rejected
  double reward_accuracy = 0;      // rewards/accuracies: share of pairs with chosen > rejected
  double logps_chosen = 0;         // logps/chosen: mean of the policy's chosen log-probs as compared (IPO: per token)
  double logps_rejected = 0;       // logps/rejected: the same for the rejected answers
};

// Each answer's log-probability per label token: sum / tokens (at least 1). [B] float32.
torch::Tensor per_token_log_probs(const AnswerLogProbs& answers);

// The loss of B pairs. The reference's log-probs carry no gradient (detached here). Throws
// vltune::Error for mismatched shapes, beta <= 0, or label smoothing outside [0, 0.5].
PreferenceLoss preference_loss(const AnswerLogProbs& policy_chosen, const AnswerLogProbs& policy_rejected,
                               const AnswerLogProbs& reference_chosen, const AnswerLogProbs& reference_rejected,
                               const PreferenceLossParams& params);

}  // namespace vltune::train
