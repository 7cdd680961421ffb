#pragma once
// What the trainer needs from a model, whatever its family and whatever it trains (LoRA
// adapters, or the parts left unfrozen): a summed loss and its token count for a batch, the
// trainable parameters with the group each belongs to, train/eval mode, and saving/loading of
// what it trains. The trainer (core/train/trainer.h) is written against this and nothing else,
// so it is tested with a toy model and used with every family.

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/data/collate.h"

namespace vltune::train {

// Optimizer groups. LoRA+ gives lora_B a larger learning rate (loraplus_lr_ratio) and, as
// LLaMA-Factory does, no weight decay to parameters of 1-D shape (biases, norms).
enum class ParamGroup {
  lora_A,     // LoRA down projections
  lora_B,     // LoRA up projections (LoRA+: lr * loraplus_lr_ratio)
  embedding,  // LoRA embedding layers (LoRA+: lr_embedding)
  dora_magnitude,  // DoRA magnitudes: 1-D but decayed (transformers decays all but biases and norms; LoRA+: lora_b)
  other,      // full parameters left unfrozen (vision tower, projector, ...)
};

struct TrainableParam {
  std::string name;                          // module path as saved (PEFT name for adapters)
  at::Tensor tensor;                         // the parameter (requires_grad, float32)
  ParamGroup group = ParamGroup::other;      // which optimizer group
};

// A batch's loss as a SUM over its label tokens, so that gradient accumulation can divide by the
// token count of the whole accumulated batch (not average per micro-batch: the 2024 fix).
struct BatchLoss {
  at::Tensor loss_sum;       // scalar, summed cross-entropy over label tokens (CLIP: summed over pairs)
  int64_t tokens = 0;        // what loss_sum is summed over
};

class TrainableModel {
 public:
  virtual ~TrainableModel() = default;

  // Forward of one batch (on the model's device and dtype), with autograd when training.
  virtual BatchLoss loss(const data::Batch& batch) = 0;
  // What loss(batch).tokens will be, known before the forward: gradient accumulation divides
  // each micro-batch's loss_sum by the total of its window, so it needs them all first. Default:
  // the batch's label tokens; a model whose loss counts something else (CLIP: pairs) overrides it.
  virtual int64_t loss_tokens(const data::Batch& batch) const { return batch.label_tokens; }
  // Means of what the model measured beyond the loss since the last call, for the training
  // batches or (evaluation) those run in eval mode: preference tuning's rewards/chosen, ... in a
  // fixed order. Default: nothing. The trainer logs them with the loss (eval_ prefixed).
  virtual std::vector<std::pair<std::string, double>> take_metrics(bool evaluation) {
    (void)evaluation;
    return {};
  }
  // Every parameter the optimizer updates, in a fixed order (checkpoints rely on it).
  virtual std::vector<TrainableParam> trainable_parameters() = 0;
  // Dropout on (training) or off (evaluation, generation).
  virtual void set_training(bool on) = 0;
  // Writes what is trained to `dir` (PEFT adapter_config.json + adapter_model.safetensors for
  // LoRA), atomically.
  virtual void save_trained(const std::filesystem::path& dir) const = 0;
  // Reads back what save_trained wrote (values only; the structure must match).
  virtual void load_trained(const std::filesystem::path& dir) = 0;
};

}  // namespace vltune::train
