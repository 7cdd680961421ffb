#pragma once
// One table per model family that names the same module three ways, and the part of the model it
// belongs to:
//   module      our registered names (the classic checkpoint names, with shorter prefixes for LLaVA
//               and Idefics3): "model.layers.0.self_attn.q_proj"
//   HF module   the module path of transformers >= 4.52 / 5, which PEFT adapters saved with it use
//               after "base_model.model.": "model.language_model.layers.0.self_attn.q_proj"
//   checkpoint  what save_pretrained writes (transformers 5 converts back to the classic names),
//               which is also the module path older transformers had, so pre-4.52 PEFT adapters
//               use it: "model.layers.0.self_attn.q_proj"
// plus other spellings met in the wild (aliases, read only). The loaders (load_qwen_vl, ...), the
// LoRA adapter reader/writer and the merged-checkpoint export all go through this table.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/io/hf_config.h"

namespace vltune::models {

// What a module belongs to (LLaMA-Factory's COMPOSITE_MODELS keys: vision_model_keys,
// projector_keys, language_model_keys; `head` is the output layer, lm_head).
enum class ModelPart { language, vision, projector, head };

// "language", "vision", "projector" or "head".
const char* model_part_name(ModelPart part);

// One prefix, spelled every way. Every prefix ends with '.'.
struct PrefixRow {
  std::string module;                // ours: "model."
  std::string hf_module;             // transformers 5 module path: "model.language_model."
  std::string checkpoint;            // save_pretrained's name (and the pre-4.52 module path): "model."
  std::vector<std::string> aliases;  // further spellings read (other Hub exports)
};

struct PartRow {
  std::string module;  // our prefix, ending with '.'; the longest matching row wins
  ModelPart part;      // what the modules under it belong to
};

struct FamilyLayout {
  io::ModelFamily family = io::ModelFamily::qwen2_vl;  // the family described
  std::vector<PrefixRow> prefixes;                     // module <-> HF module <-> checkpoint
  std::vector<PartRow> parts;                          // module prefix -> part
  std::string hf_class;                                // transformers class (adapter_config.json auto_mapping)
  std::string hf_library;                              // its Python module
};

const FamilyLayout& family_layout(io::ModelFamily family);

// Our module path or tensor name ("model.layers.0.mlp.up_proj", "...up_proj.weight") in
// transformers 5's module path / in save_pretrained's naming. Names no row covers stay as they are.
std::string hf_module_name(const FamilyLayout& layout, const std::string& name);
std::string checkpoint_name(const FamilyLayout& layout, const std::string& name);
// Any spelling (HF module path, checkpoint name, alias, or ours) -> ours; the longest matching
// spelling wins. Names no row covers stay as they are.
std::string module_name_from_any(const FamilyLayout& layout, const std::string& name);
// The same as prefix renames for WeightLoadOptions (longest first).
std::vector<std::pair<std::string, std::string>> checkpoint_renames(const FamilyLayout& layout);

// The part our module path belongs to. Throws FormatError naming it when no row covers it.
ModelPart model_part(const FamilyLayout& layout, const std::string& module_path);

}  // namespace vltune::models
