#pragma once
// Training's decoder stack as two CUDA graph replays a step, one for the forward and one for its
// backward (what torch.cuda.make_graphed_callables does for a callable), for fixed shapes. On a
// GPU, a LoRA step of these models is bound by the host: the card finishes each of the stack's
// ~200 small kernels a layer before the host has launched the next (bench/RESULTS.md, the card
// busy 31-41% of a step without checkpointing). Replayed, the stack costs the host a few copies
// and two launches.
//
// The first call with given shapes runs plainly (cuBLAS handles and workspaces exist after it),
// the second warms up once more on a side stream and captures, later ones replay. The block must
// be a pure function of its input, the fixed tensors and the parameters, with no host reads or
// host-to-device copies (a decoder layer stack with its cos/sin and mask given is). Host state the
// block reads is baked into a capture, so the caller names it in run()'s `variant` (the decoder:
// its adapters' state, lora/adapter_state.h, and whether the stack is checkpointed); a variant
// not seen last drops the graphs, as other shapes do. The replayed kernels are the plain
// forward's and backward's, so values and gradients are the same.
//
// The parameters' gradients are added to their .grad after the backward replay (one multi-tensor
// add, or a copy when .grad is unset): the graph writes them to its own buffers, which must not
// become .grad (the next replay would overwrite an accumulated gradient). A second forward while
// the last replayed one's backward is still due runs plainly: replaying would overwrite the
// activations that backward reads.
//
// On by default (VLTUNE_TRAIN_GRAPHS=0 or set_train_graphs(false) turns it off): on an H200 the
// step without checkpointing went from 170 to 88 ms for Qwen2-VL-2B, 136 to 30 for SmolVLM-256M,
// with the last step's loss within the plain runs' own spread (bench/RESULTS.md). Only on CUDA.
// A checkpointed stack is graphed too where its layers draw no random numbers (no adapter dropout
// at work): its forward graph keeps each layer's input, its backward graph recomputes each layer
// and differentiates it, and within one capture a layer's recomputed activations are freed before
// the next layer's are made. On an H200 that took SmolVLM-256M's checkpointed step from 159 to 36
// ms and Qwen2-VL-2B's from 200 to 106, for 3-8% more peak memory (the graphs' pools; bench/
// RESULTS.md, run G); VLTUNE_CHECKPOINT_GRAPHS=0 or set_checkpoint_graphs(false) turns it off.
// A capture that fails is reported once and the stack runs plainly; so does a stack whose shapes
// keep changing (batches of varying length: each new shape would cost a capture and its memory,
// and replay little), once three captures have been replayed fewer than four times each on average.

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>

namespace vltune::models {

bool train_graphs_enabled();
void set_train_graphs(bool on);
// Whether a checkpointed stack is graphed as well (train graphs enabled, and not switched off by
// VLTUNE_CHECKPOINT_GRAPHS=0 or set_checkpoint_graphs(false)).
bool checkpoint_graphs_enabled();
void set_checkpoint_graphs(bool on);

// The stack: its input and the fixed tensors it reads -> its output.
using GraphBlock = std::function<at::Tensor(const at::Tensor& x, const std::vector<at::Tensor>& fixed)>;

class GraphedStack {
 public:
  GraphedStack();
  ~GraphedStack();
  GraphedStack(const GraphedStack&) = delete;
  GraphedStack& operator=(const GraphedStack&) = delete;

  // Whether run() would use graphs for this call: enabled, built with CUDA, x on a CUDA device,
  // grad mode on and some parameter wanting a gradient.
  static bool applies(const at::Tensor& x, const std::vector<at::Tensor>& params);

  // block(x, fixed), with gradients to x (when it wants one) and to `params` (those that want
  // one); through replayed graphs when applies() and the shapes and `variant` (what else the
  // block's kernels depend on: host state it reads) were seen in the last call before.
  // x: [B, T, hidden] (any shape) -> the block's output
  at::Tensor run(const GraphBlock& block, const at::Tensor& x, const std::vector<at::Tensor>& fixed,
                 const std::vector<at::Tensor>& params, uint64_t variant);

  // Whether the last run() replayed graphs.
  bool replayed() const;
  // Drops the graphs and the memory they hold (the next run() starts counting again, and may
  // capture again after giving up on changing shapes).
  void reset();

  struct State;

 private:
  std::shared_ptr<State> m_state;
};

}  // namespace vltune::models
