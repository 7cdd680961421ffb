#include "core/lora/sequence_log_probs.h"

#include <type_traits>
#include <variant>
#include <vector>

#include "core/data/batch_inputs.h"
#include "core/error.h"
#include "core/lora/chunked_loss.h"

namespace vltune::lora {

train::AnswerLogProbs sequence_log_probs(LoraModel& model, const data::Batch& batch) {
  if (model.family() == io::ModelFamily::clip) throw Error("CLIP has no causal decoder: answers have no log-probabilities");
  if (!batch.labels.defined()) throw Error("the batch has no labels: which tokens to score is unknown");
  const auto dev = model.device();
  torch::Tensor hidden;  // [B, T, hidden]
  LoraLinearImpl* head = nullptr;
  std::visit(
      [&](auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, models::QwenVL>) hidden = m->hidden_states(data::qwen_inputs(batch, dev)), head = m->lm_head.get();
        else if constexpr (std::is_same_v<M, models::Llava>) hidden = m->hidden_states(data::llava_inputs(batch, dev)), head = m->lm_head.get();
        else if constexpr (std::is_same_v<M, models::Idefics3>) hidden = m->hidden_states(data::idefics3_inputs(batch, dev)), head = m->lm_head.get();
      },
      model.model());
  const auto labels = batch.labels.to(dev);
  std::vector<torch::Tensor> sums;
  std::vector<int64_t> tokens;
  for (int64_t b = 0; b < hidden.size(0); ++b) {
    // The summed cross-entropy of one row is minus its log-probability.
    auto [loss_sum, n] = chunked_causal_lm_loss_sum(hidden.narrow(0, b, 1), *head, labels.narrow(0, b, 1), model.loss_params());
    sums.push_back(-loss_sum);
    tokens.push_back(n);
  }
  return {torch::stack(sums), torch::tensor(tokens, torch::kLong)};
}

}  // namespace vltune::lora
