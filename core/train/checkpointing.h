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

#include <functional>
#include <vector>

#include <ATen/core/Tensor.h>

namespace vltune::train {

// The block: inputs -> outputs. Called twice (forward, then in backward), so it must be a pure
// function of its inputs, the tensors it captures and the random generators.
using CheckpointBlock = std::function<std::vector<at::Tensor>(const std::vector<at::Tensor>& inputs)>;

// block(inputs), with gradients for `inputs` that require grad and for `params` (the block's
// trainable tensors that require grad; undefined ones are skipped). Without grad mode, or with
// nothing requiring grad, it simply runs the block.
std::vector<at::Tensor> checkpoint(const CheckpointBlock& block, const std::vector<at::Tensor>& inputs,
                                   const std::vector<at::Tensor>& params);

// One input, one output.
at::Tensor checkpoint(const std::function<at::Tensor(const at::Tensor&)>& block, const at::Tensor& input,
                      const std::vector<at::Tensor>& params);

}  // namespace vltune::train
