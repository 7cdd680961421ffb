#pragma once
// PEFT's adapter_config.json for LoRA (peft/tuners/lora/config.py LoraConfig, as peft 0.21
// writes it): reading the fields this engine honours, refusing the ones it does not implement
// (naming the key), and making a complete config for adapters trained here. The whole JSON is
// kept so that an adapter read and saved again writes every field unchanged.

#include <filesystem>
#include <string>

#include "core/io/json_file.h"
#include "core/lora/lora_linear.h"
#include "core/models/family_layout.h"

namespace vltune::lora {

// The LoRA hyper-parameters of `config` (r, lora_alpha, lora_dropout, use_rslora, use_dora,
// init_lora_weights "gaussian"). Throws FormatError naming `where` (the file) and the key for a
// config that is not LoRA or asks for what is not implemented: fan_in_fan_out, bias other than "none", lora_bias,
// rank_pattern / alpha_pattern, modules_to_save, layers_to_transform, layer_replication,
// target_parameters, trainable_token_indices.
LoraAdapterParams adapter_params_from_config(const io::Json& config, const std::string& where);

// adapter_config.json read and checked as above. Throws FileError / FormatError naming the file.
io::Json read_adapter_config(const std::filesystem::path& path);

// A complete peft 0.21-style LoRA config (every field PEFT writes, at PEFT's defaults) for an
// adapter made here: `target_modules` a regex string or a list of module paths; `base_model` the
// model folder (empty: null). task_type null with auto_mapping naming the transformers class, as
// PEFT writes for a model wrapped without a task type.
io::Json make_adapter_config(const models::FamilyLayout& layout, const LoraAdapterParams& params, const io::Json& target_modules,
                             const std::string& base_model);

}  // namespace vltune::lora
