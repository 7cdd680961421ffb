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
//
// Offloaded (LLaMA-Factory's use_unsloth_gc, Unsloth's offloaded checkpointing): what a block
// keeps for backward, its input hidden states, waits in pinned host memory instead of on the
// card, and is copied back when backward reaches the block. With checkpointing those inputs are
// what grows with the tokens (layers x tokens x hidden: 0.4 GB for a 7B at 2k tokens, 3.3 GB at
// 16k); offloaded, one layer's inputs are on the card at a time. Same gradients, bit for bit. The
// copies ride the compute stream (~0.6 ms for a 7B layer's 14.7 MB at 2k tokens over PCIe 4, both
// ways), as Unsloth's do; a side stream could hide them behind the next layer's work.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

namespace vltune::models {

// The block: inputs -> outputs. Called twice (forward, then in backward), so it must be a pure
// function of its inputs, the tensors it captures and the random generators.
using CheckpointBlock = std::function<std::vector<at::Tensor>(const std::vector<at::Tensor>& inputs)>;

struct CheckpointOptions {
  // The block draws random numbers (dropout at work): the generators' state is kept for the
  // recompute. false: neither saved nor put back, so the checkpointed block can run inside a CUDA
  // graph capture too (graphed_stack.h), where the CUDA generator's state can't be read.
  bool draws_random = true;
  // The inputs wait for backward in host memory (pinned, for a CUDA input), not on the device.
  // An input already in host memory is kept as it is. Not inside a CUDA graph capture.
  bool offload_inputs = false;
};

// block(inputs), with gradients for `inputs` that require grad and for `params` (the block's
// trainable tensors that require grad; undefined ones are skipped). Without grad mode, or with
// nothing requiring grad, it simply runs the block.
std::vector<at::Tensor> checkpoint(const CheckpointBlock& block, const std::vector<at::Tensor>& inputs,
                                   const std::vector<at::Tensor>& params, CheckpointOptions options = {});

// One input, one output.
at::Tensor checkpoint(const std::function<at::Tensor(const at::Tensor&)>& block, const at::Tensor& input,
                      const std::vector<at::Tensor>& params, CheckpointOptions options = {});

// The module's parameters that require grad now (LoRA's lora_A / lora_B while an adapter trains):
// a checkpointed block's `params`. Collected at each call, as the trainable adapter can change.
std::vector<at::Tensor> trainable_tensors(const torch::nn::Module& block);

// How many checkpointed blocks the autograd graph behind `output` holds (each runs again in
// backward); 0 for a tensor without a graph.
size_t checkpointed_blocks(const at::Tensor& output);

// Bytes of the checkpointed blocks' inputs behind `output` that wait for backward offloaded
// (CheckpointOptions::offload_inputs): the host memory they take, or on the CPU would take.
int64_t offloaded_checkpoint_bytes(const at::Tensor& output);

// A module with a stack of blocks that can run each block under checkpoint(). Mixed into the
// stacks' modules so that set_gradient_checkpointing(root, on) finds them under any model.
class CheckpointedStack {
 public:
  virtual ~CheckpointedStack() = default;
  void set_gradient_checkpointing(bool on) { m_gradient_checkpointing = on; }
  bool gradient_checkpointing() const { return m_gradient_checkpointing; }
  // The checkpointed blocks' inputs wait in host memory (CheckpointOptions::offload_inputs).
  void set_checkpoint_offload(bool on) { m_checkpoint_offload = on; }
  bool checkpoint_offload() const { return m_checkpoint_offload; }

 protected:
  // Whether this forward checkpoints its blocks: switched on, the module training and grad mode
  // on (evaluation and generation never pay for the recompute; callers with a KV cache skip it).
  bool checkpoint_blocks(bool training) const;
  // How this stack's blocks are checkpointed.
  CheckpointOptions checkpoint_options(bool draws_random = true) const { return {draws_random, m_checkpoint_offload}; }

 private:
  bool m_gradient_checkpointing = false;
  bool m_checkpoint_offload = false;
};

// Switches every CheckpointedStack in `root`'s module tree (root included); returns how many.
size_t set_gradient_checkpointing(torch::nn::Module& root, bool on);
// Sets every CheckpointedStack's checkpoint_offload in `root`'s tree; returns how many.
size_t set_checkpoint_offload(torch::nn::Module& root, bool on);

}  // namespace vltune::models
