#include "core/lora/targeting.h"

#include <algorithm>

#include "core/error.h"
#include "core/lora/lora_linear.h"
#include "core/text/regex.h"

namespace vltune::lora {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

LoraTarget parse_lora_target(const std::string& text_in) {
  const std::string text = trim(text_in);
  if (text.empty()) throw Error("lora_target is empty (give \"all\", names such as \"q_proj,v_proj\", or a regex)");
  LoraTarget target;
  if (text == "all") return target;
  if (text.find_first_of("^$*+?()[]{}|\\") != std::string::npos) {
    target.kind = LoraTarget::Kind::regex;
    target.regex = text;
    return target;
  }
  target.kind = LoraTarget::Kind::names;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string name = trim(text.substr(start, comma - start));
    if (name.empty()) throw Error("lora_target \"" + text + "\" has an empty name in its list");
    if (name == "all") throw Error("lora_target \"" + text + "\": \"all\" cannot be combined with names");
    target.names.push_back(name);
    start = comma + 1;
  }
  return target;
}

std::string lora_target_text(const LoraTarget& target) {
  switch (target.kind) {
    case LoraTarget::Kind::all: return "all";
    case LoraTarget::Kind::regex: return target.regex;
    case LoraTarget::Kind::names: {
      std::string s;
      for (const auto& n : target.names) s += (s.empty() ? "" : ",") + n;
      return s;
    }
  }
  return "all";
}

bool is_frozen(models::ModelPart part, const FreezeParams& freeze) {
  switch (part) {
    case models::ModelPart::vision: return freeze.freeze_vision_tower;
    case models::ModelPart::projector: return freeze.freeze_multi_modal_projector;
    case models::ModelPart::language:
    case models::ModelPart::head: return freeze.freeze_language_model;
  }
  return true;
}

std::vector<LinearSite> linear_sites(torch::nn::Module& model, const models::FamilyLayout& layout) {
  std::vector<LinearSite> out;
  for (const auto& item : model.named_modules("", /*include_self=*/false)) {
    if (!item.value()->as<LoraLinearImpl>()) continue;
    out.push_back({item.key(), models::hf_module_name(layout, item.key()), models::model_part(layout, item.key())});
  }
  return out;
}

std::vector<LinearSite> select_sites(torch::nn::Module& model, const models::FamilyLayout& layout, const LoraTarget& target,
                                     const FreezeParams& freeze) {
  std::vector<LinearSite> out;
  std::unique_ptr<text::Regex> regex;
  if (target.kind == LoraTarget::Kind::regex)
    regex = std::make_unique<text::Regex>("^(?:" + target.regex + ")\\z", "lora_target (target_modules)");
  for (const auto& site : linear_sites(model, layout)) {
    const bool frozen = is_frozen(site.part, freeze);
    switch (target.kind) {
      case LoraTarget::Kind::all:
        if (site.part != models::ModelPart::head && !frozen) out.push_back(site);
        break;
      case LoraTarget::Kind::names:
        if (frozen) break;
        for (const auto& name : target.names)
          if (site.hf_module_path == name || ends_with(site.hf_module_path, "." + name)) {
            out.push_back(site);
            break;
          }
        break;
      case LoraTarget::Kind::regex: {
        if (frozen) break;
        const auto matches = regex->find_all(site.hf_module_path);
        if (!matches.empty() && matches.front().start == 0 && matches.front().end == site.hf_module_path.size()) out.push_back(site);
        break;
      }
    }
  }
  if (out.empty())
    throw Error("lora_target \"" + lora_target_text(target) + "\" matches no linear layer of this " +
                std::string(io::model_family_name(layout.family)) + " model outside its frozen parts");
  return out;
}

LoraLinearImpl& lora_linear_at(torch::nn::Module& model, const std::string& module_path) {
  for (const auto& item : model.named_modules("", /*include_self=*/false))
    if (item.key() == module_path) {
      if (auto* l = item.value()->as<LoraLinearImpl>()) return *l;
      break;
    }
  throw Error("no LoRA-capable linear layer at \"" + module_path + "\"");
}

}  // namespace vltune::lora
