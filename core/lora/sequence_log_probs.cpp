#include "core/lora/sequence_log_probs.h"

#include <vector>

#include "core/error.h"
#include "core/lora/chunked_loss.h"
#include "core/lora/decoder_pass.h"

namespace vltune::lora {

train::AnswerLogProbs sequence_log_probs(LoraModel& model, const data::Batch& batch) {
  if (model.family() == io::ModelFamily::clip) throw Error("CLIP has no causal decoder: answers have no log-probabilities");
  if (!batch.labels.defined()) throw Error("the batch has no labels: which tokens to score is unknown");
  const auto dev = model.device();
  const DecoderPass pass = decoder_hidden_states(model.model(), batch, dev);
  const auto& labels = batch.labels;  // read on the host by the loss
  std::vector<torch::Tensor> sums;
  std::vector<int64_t> tokens;
  for (int64_t b = 0; b < pass.hidden.size(0); ++b) {
    // The summed cross-entropy of one row is minus its log-probability.
    auto [loss_sum, n] = chunked_causal_lm_loss_sum(pass.hidden.narrow(0, b, 1), *pass.lm_head, labels.narrow(0, b, 1), model.loss_params());
    sums.push_back(-loss_sum);
    tokens.push_back(n);
  }
  return {torch::stack(sums), torch::tensor(tokens, torch::kLong)};
}

}  // namespace vltune::lora
