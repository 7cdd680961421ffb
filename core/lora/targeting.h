#pragma once
// Which linear layers get LoRA, and which parts of a VLM stay frozen (LLaMA-Factory's lora_target,
// find_all_linear_modules and patch_target_modules; PEFT's target_modules), on any model whose
// linear layers are LoraLinear, through its family's key layout (core/models/family_layout.h).
// Modules are matched by their transformers 5 module paths, as PEFT matches them.

#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/models/family_layout.h"

namespace vltune::lora {

// What LoRA targets.
struct LoraTarget {
  enum class Kind { all, names, regex };
  Kind kind = Kind::all;           // all: every linear layer but lm_head and the frozen parts
  std::vector<std::string> names;  // names: module-name suffixes ("q_proj", "self_attn.o_proj"), PEFT's list matching
  std::string regex;               // regex: PEFT's target_modules string, re.fullmatch on the module path
};

// "all"; a comma-separated list of names ("q_proj,v_proj", LLaMA-Factory's lora_target); anything
// with regex metacharacters is a regex (PEFT's target_modules string). Throws vltune::Error for
// an empty text or an empty name in the list.
LoraTarget parse_lora_target(const std::string& text);
// Back to text ("all", "q_proj,v_proj", the regex).
std::string lora_target_text(const LoraTarget& target);

// Which parts of a VLM are frozen (LLaMA-Factory's finetuning arguments of the same names).
// Frozen parts never get LoRA from `all` or a name list and never require grad. CLIP: the vision
// tower is its vision_model, the projectors its text_projection/visual_projection.
struct FreezeParams {
  bool freeze_vision_tower = true;             // vision encoder frozen (LLaMA-Factory default)
  bool freeze_multi_modal_projector = true;    // projector / merger / connector frozen (default)
  bool freeze_language_model = false;          // language model and lm_head frozen
};

bool is_frozen(models::ModelPart part, const FreezeParams& freeze);

// One linear layer LoRA can target.
struct LinearSite {
  std::string module_path;     // ours: "model.layers.0.self_attn.q_proj"
  std::string hf_module_path;  // transformers 5: "model.language_model.layers.0.self_attn.q_proj"
  models::ModelPart part;      // what it belongs to
};

// Every LoraLinear of `model`, in registration order.
std::vector<LinearSite> linear_sites(torch::nn::Module& model, const models::FamilyLayout& layout);

// The sites `target` selects:
//   all    every site except the head (lm_head) and the frozen parts; so the vision tower and
//          the projector are included when they are not frozen (CLIP by default: its text side)
//   names  sites whose module path equals a name or ends with "." + name, outside frozen parts
//   regex  sites whose transformers 5 module path the regex fully matches, outside frozen parts
// Frozen parts are left out whatever the target (so ".*\.q_proj" with the default freezes is the
// language model's q_proj only). Throws vltune::Error naming the target when nothing is left.
std::vector<LinearSite> select_sites(torch::nn::Module& model, const models::FamilyLayout& layout, const LoraTarget& target,
                                     const FreezeParams& freeze);

// The LoraLinear at `module_path` of `model`; throws vltune::Error naming it when there is none.
class LoraLinearImpl;
LoraLinearImpl& lora_linear_at(torch::nn::Module& model, const std::string& module_path);

}  // namespace vltune::lora
