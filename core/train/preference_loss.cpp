#include "core/train/preference_loss.h"

#include <string>

#include "core/error.h"

namespace vltune::train {

namespace {

// IPO compares per-token averages (TRL and LLaMA-Factory divide by the answer's length for it).
torch::Tensor as_used(const AnswerLogProbs& a, PreferenceLossType type) {
  return type == PreferenceLossType::ipo ? per_token_log_probs(a) : a.sum;
}

void check_pair(const AnswerLogProbs& a, const AnswerLogProbs& b, const char* what) {
  if (!a.sum.defined() || !b.sum.defined() || a.sum.dim() != 1 || a.sum.sizes() != b.sum.sizes())
    throw Error(std::string("preference loss: ") + what + " log-probabilities must be two [B] tensors of one size");
  if (!a.tokens.defined() || !b.tokens.defined() || a.tokens.sizes() != a.sum.sizes() || b.tokens.sizes() != b.sum.sizes())
    throw Error(std::string("preference loss: ") + what + " token counts must match the log-probabilities");
}

}  // namespace

torch::Tensor per_token_log_probs(const AnswerLogProbs& answers) {
  return answers.sum / answers.tokens.to(answers.sum.scalar_type()).clamp_min(1);
}

PreferenceLoss preference_loss(const AnswerLogProbs& policy_chosen, const AnswerLogProbs& policy_rejected,
                               const AnswerLogProbs& reference_chosen, const AnswerLogProbs& reference_rejected,
                               const PreferenceLossParams& params) {
  check_pair(policy_chosen, policy_rejected, "the policy's");
  check_pair(reference_chosen, reference_rejected, "the reference's");
  if (policy_chosen.sum.sizes() != reference_chosen.sum.sizes())
    throw Error("preference loss: the policy and the reference must score the same pairs");
  if (!(params.beta > 0)) throw Error("pref_beta must be positive, got " + std::to_string(params.beta));
  if (params.label_smoothing < 0 || params.label_smoothing > 0.5)
    throw Error("dpo_label_smoothing must be in [0, 0.5], got " + std::to_string(params.label_smoothing));

  const auto pc = as_used(policy_chosen, params.type).to(torch::kFloat32);
  const auto pr = as_used(policy_rejected, params.type).to(torch::kFloat32);
  const auto rc = as_used(reference_chosen, params.type).to(torch::kFloat32).detach();
  const auto rr = as_used(reference_rejected, params.type).to(torch::kFloat32).detach();
  const double beta = params.beta;
  const auto z = (pc - pr) - (rc - rr);  // [B]
  torch::Tensor losses;                  // [B]
  if (params.type == PreferenceLossType::ipo) {
    losses = (z - 1.0 / (2.0 * beta)).pow(2);
  } else {
    const double eps = params.label_smoothing;
    losses = -torch::log_sigmoid(beta * z) * (1.0 - eps) - torch::log_sigmoid(-beta * z) * eps;
  }
  PreferenceLoss out;
  out.loss = losses.mean();
  out.chosen_rewards = (beta * (pc - rc)).detach();
  out.rejected_rewards = (beta * (pr - rr)).detach();
  out.metrics = torch::stack({out.chosen_rewards.mean().to(torch::kDouble), out.rejected_rewards.mean().to(torch::kDouble),
                              (out.chosen_rewards > out.rejected_rewards).to(torch::kFloat32).mean().to(torch::kDouble),
                              (out.chosen_rewards - out.rejected_rewards).mean().to(torch::kDouble),
                              pc.detach().to(torch::kDouble).mean(), pr.detach().to(torch::kDouble).mean()});
  return out;
}

PreferenceMetrics read_metrics(const PreferenceLoss& loss) {
  const auto m = loss.metrics.to(torch::kCPU).contiguous();
  const double* v = m.data_ptr<double>();
  return {v[0], v[1], v[2], v[3], v[4], v[5]};
}

}  // namespace vltune::train
