#pragma once
// PEFT LoRA adapter folders (adapter_config.json + adapter_model.safetensors) onto a model whose
// linear layers are LoraLinear, through the family's key layout: tensor keys are
//   base_model.model.<transformers 5 module path>.lora_A.weight   (written; read too)
//   base_model.model.<pre-4.52 module path>.lora_A.weight         (read: older adapters)
// e.g. base_model.model.model.language_model.layers.0.self_attn.q_proj.lora_A.weight.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/io/json_file.h"
#include "core/lora/lora_linear.h"
#include "core/models/family_layout.h"

namespace vltune::lora {

// One adapter on a model: its name there, its PEFT config, and where it sits.
struct AdapterRecord {
  std::string name = "default";      // the adapter's name on the LoraLinear layers
  io::Json config;                   // adapter_config.json, every field (as read, or as made here)
  std::vector<std::string> modules;  // our module paths carrying it, in model order
};

// Which key spelling to write.
enum class PeftKeyLayout {
  current,  // transformers >= 4.52 module paths (what PEFT with transformers 5 writes)
  legacy,   // pre-4.52 module paths (the classic checkpoint names)
};

// "base_model.model.<module path in `layout`>.<which>.weight"; which: "lora_A" or "lora_B".
std::string peft_key(const models::FamilyLayout& family, const std::string& module_path, const std::string& which,
                     PeftKeyLayout layout = PeftKeyLayout::current);
// peft_key for "lora_A" / "lora_B", and for DoRA's "lora_magnitude_vector" the key PEFT saves it
// under (base_model.model.<module>.lora_magnitude_vector, no ".weight").
std::string peft_tensor_key(const models::FamilyLayout& family, const std::string& module_path, const std::string& which,
                            PeftKeyLayout layout = PeftKeyLayout::current);
// The same with the adapter name, as PEFT's named_parameters() has it ("...lora_A.default.weight").
std::string peft_parameter_name(const models::FamilyLayout& family, const std::string& module_path, const std::string& which,
                                const std::string& adapter);

// Every LoraLinear of `model` by module path.
std::map<std::string, LoraLinearImpl*> lora_linears(torch::nn::Module& model);

// Adds adapter `name` (PEFT's default init: A kaiming-uniform, B zeros) to `modules` and makes
// it active on them. Returns its record with `config`.
AdapterRecord add_adapter(torch::nn::Module& model, const std::vector<std::string>& modules, const std::string& name,
                          const LoraAdapterParams& params, io::Json config);

// Reads the adapter folder `dir` onto `model` as adapter `name` (added and made active on the
// modules its config targets). Every module its target_modules selects must have both tensors
// and every tensor must belong to one: otherwise a FormatError names the file and the keys
// (unknown key, no such layer, missing tensor, wrong shape or rank).
AdapterRecord load_peft_adapter(torch::nn::Module& model, const models::FamilyLayout& layout, const std::filesystem::path& dir,
                                const std::string& name = "default");

// Writes `adapter` (its tensors, float32, in the current key layout unless told otherwise, and its
// config) to `dir` (created): adapter_model.safetensors, then adapter_config.json, each atomically.
// Reads the tensor values of an adapter folder into the existing adapter `adapter` (what
// save_peft_adapter wrote for it): the same keys, shapes and rank, else a FormatError naming the
// file and the keys.
void load_peft_adapter_values(torch::nn::Module& model, const models::FamilyLayout& layout, const AdapterRecord& adapter,
                              const std::filesystem::path& dir);

void save_peft_adapter(torch::nn::Module& model, const models::FamilyLayout& layout, const AdapterRecord& adapter,
                       const std::filesystem::path& dir, PeftKeyLayout keys = PeftKeyLayout::current);

// The module paths (ours) that a PEFT target_modules value selects among `model`'s LoraLinear
// layers: a string is re.fullmatch'ed against the transformers 5 module path, a list matches a
// path equal to an entry or ending with "." + entry (PEFT's check_target_module_exists).
std::vector<std::string> modules_targeted_by(torch::nn::Module& model, const models::FamilyLayout& layout,
                                             const io::Json& target_modules);

}  // namespace vltune::lora
