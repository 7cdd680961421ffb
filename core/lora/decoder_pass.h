#pragma once
// One pass of a causal family's model up to its decoder's final hidden states, with the lm_head
// that turns them into logits: what the training loss and the preference log-probabilities send
// through lm_head in chunks, so that the family dispatch lives in one place.

#include <torch/torch.h>

#include "core/data/collate.h"
#include "core/lora/lora_model.h"

namespace vltune::lora {

struct DecoderPass {
  torch::Tensor hidden;              // [B, T, hidden]
  LoraLinearImpl* lm_head = nullptr;  // the model's head (with its active adapters)
};

// `batch` (moved to `device`) through Qwen2-VL / Qwen2.5-VL, LLaVA or Idefics3. Throws
// vltune::Error for CLIP, which has no causal decoder.
DecoderPass decoder_hidden_states(FamilyModel& model, const data::Batch& batch, const torch::Device& device);

}  // namespace vltune::lora
