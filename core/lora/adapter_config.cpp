#include "core/lora/adapter_config.h"

#include <cmath>

#include "core/error.h"

namespace vltune::lora {

namespace {

bool is_empty_value(const io::Json& v) {
  return v.is_null() || ((v.is_object() || v.is_array() || v.is_string()) && v.empty());
}

// The number as PEFT would write it: an integer when it is one.
io::Json number(double v) {
  if (std::floor(v) == v && std::abs(v) < 1e15) return static_cast<int64_t>(v);
  return v;
}

}  // namespace

LoraAdapterParams adapter_params_from_config(const io::Json& config, const std::string& where) {
  if (!config.is_object()) throw FormatError(where + ": not a JSON object");
  const auto peft_type = io::get_or<std::string>(config, "peft_type", "LORA", where);
  if (peft_type != "LORA") io::throw_bad_value("peft_type", where, "is \"" + peft_type + "\"; only LORA adapters are supported");
  LoraAdapterParams p;
  p.r = io::get_required<int64_t>(config, "r", where);
  if (p.r < 1) io::throw_bad_value("r", where, "must be at least 1");
  p.alpha = io::get_or<double>(config, "lora_alpha", 8.0, where);
  p.dropout = io::get_or<double>(config, "lora_dropout", 0.0, where);
  if (p.dropout < 0.0 || p.dropout >= 1.0) io::throw_bad_value("lora_dropout", where, "must be in [0, 1)");
  p.use_rslora = io::get_or<bool>(config, "use_rslora", false, where);
  p.use_dora = io::get_or<bool>(config, "use_dora", false, where);
  // init_lora_weights only says how training started: true, false, "gaussian" or PEFT's other
  // schemes all load the same way; "gaussian" is kept so a re-save writes it back.
  if (auto it = config.find("init_lora_weights"); it != config.end() && it->is_string() && it->get<std::string>() == "gaussian")
    p.init = LoraInit::gaussian;
  if (io::get_or<bool>(config, "fan_in_fan_out", false, where))
    io::throw_bad_value("fan_in_fan_out", where, "is true: only nn.Linear-style weights are supported");
  const auto bias = io::get_or<std::string>(config, "bias", "none", where);
  if (bias != "none") io::throw_bad_value("bias", where, "is \"" + bias + "\"; only \"none\" is supported");
  if (io::get_or<bool>(config, "lora_bias", false, where))
    io::throw_bad_value("lora_bias", where, "is true: LoRA biases are not supported");
  for (const char* key : {"rank_pattern", "alpha_pattern", "modules_to_save", "layers_to_transform", "layer_replication",
                          "target_parameters", "trainable_token_indices", "exclude_modules"}) {
    auto it = config.find(key);
    if (it != config.end() && !is_empty_value(*it))
      io::throw_bad_value(key, where, "is set (" + it->dump() + "); this is not supported");
  }
  auto targets = config.find("target_modules");
  if (targets == config.end() || !(targets->is_string() || targets->is_array()))
    throw FormatError(where + ": key \"target_modules\" must be a regex string or a list of module names");
  return p;
}

io::Json read_adapter_config(const std::filesystem::path& path) {
  io::Json config = io::read_json_file(path);
  adapter_params_from_config(config, path.string());
  return config;
}

io::Json make_adapter_config(const models::FamilyLayout& layout, const LoraAdapterParams& params, const io::Json& target_modules,
                             const std::string& base_model) {
  const io::Json null;
  io::Json c = io::Json::object();
  c["alora_invocation_tokens"] = null;
  c["alpha_pattern"] = io::Json::object();
  c["arrow_config"] = null;
  c["auto_mapping"] = {{"base_model_class", layout.hf_class}, {"parent_library", layout.hf_library}};
  c["base_model_name_or_path"] = base_model.empty() ? null : io::Json(base_model);
  c["bias"] = "none";
  c["corda_config"] = null;
  c["ensure_weight_tying"] = false;
  c["eva_config"] = null;
  c["exclude_modules"] = null;
  c["fan_in_fan_out"] = false;
  c["inference_mode"] = true;
  c["init_lora_weights"] = params.init == LoraInit::gaussian ? io::Json("gaussian") : io::Json(true);
  c["kasa_config"] = null;
  c["layer_replication"] = null;
  c["layers_pattern"] = null;
  c["layers_to_transform"] = null;
  c["loftq_config"] = io::Json::object();
  c["lora_alpha"] = number(params.alpha);
  c["lora_bias"] = false;
  c["lora_dropout"] = params.dropout;
  c["lora_ga_config"] = null;
  c["megatron_config"] = null;
  c["megatron_core"] = "megatron.core";
  c["modules_to_save"] = null;
  c["monteclora_config"] = null;
  c["peft_type"] = "LORA";
  c["peft_version"] = "0.21.0";  // the format followed
  c["qalora_group_size"] = 16;
  c["r"] = params.r;
  c["rank_pattern"] = io::Json::object();
  c["revision"] = null;
  c["target_modules"] = target_modules;
  c["target_parameters"] = null;
  c["task_type"] = null;
  c["trainable_token_indices"] = null;
  c["use_bdlora"] = null;
  c["use_dora"] = params.use_dora;
  c["use_qalora"] = false;
  c["use_rslora"] = params.use_rslora;
  c["velora_config"] = null;
  return c;
}

}  // namespace vltune::lora
