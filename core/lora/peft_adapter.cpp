#include "core/lora/peft_adapter.h"

#include <algorithm>

#include <map>
#include <set>
#include <tuple>

#include "core/error.h"
#include "core/io/safetensors.h"
#include "core/io/safetensors_writer.h"
#include "core/lora/adapter_config.h"
#include "core/lora/targeting.h"
#include "core/text/regex.h"

namespace vltune::lora {

namespace fs = std::filesystem;

namespace {

const std::string kPeftPrefix = "base_model.model.";
const std::string kDoraMagnitude = "lora_magnitude_vector";

// The tensors an adapter has per layer: A and B, and DoRA's magnitude.
std::vector<std::string> tensor_kinds(bool dora) {
  std::vector<std::string> kinds{"lora_A", "lora_B"};
  if (dora) kinds.push_back(kDoraMagnitude);
  return kinds;
}

torch::Tensor& adapter_tensor(LoraLinearImpl& l, const std::string& adapter, const std::string& which) {
  if (which == "lora_A") return l.lora_A_weight(adapter);
  if (which == "lora_B") return l.lora_B_weight(adapter);
  return l.lora_magnitude(adapter);
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string list_some(const std::vector<std::string>& names) {
  std::string s;
  for (size_t i = 0; i < names.size() && i < 6; ++i) s += (i ? ", " : "") + names[i];
  if (names.size() > 6) s += ", ... (" + std::to_string(names.size()) + " in all)";
  return s;
}

std::string shape_text(c10::IntArrayRef shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

std::string peft_key(const models::FamilyLayout& family, const std::string& module_path, const std::string& which,
                     PeftKeyLayout layout) {
  const std::string path =
      layout == PeftKeyLayout::current ? models::hf_module_name(family, module_path) : models::checkpoint_name(family, module_path);
  return kPeftPrefix + path + "." + which + ".weight";
}

std::string peft_parameter_name(const models::FamilyLayout& family, const std::string& module_path, const std::string& which,
                                const std::string& adapter) {
  return kPeftPrefix + models::hf_module_name(family, module_path) + "." + which + "." + adapter + ".weight";
}

std::string peft_tensor_key(const models::FamilyLayout& family, const std::string& module_path, const std::string& which,
                            PeftKeyLayout layout) {
  if (which != kDoraMagnitude) return peft_key(family, module_path, which, layout);
  // PEFT saves DoRA's magnitude without the ".weight" its module has (save_and_load.py).
  const std::string key = peft_key(family, module_path, which, layout);
  return key.substr(0, key.size() - 7);
}

std::map<std::string, LoraLinearImpl*> lora_linears(torch::nn::Module& model) {
  std::map<std::string, LoraLinearImpl*> out;
  for (const auto& item : model.named_modules("", /*include_self=*/false))
    if (auto* l = item.value()->as<LoraLinearImpl>()) out.emplace(item.key(), l);
  return out;
}

AdapterRecord add_adapter(torch::nn::Module& model, const std::vector<std::string>& modules, const std::string& name,
                          const LoraAdapterParams& params, io::Json config) {
  const auto linears = lora_linears(model);
  for (const auto& path : modules) {
    auto it = linears.find(path);
    if (it == linears.end()) throw Error("no LoRA-capable linear layer at \"" + path + "\"");
    it->second->add_adapter(name, params);
    auto active = it->second->active();
    active.push_back(name);
    it->second->set_active(active);
  }
  return {name, std::move(config), modules};
}

std::vector<std::string> modules_targeted_by(torch::nn::Module& model, const models::FamilyLayout& layout,
                                             const io::Json& target_modules) {
  std::vector<std::string> out;
  std::unique_ptr<text::Regex> regex;
  std::vector<std::string> names;
  if (target_modules.is_string()) {
    regex = std::make_unique<text::Regex>("^(?:" + target_modules.get<std::string>() + ")\\z", "adapter target_modules");
  } else if (target_modules.is_array()) {
    for (const auto& n : target_modules) {
      if (!n.is_string()) throw FormatError("adapter target_modules: entries must be strings, got " + n.dump());
      names.push_back(n.get<std::string>());
    }
  } else {
    throw FormatError("adapter target_modules must be a regex string or a list, got " + target_modules.dump());
  }
  for (const auto& site : linear_sites(model, layout)) {
    const std::string& path = site.hf_module_path;
    bool hit = false;
    if (regex) {
      const auto m = regex->find_all(path);
      hit = !m.empty() && m.front().start == 0 && m.front().end == path.size();
    } else {
      for (const auto& n : names) hit = hit || path == n || ends_with(path, "." + n);
    }
    if (hit) out.push_back(site.module_path);
  }
  return out;
}

AdapterRecord load_peft_adapter(torch::nn::Module& model, const models::FamilyLayout& layout, const fs::path& dir,
                                const std::string& name) {
  const fs::path config_path = dir / "adapter_config.json";
  const fs::path weights_path = dir / "adapter_model.safetensors";
  if (!fs::exists(config_path)) throw FileError(dir.string() + ": no adapter_config.json (not a PEFT adapter folder)");
  if (!fs::exists(weights_path))
    throw FileError(dir.string() + ": no adapter_model.safetensors" +
                    (fs::exists(dir / "adapter_model.bin") ? " (adapter_model.bin is not read: convert it to safetensors)" : ""));
  io::Json config = read_adapter_config(config_path);
  const LoraAdapterParams params = adapter_params_from_config(config, config_path.string());
  const auto file = io::SafetensorsFile::open(weights_path);
  const std::string where = weights_path.string();

  // key -> (our module path, "lora_A" / "lora_B")
  const auto linears = lora_linears(model);
  std::map<std::string, std::pair<std::string, std::string>> by_module;  // "<module>|<which>" -> key
  std::vector<std::string> unknown, no_layer;
  for (const auto& info : file.tensors()) {
    const std::string& key = info.name;
    std::string which, suffix;
    for (const char* w : {"lora_A", "lora_B"})
      if (ends_with(key, std::string(".") + w + ".weight")) which = w, suffix = std::string(".") + w + ".weight";
    if (ends_with(key, "." + kDoraMagnitude)) {
      if (!params.use_dora)
        throw FormatError(where + ": tensor \"" + key + "\" is a DoRA magnitude, but " + config_path.string() +
                          " says use_dora: false");
      which = kDoraMagnitude, suffix = "." + kDoraMagnitude;
    }
    if (key.compare(0, kPeftPrefix.size(), kPeftPrefix) != 0 || which.empty()) {
      unknown.push_back(key);
      continue;
    }
    const std::string hf_path = key.substr(kPeftPrefix.size(), key.size() - kPeftPrefix.size() - suffix.size());
    const std::string module = models::module_name_from_any(layout, hf_path);
    if (!linears.count(module)) {
      no_layer.push_back(key);
      continue;
    }
    if (!by_module.emplace(module + "|" + which, std::make_pair(key, which)).second)
      throw FormatError(where + ": tensors \"" + by_module[module + "|" + which].first + "\" and \"" + key +
                        "\" both load into " + module + "." + which);
  }
  if (!unknown.empty())
    throw FormatError(where + ": " + std::to_string(unknown.size()) + " tensor(s) are not LoRA weights of a PEFT adapter: " +
                      list_some(unknown));
  if (!no_layer.empty())
    throw FormatError(where + ": " + std::to_string(no_layer.size()) + " tensor(s) name no linear layer of this " +
                      std::string(io::model_family_name(layout.family)) + " model: " + list_some(no_layer));

  // The modules the config targets must have both tensors, and only they may have any.
  const auto targeted = modules_targeted_by(model, layout, config.at("target_modules"));
  const std::set<std::string> targeted_set(targeted.begin(), targeted.end());
  std::vector<std::string> missing, untargeted;
  for (const auto& path : targeted)
    for (const auto& w : tensor_kinds(params.use_dora))
      if (!by_module.count(path + "|" + w)) missing.push_back(peft_tensor_key(layout, path, w, PeftKeyLayout::current));
  for (const auto& [k, v] : by_module)
    if (!targeted_set.count(k.substr(0, k.find('|')))) untargeted.push_back(v.first);
  if (targeted.empty())
    throw FormatError(config_path.string() + ": target_modules " + config.at("target_modules").dump() +
                      " selects no linear layer of this " + std::string(io::model_family_name(layout.family)) + " model");
  if (!missing.empty()) {
    const bool magnitudes = std::any_of(missing.begin(), missing.end(), [](const std::string& k) { return ends_with(k, "." + kDoraMagnitude); });
    throw FormatError(where + ": " + std::to_string(missing.size()) + " tensor(s) the adapter config targets are missing: " +
                      list_some(missing) +
                      (magnitudes ? " (" + config_path.string() + " says use_dora: true, and a DoRA adapter has a "
                                    "lora_magnitude_vector for every layer)"
                                  : std::string()));
  }
  if (!untargeted.empty())
    throw FormatError(where + ": " + std::to_string(untargeted.size()) +
                      " tensor(s) are for layers its target_modules does not select: " + list_some(untargeted));

  // Shapes before any change to the model.
  for (const auto& path : targeted) {
    const LoraLinearImpl& l = *linears.at(path);
    const auto& a = file.info(by_module.at(path + "|lora_A").first);
    const auto& b = file.info(by_module.at(path + "|lora_B").first);
    const std::vector<int64_t> want_a{params.r, l.options.in_features()}, want_b{l.options.out_features(), params.r};
    auto check = [&](const io::TensorInfo& t, const std::vector<int64_t>& want) {
      if (t.shape != want)
        throw FormatError(where + ": tensor \"" + t.name + "\" has shape " + shape_text(t.shape) + ", the layer (r = " +
                          std::to_string(params.r) + ") needs " + shape_text(want));
    };
    check(a, want_a);
    check(b, want_b);
    if (params.use_dora) check(file.info(by_module.at(path + "|" + kDoraMagnitude).first), {l.options.out_features()});
  }
  AdapterRecord record = add_adapter(model, targeted, name, params, config);
  torch::NoGradGuard no_grad;
  for (const auto& path : targeted) {
    LoraLinearImpl& l = *linears.at(path);
    for (const auto& w : tensor_kinds(params.use_dora))
      adapter_tensor(l, name, w).copy_(file.tensor(by_module.at(path + "|" + w).first).to(torch::kFloat32));
  }
  return record;
}

void load_peft_adapter_values(torch::nn::Module& model, const models::FamilyLayout& layout, const AdapterRecord& adapter,
                              const fs::path& dir) {
  const fs::path weights_path = dir / "adapter_model.safetensors";
  if (!fs::exists(weights_path)) throw FileError(dir.string() + ": no adapter_model.safetensors");
  const std::string where = weights_path.string();
  const io::Json config = read_adapter_config(dir / "adapter_config.json");
  const LoraAdapterParams params = adapter_params_from_config(config, (dir / "adapter_config.json").string());
  const auto file = io::SafetensorsFile::open(weights_path);
  const auto linears = lora_linears(model);
  std::set<std::string> keys;
  for (const auto& info : file.tensors()) keys.insert(info.name);
  std::vector<std::string> missing;
  std::vector<std::tuple<std::string, LoraLinearImpl*, std::string>> plan;  // key, layer, which
  for (const auto& path : adapter.modules) {
    LoraLinearImpl* l = linears.at(path);
    if (l->adapter_params(adapter.name).r != params.r)
      throw FormatError(where + ": rank " + std::to_string(params.r) + " differs from the adapter's " +
                        std::to_string(l->adapter_params(adapter.name).r));
    for (const auto& w : tensor_kinds(l->adapter_params(adapter.name).use_dora)) {
      std::string key = peft_tensor_key(layout, path, w, PeftKeyLayout::current);
      if (!keys.count(key)) key = peft_tensor_key(layout, path, w, PeftKeyLayout::legacy);
      if (!keys.erase(key)) {
        missing.push_back(peft_tensor_key(layout, path, w, PeftKeyLayout::current));
        continue;
      }
      plan.emplace_back(key, l, w);
    }
  }
  if (!missing.empty())
    throw FormatError(where + ": " + std::to_string(missing.size()) + " tensor(s) of adapter \"" + adapter.name +
                      "\" are missing: " + list_some(missing));
  if (!keys.empty())
    throw FormatError(where + ": " + std::to_string(keys.size()) + " tensor(s) are not part of adapter \"" + adapter.name +
                      "\": " + list_some(std::vector<std::string>(keys.begin(), keys.end())));
  torch::NoGradGuard no_grad;
  for (const auto& [key, l, which] : plan) {
    torch::Tensor& dst = adapter_tensor(*l, adapter.name, which);
    const auto src = file.tensor(key);
    if (src.sizes() != dst.sizes())
      throw FormatError(where + ": tensor \"" + key + "\" has shape " + shape_text(src.sizes()) + ", the adapter needs " +
                        shape_text(dst.sizes()));
    dst.copy_(src.to(dst.scalar_type()));
  }
}

void save_peft_adapter(torch::nn::Module& model, const models::FamilyLayout& layout, const AdapterRecord& adapter,
                       const fs::path& dir, PeftKeyLayout keys) {
  const auto linears = lora_linears(model);
  io::NamedTensors tensors;
  for (const auto& path : adapter.modules) {
    auto it = linears.find(path);
    if (it == linears.end() || !it->second->has_adapter(adapter.name))
      throw Error("adapter \"" + adapter.name + "\" is not on \"" + path + "\"");
    for (const auto& w : tensor_kinds(it->second->adapter_params(adapter.name).use_dora))
      tensors.emplace_back(peft_tensor_key(layout, path, w, keys), adapter_tensor(*it->second, adapter.name, w).detach().to(torch::kFloat32));
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw FileError(dir.string() + ": cannot create the adapter folder: " + ec.message());
  io::save_safetensors(dir / "adapter_model.safetensors", tensors, {{"format", "pt"}});
  io::write_json_file_atomic(dir / "adapter_config.json", adapter.config);
}

}  // namespace vltune::lora
