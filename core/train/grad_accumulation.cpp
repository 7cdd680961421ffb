#include "core/train/grad_accumulation.h"

#include <string>

#include <ATen/ATen.h>

#include "core/error.h"

namespace vltune::train {

double WindowResult::loss() const {
  if (loss_tokens <= 0 || !loss_sum.defined()) return 0.0;
  return loss_sum.item<double>() / static_cast<double>(loss_tokens);
}

void add_to_sum(at::Tensor& sum, const at::Tensor& part) { sum = sum.defined() ? sum + part : part; }

int64_t batch_samples(const data::Batch& batch) {
  if (batch.pairs > 0) return batch.pairs;
  return batch.input_ids.defined() ? batch.input_ids.size(0) : static_cast<int64_t>(batch.indices.size());
}

int64_t input_tokens(const data::Batch& batch) {
  if (batch.attention_mask.defined()) return batch.attention_mask.sum().item<int64_t>();
  return batch.input_ids.defined() ? batch.input_ids.numel() : 0;
}

std::optional<WindowResult> accumulate_window(TrainableModel& model, std::span<const data::Batch> window,
                                              double loss_scale, std::stop_token stop) {
  WindowResult r;
  for (const auto& batch : window) r.loss_tokens += model.loss_tokens(batch);
  const auto window_tokens = static_cast<double>(r.loss_tokens);
  for (const auto& batch : window) {
    if (stop.stop_requested()) return std::nullopt;
    const int64_t expected = model.loss_tokens(batch);
    BatchLoss loss = model.loss(batch);
    if (loss.tokens != expected)
      throw Error("the loss of batch " + std::to_string(batch.step) + " of epoch " + std::to_string(batch.epoch) +
                  " counts " + std::to_string(loss.tokens) + " tokens, the model announced " + std::to_string(expected));
    const at::Tensor loss_sum = loss.loss_sum.to(at::kFloat);  // [] float32 whatever the model's dtype
    if (r.loss_tokens > 0 && loss_sum.requires_grad()) {
      at::Tensor scaled = loss_sum / window_tokens;
      if (loss_scale != 1.0) scaled = scaled * loss_scale;
      scaled.backward();
    }
    // Summed in float64 in the same order as adding each read-back value would be.
    add_to_sum(r.loss_sum, loss_sum.detach().to(at::kDouble));
    r.samples += batch_samples(batch);
    r.input_tokens += input_tokens(batch);
  }
  return r;
}

}  // namespace vltune::train
