#pragma once
// One autograd node for a whole small block of training's forward, where autograd would record one
// per operation: RMSNorm (8 nodes), the rotary embedding (7) and a LoRA linear (about 13, in
// core/lora/lora_linear.cpp). A GPU training step of these models is bound by the host: the card
// finishes each small kernel before the host has dispatched the next, and every recorded
// operation costs a node to build, to save tensors for and to run in backward. The forward of
// each node runs the same operations as the plain path, and its backward the operations autograd
// would run, in the same order and dtypes (each gradient cast to its input's dtype where the
// engine casts it), so values and gradients are bit-identical to the plain path
// (tests/core/test_compact_autograd.cpp). RMSNorm's node also saves less: the input and the
// [..., 1] scale, not a float32 copy of the activations.
//
// On by default; VLTUNE_COMPACT_AUTOGRAD=0 (or set_compact_autograd(false)) records the plain
// operations, for comparison.

#include <torch/torch.h>

namespace vltune::models {

// Whether the compact nodes are in use (the environment's choice unless set since).
bool compact_autograd_enabled();
// Switches them for the process.
void set_compact_autograd(bool on);

// Whether a compact node should record this call: enabled, grad mode on, and some input needs a
// gradient (otherwise the plain operations record nothing anyway).
bool compact_node_applies(std::initializer_list<const torch::Tensor*> inputs);

// models::RMSNorm's arithmetic as one node: weight * R(x * rsqrt(mean(x^2) + eps)), the
// statistics in float32 and R the rounding to x's dtype. x: [..., D], weight: [D] -> [..., D].
torch::Tensor rms_norm_node(const torch::Tensor& x, const torch::Tensor& weight, double eps);

// x * cos + rotate_half(x) * sin as one node, for cos/sin without gradients that broadcast to x's
// shape (the output has x's shape). x: [..., D] -> [..., D].
torch::Tensor rotary_node(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

// Whether rotary_node takes these tensors (cos/sin want no gradient; x's shape is the output's).
bool rotary_node_fits(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

}  // namespace vltune::models
