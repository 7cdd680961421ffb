#pragma once
// Gradient checkpointing (torch.utils.checkpoint, which LibTorch lacks): a block's forward runs
// without keeping its activations, and backward runs it again with autograd on to get the
// gradients, trading compute for memory (one decoder layer's activations alive at a time).
//
// The recompute draws the same dropout masks: the random generators' state at the forward is
// saved and put back around the recompute (then restored to where training had got to), so the
// gradients equal those of the plain forward exactly.
//
// Unlike PyTorch's reentrant checkpoint, the trainable tensors the block reads are passed in
// `params`: their gradients flow through this node even when no input requires grad (LoRA on
// frozen hidden states), which the reentrant version silently loses (transformers works around it
// with enable_input_require_grads).
//
// The models switch it on per stack of blocks (decoder layers, encoder layers, vision blocks):
// a CheckpointedStack runs each block through checkpoint() while training with grad enabled.
// It lives with the models (not the trainer) because the blocks call it from their forward.

#include <cstddef>
#include <functional>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

namespace vltune::models {

// The block: inputs -> outputs. Called twice (forward, then in backward), so it must be a pure
// function of its inputs, the tensors it captures and the random generators.
using CheckpointBlock = std::function<std::vector<at::Tensor>(const std::vector<at::Tensor>& inputs)>;

// block(inputs), with gradients for `inputs` that require grad and for `params` (the block's
// trainable tensors that require grad; undefined ones are skipped). Without grad mode, or with
// nothing requiring grad, it simply runs the block. draws_random false: the block draws no random
// numbers (no dropout at work), so the generators' state is neither saved nor put back around the
// recompute; the checkpointed block can then run inside a CUDA graph capture too (graphed_stack.h),
// where the CUDA generator's state can't be read.
std::vector<at::Tensor> checkpoint(const CheckpointBlock& block, const std::vector<at::Tensor>& inputs,
                                   const std::vector<at::Tensor>& params, bool draws_random = true);

// One input, one output.
at::Tensor checkpoint(const std::function<at::Tensor(const at::Tensor&)>& block, const at::Tensor& input,
                      const std::vector<at::Tensor>& params, bool draws_random = true);

// The module's parameters that require grad now (LoRA's lora_A / lora_B while an adapter trains):
// a checkpointed block's `params`. Collected at each call, as the trainable adapter can change.
std::vector<at::Tensor> trainable_tensors(const torch::nn::Module& block);

// How many checkpointed blocks the autograd graph behind `output` holds (each runs again in
// backward); 0 for a tensor without a graph.
size_t checkpointed_blocks(const at::Tensor& output);

// A module with a stack of blocks that can run each block under checkpoint(). Mixed into the
// stacks' modules so that set_gradient_checkpointing(root, on) finds them under any model.
class CheckpointedStack {
 public:
  virtual ~CheckpointedStack() = default;
  void set_gradient_checkpointing(bool on) { m_gradient_checkpointing = on; }
  bool gradient_checkpointing() const { return m_gradient_checkpointing; }

 protected:
  // Whether this forward checkpoints its blocks: switched on, the module training and grad mode
  // on (evaluation and generation never pay for the recompute; callers with a KV cache skip it).
  bool checkpoint_blocks(bool training) const;

 private:
  bool m_gradient_checkpointing = false;
};

// Switches every CheckpointedStack in `root`'s module tree (root included); returns how many.
size_t set_gradient_checkpointing(torch::nn::Module& root, bool on);

}  // namespace vltune::models
