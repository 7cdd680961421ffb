#pragma once
// Each row's log-probability of its labelled tokens, what preference tuning compares: LLaMA-
// Factory's get_batch_logps (logits upcast to float32, labels shifted by one, -100 ignored,
// log_softmax gathered at the labels and summed per row), computed without the full logits: each
// row's label positions go through lm_head in chunks (chunked_causal_lm_loss_sum, negated).

#include "core/data/collate.h"
#include "core/lora/lora_model.h"
#include "core/train/preference_loss.h"

namespace vltune::lora {

// Rows of `batch` through `model` with its active adapters (autograd as the caller's grad mode):
// sum [B] float32 and tokens [B] int64. Throws vltune::Error for CLIP (no causal decoder) or a
// batch without labels.
train::AnswerLogProbs sequence_log_probs(LoraModel& model, const data::Batch& batch);

}  // namespace vltune::lora
