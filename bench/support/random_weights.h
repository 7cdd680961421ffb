#pragma once
// Real-size models with random weights for the benchmarks, drawn where they will run: a 7B
// model's 8 B float32 draws on one CPU core take minutes, on a GPU a moment.
//   auto model = bench::random_model_on(dir, placement, std);   // dir holds the config.json

#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

#include "core/lora/lora_factory.h"
#include "core/lora/lora_model.h"

namespace vltune::bench {

// The model `dir`/config.json describes, its parameters unwritten (Linear layers skip their
// random init), on the CPU in float32. Throws vltune::Error for CLIP (no decoder).
std::unique_ptr<lora::LoraModel> unwritten_model(const std::filesystem::path& dir);

// Every parameter gets fresh, unwritten storage on `device` (floating point in `dtype`), and every
// buffer moves there; parameters that share storage (a tied lm_head) share the new one.
void allocate_on(torch::nn::Module& m, torch::Device device, torch::Dtype dtype);

// transformers' _init_weights on every parameter: matrices and kernels normal(0, std), norm
// weights 1, biases 0. In place, so lm_head tied to the embeddings stays tied.
void init_like_hf(torch::nn::Module& m, double std);

// The config's initializer_range (text_config's for a nested config), 0.02 when it has none.
double initializer_range(const nlohmann::json& config);

// unwritten_model, allocate_on the placement, init_like_hf: the model ready on its device.
std::unique_ptr<lora::LoraModel> random_model_on(const std::filesystem::path& dir, const lora::ModelPlacement& placement,
                                                 double std);

}  // namespace vltune::bench
