#pragma once
// The trainable parameters -> AdamW groups, as transformers and LLaMA-Factory split them:
//   plain:  "decay" (2-D and larger: weights) at weight_decay, "no_decay" (1-D: biases, norm
//           weights) at 0 (transformers' get_decay_parameter_names, by shape);
//   LoRA+:  LLaMA-Factory's create_loraplus_optimizer: "lora_a" (everything else) at lr,
//           "lora_b" (lora_B and any 1-D parameter) at lr * loraplus_lr_ratio, without decay for
//           the 1-D ones ("lora_b_nodecay"), "embedding" at loraplus_lr_embedding.
// Empty groups are left out.

#include <vector>

#include "core/train/optimizer.h"
#include "core/train/trainable.h"

namespace vltune::train {

struct GroupParams {
  double learning_rate = 5e-5;          // base learning rate
  double weight_decay = 0.0;            // for the decayed groups
  double loraplus_lr_ratio = 0.0;       // > 0: LoRA+ groups
  double loraplus_lr_embedding = 1e-6;  // LoRA+: the embedding group's learning rate
};

std::vector<OptimizerGroup> make_param_groups(const std::vector<TrainableParam>& params, const GroupParams& options);

}  // namespace vltune::train
