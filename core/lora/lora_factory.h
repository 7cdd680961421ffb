#pragma once
// Opening a model folder as a LoraModel: the family from config.json, the weights loaded, and a
// new LoRA adapter applied from a params struct (what LLaMA-Factory's lora_* and freeze_* keys
// say), or none (to load an adapter, or to run the base model).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <torch/torch.h>

#include "core/lora/lora_model.h"

namespace vltune::lora {

// Where the base weights live and in which dtype. Adapters are always float32 on the same device
// (PEFT's autocast_adapter_dtype), so half-precision base weights train float32 LoRA weights.
struct ModelPlacement {
  torch::Device device = torch::kCPU;     // cpu, or cuda[:N]
  torch::Dtype dtype = torch::kFloat32;   // base weights: float32, bfloat16 or float16
};

// The placement a training run asks for: `device` is "auto" (CUDA when one is visible, else
// the CPU), "cpu", "cuda" or "cuda:N"; `precision` "fp32", "bf16" or "fp16". Throws
// vltune::Error naming the setting when the device is absent or the precision cannot run there
// (fp16 matrix products need CUDA).
ModelPlacement resolve_placement(const std::string& device, const std::string& precision);
// "cuda:0 bfloat16"
std::string to_string(const ModelPlacement& placement);

// A new LoRA adapter (LLaMA-Factory's finetuning arguments of the same names).
struct LoraParams {
  int64_t rank = 8;                      // lora_rank
  double alpha = 16.0;                   // lora_alpha (LLaMA-Factory's default: rank * 2)
  double dropout = 0.0;                  // lora_dropout, on the adapter's input while training
  std::string target = "all";            // lora_target: "all", "q_proj,v_proj", or a PEFT regex
  bool use_rslora = false;               // scaling alpha / sqrt(rank) instead of alpha / rank
  bool use_dora = false;                 // DoRA: a trained magnitude per output row (PEFT's use_dora)
  LoraInit init = LoraInit::kaiming;     // init_lora_weights: lora_A kaiming-uniform, or "gaussian" normal(0, 1/r)
  FreezeParams freeze;                   // freeze_vision_tower / freeze_multi_modal_projector / freeze_language_model
  uint64_t seed = 42;                    // seeds torch's generator before the adapter's init (A kaiming-uniform, B zeros)
  std::string adapter_name = "default";  // the adapter's name on the model (PEFT's "default")
  QuantParams quant;                     // quantization_bit / quantization_type / double_quantization: QLoRA base
};

// Stores the frozen weight of every language-model linear layer (lm_head, vision tower and
// projector stay in full precision, as transformers' bitsandbytes loading keeps lm_head) in
// `quant`'s form, quantised from the weights rounded to `dtype`; they compute in `dtype`.
// Quantise on the CPU before placing the model, so the device never holds the full-precision
// copy. -> the number of layers quantised. Throws vltune::Error for bad settings.
int quantize_base_weights(LoraModel& model, const QuantParams& quant, torch::ScalarType dtype);
// Whether any linear layer of `model` has a quantised base weight.
bool has_quantized_base(LoraModel& model);

// The model of `folder` (config.json + safetensors) without adapters, its language model's base
// weights quantised when quant.bits is 4 or 8 (on the CPU, before the move), moved to `placement`.
// Throws FileError / FormatError naming the folder, file and tensor.
std::unique_ptr<LoraModel> open_model(const std::filesystem::path& folder, const ModelPlacement& placement = {},
                                      const QuantParams& quant = {});

// open_model() plus a new adapter from `params`, trainable. Throws vltune::Error naming the
// setting that is wrong (target matching nothing, bad rank...).
std::unique_ptr<LoraModel> open_lora_model(const std::filesystem::path& folder, const LoraParams& params,
                                           const ModelPlacement& placement = {});

}  // namespace vltune::lora
