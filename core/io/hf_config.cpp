#include "core/io/hf_config.h"

#include <algorithm>
#include <initializer_list>
#include <numeric>
#include <type_traits>
#include <utility>

#include "core/error.h"

// Where the defaults come from: transformers, src/transformers/models/<family>/configuration_*.py
// (v5 series; the same values as v4 unless noted). The M-RoPE section default [16, 24, 24] is not a
// config key default but the fallback of the modeling code (modeling_qwen2_vl.py /
// modeling_qwen2_5_vl.py: rope_parameters.get("mrope_section", [16, 24, 24])): v5 configs made
// without it, like the reference fixtures, do not write it.

namespace vltune::io {

namespace fs = std::filesystem;

namespace {

// ------------------------------------------------------------------------------------------------
// Small readers on top of json_file.h's getters.

// A nested object (text_config, rope_scaling, ...): nullptr when absent or null.
const Json* sub_object(const Json& object, std::string_view key, const std::string& where) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  if (!it->is_object()) throw_wrong_type(key, where, "an object", *it);
  return &*it;
}

bool has_key(const Json& object, std::string_view key) {
  if (!object.is_object()) return false;
  auto it = object.find(key);
  return it != object.end() && !it->is_null();
}

void require_positive(int64_t value, std::string_view key, const std::string& where) {
  if (value <= 0) throw_bad_value(key, where, "should be positive, got " + std::to_string(value));
}

// Each (value, key) positive.
void require_all_positive(std::initializer_list<std::pair<int64_t, const char*>> values,
                          const std::string& where) {
  for (const auto& [value, key] : values) require_positive(value, key, where);
}

std::string join(const std::vector<int64_t>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + std::to_string(values[i]);
  return out + "]";
}

std::string join(const std::vector<std::string>& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + values[i];
  return out;
}

// `model_type` of a sub-config, checked against what this family supports.
std::string sub_model_type(const Json& sub, const std::string& where, const std::string& fallback,
                           const std::vector<std::string>& supported) {
  const std::string type = get_or<std::string>(sub, "model_type", fallback, where);
  if (std::find(supported.begin(), supported.end(), type) == supported.end())
    throw_bad_value("model_type", where,
                    "is \"" + type + "\", which is not supported here; supported: " + join(supported));
  return type;
}

// ------------------------------------------------------------------------------------------------
// Text decoders.

enum class DecoderKind { qwen2, llama };

// RoPE: `rope_scaling` (v4, or v5 configs that still carry it) wins over `rope_parameters`, as in
// transformers' convert_rope_params_to_dict; a top-level `rope_theta` fills in a missing theta.
// Returns whether the file gave an mrope_section.
bool read_rope(RopeParameters& rope, const Json& object, const std::string& where, DecoderKind kind) {
  const char* key = "rope_scaling";
  const Json* params = sub_object(object, key, where);
  if (!params) {
    key = "rope_parameters";
    params = sub_object(object, key, where);
  }
  read_into(rope.rope_theta, object, "rope_theta", where);
  if (!params) return false;
  const std::string rope_where = where + ": " + key;
  read_into(rope.rope_theta, *params, "rope_theta", rope_where);
  // "type" is the v4 spelling of "rope_type".
  if (has_key(*params, "rope_type"))
    rope.rope_type = get_required<std::string>(*params, "rope_type", rope_where);
  else
    read_into(rope.rope_type, *params, "type", rope_where);
  if (kind == DecoderKind::qwen2) {
    // transformers v4 and v5 turn Qwen's "mrope" into "default": M-RoPE is default RoPE applied
    // per axis.
    if (rope.rope_type == "mrope") rope.rope_type = "default";
    read_into(rope.mrope_section, *params, "mrope_section", rope_where);
  }
  const bool mrope_given = kind == DecoderKind::qwen2 && has_key(*params, "mrope_section");
  if (auto v = get_optional<double>(*params, "factor", rope_where)) rope.factor = v;
  if (auto v = get_optional<int64_t>(*params, "original_max_position_embeddings", rope_where))
    rope.original_max_position_embeddings = v;
  if (auto v = get_optional<double>(*params, "low_freq_factor", rope_where)) rope.low_freq_factor = v;
  if (auto v = get_optional<double>(*params, "high_freq_factor", rope_where)) rope.high_freq_factor = v;
  return mrope_given;
}

// `config` holds the family's defaults on entry; keys present in `object` replace them.
TextDecoderConfig parse_text_decoder(const Json& object, const std::string& where,
                                     TextDecoderConfig config, DecoderKind kind) {
  read_into(config.vocab_size, object, "vocab_size", where);
  read_into(config.hidden_size, object, "hidden_size", where);
  read_into(config.intermediate_size, object, "intermediate_size", where);
  read_into(config.num_hidden_layers, object, "num_hidden_layers", where);
  read_into(config.num_attention_heads, object, "num_attention_heads", where);
  // Llama: absent or null means num_attention_heads. Qwen2-VL: only null does (absent is 8).
  if (kind == DecoderKind::llama || (object.contains("num_key_value_heads") &&
                                     object["num_key_value_heads"].is_null()))
    config.num_key_value_heads = config.num_attention_heads;
  read_into(config.num_key_value_heads, object, "num_key_value_heads", where);
  read_into(config.hidden_act, object, "hidden_act", where);
  read_into(config.rms_norm_eps, object, "rms_norm_eps", where);
  read_into(config.max_position_embeddings, object, "max_position_embeddings", where);
  read_into(config.tie_word_embeddings, object, "tie_word_embeddings", where);
  const bool mrope_given = read_rope(config.rope_parameters, object, where, kind);

  if (kind == DecoderKind::llama) {
    const bool attention_bias = get_or<bool>(object, "attention_bias", false, where);
    config.qkv_bias = attention_bias;
    config.o_proj_bias = attention_bias;
    read_into(config.mlp_bias, object, "mlp_bias", where);
  } else {
    // Qwen2 attention: q/k/v projections with bias, o_proj and the MLP without
    // (modeling_qwen2_vl.py Qwen2VLAttention / Qwen2MLP); there are no config keys for it.
    config.qkv_bias = true;
    config.o_proj_bias = false;
    config.mlp_bias = false;
  }

  read_nullable_id(config.bos_token_id, object, "bos_token_id", where);
  read_token_ids(config.eos_token_ids, object, "eos_token_id", where);
  read_nullable_id(config.pad_token_id, object, "pad_token_id", where);

  require_all_positive({{config.vocab_size, "vocab_size"},
                            {config.hidden_size, "hidden_size"},
                            {config.intermediate_size, "intermediate_size"},
                            {config.num_hidden_layers, "num_hidden_layers"},
                            {config.num_attention_heads, "num_attention_heads"},
                            {config.num_key_value_heads, "num_key_value_heads"},
                            {config.max_position_embeddings, "max_position_embeddings"}}, where);

  if (has_key(object, "head_dim")) {
    config.head_dim = get_required<int64_t>(object, "head_dim", where);
    require_positive(config.head_dim, "head_dim", where);
  } else {
    if (config.hidden_size % config.num_attention_heads != 0)
      throw_bad_value("hidden_size", where,
                      "(" + std::to_string(config.hidden_size) +
                          ") is not divisible by num_attention_heads (" +
                          std::to_string(config.num_attention_heads) + ") and head_dim is not given");
    config.head_dim = config.hidden_size / config.num_attention_heads;
  }
  if (config.num_attention_heads % config.num_key_value_heads != 0)
    throw_bad_value("num_key_value_heads", where,
                    "(" + std::to_string(config.num_key_value_heads) +
                        ") does not divide num_attention_heads (" +
                        std::to_string(config.num_attention_heads) + ")");

  // Sliding window: Qwen2VLTextConfig keeps sliding_window only when use_sliding_window, and
  // layers >= max_window_layers use it.
  if (kind == DecoderKind::qwen2) {
    read_into(config.use_sliding_window, object, "use_sliding_window", where);
    read_nullable_id(config.sliding_window, object, "sliding_window", where);
    read_nullable_id(config.max_window_layers, object, "max_window_layers", where);
    if (!config.use_sliding_window) config.sliding_window.reset();
  }
  if (has_key(object, "layer_types")) {
    config.layer_types = get_required<std::vector<std::string>>(object, "layer_types", where);
    if (static_cast<int64_t>(config.layer_types.size()) != config.num_hidden_layers)
      throw_bad_value("layer_types", where,
                      "has " + std::to_string(config.layer_types.size()) +
                          " entries but num_hidden_layers is " +
                          std::to_string(config.num_hidden_layers));
    for (const auto& type : config.layer_types)
      if (type != "full_attention" && type != "sliding_attention")
        throw_bad_value("layer_types", where,
                        "has \"" + type + "\"; expected full_attention or sliding_attention");
  } else {
    config.layer_types.assign(static_cast<size_t>(config.num_hidden_layers), "full_attention");
    if (config.sliding_window && config.max_window_layers)
      for (int64_t i = std::max<int64_t>(*config.max_window_layers, 0); i < config.num_hidden_layers; ++i)
        config.layer_types[static_cast<size_t>(i)] = "sliding_attention";
  }

  if (kind == DecoderKind::qwen2) {
    const auto& section = config.rope_parameters.mrope_section;
    const int64_t sum = std::accumulate(section.begin(), section.end(), int64_t{0});
    if (section.size() != 3 || sum * 2 != config.head_dim)
      throw_bad_value("mrope_section", where,
                      "is " + join(section) + (mrope_given ? "" : " (the default when absent)") +
                          " but should have 3 entries summing to head_dim / 2 (" +
                          std::to_string(config.head_dim / 2) + ")");
  }
  return config;
}

// The Llama decoder of Idefics3 / LLaVA: text_config.model_type defaults to "llama", the only one
// supported.
TextDecoderConfig parse_llama_text_config(const Json& text, const std::string& where,
                                          TextDecoderConfig defaults) {
  defaults.model_type = sub_model_type(text, where, "llama", {"llama"});
  return parse_text_decoder(text, where, std::move(defaults), DecoderKind::llama);
}

// The top-level tie_word_embeddings is the composite model's (what decides whether lm_head is
// tied); v5 also writes one into text_config. Top level wins when both are there.
void resolve_tie(TextDecoderConfig& text, const Json& top, const std::string& where) {
  read_into(text.tie_word_embeddings, top, "tie_word_embeddings", where);
}

// ------------------------------------------------------------------------------------------------
// Vision towers.

double vision_rope_theta(const Json& vision, const std::string& where, double fallback) {
  if (const Json* rope = sub_object(vision, "rope_parameters", where))
    return get_or<double>(*rope, "rope_theta", fallback, where + ": rope_parameters");
  return fallback;
}

void require_divisible(int64_t width, std::string_view width_key, int64_t heads,
                       std::string_view heads_key, const std::string& where) {
  if (width % heads != 0)
    throw_bad_value(width_key, where,
                    "(" + std::to_string(width) + ") is not divisible by " + std::string(heads_key) +
                        " (" + std::to_string(heads) + ")");
}

Qwen2VLVisionConfig parse_qwen2_vl_vision(const Json& top, const std::string& label) {
  Qwen2VLVisionConfig v;
  const Json* vision = sub_object(top, "vision_config", label);
  if (!vision) return v;
  const std::string where = label + ": vision_config";
  read_into(v.depth, *vision, "depth", where);
  read_into(v.embed_dim, *vision, "embed_dim", where);
  read_into(v.hidden_size, *vision, "hidden_size", where);
  read_into(v.hidden_act, *vision, "hidden_act", where);
  read_into(v.mlp_ratio, *vision, "mlp_ratio", where);
  read_into(v.num_heads, *vision, "num_heads", where);
  read_into(v.in_channels, *vision, "in_channels", where);
  read_into(v.patch_size, *vision, "patch_size", where);
  read_into(v.spatial_merge_size, *vision, "spatial_merge_size", where);
  read_into(v.temporal_patch_size, *vision, "temporal_patch_size", where);
  v.rope_theta = vision_rope_theta(*vision, where, v.rope_theta);
  require_all_positive({{v.depth, "depth"}, {v.embed_dim, "embed_dim"},
                            {v.hidden_size, "hidden_size"}, {v.num_heads, "num_heads"},
                            {v.in_channels, "in_channels"}, {v.patch_size, "patch_size"},
                            {v.spatial_merge_size, "spatial_merge_size"},
                            {v.temporal_patch_size, "temporal_patch_size"}}, where);
  if (!(v.mlp_ratio > 0)) throw_bad_value("mlp_ratio", where, "should be positive");
  require_divisible(v.embed_dim, "embed_dim", v.num_heads, "num_heads", where);
  return v;
}

Qwen2_5_VLVisionConfig parse_qwen2_5_vl_vision(const Json& top, const std::string& label) {
  Qwen2_5_VLVisionConfig v;
  const Json* vision = sub_object(top, "vision_config", label);
  if (!vision) return v;
  const std::string where = label + ": vision_config";
  read_into(v.depth, *vision, "depth", where);
  read_into(v.hidden_size, *vision, "hidden_size", where);
  read_into(v.hidden_act, *vision, "hidden_act", where);
  read_into(v.intermediate_size, *vision, "intermediate_size", where);
  read_into(v.num_heads, *vision, "num_heads", where);
  read_into(v.in_channels, *vision, "in_channels", where);
  read_into(v.patch_size, *vision, "patch_size", where);
  read_into(v.spatial_merge_size, *vision, "spatial_merge_size", where);
  read_into(v.temporal_patch_size, *vision, "temporal_patch_size", where);
  read_into(v.tokens_per_second, *vision, "tokens_per_second", where);
  read_into(v.window_size, *vision, "window_size", where);
  read_into(v.out_hidden_size, *vision, "out_hidden_size", where);
  read_into(v.fullatt_block_indexes, *vision, "fullatt_block_indexes", where);
  v.rope_theta = vision_rope_theta(*vision, where, v.rope_theta);
  require_all_positive({{v.depth, "depth"}, {v.hidden_size, "hidden_size"},
                            {v.intermediate_size, "intermediate_size"}, {v.num_heads, "num_heads"},
                            {v.in_channels, "in_channels"}, {v.patch_size, "patch_size"},
                            {v.spatial_merge_size, "spatial_merge_size"},
                            {v.temporal_patch_size, "temporal_patch_size"},
                            {v.window_size, "window_size"}, {v.out_hidden_size, "out_hidden_size"}}, where);
  require_divisible(v.hidden_size, "hidden_size", v.num_heads, "num_heads", where);
  for (int64_t index : v.fullatt_block_indexes)
    if (index < 0 || index >= v.depth)
      throw_bad_value("fullatt_block_indexes", where,
                      "has block " + std::to_string(index) + " but depth is " +
                          std::to_string(v.depth));
  return v;
}

// `config` holds the defaults; `model_type` is the class's (the dict's own model_type only picks
// the class).
VisionTransformerConfig parse_vit(const Json& vision, const std::string& where,
                                  VisionTransformerConfig config) {
  read_into(config.hidden_size, vision, "hidden_size", where);
  read_into(config.intermediate_size, vision, "intermediate_size", where);
  read_into(config.num_hidden_layers, vision, "num_hidden_layers", where);
  read_into(config.num_attention_heads, vision, "num_attention_heads", where);
  read_into(config.num_channels, vision, "num_channels", where);
  read_into(config.image_size, vision, "image_size", where);
  read_into(config.patch_size, vision, "patch_size", where);
  read_into(config.hidden_act, vision, "hidden_act", where);
  read_into(config.layer_norm_eps, vision, "layer_norm_eps", where);
  read_into(config.projection_dim, vision, "projection_dim", where);
  require_all_positive({{config.hidden_size, "hidden_size"},
                            {config.intermediate_size, "intermediate_size"},
                            {config.num_hidden_layers, "num_hidden_layers"},
                            {config.num_attention_heads, "num_attention_heads"},
                            {config.num_channels, "num_channels"},
                            {config.image_size, "image_size"}, {config.patch_size, "patch_size"}}, where);
  require_divisible(config.hidden_size, "hidden_size", config.num_attention_heads,
                    "num_attention_heads", where);
  return config;
}

// CLIP sub-config: `name` ("text_config") merged with the legacy `name_dict` ("text_config_dict"),
// whose keys win (CLIPConfig.__post_init__).
Json clip_sub_config(const Json& top, const std::string& name, const std::string& label) {
  Json merged = Json::object();
  if (const Json* sub = sub_object(top, name, label)) merged = *sub;
  if (const Json* legacy = sub_object(top, name + "_dict", label))
    for (auto it = legacy->begin(); it != legacy->end(); ++it) merged[it.key()] = it.value();
  return merged;
}

// ------------------------------------------------------------------------------------------------
// Families.

// Qwen2-VL and Qwen2.5-VL share everything but the defaults and the vision tower.
template <typename QwenConfig>
void parse_qwen_text_and_ids(QwenConfig& c, const Json& top, const std::string& label,
                             const TextDecoderConfig& text_defaults) {
  // v5 (and late v4) nest the text model in text_config; early v4 configs are flat.
  const Json* text = sub_object(top, "text_config", label);
  c.text = parse_text_decoder(text ? *text : top, text ? label + ": text_config" : label,
                              text_defaults, DecoderKind::qwen2);
  resolve_tie(c.text, top, label);
  read_into(c.image_token_id, top, "image_token_id", label);
  read_into(c.video_token_id, top, "video_token_id", label);
  read_into(c.vision_start_token_id, top, "vision_start_token_id", label);
  read_into(c.vision_end_token_id, top, "vision_end_token_id", label);
}

Qwen2VLConfig parse_qwen2_vl(const Json& top, const std::string& label) {
  Qwen2VLConfig c;
  parse_qwen_text_and_ids(c, top, label, qwen2_vl_text_defaults());
  c.vision = parse_qwen2_vl_vision(top, label);
  return c;
}

Qwen2_5_VLConfig parse_qwen2_5_vl(const Json& top, const std::string& label) {
  Qwen2_5_VLConfig c;
  parse_qwen_text_and_ids(c, top, label, qwen2_5_vl_text_defaults());
  c.vision = parse_qwen2_5_vl_vision(top, label);
  return c;
}

Idefics3Config parse_idefics3(const Json& top, const std::string& label, bool smolvlm) {
  Idefics3Config c;
  read_into(c.image_token_id, top, "image_token_id", label);
  read_into(c.scale_factor, top, "scale_factor", label);
  read_nullable_id(c.pad_token_id, top, "pad_token_id", label);
  require_positive(c.scale_factor, "scale_factor", label);
  if (const Json* text = sub_object(top, "text_config", label)) {
    c.text = parse_llama_text_config(*text, label + ": text_config", TextDecoderConfig{});
  } else {
    // Idefics3Config / SmolVLMConfig without text_config: LlamaConfig(rms_norm_eps=1e-5,
    // pad_token_id=<the top-level pad_token_id>).
    c.text = idefics3_text_defaults();
    c.text.pad_token_id = c.pad_token_id;
  }
  resolve_tie(c.text, top, label);
  VisionTransformerConfig vision_defaults = idefics3_vision_defaults();
  if (smolvlm) vision_defaults.model_type = "smolvlm_vision";  // SmolVLMVisionConfig: same defaults
  if (const Json* vision = sub_object(top, "vision_config", label))
    c.vision = parse_vit(*vision, label + ": vision_config", vision_defaults);
  else
    c.vision = vision_defaults;
  return c;
}

LlavaConfig parse_llava(const Json& top, const std::string& label) {
  LlavaConfig c;
  if (const Json* text = sub_object(top, "text_config", label))
    c.text = parse_llama_text_config(*text, label + ": text_config", TextDecoderConfig{});
  // LlavaConfig.__post_init__: the composite ties when either level says so.
  const bool text_tie = c.text.tie_word_embeddings;
  resolve_tie(c.text, top, label);
  c.text.tie_word_embeddings = c.text.tie_word_embeddings || text_tie;

  if (const Json* vision = sub_object(top, "vision_config", label)) {
    // A given vision_config is a CLIPVisionConfig with that class's defaults (224 px, patch 32),
    // not the CLIP-L/336 used when vision_config is absent.
    const std::string where = label + ": vision_config";
    VisionTransformerConfig defaults;
    defaults.model_type = sub_model_type(*vision, where, "clip_vision_model", {"clip_vision_model"});
    c.vision = parse_vit(*vision, where, defaults);
  }

  // `image_token_index`; `image_token_id` is its alias (LlavaConfig.attribute_map).
  if (has_key(top, "image_token_index"))
    c.image_token_id = get_required<int64_t>(top, "image_token_index", label);
  else
    read_into(c.image_token_id, top, "image_token_id", label);
  read_into(c.image_seq_length, top, "image_seq_length", label);
  read_into(c.projector_hidden_act, top, "projector_hidden_act", label);
  read_into(c.vision_feature_select_strategy, top, "vision_feature_select_strategy", label);
  if (c.vision_feature_select_strategy != "default" && c.vision_feature_select_strategy != "full")
    throw_bad_value("vision_feature_select_strategy", label,
                    "is \"" + c.vision_feature_select_strategy + "\"; expected \"default\" or \"full\"");
  if (has_key(top, "vision_feature_layer")) {
    read_token_ids(c.vision_feature_layers, top, "vision_feature_layer", label);
    if (c.vision_feature_layers.empty())
      throw_bad_value("vision_feature_layer", label, "should name at least one layer");
  }
  read_into(c.multimodal_projector_bias, top, "multimodal_projector_bias", label);
  require_positive(c.image_seq_length, "image_seq_length", label);
  return c;
}

ClipConfig parse_clip(const Json& top, const std::string& label) {
  ClipConfig c;
  const Json text = clip_sub_config(top, "text_config", label);
  const std::string text_where = label + ": text_config";
  read_into(c.text.vocab_size, text, "vocab_size", text_where);
  read_into(c.text.hidden_size, text, "hidden_size", text_where);
  read_into(c.text.intermediate_size, text, "intermediate_size", text_where);
  read_into(c.text.projection_dim, text, "projection_dim", text_where);
  read_into(c.text.num_hidden_layers, text, "num_hidden_layers", text_where);
  read_into(c.text.num_attention_heads, text, "num_attention_heads", text_where);
  read_into(c.text.max_position_embeddings, text, "max_position_embeddings", text_where);
  read_into(c.text.hidden_act, text, "hidden_act", text_where);
  read_into(c.text.layer_norm_eps, text, "layer_norm_eps", text_where);
  read_into(c.text.pad_token_id, text, "pad_token_id", text_where);
  read_into(c.text.bos_token_id, text, "bos_token_id", text_where);
  read_into(c.text.eos_token_id, text, "eos_token_id", text_where);
  require_all_positive({{c.text.vocab_size, "vocab_size"},
                            {c.text.hidden_size, "hidden_size"},
                            {c.text.intermediate_size, "intermediate_size"},
                            {c.text.num_hidden_layers, "num_hidden_layers"},
                            {c.text.num_attention_heads, "num_attention_heads"},
                            {c.text.max_position_embeddings, "max_position_embeddings"}}, text_where);
  require_divisible(c.text.hidden_size, "hidden_size", c.text.num_attention_heads,
                    "num_attention_heads", text_where);

  const Json vision = clip_sub_config(top, "vision_config", label);
  c.vision = parse_vit(vision, label + ": vision_config", VisionTransformerConfig{});

  read_into(c.projection_dim, top, "projection_dim", label);
  read_into(c.logit_scale_init_value, top, "logit_scale_init_value", label);
  require_positive(c.projection_dim, "projection_dim", label);
  return c;
}

template <typename T>
const T& family_part(const ModelConfig& config, ModelFamily wanted) {
  if (const T* part = std::get_if<T>(&config.family_config)) return *part;
  throw Error("model config is of the " + std::string(model_family_name(config.family())) +
              " family (model_type \"" + config.model_type + "\"), not " +
              std::string(model_family_name(wanted)));
}

// ------------------------------------------------------------------------------------------------
// To JSON.

template <typename T>
Json optional_json(const std::optional<T>& value) {
  return value ? Json(*value) : Json(nullptr);
}

Json rope_json(const RopeParameters& r) {
  return {{"rope_theta", r.rope_theta},
          {"rope_type", r.rope_type},
          {"mrope_section", r.mrope_section},
          {"factor", optional_json(r.factor)},
          {"original_max_position_embeddings", optional_json(r.original_max_position_embeddings)},
          {"low_freq_factor", optional_json(r.low_freq_factor)},
          {"high_freq_factor", optional_json(r.high_freq_factor)}};
}

Json text_json(const TextDecoderConfig& t) {
  return {{"model_type", t.model_type},
          {"vocab_size", t.vocab_size},
          {"hidden_size", t.hidden_size},
          {"intermediate_size", t.intermediate_size},
          {"num_hidden_layers", t.num_hidden_layers},
          {"num_attention_heads", t.num_attention_heads},
          {"num_key_value_heads", t.num_key_value_heads},
          {"head_dim", t.head_dim},
          {"hidden_act", t.hidden_act},
          {"rms_norm_eps", t.rms_norm_eps},
          {"rope_parameters", rope_json(t.rope_parameters)},
          {"max_position_embeddings", t.max_position_embeddings},
          {"tie_word_embeddings", t.tie_word_embeddings},
          {"qkv_bias", t.qkv_bias},
          {"o_proj_bias", t.o_proj_bias},
          {"mlp_bias", t.mlp_bias},
          {"bos_token_id", optional_json(t.bos_token_id)},
          {"eos_token_ids", t.eos_token_ids},
          {"pad_token_id", optional_json(t.pad_token_id)},
          {"use_sliding_window", t.use_sliding_window},
          {"sliding_window", optional_json(t.sliding_window)},
          {"max_window_layers", optional_json(t.max_window_layers)},
          {"layer_types", t.layer_types}};
}

Json vit_json(const VisionTransformerConfig& v) {
  return {{"model_type", v.model_type},
          {"hidden_size", v.hidden_size},
          {"intermediate_size", v.intermediate_size},
          {"num_hidden_layers", v.num_hidden_layers},
          {"num_attention_heads", v.num_attention_heads},
          {"num_channels", v.num_channels},
          {"image_size", v.image_size},
          {"patch_size", v.patch_size},
          {"hidden_act", v.hidden_act},
          {"layer_norm_eps", v.layer_norm_eps},
          {"projection_dim", v.projection_dim}};
}

Json family_json(const Qwen2VLConfig& c) {
  const auto& v = c.vision;
  return {{"text_config", text_json(c.text)},
          {"vision_config",
           {{"depth", v.depth},
            {"embed_dim", v.embed_dim},
            {"hidden_size", v.hidden_size},
            {"hidden_act", v.hidden_act},
            {"mlp_ratio", v.mlp_ratio},
            {"num_heads", v.num_heads},
            {"in_channels", v.in_channels},
            {"patch_size", v.patch_size},
            {"spatial_merge_size", v.spatial_merge_size},
            {"temporal_patch_size", v.temporal_patch_size},
            {"rope_theta", v.rope_theta}}},
          {"image_token_id", c.image_token_id},
          {"video_token_id", c.video_token_id},
          {"vision_start_token_id", c.vision_start_token_id},
          {"vision_end_token_id", c.vision_end_token_id}};
}

Json family_json(const Qwen2_5_VLConfig& c) {
  const auto& v = c.vision;
  return {{"text_config", text_json(c.text)},
          {"vision_config",
           {{"depth", v.depth},
            {"hidden_size", v.hidden_size},
            {"hidden_act", v.hidden_act},
            {"intermediate_size", v.intermediate_size},
            {"num_heads", v.num_heads},
            {"in_channels", v.in_channels},
            {"patch_size", v.patch_size},
            {"spatial_merge_size", v.spatial_merge_size},
            {"temporal_patch_size", v.temporal_patch_size},
            {"tokens_per_second", v.tokens_per_second},
            {"window_size", v.window_size},
            {"out_hidden_size", v.out_hidden_size},
            {"fullatt_block_indexes", v.fullatt_block_indexes},
            {"rope_theta", v.rope_theta}}},
          {"image_token_id", c.image_token_id},
          {"video_token_id", c.video_token_id},
          {"vision_start_token_id", c.vision_start_token_id},
          {"vision_end_token_id", c.vision_end_token_id}};
}

Json family_json(const Idefics3Config& c) {
  return {{"text_config", text_json(c.text)},
          {"vision_config", vit_json(c.vision)},
          {"image_token_id", c.image_token_id},
          {"scale_factor", c.scale_factor},
          {"pad_token_id", optional_json(c.pad_token_id)}};
}

Json family_json(const LlavaConfig& c) {
  return {{"text_config", text_json(c.text)},
          {"vision_config", vit_json(c.vision)},
          {"image_token_id", c.image_token_id},
          {"image_seq_length", c.image_seq_length},
          {"projector_hidden_act", c.projector_hidden_act},
          {"vision_feature_select_strategy", c.vision_feature_select_strategy},
          {"vision_feature_layers", c.vision_feature_layers},
          {"multimodal_projector_bias", c.multimodal_projector_bias}};
}

Json family_json(const ClipConfig& c) {
  const auto& t = c.text;
  return {{"text_config",
           {{"vocab_size", t.vocab_size},
            {"hidden_size", t.hidden_size},
            {"intermediate_size", t.intermediate_size},
            {"projection_dim", t.projection_dim},
            {"num_hidden_layers", t.num_hidden_layers},
            {"num_attention_heads", t.num_attention_heads},
            {"max_position_embeddings", t.max_position_embeddings},
            {"hidden_act", t.hidden_act},
            {"layer_norm_eps", t.layer_norm_eps},
            {"pad_token_id", t.pad_token_id},
            {"bos_token_id", t.bos_token_id},
            {"eos_token_id", t.eos_token_id}}},
          {"vision_config", vit_json(c.vision)},
          {"projection_dim", c.projection_dim},
          {"logit_scale_init_value", c.logit_scale_init_value}};
}

}  // namespace

// --------------------------------------------------------------------------------------------------

std::string_view model_family_name(ModelFamily family) {
  switch (family) {
    case ModelFamily::qwen2_vl: return "qwen2_vl";
    case ModelFamily::qwen2_5_vl: return "qwen2_5_vl";
    case ModelFamily::idefics3: return "idefics3";
    case ModelFamily::llava: return "llava";
    case ModelFamily::clip: return "clip";
  }
  return "unknown";
}

const std::vector<std::string>& supported_model_types() {
  static const std::vector<std::string> types = {"qwen2_vl", "qwen2_5_vl", "idefics3",
                                                 "smolvlm",  "llava",      "clip"};
  return types;
}

TextDecoderConfig qwen2_vl_text_defaults() {
  // Qwen2VLTextConfig (qwen2_vl/configuration_qwen2_vl.py), like Qwen2-VL-7B-Instruct.
  TextDecoderConfig t;
  t.model_type = "qwen2_vl_text";
  t.vocab_size = 152064;
  t.hidden_size = 8192;
  t.intermediate_size = 29568;
  t.num_hidden_layers = 80;
  t.num_attention_heads = 64;
  t.num_key_value_heads = 8;
  t.head_dim = 8192 / 64;
  t.hidden_act = "silu";
  t.rms_norm_eps = 1e-5;
  t.rope_parameters.rope_theta = 1000000.0;
  t.rope_parameters.rope_type = "default";
  t.rope_parameters.mrope_section = {16, 24, 24};  // modeling_qwen2_vl.py fallback, see the top
  t.max_position_embeddings = 32768;
  t.tie_word_embeddings = false;
  t.qkv_bias = true;
  t.o_proj_bias = false;
  t.mlp_bias = false;
  t.bos_token_id = 151643;
  t.eos_token_ids = {151645};
  t.pad_token_id.reset();
  t.use_sliding_window = false;
  t.sliding_window.reset();  // 4096, but kept only when use_sliding_window
  t.max_window_layers = 80;
  t.layer_types.assign(80, "full_attention");
  return t;
}

TextDecoderConfig qwen2_5_vl_text_defaults() {
  // Qwen2_5_VLTextConfig (qwen2_5_vl/configuration_qwen2_5_vl.py): the same values.
  TextDecoderConfig t = qwen2_vl_text_defaults();
  t.model_type = "qwen2_5_vl_text";
  return t;
}

TextDecoderConfig idefics3_text_defaults() {
  TextDecoderConfig t;  // LlamaConfig defaults
  t.rms_norm_eps = 1e-5;
  t.pad_token_id = 128002;
  return t;
}

VisionTransformerConfig idefics3_vision_defaults() {
  // Idefics3VisionConfig (idefics3/configuration_idefics3.py), SigLIP-like.
  VisionTransformerConfig v;
  v.model_type = "idefics3_vision";
  v.hidden_size = 1152;
  v.intermediate_size = 3072;
  v.num_hidden_layers = 12;
  v.num_attention_heads = 16;
  v.num_channels = 3;
  v.image_size = 224;
  v.patch_size = 32;
  v.hidden_act = "gelu_pytorch_tanh";
  v.layer_norm_eps = 1e-6;
  return v;
}

VisionTransformerConfig llava_vision_defaults() {
  // LlavaConfig.__post_init__ without vision_config: CLIPVisionConfig(intermediate_size=4096,
  // hidden_size=1024, patch_size=14, image_size=336, num_hidden_layers=24,
  // num_attention_heads=16, vocab_size=32000, projection_dim=768), the rest CLIPVisionConfig's.
  VisionTransformerConfig v;
  v.hidden_size = 1024;
  v.intermediate_size = 4096;
  v.num_hidden_layers = 24;
  v.num_attention_heads = 16;
  v.image_size = 336;
  v.patch_size = 14;
  v.projection_dim = 768;
  return v;
}

const Qwen2VLConfig& ModelConfig::qwen2_vl() const {
  return family_part<Qwen2VLConfig>(*this, ModelFamily::qwen2_vl);
}
const Qwen2_5_VLConfig& ModelConfig::qwen2_5_vl() const {
  return family_part<Qwen2_5_VLConfig>(*this, ModelFamily::qwen2_5_vl);
}
const Idefics3Config& ModelConfig::idefics3() const {
  return family_part<Idefics3Config>(*this, ModelFamily::idefics3);
}
const LlavaConfig& ModelConfig::llava() const {
  return family_part<LlavaConfig>(*this, ModelFamily::llava);
}
const ClipConfig& ModelConfig::clip() const {
  return family_part<ClipConfig>(*this, ModelFamily::clip);
}

const TextDecoderConfig* ModelConfig::text_decoder() const {
  return std::visit(
      [](const auto& part) -> const TextDecoderConfig* {
        if constexpr (std::is_same_v<std::decay_t<decltype(part)>, ClipConfig>)
          return nullptr;
        else
          return &part.text;
      },
      family_config);
}

ModelConfig parse_model_config(const Json& config, const std::string& label) {
  if (!config.is_object()) throw FormatError(label + ": expected a JSON object");
  ModelConfig out;
  out.model_type = get_required<std::string>(config, "model_type", label);
  // v5 writes "dtype", v4 "torch_dtype".
  if (has_key(config, "dtype"))
    out.dtype = get_required<std::string>(config, "dtype", label);
  else
    read_into(out.dtype, config, "torch_dtype", label);

  const std::string& type = out.model_type;
  if (type == "qwen2_vl")
    out.family_config = parse_qwen2_vl(config, label);
  else if (type == "qwen2_5_vl")
    out.family_config = parse_qwen2_5_vl(config, label);
  else if (type == "idefics3" || type == "smolvlm")
    out.family_config = parse_idefics3(config, label, type == "smolvlm");
  else if (type == "llava")
    out.family_config = parse_llava(config, label);
  else if (type == "clip")
    out.family_config = parse_clip(config, label);
  else
    throw FormatError(label + ": model_type \"" + type + "\" is not supported; supported: " +
                      join(supported_model_types()));
  return out;
}

ModelConfig read_model_config(const fs::path& config_json_or_folder) {
  fs::path path = config_json_or_folder;
  std::error_code ec;
  if (fs::is_directory(path, ec)) path /= "config.json";
  if (!fs::exists(path, ec)) throw FileError(path.string() + ": no such file");
  return parse_model_config(read_json_file(path), path.string());
}

Json model_config_to_json(const ModelConfig& config) {
  Json out = std::visit([](const auto& part) { return family_json(part); }, config.family_config);
  out["family"] = std::string(model_family_name(config.family()));
  out["model_type"] = config.model_type;
  out["dtype"] = config.dtype;
  return out;
}

}  // namespace vltune::io
