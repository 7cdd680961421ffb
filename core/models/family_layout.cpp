#include "core/models/family_layout.h"

#include <algorithm>

#include "core/error.h"

namespace vltune::models {

namespace {

FamilyLayout qwen_layout(io::ModelFamily family, std::string hf_class, std::string hf_library) {
  FamilyLayout l;
  l.family = family;
  // transformers 4.52+: Qwen2VLForConditionalGeneration.model = Qwen2VLModel {language_model, visual}.
  l.prefixes = {
      {"model.", "model.language_model.", "model.", {}},
      {"visual.", "model.visual.", "visual.", {}},
      {"lm_head.", "lm_head.", "lm_head.", {}},
  };
  // LLaMA-Factory: vision_model_keys visual.patch_embed / visual.blocks, projector visual.merger.
  l.parts = {{"model.", ModelPart::language},
             {"lm_head.", ModelPart::head},
             {"visual.merger.", ModelPart::projector},
             {"visual.", ModelPart::vision}};
  l.hf_class = std::move(hf_class);
  l.hf_library = std::move(hf_library);
  return l;
}

FamilyLayout llava_layout() {
  FamilyLayout l;
  l.family = io::ModelFamily::llava;
  // save_pretrained (v5, as these fixtures) writes language_model.model.*, language_model.lm_head.*,
  // vision_tower.*, multi_modal_projector.*; the module paths are model.language_model.*,
  // model.vision_tower.*, model.multi_modal_projector.*, lm_head.*. llava-hf Hub checkpoints
  // (transformers < 4.52) have vision_tower.vision_model.*; 4.52-4.5x saved model.vision_tower.vision_model.*.
  l.prefixes = {
      {"language_model.", "model.language_model.", "language_model.model.", {}},
      {"lm_head.", "lm_head.", "language_model.lm_head.", {}},
      {"vision_tower.", "model.vision_tower.", "vision_tower.", {"model.vision_tower.vision_model.", "vision_tower.vision_model."}},
      {"multi_modal_projector.", "model.multi_modal_projector.", "multi_modal_projector.", {}},
  };
  l.parts = {{"language_model.", ModelPart::language},
             {"lm_head.", ModelPart::head},
             {"vision_tower.", ModelPart::vision},
             {"multi_modal_projector.", ModelPart::projector}};
  l.hf_class = "LlavaForConditionalGeneration";
  l.hf_library = "transformers.models.llava.modeling_llava";
  return l;
}

FamilyLayout idefics3_layout() {
  FamilyLayout l;
  l.family = io::ModelFamily::idefics3;
  // Hub Idefics3 / SmolVLM and transformers 5 alike: model.vision_model.*, model.connector.*,
  // model.text_model.*, lm_head.*; some SmolVLM2 exports use model.language_model.* for the decoder.
  l.prefixes = {
      {"text_model.", "model.text_model.", "model.text_model.", {"model.language_model."}},
      {"vision_model.", "model.vision_model.", "model.vision_model.", {}},
      {"connector.", "model.connector.", "model.connector.", {}},
      {"lm_head.", "lm_head.", "lm_head.", {"model.lm_head."}},
  };
  l.parts = {{"text_model.", ModelPart::language},
             {"lm_head.", ModelPart::head},
             {"vision_model.", ModelPart::vision},
             {"connector.", ModelPart::projector}};
  l.hf_class = "Idefics3ForConditionalGeneration";
  l.hf_library = "transformers.models.idefics3.modeling_idefics3";
  return l;
}

FamilyLayout clip_layout() {
  FamilyLayout l;
  l.family = io::ModelFamily::clip;
  l.prefixes = {
      {"text_model.", "text_model.", "text_model.", {}},
      {"vision_model.", "vision_model.", "vision_model.", {}},
      {"text_projection.", "text_projection.", "text_projection.", {}},
      {"visual_projection.", "visual_projection.", "visual_projection.", {}},
  };
  // CLIP's text side is its "language model"; the two projections are its projectors.
  l.parts = {{"text_model.", ModelPart::language},
             {"vision_model.", ModelPart::vision},
             {"text_projection.", ModelPart::projector},
             {"visual_projection.", ModelPart::projector}};
  l.hf_class = "CLIPModel";
  l.hf_library = "transformers.models.clip.modeling_clip";
  return l;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// `name` with prefix `from` replaced by `to`; prefixes end with '.', `name` may be the prefix
// without it ("lm_head").
std::optional<std::string> replace_prefix(const std::string& name, const std::string& from, const std::string& to) {
  const std::string dotted = name + ".";
  if (!starts_with(dotted, from)) return std::nullopt;
  std::string out = to + dotted.substr(from.size());
  out.pop_back();
  return out;
}

}  // namespace

const char* model_part_name(ModelPart part) {
  switch (part) {
    case ModelPart::language: return "language";
    case ModelPart::vision: return "vision";
    case ModelPart::projector: return "projector";
    case ModelPart::head: return "head";
  }
  return "?";
}

const FamilyLayout& family_layout(io::ModelFamily family) {
  static const FamilyLayout qwen2_vl = qwen_layout(io::ModelFamily::qwen2_vl, "Qwen2VLForConditionalGeneration",
                                                   "transformers.models.qwen2_vl.modeling_qwen2_vl");
  static const FamilyLayout qwen2_5_vl = qwen_layout(io::ModelFamily::qwen2_5_vl, "Qwen2_5_VLForConditionalGeneration",
                                                     "transformers.models.qwen2_5_vl.modeling_qwen2_5_vl");
  static const FamilyLayout llava = llava_layout();
  static const FamilyLayout idefics3 = idefics3_layout();
  static const FamilyLayout clip = clip_layout();
  switch (family) {
    case io::ModelFamily::qwen2_vl: return qwen2_vl;
    case io::ModelFamily::qwen2_5_vl: return qwen2_5_vl;
    case io::ModelFamily::llava: return llava;
    case io::ModelFamily::idefics3: return idefics3;
    case io::ModelFamily::clip: return clip;
  }
  throw Error("no key layout for this model family");
}

std::string hf_module_name(const FamilyLayout& layout, const std::string& name) {
  for (const auto& row : layout.prefixes)
    if (auto out = replace_prefix(name, row.module, row.hf_module)) return *out;
  return name;
}

std::string checkpoint_name(const FamilyLayout& layout, const std::string& name) {
  for (const auto& row : layout.prefixes)
    if (auto out = replace_prefix(name, row.module, row.checkpoint)) return *out;
  return name;
}

std::vector<std::pair<std::string, std::string>> checkpoint_renames(const FamilyLayout& layout) {
  std::vector<std::pair<std::string, std::string>> renames;
  auto add = [&](const std::string& from, const std::string& to) {
    for (const auto& [f, t] : renames)
      if (f == from) {
        if (t != to) throw Error("key layout: \"" + from + "\" maps to both \"" + t + "\" and \"" + to + "\"");
        return;
      }
    renames.emplace_back(from, to);
  };
  for (const auto& row : layout.prefixes) {
    add(row.hf_module, row.module);
    add(row.checkpoint, row.module);
    add(row.module, row.module);
    for (const auto& alias : row.aliases) add(alias, row.module);
  }
  // Longest spelling first, so that model.visual. wins over model. (the first match wins).
  std::stable_sort(renames.begin(), renames.end(), [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  return renames;
}

std::string module_name_from_any(const FamilyLayout& layout, const std::string& name) {
  for (const auto& [from, to] : checkpoint_renames(layout))
    if (auto out = replace_prefix(name, from, to)) return *out;
  return name;
}

ModelPart model_part(const FamilyLayout& layout, const std::string& module_path) {
  const PartRow* best = nullptr;
  const std::string dotted = module_path + ".";
  for (const auto& row : layout.parts)
    if (starts_with(dotted, row.module) && (!best || row.module.size() > best->module.size())) best = &row;
  if (!best)
    throw FormatError("module \"" + module_path + "\" is in no part of a " +
                      std::string(io::model_family_name(layout.family)) + " model");
  return best->part;
}

}  // namespace vltune::models
