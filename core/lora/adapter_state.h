#pragma once
// What a forward of a module tree's LoRA layers does besides reading its tensors: which adapters
// are active, at what scale, in what compute dtype, over which base weights, and whether their
// dropout draws random numbers. A CUDA graph captured from one forward bakes all of this in
// (models::GraphedStack keys its graphs on `signature`), so switching adapters, rescaling them or
// re-pointing a base weight between two forwards must be seen as a different forward.

#include <cstdint>

#include <torch/nn/module.h>

namespace vltune::lora {

struct AdapterState {
  bool draws_random = false;  // some active adapter's dropout is at work (training, p > 0)
  uint64_t signature = 0;     // equal for two calls only where the layers' forwards do the same
};

// Walks `root`'s LoRA layers (root included), in module order.
AdapterState adapter_state(const torch::nn::Module& root);

}  // namespace vltune::lora
