#pragma once
// Fills a module's parameters from a checkpoint by name, with full accounting: every parameter
// must be filled and every checkpoint tensor used, shapes must agree; otherwise a FormatError
// names the tensors. Checkpoint names are first rewritten by prefix (one table per family: Hub
// checkpoints of different transformers versions spell the same tensor differently).

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "core/io/checkpoint.h"

namespace vltune::models {

struct WeightLoadOptions {
  std::vector<std::pair<std::string, std::string>> renames;  // checkpoint prefix -> module prefix, first match wins
  std::vector<std::string> may_be_absent;                    // parameters the caller fills otherwise (tied lm_head)
  std::vector<std::string> ignored_prefixes;                 // checkpoint tensors that are not the model's (after renames)
  std::optional<torch::Dtype> dtype;                         // floating-point parameters take this dtype as they load
};

// What was loaded, for logs.
struct WeightLoadReport {
  size_t tensors = 0;                 // checkpoint tensors copied
  std::vector<std::string> absent;    // `may_be_absent` parameters the checkpoint did not have
};

// Copies (converting dtype to each parameter's) under torch::NoGradGuard. With options.dtype, a
// floating-point parameter's storage is replaced by the checkpoint tensor in that dtype instead:
// its old (float32, unwritten under lora::SkipLinearInit) storage is never touched.
WeightLoadReport load_weights(torch::nn::Module& module, const io::Checkpoint& checkpoint, const WeightLoadOptions& options);

// Moves `module` to `device` with its floating-point parameters in `dtype`, one tensor at a time,
// converted before the move (the device never holds the float32 copy); parameters sharing storage
// (a tied lm_head) still share it afterwards. Buffers (the rotary inv_freq) only change device:
// they stay float32, as transformers keeps them when it loads a half-precision checkpoint, so
// rotary angles are not rounded to bfloat16.
void place_module(torch::nn::Module& module, torch::Device device, torch::Dtype dtype);

}  // namespace vltune::models
